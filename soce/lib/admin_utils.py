"""Outils d'administration partagés : formulaires d'action."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _


def action_form(modeladmin, request, queryset, *, form_class, title: str, action: str, handler, help_text: str = ""):
    """An admin action with an intermediate form. `handler(form, queryset)` runs once the form is valid."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        return handler(form, queryset)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "help_text": help_text,
        "form": form,
        "queryset": queryset[:50],
        "count": queryset.count(),
        "action": action,
        "opts": modeladmin.model._meta,
        "selected": request.POST.getlist("_selected_action"),
    }
    return render(request, "admin/action_form.html", context)


def reason_action(modeladmin, request, queryset, *, action: str, title: str, apply, success: str, help_text: str = ""):
    """An admin action that asks for a reason, then calls `apply(obj, reason)` on each selected object.

    A BusinessError on one object is shown next to it and does not stop the others.
    """
    from django import forms
    from django.contrib import messages

    from .exceptions import BusinessError

    class ReasonForm(forms.Form):
        reason = forms.CharField(label=_("Motif"), max_length=200)

    def handle(form, qs):
        done = 0
        for obj in qs:
            try:
                apply(obj, form.cleaned_data["reason"])
                done += 1
            except BusinessError as exc:
                messages.error(request, f"{obj} : {exc}")
        messages.success(request, success % {"n": done})

    return action_form(
        modeladmin,
        request,
        queryset,
        form_class=ReasonForm,
        title=title,
        action=action,
        handler=handle,
        help_text=help_text,
    )
