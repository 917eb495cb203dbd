"""Annuaire et pages de groupe : lire par les sélecteurs de `directory`, afficher les fiches permises."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from soce.lib import ratelimit
from soce.lib.pagination import CappedKeysFirstPaginator

from . import directory as dir_selectors
from . import selectors
from .forms_profile import DirectorySearchForm

# (hits, seconds) per person: a human turns a few pages a minute; a scraper needs 2,400 pages for 60,000 people.
RATE_LIMITS = ((30, 60), (300, 3600), (1000, 86400))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _rate_limited(request, scope: str):
    for limit, period in RATE_LIMITS:
        if not ratelimit.hit(f"{scope}:{request.user.pk}:{period}", limit=limit, period_s=period):
            response = render(request, "429.html", {"retry_after_s": period}, status=429)
            response["Retry-After"] = str(period)
            return response
    return None


@require_GET
def directory(request):
    limited = _rate_limited(request, "annuaire")
    if limited is not None:
        return limited
    viewer = selectors.member_for_user(user=request.user)
    requires_up_to_date = dir_selectors.directory_requires_up_to_date()
    if not dir_selectors.directory_viewer_allowed(
        user=request.user, member=viewer, requires_up_to_date=requires_up_to_date
    ):
        return render(request, "members/directory_closed.html", {"member": viewer}, status=403)
    form = DirectorySearchForm(
        request.GET or None,
        campuses=dir_selectors.directory_campuses(),
        groups=dir_selectors.directory_groups(),
    )
    page = None
    cards = []
    if form.has_criteria() and form.is_valid():
        results = dir_selectors.directory_search(
            filters=dir_selectors.DirectoryFilters.from_form(form.cleaned_data),
            requires_up_to_date=requires_up_to_date,
        )
        page = CappedKeysFirstPaginator(results, dir_selectors.PAGE_SIZE).get_page(request.GET.get("page"))
        cards = dir_selectors.cards_for(page.object_list)
    return render(
        request,
        "members/directory.html",
        {"form": form, "page": page, "cards": cards, "searched": form.has_criteria(), "viewer": viewer},
    )


@require_GET
def group_detail(request, slug):
    access = dir_selectors.group_access_for(user=request.user, slug=slug)
    context = {
        "access": access,
        "group": access.group,
        "officers": [
            (gm, dir_selectors.card_for(gm.member)) for gm in dir_selectors.group_officers(group=access.group)
        ],
        "page": None,
        "cards": [],
    }
    if access.is_officer:
        members = dir_selectors.group_members_for_officer(access=access)
        page = Paginator(members, dir_selectors.GROUP_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(page=page, cards=dir_selectors.cards_for(page.object_list, officer=True))
    return render(request, "members/group_detail.html", context)


@require_GET
def group_export(request, slug):
    access = dir_selectors.group_access_for(user=request.user, slug=slug)
    members = dir_selectors.group_members_for_officer(access=access)
    dir_selectors.group_export_audit(access=access, rows=members.count(), by=request.user, request=request)
    writer = csv.writer(_Echo(), delimiter=";")
    # A BOM so that spreadsheet software reads the accents as UTF-8.
    lines = (
        ("\ufeff" if i == 0 else "") + writer.writerow(row)
        for i, row in enumerate(dir_selectors.group_export_rows(members))
    )
    response = StreamingHttpResponse(
        lines,
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{access.group.slug}-membres-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
