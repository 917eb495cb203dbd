"""The form renderer of the whole project (FORM_RENDERER), portal and admin alike.

Every widget and label of every form goes through `FormRenderer.render`: the admin's member page renders
about a hundred of them, and a template render costs 0.1 to 0.3 ms each (the loader, a fresh Context, the
nodes). The templates used most are also written here in Python, byte for byte the HTML their template
gives (soce/lib/tests/test_form_renderer.py compares each with its template and with Django's own
renderer). A Python writer is used only while the template it stands for is the one it was written from
(the source's fingerprint below: a template overridden elsewhere, edited, or changed by a Django upgrade
goes back to the template), and only for a context it fully understands: a missing or unexpected key, a
callable the template would call, or anything unusual raises `Unwritten` and the template renders it.
"""

import hashlib
from html import escape

from django.core.signals import setting_changed
from django.forms.renderers import TemplatesSetting
from django.template import Context, TemplateDoesNotExist
from django.template.base import render_value_in_context
from django.templatetags.static import static
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape, strip_spaces_between_tags
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import gettext

# Rendered once per field of every form, even when the field has no error (the admin's member page: 85
# times). An empty list renders to nothing: skipping the template changes no byte of the page.
_ERROR_LIST_TEMPLATES = frozenset(
    {
        "django/forms/errors/list/default.html",
        "django/forms/errors/list/ul.html",
        "django/forms/errors/list/text.txt",
    }
)

ATTRS_TEMPLATE = "django/forms/widgets/attrs.html"
SELECT_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"

# A widget template's Context: autoescaping, dates and numbers shown as the template would show them.
_PLAIN = Context(autoescape=True)


class Unwritten(Exception):
    """The context holds something a Python writer does not reproduce: its template renders it."""


# --- Template expressions, as Django's template engine evaluates them --------------------------------------


def _resolved(value):
    """A variable's value; the engine would call a callable, so such a value is left to the template."""
    if callable(value):
        raise Unwritten
    return value


def value_html(value, context=_PLAIN) -> str:
    """`{{ value }}`."""
    if type(value) is str:
        return escape(value)
    if type(value) is SafeString:
        return value
    return render_value_in_context(_resolved(value), context)


def stringformat_html(value) -> str:
    """`{{ value|stringformat:'s' }}`: stringformat keeps safe input safe, the rest is escaped."""
    if type(value) is str:
        return escape(value)
    original = _resolved(value)
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 (the filter's own formatting)
    except (ValueError, TypeError):
        text = ""
    return text if isinstance(original, SafeData) else escape(text)


def attrs_html(attrs) -> str:
    """django/forms/widgets/attrs.html: True gives a bare attribute, False none, the rest `name="value"`."""
    if attrs is None:  # the template's loop over a missing dict: nothing
        return ""
    if type(attrs) is not dict or "items" in attrs:  # `attrs.items` would look the key up first
        raise Unwritten
    out = []
    for name, value in attrs.items():
        if _resolved(value) is False:
            continue
        out.append(" " + value_html(name))
        if value is not True:
            out.append('="' + stringformat_html(value) + '"')
    return "".join(out)


def _dict(value, keys):
    """A context dict holding exactly `keys` (an unknown key may mean a template of someone else's)."""
    if type(value) is not dict or value.keys() != keys:
        raise Unwritten
    return value


# --- The writers: each returns what its template renders, before the renderer strips it ------------------

_WIDGET_KEYS = frozenset({"name", "is_hidden", "required", "value", "attrs", "template_name"})
_INPUT_KEYS = _WIDGET_KEYS | {"type"}
_SELECT_KEYS = _WIDGET_KEYS | {"optgroups"}
_MULTI_KEYS = _WIDGET_KEYS | {"subwidgets"}
_OPTION_KEYS = frozenset(
    {"name", "value", "label", "selected", "index", "attrs", "type", "template_name", "wrap_label"}
)
_WIDGET_ONLY = frozenset({"widget"})

# Our templates/django/forms/widgets/*.html of the input family (input.html written in) end with two new
# lines, like Django's `{% include "django/forms/widgets/input.html" %}` + new line; input.html with one.
_INPUT_ENDINGS = {
    f"django/forms/widgets/{name}.html": "\n\n"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
} | {"django/forms/widgets/input.html": "\n"}


def _input(widget, template_name) -> str:
    """Our input.html and the templates that have it written in."""
    _dict(widget, _INPUT_KEYS)
    value = _resolved(widget["value"])
    return "".join(
        (
            '<input type="',
            value_html(widget["type"]),
            '" name="',
            value_html(widget["name"]),
            "" if value == None else '" value="' + stringformat_html(value),  # noqa: E711 (the template's `!= None`)
            '"',
            attrs_html(widget["attrs"]),
            ">",
            _INPUT_ENDINGS[template_name],
        )
    )


def _write_input(template_name, context) -> str:
    return _input(_dict(context, _WIDGET_ONLY)["widget"], template_name)


def option_html(option, context=_PLAIN) -> str:
    """Django's select_option.html, with its trailing new line."""
    _dict(option, _OPTION_KEYS)
    if option["template_name"] != SELECT_OPTION_TEMPLATE:
        raise Unwritten
    return "".join(
        (
            '<option value="',
            stringformat_html(option["value"]),
            '"',
            attrs_html(option["attrs"]),
            ">",
            value_html(option["label"], context),
            "</option>\n",
        )
    )


def options_html(optgroups, context=_PLAIN) -> str:
    """The inside of Django's select.html: optgroups and options, with its exact whitespace."""
    out = []
    for group_name, group_choices, _index in optgroups:
        if _resolved(group_name):
            out.append('\n  <optgroup label="' + value_html(group_name, context) + '">')
        for option in group_choices:
            out.append("\n  ")
            out.append(option_html(option, context))
        if group_name:
            out.append("\n  </optgroup>")
    return "".join(out)


def _write_select(template_name, context) -> str:
    """Our select.html (options by soce_widgets.select_options, which writes them with options_html)."""
    widget = _dict(_dict(context, _WIDGET_ONLY)["widget"], _SELECT_KEYS)
    optgroups = _resolved(widget["optgroups"])
    if type(optgroups) is not list:
        raise Unwritten
    return "".join(
        (
            '<select name="',
            value_html(widget["name"]),
            '"',
            attrs_html(widget["attrs"]),
            ">",
            options_html(optgroups),
            "\n</select>\n",
        )
    )


def _write_textarea(template_name, context) -> str:
    """Django's textarea.html."""
    widget = _dict(_dict(context, _WIDGET_ONLY)["widget"], _WIDGET_KEYS)
    value = _resolved(widget["value"])
    return "".join(
        (
            '<textarea name="',
            value_html(widget["name"]),
            '"',
            attrs_html(widget["attrs"]),
            ">\n",
            value_html(value) if value else "",
            "</textarea>\n",
        )
    )


_LABEL_KEYS = frozenset({"field", "label", "attrs", "use_tag", "tag"})


def _write_label(template_name, context) -> str:
    """Our label.html (Django's, attrs.html written in)."""
    _dict(context, _LABEL_KEYS)
    label = value_html(context["label"])
    if not _resolved(context["use_tag"]):
        return label + "\n"
    tag = value_html(context["tag"])
    return f"<{tag}{attrs_html(_resolved(context['attrs']))}>{label}</{tag}>\n"


def _write_admin_date(template_name, context) -> str:
    """The admin's date.html and time.html: the input in a paragraph."""
    kind = "date" if template_name == "admin/widgets/date.html" else "time"
    widget = _dict(context, _WIDGET_ONLY)["widget"]
    return f'<p class="{kind}">\n  {_input(widget, f"django/forms/widgets/{kind}.html")}\n</p>\n'


_SPLIT_DATETIME_KEYS = frozenset({"widget", "date_label", "time_label"})
_SPLIT_DATETIME_PARTS = ("django/forms/widgets/date.html", "django/forms/widgets/time.html")


def _write_admin_split_datetime(template_name, context) -> str:
    """The admin's split_datetime.html: its two inputs, each by its own template (date.html, time.html)."""
    _dict(context, _SPLIT_DATETIME_KEYS)
    subwidgets = _dict(context["widget"], _MULTI_KEYS)["subwidgets"]
    if type(subwidgets) is not list or len(subwidgets) < 2:
        raise Unwritten
    parts = []
    for subwidget, part_template in zip(subwidgets, _SPLIT_DATETIME_PARTS, strict=False):
        if type(subwidget) is not dict or subwidget.get("template_name") != part_template:
            raise Unwritten
        parts.append(_input(subwidget, part_template))
    return "".join(
        (
            '<p class="datetime">\n  ',
            value_html(context["date_label"]),
            " ",
            parts[0],
            "<br>\n  ",
            value_html(context["time_label"]),
            " ",
            parts[1],
            "\n</p>\n",
        )
    )


_RELATED_KEYS = frozenset(
    {
        "rendered_widget",
        "is_hidden",
        "name",
        "url_params",
        "model",
        "model_name",
        "can_add_related",
        "can_change_related",
        "can_delete_related",
        "can_view_related",
        "model_has_limit_choices_to",
    }
)
_RELATED_URL_KEYS = frozenset(
    {"add_related_url", "delete_related_template_url", "view_related_url_params", "change_related_template_url"}
)


def _icon(name) -> str:
    """`<img src="{% static 'admin/img/icon-….svg' %}" …>`, its URL looked up once (four per wrapper)."""
    img = _icons.get(name)
    if img is None:
        img = _icons[name] = (
            f'<img src="{conditional_escape(static(f"admin/img/icon-{name}.svg"))}" alt="" width="24" height="24">'
        )
    return img


def _write_related_widget_wrapper(template_name, context) -> str:
    """The admin's related_widget_wrapper.html: the widget, then its change, add, delete and view links."""
    if type(context) is not dict or not (_RELATED_KEYS <= context.keys() <= _RELATED_KEYS | _RELATED_URL_KEYS):
        raise Unwritten

    def get(key):
        if key not in context:  # the template would write string_if_invalid
            raise Unwritten
        return _resolved(context[key])

    def title(message):
        """`{% blocktranslate %}… {{ model }}{% endblocktranslate %}`: the variable is escaped, not the
        translation; the engine looks `model` up without calling it."""
        try:
            return gettext(message) % {"model": render_value_in_context(context["model"], _PLAIN)}
        except (KeyError, ValueError) as error:  # the tag retries untranslated: left to the template
            raise Unwritten from error

    # The links as the template writes them, whitespace inside the tags included; `{% spaceless %}`
    # removes the whitespace between tags (written here without it), which is all there is between them.
    links = []
    if not get("is_hidden"):
        name = value_html(get("name"))
        if get("can_change_related"):
            links.append(
                f'<a class="related-widget-wrapper-link change-related" id="change_id_{name}"\n'
                f'            data-href-template="{value_html(get("change_related_template_url"))}'
                f'?{value_html(get("url_params"))}"\n'
                '            data-popup="yes"\n'
                f'            title="{title("Change selected %(model)s")}">{_icon("changelink")}</a>'
            )
        if get("can_add_related"):
            links.append(
                f'<a class="related-widget-wrapper-link add-related" id="add_id_{name}"\n'
                '            data-popup="yes"\n'
                f'            href="{value_html(get("add_related_url"))}?{value_html(get("url_params"))}"\n'
                f'            title="{title("Add another %(model)s")}">{_icon("addlink")}</a>'
            )
        if get("can_delete_related"):
            links.append(
                f'<a class="related-widget-wrapper-link delete-related" id="delete_id_{name}"\n'
                f'            data-href-template="{value_html(get("delete_related_template_url"))}'
                f'?{value_html(get("url_params"))}"\n'
                '            data-popup="yes"\n'
                f'            title="{title("Delete selected %(model)s")}">{_icon("deletelink")}</a>'
            )
        if get("can_view_related"):
            links.append(
                f'<a class="related-widget-wrapper-link view-related" id="view_id_{name}"\n'
                f'             data-href-template="{value_html(get("change_related_template_url"))}'
                f'?{value_html(get("view_related_url_params"))}"\n'
                f'             title="{title("View selected %(model)s")}">{_icon("viewlink")}</a>'
            )
    model_ref = "" if get("model_has_limit_choices_to") else f'data-model-ref="{value_html(get("model_name"))}"'
    return "".join(
        (
            '\n<div class="related-widget-wrapper" ',
            model_ref,
            ">\n    ",
            value_html(get("rendered_widget")),
            "\n    \n        ",
            strip_spaces_between_tags("".join(links)),
            "\n    \n</div>\n",
        )
    )


# The writers by the name of the template each stands for; the templates those include (checked too); the
# sources all were written from, by the first 16 hex digits of their SHA-256.
_WRITERS = {
    **{name: _write_input for name in _INPUT_ENDINGS},
    "django/forms/widgets/select.html": _write_select,
    "django/forms/widgets/textarea.html": _write_textarea,
    "django/forms/label.html": _write_label,
    "admin/widgets/date.html": _write_admin_date,
    "admin/widgets/time.html": _write_admin_date,
    "admin/widgets/split_datetime.html": _write_admin_split_datetime,
    "admin/widgets/related_widget_wrapper.html": _write_related_widget_wrapper,
}
INCLUDES = {
    "django/forms/widgets/select.html": (ATTRS_TEMPLATE, SELECT_OPTION_TEMPLATE),
    "django/forms/widgets/textarea.html": (ATTRS_TEMPLATE,),
    "admin/widgets/date.html": ("django/forms/widgets/date.html",),
    "admin/widgets/time.html": ("django/forms/widgets/time.html",),
    "admin/widgets/split_datetime.html": _SPLIT_DATETIME_PARTS,
}
SOURCE_FINGERPRINTS = {
    # Ours (templates/django/forms/).
    "django/forms/widgets/checkbox.html": "02284692bbd899e4",
    "django/forms/widgets/color.html": "0b95239bb86c0663",
    "django/forms/widgets/date.html": "e89bafb64b01798e",
    "django/forms/widgets/datetime.html": "0222f0911a14abbe",
    "django/forms/widgets/email.html": "1ee6f092b858e103",
    "django/forms/widgets/hidden.html": "078134417f387582",
    "django/forms/widgets/number.html": "e3c9ba945fe09903",
    "django/forms/widgets/password.html": "455d1d893d851fde",
    "django/forms/widgets/search.html": "8c1dcfc3d7c769c7",
    "django/forms/widgets/tel.html": "0e158d93338da8a8",
    "django/forms/widgets/text.html": "fb3456af64732675",
    "django/forms/widgets/time.html": "5166b1cd623fed85",
    "django/forms/widgets/url.html": "eb82e82b1dfa7881",
    "django/forms/widgets/input.html": "f03d3b829257c522",
    "django/forms/widgets/select.html": "cad3fdf2349d8940",
    "django/forms/label.html": "39e5127ac8c9a03e",
    # Django 5.2's.
    "django/forms/widgets/attrs.html": "f729483efe44660f",
    "django/forms/widgets/select_option.html": "37fa6c7742580aa3",
    "django/forms/widgets/textarea.html": "02fd58fa1a57514d",
    "admin/widgets/date.html": "b89304f22af90eb7",
    "admin/widgets/time.html": "a225c20f522f0e10",
    "admin/widgets/split_datetime.html": "050f5736fddeaadb",
    "admin/widgets/related_widget_wrapper.html": "6b7096bee4ed6fa8",
}


def source_fingerprint(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


# Template name -> whether the writer may stand for it, found on first use; the admin's icons.
_checked: dict[str, bool] = {}
_icons: dict[str, str] = {}


def _forget_checked_templates(**kwargs):
    """Settings changed in a test, or a template edited under runserver: look at the sources again."""
    _checked.clear()
    _icons.clear()


setting_changed.connect(_forget_checked_templates, dispatch_uid="soce.lib.forms.checked")
file_changed.connect(_forget_checked_templates, dispatch_uid="soce.lib.forms.checked")


class FormRenderer(TemplatesSetting):
    """Django's templates, looked up through TEMPLATES (so templates/django/forms/ overrides apply); empty
    error lists rendered without a template, the most used widget templates and the label written in
    Python (same HTML)."""

    writers = _WRITERS

    def render(self, template_name, context, request=None):
        if template_name in _ERROR_LIST_TEMPLATES and not context.get("errors"):
            return ""
        writer = self.writers.get(template_name)
        if writer is not None and request is None and self.writes(template_name):
            try:
                return writer(template_name, context).strip()
            except Unwritten:
                pass
        return super().render(template_name, context, request=request)

    def writes(self, template_name) -> bool:
        """Whether the template (and those it includes) is the source its writer reproduces."""
        written = _checked.get(template_name)
        if written is None:
            written = _checked[template_name] = self._same_sources(template_name)
        return written

    def _same_sources(self, template_name) -> bool:
        try:
            template = self.get_template(template_name).template
            engine = template.engine
            sources = {template_name: template.source}
            for included in INCLUDES.get(template_name, ()):
                sources[included] = engine.get_template(included).source
        except (TemplateDoesNotExist, AttributeError):  # not a Django template
            return False
        return engine.autoescape and all(
            source_fingerprint(source) == SOURCE_FINGERPRINTS.get(name) for name, source in sources.items()
        )
