"""The form renderer of the whole project (FORM_RENDERER), portal and admin alike."""

from django.forms.renderers import TemplatesSetting

# Rendered once per field of every form, even when the field has no error (the admin's member page: 85
# times). An empty list renders to nothing: skipping the template changes no byte of the page.
_ERROR_LIST_TEMPLATES = frozenset(
    {
        "django/forms/errors/list/default.html",
        "django/forms/errors/list/ul.html",
        "django/forms/errors/list/text.txt",
    }
)


class FormRenderer(TemplatesSetting):
    """Django's templates, looked up through TEMPLATES (so templates/django/forms/ overrides apply), and
    empty error lists rendered without a template."""

    def render(self, template_name, context, request=None):
        if template_name in _ERROR_LIST_TEMPLATES and not context.get("errors"):
            return ""
        return super().render(template_name, context, request=request)
