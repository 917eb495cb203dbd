"""The project's form renderer writes the same HTML as Django's own templates, with fewer template renders."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorList

from soce.lib.forms import FormRenderer

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
