"""La fiche d'un membre dans le back office : tout ce que le secrétariat consulte, en une page de lecture.

The page staff open from the member list (a phone call: "am I up to date?", "which groups?"). Editing stays
in the admin's change form, one click away ("Modifier"). The fiche shows the same fieldsets as the form,
read from one row and its few related rows, with no form machinery: the change form builds a widget per
field and three inline formsets, about 45 ms of CPU per page at our field count; a page of reading does not
need them (issue 8: detail pages at 100 requests/s).

The dues history table is written here once, for the fiche and for the change form.

Who sees what is the change form's rule: the member's view permission for the page, `members.view_cotisation`
for the dues history; an unknown id is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.translation import gettext_lazy as _

from soce.lib.money import format_eur

from .forms_profile import country_name
from .models import Member, User

EMPTY = "—"


@dataclass(frozen=True)
class Row:
    label: str
    value: str  # already escaped (SafeString) or plain text
    empty: bool = False


def display_value(member: Member, field: models.Field):
    """The field's value as staff read it: choice labels, dates in French, links for e-mail and telephone."""
    if field.choices:
        raw = getattr(member, field.attname)
        return member._get_FIELD_display(field) if raw not in (None, "") else None
    if field.is_relation:
        related = getattr(member, field.name)
        return str(related) if related is not None else None
    value = getattr(member, field.attname)
    if value in (None, ""):
        return None
    if isinstance(field, models.BooleanField):
        return _("oui") if value else _("non")
    if isinstance(field, models.DateTimeField):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(field, models.EmailField):
        return format_html('<a href="mailto:{}">{}</a>', value, value)
    if field.name == "phone":
        return format_html('<a href="tel:{}">{}</a>', value.replace(" ", ""), value)
    if field.name == "country":
        return f"{country_name(value)} ({value})"
    if isinstance(field, models.TextField):
        return linebreaks(value, autoescape=True)
    return str(value)


def sections(member: Member, fieldsets) -> list[tuple[str, list[Row]]]:
    """The change form's fieldsets, read-only: [(title, [Row, …]), …]; fields that are not model fields are
    left to the page (the dues history)."""
    out = []
    for title, options in fieldsets:
        rows = []
        for name in options["fields"]:
            try:
                field = Member._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            value = display_value(member, field)
            rows.append(Row(str(field.verbose_name), EMPTY if value is None else value, value is None))
        if rows:
            out.append((str(title), rows))
    return out


class _WithoutAppList:
    """The admin site, seen by `each_context` as having no application list."""

    def __init__(self, site):
        self._site = site

    def __getattr__(self, name):
        return getattr(self._site, name)

    def get_app_list(self, request, app_label=None):
        return []


def admin_context(site, request) -> dict:
    """The admin's context for every page, without the side menu of all applications.

    Building that menu asks every registered model's admin for its permissions (about 4 ms, a quarter of
    the page); a fiche keeps its breadcrumbs, the header and the user's links.
    """
    context = type(site).each_context(_WithoutAppList(site), request)
    context["is_nav_sidebar_enabled"] = False
    return context


# Columns of the related rows the fiche never reads (it shows the login and the partner by their names).
USER_UNUSED = tuple(
    f.attname for f in User._meta.concrete_fields if f.name not in {"id", "first_name", "last_name", "email"}
)
PARTNER_UNUSED = tuple(
    f.attname
    for f in Member._meta.concrete_fields
    if f.name not in {"id", "first_name", "last_name", "campus", "entry_year"}
)


def dues_history_table(member) -> str:
    """The member's cotisations as one read-only table (newest first), each linked to its page.

    A table, not an inline: an inline of read-only rows builds a form per year and renders each cell through
    the admin's field machinery, the most expensive part of the member page at twelve years of dues."""
    rows = member.cotisations.order_by("-year").only(
        "pk",
        "member_id",
        "year",
        "rate_label",
        "amount_due_eur",
        "gift_eur",
        "paid_eur",
        "status",
        "transfer_reference",
    )
    body = format_html_join(
        "\n",
        "<tr><td>{}</td><td>{}</td><td class='text-end'>{}</td><td class='text-end'>{}</td>"
        "<td class='text-end'>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                c.year,
                c.rate_label,
                format_eur(c.amount_due_eur),
                format_eur(c.gift_eur),
                format_eur(c.paid_eur),
                c.get_status_display(),
                c.transfer_reference or "—",
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:members_cotisation_change", args=[c.pk]),
                    _("voir / enregistrer un paiement"),
                ),
            )
            for c in rows
        ),
    )
    if not body:
        return format_html("<p>{}</p>", _("Aucune cotisation."))
    headers = format_html_join(
        "",
        '<th scope="col">{}</th>',
        (
            (h,)
            for h in (
                _("année"),
                _("tarif"),
                _("dû"),
                _("don"),
                _("payé"),
                _("état"),
                _("référence de virement"),
                _("paiements"),
            )
        ),
    )
    return format_html(
        '<table class="dues-history"><caption class="visually-hidden">{}</caption><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        _("Cotisations du membre, de la plus récente à la plus ancienne"),
        headers,
        body,
    )


def fiche_view(model_admin, request, object_id):
    """GET /admin/members/member/<id>/fiche/ (admin site: staff with the second factor)."""
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise Http404 from None
    member = (
        Member.objects.select_related("campus", "category", "user", "partner__campus")
        # The login and the partner are shown by name only (their other columns would be read for nothing).
        .defer(*(f"user__{f}" for f in USER_UNUSED), *(f"partner__{f}" for f in PARTNER_UNUSED))
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404
    if not model_admin.has_view_permission(request, member):
        raise PermissionDenied
    user = request.user
    show_groups = user.has_perm("members.view_groupmembership")
    year = timezone.localdate().year
    context = {
        **admin_context(model_admin.admin_site, request),
        "opts": Member._meta,
        "title": member.full_name,
        "subtitle": member.promo_label,
        "member": member,
        "original": member,
        "sections": sections(member, model_admin.fieldsets),
        "memberships": list(member.group_memberships.select_related("group").order_by("-ends_on", "group__name", "pk"))
        if show_groups
        else [],
        "show_groups": show_groups,
        "grants": list(member.reduced_rates.order_by("-from_year", "pk"))
        if user.has_perm("members.view_reducedrategrant")
        else None,
        "dues_history": dues_history_table(member) if user.has_perm("members.view_cotisation") else None,
        "up_to_date": member.is_up_to_date(year),
        "year": year,
        "can_change": model_admin.has_change_permission(request, member),
        "change_url": reverse("admin:members_member_change", args=[member.pk]),
        "history_url": reverse("admin:members_member_history", args=[member.pk]),
        "changelist_url": reverse("admin:members_member_changelist"),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/members/member/fiche.html", context)


def fiche_url(member_pk: int) -> str:
    return reverse("admin:members_member_fiche", args=[member_pk])
