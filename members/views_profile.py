"""Profil, confidentialité et « mes données » : chacun ne voit et ne modifie que sa propre fiche."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import gdpr, selectors
from .forms_profile import VISIBILITY_FIELDS, PrivacyForm, ProfileForm, country_name


def _unlinked(request):
    return render(request, "members/profile_unlinked.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    member = selectors.member_for_user(user=request.user)
    if member is None:
        return _unlinked(request)
    # The form validates a copy: the service compares against the locked row, not a mutated instance.
    form = ProfileForm(request.POST or None, instance=copy.copy(member))
    if request.method == "POST":
        if form.is_valid():
            gdpr.member_profile_update(member=member, data=form.cleaned_data, by=request.user, request=request)
            messages.success(request, _("Votre profil est enregistré."))
            return redirect("profile")
        messages.error(request, _("Le profil n'a pas été enregistré : corrigez les champs signalés."))
    return render(
        request,
        "members/profile.html",
        {"member": member, "form": form, "country_label": country_name(member.country)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def privacy(request):
    member = selectors.member_for_user(user=request.user)
    if member is None:
        return _unlinked(request)
    form = PrivacyForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        gdpr.member_privacy_update(
            member=member,
            visibilities={name: data[name] for name in VISIBILITY_FIELDS},
            directory_listed=data["directory_listed"],
            newsletter=data["newsletter"],
            reminders_opt_out=data["reminders_opt_out"],
            by=request.user,
            request=request,
        )
        messages.success(request, _("Vos choix de confidentialité sont enregistrés."))
        return redirect("privacy")
    return render(request, "members/privacy.html", {"member": member, "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def my_data(request):
    member = selectors.member_for_user(user=request.user)
    if member is None:
        return _unlinked(request)
    if request.method == "POST":
        data = gdpr.member_data_export(member=member, by=request.user, request=request)
        response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2})
        filename = f"soce-mes-donnees-{timezone.localdate():%Y-%m-%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "members/my_data.html", {"member": member, "sections": gdpr.registered_sections()})
