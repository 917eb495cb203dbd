"""The project's form renderer writes the same HTML as Django's own templates, with fewer template renders."""

import copy
import itertools
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from unittest.mock import patch

import pytest
from django import forms
from django.contrib.admin import site
from django.contrib.admin import widgets as admin_widgets
from django.contrib.auth.models import AnonymousUser
from django.forms import widgets
from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django.forms.utils import ErrorList
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from conftest import login_with_mfa, staff_user_with
from members.models import Campus, Category, Member
from members.tests.factories import (
    CampusFactory,
    CategoryFactory,
    GroupMembershipFactory,
    MemberFactory,
)
from soce.lib.forms import INCLUDES, SOURCE_FINGERPRINTS, FormRenderer, source_fingerprint

CHOICES = [
    ("", "---------"),
    ("fr", "France"),
    ("Europe", [("de", "Allemagne"), ("be", "Belgique <Wallonie>")]),
    (3, "Trois"),
]


class SampleForm(forms.Form):
    country = forms.ChoiceField(choices=CHOICES, required=False)
    countries = forms.MultipleChoiceField(choices=CHOICES, required=False)
    name = forms.CharField(widget=forms.TextInput(attrs={"autofocus": True, "data-x": 'a"b', "hidden": False}))
    when = forms.DateField(widget=forms.DateInput(attrs={"class": "form-control"}))
    secret = forms.CharField(widget=forms.HiddenInput)
    agree = forms.BooleanField(required=False)
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    email = forms.EmailField(required=False, label="Courriel", label_suffix=" :")
    site = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    amount = forms.DecimalField(required=False)
    at = forms.SplitDateTimeField(required=False)
    starts = forms.TimeField(required=False)
    doc = forms.FileField(required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)


class DisabledOptionSelect(forms.Select):
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        if option["value"] == "be":
            option["attrs"]["disabled"] = True
        return option


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "country": "be",
            "countries": ["fr", "3"],
            "name": "Zoé & Cie",
            "when": "2026-12-04",
            "secret": "s",
            "kind": "b",
        },
    ],
)
def test_same_html_as_djangos_templates(data):
    form = SampleForm(data=data or None, initial={"country": "de"})
    ours = form.render(renderer=FormRenderer())
    django_own = form.render(renderer=DjangoTemplates())
    assert ours == django_own
    assert "Belgique &lt;Wallonie&gt;" in ours


@pytest.mark.parametrize("name", list(SampleForm.base_fields))
def test_each_field_and_label_is_the_same_html(name):
    data = {"name": "Zoé", "email": "a@b.fr", "password": 'x"y', "at_0": "2026-12-04", "at_1": "10:00"}
    ours, django_own = SampleForm(data=data), SampleForm(data=data)
    ours.renderer, django_own.renderer = FormRenderer(), DjangoTemplates()
    assert ours[name].as_widget() == django_own[name].as_widget()
    assert ours[name].label_tag(attrs={"class": "form-label", "hidden": False}) == django_own[name].label_tag(
        attrs={"class": "form-label", "hidden": False}
    )


def test_custom_option_attributes_are_kept():
    widget = DisabledOptionSelect(choices=CHOICES)
    ours = widget.render("c", "fr", renderer=FormRenderer())
    assert ours == widget.render("c", "fr", renderer=DjangoTemplates())
    assert '<option value="be" disabled>' in ours


def test_an_empty_error_list_renders_nothing_without_a_template():
    assert ErrorList(renderer=FormRenderer()).render() == ""
    errors = ErrorList(["Champ obligatoire."], renderer=FormRenderer())
    assert errors.render() == ErrorList(["Champ obligatoire."], renderer=DjangoTemplates()).render()
    assert "Champ obligatoire." in str(errors)


class OtherOptionTemplateSelect(forms.Select):
    option_template_name = "django/forms/widgets/radio_option.html"


def test_an_option_template_of_its_own_is_still_rendered_by_its_template():
    widget = OtherOptionTemplateSelect(choices=CHOICES)
    ours = widget.render("c", "fr", renderer=FormRenderer())
    assert ours == widget.render("c", "fr", renderer=DjangoTemplates())
    assert "<label><input" in ours


@pytest.mark.parametrize(
    "name", ["django/forms/widgets/select.html", "django/forms/widgets/text.html", "django/forms/label.html"]
)
def test_the_overrides_are_the_ones_used(name, settings):
    origin = FormRenderer().get_template(name).template.origin.name
    assert origin.startswith(str(settings.BASE_DIR / "templates")), origin


# --- The widgets and labels written in Python (soce.lib.forms writers) ------------------------------------


@contextmanager
def templates_only():
    """Every renderer of the class, the default one included, with its Python writers off."""
    with patch.object(FormRenderer, "writers", {}):
        yield


@pytest.fixture
def templated(monkeypatch):
    """The names of the templates the project's renderer hands to a template (not to a writer)."""
    names = []
    render = TemplatesSetting.render

    def spy(self, template_name, context, request=None):
        names.append(template_name)
        return render(self, template_name, context, request=request)

    monkeypatch.setattr(TemplatesSetting, "render", spy)
    return names


def same_html(render, templated=None):
    """`render(renderer)` by the Python writers, by our templates and by Django's own renderer: the same
    bytes. With `templated`, the first run must have rendered no template at all (the writers did)."""
    if templated is not None:
        templated.clear()
    written = render(FormRenderer())
    if templated is not None:
        assert templated == [], f"rendered by a template: {templated}"
    with templates_only():
        assert written == render(FormRenderer())
    assert written == render(DjangoTemplates())
    return written


def test_every_writer_stands_for_the_template_in_use():
    """A template edited (ours) or changed by a Django upgrade turns its writer off: update the writer
    with the template, then its fingerprint in SOURCE_FINGERPRINTS."""
    renderer = FormRenderer()
    names = {*FormRenderer.writers, *(name for included in INCLUDES.values() for name in included)}
    actual = {name: source_fingerprint(renderer.get_template(name).template.source) for name in names}
    assert actual == SOURCE_FINGERPRINTS
    assert all(renderer.writes(name) for name in FormRenderer.writers)


# Attribute values as attrs.html writes them: True bare, False left out, None as "None", the rest escaped.
ODD_ATTRS = {
    "autofocus": True,
    "hidden": False,
    "data-none": None,
    "data-quote": "a\"b <c> & 'd'",
    "maxlength": 10,
    "data-amount": Decimal("1234.50"),
    "data-day": date(2026, 12, 4),
    "placeholder": gettext_lazy("Nom"),
    "data-safe": mark_safe("<b>déjà sûr</b>"),
    "data-zero": 0,
    "data-empty": "",
}

INPUTS = [
    forms.TextInput(),
    forms.TextInput(attrs=ODD_ATTRS),
    forms.EmailInput(attrs={"required": True, "class": "form-control"}),
    forms.URLInput(),
    forms.NumberInput(attrs={"step": "0.01", "min": 0}),
    forms.HiddenInput(),
    forms.PasswordInput(render_value=True),
    forms.PasswordInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
    forms.DateInput(),
    forms.DateTimeInput(attrs={"disabled": True}),
    forms.TimeInput(),
    widgets.Input(attrs={"type": "week"}),
]
INPUT_VALUES = [None, "", "Zoé & <Cie> \"« »\" 'x'", 0, "0", 3.5, Decimal("1234.5"), gettext_lazy("Oui")]


@pytest.mark.parametrize("widget", INPUTS, ids=lambda w: f"{type(w).__name__}:{w.template_name}")
@pytest.mark.parametrize("value", INPUT_VALUES, ids=repr)
def test_inputs(widget, value, templated):
    same_html(lambda r: widget.render("champ", value, attrs={"id": "id_champ"}, renderer=r), templated)


@pytest.mark.parametrize(
    "value",
    [date(2026, 12, 4), datetime(2026, 12, 4, 10, 30, tzinfo=UTC), time(9, 5), "2026-12-04"],
    ids=repr,
)
@pytest.mark.parametrize("widget", [forms.DateInput(), forms.DateTimeInput(), forms.TimeInput()], ids=repr)
def test_dates_arrive_localised(widget, value, templated):
    same_html(lambda r: widget.render("quand", value, renderer=r), templated)


@pytest.mark.parametrize("value", [True, False, None, "", "on", "x", 0, 1], ids=repr)
@pytest.mark.parametrize(
    "widget",
    [
        forms.CheckboxInput(),
        forms.CheckboxInput(attrs={"disabled": True, "required": True, "class": "form-check-input"}),
        forms.CheckboxInput(attrs={"checked": False}),
        forms.CheckboxInput(check_test=lambda value: value == "x"),
    ],
    ids=repr,
)
def test_checkboxes(widget, value, templated):
    same_html(lambda r: widget.render("accord", value, renderer=r), templated)


GROUPED = [
    ("", "---------"),
    ("fr", "France"),
    (gettext_lazy("Europe"), [("de", gettext_lazy("Allemagne")), ("be", "Belgique <Wallonie>")]),
    ("Amériques & <îles>", [("ca", "Canada"), ("qc", mark_safe("<b>Québec</b>"))]),
    (3, "Trois"),
    (4, 12345),
    (5, Decimal("1234.5")),
    ("vide", []),
]


class DisabledOptionsSelect(forms.SelectMultiple):
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        if option["value"] in ("be", 3):
            option["attrs"].update({"disabled": True, "data-raison": 'fermé "temporairement"', "hidden": False})
        return option


SELECTS = [
    forms.Select(choices=CHOICES),
    forms.Select(choices=GROUPED, attrs={"required": True, "class": "form-select", "hidden": False}),
    forms.Select(choices=[]),
    forms.SelectMultiple(choices=GROUPED),
    forms.SelectMultiple(choices=GROUPED, attrs=ODD_ATTRS),
    DisabledOptionSelect(choices=GROUPED),
    DisabledOptionsSelect(choices=GROUPED),
]
SELECT_VALUES = [None, "", "be", "3", 3, ["fr", "3", "be", "qc"], [], True, "unknown"]


@pytest.mark.parametrize("widget", SELECTS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("value", SELECT_VALUES, ids=repr)
def test_selects(widget, value, templated):
    same_html(lambda r: widget.render("pays", value, attrs={"id": "id_pays"}, renderer=r), templated)


@pytest.mark.parametrize("value", [None, True, False, "unknown", "true", "2", ""], ids=repr)
def test_null_boolean_selects(value, templated):
    same_html(lambda r: forms.NullBooleanSelect().render("oui_non", value, renderer=r), templated)


def test_a_model_choice_select(db, templated):
    first, second = CampusFactory(code="Cl", name="Cluny & <Co>"), CampusFactory(code="Bo", name="Bordeaux")
    field = forms.ModelChoiceField(Campus.objects.order_by("name"))
    multiple = forms.ModelMultipleChoiceField(Campus.objects.order_by("name"))
    html = same_html(lambda r: field.widget.render("campus", second.pk, renderer=r), templated)
    assert f'<option value="{second.pk}" selected>{second}</option>' in html
    html = same_html(lambda r: multiple.widget.render("c", [first.pk, second.pk], renderer=r), templated)
    assert html.count(" selected>") == 2 and "Cluny &amp; &lt;Co&gt;" in html


@pytest.mark.parametrize("value", [None, "", "ligne 1\n<b>ligne 2</b> & « 3 »", "0", gettext_lazy("Oui")], ids=repr)
@pytest.mark.parametrize(
    "widget", [forms.Textarea(), forms.Textarea(attrs={"rows": 3, "cols": None, "disabled": True})], ids=repr
)
def test_textareas(widget, value, templated):
    same_html(lambda r: widget.render("note", value, renderer=r), templated)


@pytest.mark.parametrize(
    ("template_name", "widget"),
    [
        ("django/forms/widgets/text.html", {"value": mark_safe("<i>sûr</i>"), "name": gettext_lazy("nom")}),
        ("django/forms/widgets/text.html", {"value": 0, "type": mark_safe("te<x>t")}),
        ("django/forms/widgets/text.html", {"value": ("a", "<b>")}),
        ("django/forms/widgets/text.html", {"value": ["a", "<b>"], "attrs": None}),
        ("django/forms/widgets/number.html", {"value": Decimal("1234.5"), "attrs": {"data-n": 1234567}}),
        ("django/forms/widgets/input.html", {"value": {"a": "<b>"}}),
        ("django/forms/widgets/textarea.html", {"value": 0}),
        ("django/forms/widgets/textarea.html", {"value": 1234567}),
        ("django/forms/widgets/textarea.html", {"value": mark_safe("<b>sûr</b>")}),
    ],
    ids=repr,
)
def test_values_the_widgets_do_not_make_themselves(template_name, widget, templated):
    """Contexts built by hand, with values no Django widget puts there: the engine's rules still hold
    (stringformat keeps safe strings, `{{ }}` localises numbers, a missing attrs dict is no attribute)."""
    context = {
        "widget": {
            "name": "champ",
            "is_hidden": False,
            "required": False,
            "value": None,
            "attrs": {"id": "id_champ"},
            "template_name": template_name,
            "type": "text",
            **widget,
        }
    }
    if template_name.endswith("textarea.html"):
        del context["widget"]["type"]
    same_html(lambda r: r.render(template_name, copy.deepcopy(context)), templated)


class LabelForm(forms.Form):
    required_css_class = "obligatoire"

    name = forms.CharField(label="Nom <b>&</b> prénom")
    safe = forms.CharField(label=mark_safe("<abbr>Sûr</abbr>"), required=False)
    lazy = forms.CharField(label=gettext_lazy("Date:"), required=False)
    suffixed = forms.CharField(label="Ville", label_suffix=" :", required=False)
    ends_in_punctuation = forms.CharField(label="Pourquoi ?", required=False)
    empty = forms.CharField(label="", required=False)
    with_id = forms.CharField(widget=forms.TextInput(attrs={"id": "mon-id"}), required=False)
    multiple = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple, required=False)


@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("name", list(LabelForm.base_fields))
@pytest.mark.parametrize("attrs", [None, {"class": "form-label", "hidden": False, "data-n": 3, "data-x": True}])
def test_labels_and_legends(name, auto_id, attrs, templated):
    def render(renderer):
        form = LabelForm(auto_id=auto_id, renderer=renderer)
        return form[name].label_tag(attrs=copy.copy(attrs)) + "|" + form[name].legend_tag(attrs=copy.copy(attrs))

    same_html(render, templated)


def test_a_whole_form_bound_with_errors():
    data = {"country": "xx", "countries": ["fr", "nope"], "name": "<script>", "when": "pas une date"}
    assert "&lt;script&gt;" in same_html(lambda r: SampleForm(data=data, renderer=r).render())


# --- The admin's widgets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (admin_widgets.AdminDateWidget(), date(2026, 12, 4)),
        (admin_widgets.AdminDateWidget(attrs={"required": True, "data-x": "<"}), None),
        (admin_widgets.AdminTimeWidget(), time(10, 30)),
        (admin_widgets.AdminSplitDateTime(), datetime(2026, 12, 4, 10, 30, tzinfo=UTC)),
        (admin_widgets.AdminSplitDateTime(attrs={"disabled": True}), None),
        (admin_widgets.AdminSplitDateTime(), ["2026-12-04", "pas une heure"]),
        (admin_widgets.AdminTextInputWidget(), "Zoé & <Cie>"),
        (admin_widgets.AdminEmailInputWidget(), "a@b.fr"),
        (admin_widgets.AdminIntegerFieldWidget(), 1979),
        (admin_widgets.AdminTextareaWidget(), "a\n<b>"),
    ],
    ids=repr,
)
def test_admin_widgets(widget, value, templated):
    same_html(lambda r: widget.render("quand", value, attrs={"id": "id_quand"}, renderer=r), templated)


def test_an_admin_split_datetime_with_another_part_is_left_to_its_template(templated):
    widget = admin_widgets.AdminSplitDateTime()
    widget.widgets[1].template_name = "django/forms/widgets/text.html"
    html = widget.render("at", datetime(2026, 12, 4, 10, 30, tzinfo=UTC), renderer=FormRenderer())
    assert templated == ["admin/widgets/split_datetime.html"]
    assert html == widget.render("at", datetime(2026, 12, 4, 10, 30, tzinfo=UTC), renderer=DjangoTemplates())


LIMITED = {"code__startswith": "B"}


@pytest.mark.parametrize("flags", list(itertools.product([True, False], repeat=4)), ids=str)
@pytest.mark.parametrize("inner", ["select", "hidden", "autocomplete"])
@pytest.mark.parametrize("limit", [None, LIMITED])
def test_related_widget_wrappers(flags, inner, limit, templated, db):
    """Every link combination of related_widget_wrapper.html, around a select, a hidden input (no links)
    and an autocomplete, with and without limit_choices_to."""
    category = CategoryFactory(label="Étudiant <E>")
    field = Member._meta.get_field("category")
    rel = copy.copy(field.remote_field)
    rel.limit_choices_to = limit
    if inner == "select":
        widget = forms.Select(choices=[("", "---------"), (category.pk, "Un & <deux>")])
    elif inner == "hidden":
        widget = forms.HiddenInput()
    else:
        widget = admin_widgets.AutocompleteSelect(field, site)
        widget.choices = forms.ModelChoiceField(Category.objects.all()).choices
    add, change, delete, view = flags
    wrapper = admin_widgets.RelatedFieldWidgetWrapper(
        widget,
        rel,
        site,
        can_add_related=add,
        can_change_related=change,
        can_delete_related=delete,
        can_view_related=view,
    )
    html = same_html(
        lambda r: wrapper.render("category", category.pk, attrs={"id": "id_category"}, renderer=r), templated
    )
    assert ("change-related" in html) is (change and inner != "hidden")
    assert ("data-model-ref" in html) is (limit is None)


@pytest.fixture
def superuser_client(db):
    user = staff_user_with(None, "super@exemple.fr")
    user.is_superuser = True
    user.save()
    return login_with_mfa(Client(), user)


def _page(client, url, data=None):
    response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code == 200, response
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "uuid", page)  # new on add


LINKS = {
    "staff_client": ['<p class="date">', '<p class="datetime">', "admin-autocomplete", "change-related"],
    "superuser_client": ["add-related", "change-related", "view-related", "delete-related"],
}


@pytest.mark.parametrize("who", ["staff_client", "superuser_client"])
def test_the_admin_member_pages_are_the_same_html(who, request, templated, db):
    """The pages the widgets are for: the member's change form (a select, autocompletes, dates, inlines,
    all the links for the superuser), re-shown with errors, and the add form."""
    client = request.getfixturevalue(who)
    member = MemberFactory(first_name="Zoé & <Cie>", birth_date=date(1960, 2, 29))
    GroupMembershipFactory(member=member)
    change = f"/admin/members/member/{member.pk}/change/"
    pages = []
    for url, data in [
        (change, None),
        (change, {"first_name": "<script>", "birth_date": "pas une date", "email": "x"}),
        ("/admin/members/member/add/", None),
    ]:
        templated.clear()
        written = _page(client, url, data)
        assert not set(templated) & set(FormRenderer.writers), templated
        with templates_only():
            assert written == _page(client, url, data)
        pages.append(written)
    assert all(link in pages[0] for link in LINKS[who]), [link for link in LINKS[who] if link not in pages[0]]
    assert 'class="errorlist' in pages[1] and 'value="&lt;script&gt;"' in pages[1]


def test_the_profile_page_is_the_same_html(member_client, templated):
    written = _page(member_client, reverse("profile"))
    assert not set(templated) & set(FormRenderer.writers), templated
    with templates_only():
        assert written == _page(member_client, reverse("profile"))


# --- What is left to the templates ------------------------------------------------------------------------


class ExtraKeyInput(forms.TextInput):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["extra"] = "?"
        return context


class ExtraContextInput(forms.TextInput):
    def get_context(self, name, value, attrs):
        return {**super().get_context(name, value, attrs), "extra": "?"}


@pytest.mark.parametrize(
    "widget",
    [
        ExtraKeyInput(),
        ExtraContextInput(),
        forms.TextInput(attrs={"items": [("seul", "attribut")]}),  # `attrs.items` is this list
        forms.TextInput(attrs={"data-appel": lambda: "appelé <par> le moteur"}),  # called by the engine
        forms.Select(choices=[("a", "A")], attrs={"data-appel": lambda: "appelé"}),
        OtherOptionTemplateSelect(choices=CHOICES),
    ],
    ids=lambda w: type(w).__name__,
)
def test_what_a_writer_does_not_understand_goes_to_the_template(widget, templated):
    ours = widget.render("c", "fr", renderer=FormRenderer())
    assert templated == [widget.template_name]
    assert ours == widget.render("c", "fr", renderer=DjangoTemplates())


def test_a_callable_label_is_called_by_the_template(templated):
    ours = FormRenderer().render(
        "django/forms/label.html", {"field": None, "label": lambda: "appelé", "attrs": {}, "use_tag": True, "tag": "b"}
    )
    assert templated == ["django/forms/label.html"]
    assert ours == "<b>appelé</b>"


def test_a_render_with_a_request_goes_to_the_template(rf, templated):
    request = rf.get("/")
    request.user = AnonymousUser()
    context = forms.TextInput().get_context("c", "v", None)
    assert FormRenderer().render("django/forms/widgets/text.html", context, request=request) == (
        forms.TextInput().render("c", "v", renderer=DjangoTemplates())
    )
    assert templated == ["django/forms/widgets/text.html"]


def test_a_template_overridden_elsewhere_is_rendered_by_its_template(settings, tmp_path, templated):
    override = tmp_path / "django" / "forms" / "widgets" / "text.html"
    override.parent.mkdir(parents=True)
    override.write_text('<input data-autre name="{{ widget.name }}">')
    name = "django/forms/widgets/text.html"
    assert FormRenderer().writes(name)
    with override_settings(TEMPLATES=[{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]):
        assert not FormRenderer().writes(name)
        assert forms.TextInput().render("c", "v", renderer=FormRenderer()) == '<input data-autre name="c">'
        assert FormRenderer().writes("django/forms/widgets/hidden.html")
    assert FormRenderer().writes(name)
    assert forms.TextInput().render("c", "v", renderer=FormRenderer()) == '<input type="text" name="c" value="v">'
