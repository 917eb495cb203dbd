"""Select options written in Python: the same HTML as Django's select_option.html, without one template
render per option (a country list has 250). Used by templates/django/forms/widgets/select.html, whose
options the form renderer also writes, with the same function, when it writes the whole select."""

from django import template
from django.utils.safestring import mark_safe

from soce.lib.forms import Unwritten, options_html

register = template.Library()

# Django's own loop of select.html, for what options_html leaves to the templates (an option template of
# another library, a callable label the engine would call).
DJANGO_OPTIONS = (
    "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
    '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
    "  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
    "  </optgroup>{% endif %}{% endfor %}"
)


@register.simple_tag(takes_context=True)
def select_options(context, widget) -> str:
    """The inside of Django's select.html: optgroups and options, with its exact whitespace."""
    try:
        return mark_safe(options_html(widget["optgroups"], context))  # every value in it is escaped
    except Unwritten:
        with context.push(widget=widget):
            return context.template.engine.from_string(DJANGO_OPTIONS).render(context)
