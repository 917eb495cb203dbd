from django import template
from django.utils.http import urlencode

from soce.lib.money import format_eur

register = template.Library()


@register.filter
def eur(value) -> str:
    """`1 234,50 €`."""
    if value in (None, ""):
        return "—"
    return format_eur(value)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some keys replaced (pagination links keep the filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(sorted(params.lists()), doseq=True)
