"""Outils d'administration partagés : pagination sans COUNT(*) de toute la table, formulaires d'action."""

from django.core.paginator import Paginator
from django.db import connections
from django.shortcuts import render
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, an unfiltered changelist uses the planner's row estimate instead of COUNT(*)."""

    @cached_property
    def count(self):
        qs = self.object_list
        query = getattr(qs, "query", None)
        if query is not None and not query.where and connections[qs.db].vendor == "postgresql":
            with connections[qs.db].cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [qs.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] and row[0] > 10000:
                return int(row[0])
        return super().count


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
