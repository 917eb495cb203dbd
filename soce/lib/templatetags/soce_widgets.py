"""Select options written in Python: the same HTML as Django's select_option.html, without one template
render per option (a country list has 250). Used by templates/django/forms/widgets/select.html."""

from django import template
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe

register = template.Library()

DJANGO_OPTION = "django/forms/widgets/select_option.html"


def _as_string(value) -> str:
    """`{{ value|stringformat:'s' }}`: stringformat keeps safe input safe, the rest is escaped."""
    return conditional_escape(value) if isinstance(value, SafeData) else escape("%s" % value)  # noqa: UP031


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}")
        if value is not True:
            out.append(f'="{_as_string(value)}"')
    return "".join(out)


def _option(context, option) -> str:
    """One <option>, as Django's template writes it (with its trailing newline); other option templates
    (a widget of a library with its own) are rendered by their template."""
    if option["template_name"] != DJANGO_OPTION:
        with context.push(widget=option):
            return context.template.engine.get_template(option["template_name"]).render(context)
    label = render_value_in_context(option["label"], context)
    return f'<option value="{_as_string(option["value"])}"{_attrs(option["attrs"])}>{label}</option>\n'


@register.simple_tag(takes_context=True)
def select_options(context, widget) -> str:
    """The inside of Django's select.html: optgroups and options, with its exact whitespace."""
    out = []
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{render_value_in_context(group_name, context)}">')
        for option in group_choices:
            out.append("\n  ")
            out.append(_option(context, option))
        if group_name:
            out.append("\n  </optgroup>")
    return mark_safe("".join(out))  # every value above is escaped
