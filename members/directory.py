"""Annuaire et pages de groupe : qui peut chercher, qui figure, ce que chacun laisse voir.

Privacy rules (one place, tested):
- The directory lists members who consented to it (`directory_consent_at`), are active, not anonymised, and,
  when `AssociationSettings.directory_requires_up_to_date` is on, up to date for the current year.
- Searching needs the same standing (staff always may). Name, promo, city and country are shown for every
  listed member (they are the search criteria); e-mail, phone, postal address and professional details
  (employer, position, sector) only when that person chose "members" for them.
- A criterion never reveals a hidden field: searching by employer only matches people who show it.
- Group officers (current mandate) see and export their group's current members with exactly the same
  per-field choices: a field someone shows to nobody is blank for officers too, on the page and in the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from soce.lib.audit import audit_log

from .forms_profile import country_name
from .models import DIRECTORY_LISTED, AssociationSettings, Campus, Group, GroupMembership, Lifecycle, Member, Visibility
from .promo import Promo

PAGE_SIZE = 25
GROUP_PAGE_SIZE = 50
NAME_TOKENS_MAX = 4


# --- Who may search ------------------------------------------------------------------------------


def directory_requires_up_to_date() -> bool:
    """The association's rule (staff switch it in the admin): one query."""
    return AssociationSettings.load().directory_requires_up_to_date


def directory_viewer_allowed(*, user, member: Member | None, requires_up_to_date: bool, on: date | None = None) -> bool:
    """Staff always; otherwise an active member record, up to date when the association requires it."""
    if user.is_staff:
        return True
    if member is None or member.status != Lifecycle.ACTIVE or member.anonymised_at:
        return False
    if not requires_up_to_date:
        return True
    return member.is_up_to_date((on or timezone.localdate()).year)


# --- Search --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    promo: Promo | None = None
    campus: str = ""
    year_from: int | None = None
    year_to: int | None = None
    group: str = ""
    employer: str = ""
    city: str = ""
    country: str = ""

    @classmethod
    def from_form(cls, data: dict) -> DirectoryFilters:
        return cls(
            q=data.get("q") or "",
            promo=data.get("promo"),
            campus=data.get("campus") or "",
            year_from=data.get("de"),
            year_to=data.get("a"),
            group=data.get("groupe") or "",
            employer=(data.get("employeur") or "").strip(),
            city=(data.get("ville") or "").strip(),
            country=data.get("pays") or "",
        )


def _up_to_date_q(year: int) -> Q:
    return Q(paid_through_year__gte=year) | Q(lifetime_since__lte=year)


def directory_listed(*, requires_up_to_date: bool, on: date | None = None) -> QuerySet[Member]:
    """Everyone who appears in the directory today."""
    qs = Member.objects.filter(DIRECTORY_LISTED)
    if requires_up_to_date:
        qs = qs.filter(_up_to_date_q((on or timezone.localdate()).year))
    return qs


def directory_search(
    *, filters: DirectoryFilters, requires_up_to_date: bool, on: date | None = None
) -> QuerySet[Member]:
    """Listed members matching every filter, in name order, with what a card needs (one query per page,
    one more to find a searched group).

    Name tokens are prefix matches (`istartswith`), which the name indexes serve; see migration 0003.
    The listed members' partial indexes (migration 0007) serve the searches in name order.
    """
    on = on or timezone.localdate()
    qs = directory_listed(requires_up_to_date=requires_up_to_date, on=on)
    for token in filters.q.split()[:NAME_TOKENS_MAX]:
        qs = qs.filter(Q(last_name__istartswith=token) | Q(first_name__istartswith=token))
    if filters.promo is not None:
        qs = qs.filter(campus__code=filters.promo.campus_code, entry_year=filters.promo.entry_year)
    if filters.campus:
        qs = qs.filter(campus__code=filters.campus)
    if filters.year_from:
        qs = qs.filter(entry_year__gte=filters.year_from)
    if filters.year_to:
        qs = qs.filter(entry_year__lte=filters.year_to)
    if filters.group:
        # The group's id, not its slug, goes into the query: PostgreSQL then plans with that group's own
        # statistics (a join on the slug is planned for an average group), reads the memberships from the
        # (group, member) covering index, and walks the listed members' name index for the first pages.
        group_ids = list(Group.objects.filter(slug=filters.group).values_list("pk", flat=True))
        if not group_ids:
            return qs.none()
        qs = qs.filter(
            Exists(GroupMembership.objects.filter(member=OuterRef("pk"), group_id=group_ids[0]).filter(_current_q(on)))
        )
    if filters.employer:
        # Only people who show their employer can be found by it: a criterion must not reveal a hidden field.
        qs = qs.filter(employer_visibility=Visibility.MEMBERS, employer__icontains=filters.employer)
    if filters.city:
        qs = qs.filter(city__istartswith=filters.city)
    if filters.country:
        qs = qs.filter(country=filters.country)
    if filters.q.strip():
        # With a name, sort the matching rows rather than walk the (last_name, first_name) index from « A »
        # until enough match: PostgreSQL cannot see that a prefix sits in one stretch of that index, and
        # Lower() is served by no index, so the prefix indexes of migration 0003 win (67 → 6 ms).
        return qs.select_related("campus").order_by(Lower("last_name"), Lower("first_name"), "pk")
    return qs.select_related("campus").order_by("last_name", "first_name", "pk")


def directory_campuses() -> list[tuple[str, str]]:
    """(code, name) of every campus, for the search form and the promo parser (one query)."""
    return list(Campus.objects.order_by("code").values_list("code", "name"))


def directory_groups() -> list[tuple[str, str, str]]:
    """(slug, name, kind label) of the active groups one may search by (promotions have their own field)."""
    labels = dict(Group.Kind.choices)
    rows = (
        Group.objects.filter(active=True)
        .exclude(kind=Group.Kind.PROMOTION)
        .order_by("kind", "name")
        .values_list("slug", "name", "kind")
    )
    return [(slug, name, str(labels.get(kind, kind))) for slug, name, kind in rows]


# --- Cards: only what each person chose to show -------------------------------------------------


@dataclass(frozen=True)
class Card:
    """What a member may see of another member. Templates get this, never the Member itself."""

    full_name: str
    promo_label: str
    city: str
    country: str
    country_name: str
    email: str = ""
    phone: str = ""
    address_lines: tuple[str, ...] = field(default_factory=tuple)
    employer: str = ""
    position: str = ""
    sector: str = ""
    in_directory: bool = False

    @property
    def location(self) -> str:
        if self.country and self.country != "FR":
            return ", ".join(p for p in (self.city, self.country_name) if p)
        return self.city


def card_for(member: Member, *, officer: bool = False) -> Card:
    """The card of `member` as other members see it.

    `officer` (a group officer's view) reveals nothing more: consenting to the directory is not consenting
    to show a field one chose to show to nobody.
    """
    shows = {name: getattr(member, f"{name}_visibility") == Visibility.MEMBERS for name in ("email", "phone")}
    shows_address = member.address_visibility == Visibility.MEMBERS
    shows_work = member.employer_visibility == Visibility.MEMBERS
    listed = member.directory_consent_at is not None
    return Card(
        full_name=f"{member.first_name} {member.last_name}".strip(),
        promo_label=member.promo_label,
        city=member.city,
        country=member.country,
        country_name=country_name(member.country),
        email=member.email if shows["email"] else "",
        phone=member.phone if shows["phone"] else "",
        address_lines=(
            tuple(
                line
                for line in (member.address_line1, member.address_line2, f"{member.postal_code} {member.city}".strip())
                if line
            )
            if shows_address
            else ()
        ),
        employer=member.employer if shows_work else "",
        position=member.position if shows_work else "",
        sector=member.sector if shows_work else "",
        in_directory=listed,
    )


def cards_for(members: Iterable[Member], *, officer: bool = False) -> list[Card]:
    return [card_for(m, officer=officer) for m in members]


# --- Groups --------------------------------------------------------------------------------------


def _current_q(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on})
    )


def _mandate_q(on: date) -> Q:
    """Officer roles that give delegated access on `on`: a mandate always has an end date (none = no access)."""
    return Q(role__in=GroupMembership.OFFICER_ROLES, starts_on__lte=on, ends_on__isnull=False, ends_on__gte=on)


@dataclass(frozen=True)
class GroupAccess:
    group: Group
    viewer: Member
    roles: tuple[str, ...]
    mandates: tuple[str, ...] = ()  # the officer roles among `roles` held under a current, dated mandate

    @property
    def is_officer(self) -> bool:
        return bool(self.mandates)


def group_access_for(*, user, slug: str, on: date | None = None) -> GroupAccess:
    """The viewer's current standing in the group; 404 for an unknown group or anyone not a current member.

    Staff get no special access here: they work on groups in the admin.
    """
    on = on or timezone.localdate()
    viewer = Member.objects.filter(user=user, anonymised_at__isnull=True).first() if user.is_authenticated else None
    if viewer is None:
        raise Http404("Groupe introuvable.")
    rows = list(
        GroupMembership.objects.filter(member=viewer, group__slug=slug, group__active=True)
        .filter(_current_q(on))
        .select_related("group")
    )
    if not rows:
        raise Http404("Groupe introuvable.")
    return GroupAccess(
        group=rows[0].group,
        viewer=viewer,
        roles=tuple(r.role for r in rows),
        mandates=tuple(r.role for r in rows if r.is_current_mandate(on)),
    )


def group_officers(*, group: Group, on: date | None = None) -> list[GroupMembership]:
    """Current officers of the group (dated mandate running today), with their member and campus (one query)."""
    on = on or timezone.localdate()
    return list(
        GroupMembership.objects.filter(group=group)
        .filter(_mandate_q(on))
        .filter(member__anonymised_at__isnull=True)
        .select_related("member__campus")
        .order_by("role", "member__last_name", "member__first_name")
    )


def group_members_for_officer(*, access: GroupAccess, on: date | None = None) -> QuerySet[Member]:
    """Current members of the officer's own group, in name order; 404 unless the viewer holds a current mandate
    (an officer role with an end date not yet passed)."""
    if not access.is_officer:
        raise Http404("Groupe introuvable.")
    on = on or timezone.localdate()
    current = GroupMembership.objects.filter(group=access.group, member=OuterRef("pk")).filter(_current_q(on))
    return (
        Member.objects.filter(Exists(current), anonymised_at__isnull=True)
        .exclude(status=Lifecycle.DECEASED)
        .select_related("campus")
        .order_by("last_name", "first_name", "pk")
    )


EXPORT_COLUMNS = (
    ("Nom", "full_name"),
    ("Promotion", "promo_label"),
    ("Ville", "city"),
    ("Pays", "country_name"),
    ("E-mail", "email"),
    ("Téléphone", "phone"),
    ("Adresse", "address"),
    ("Employeur", "employer"),
    ("Fonction", "position"),
    ("Secteur", "sector"),
)


def _csv_safe(value: str) -> str:
    # Spreadsheets run cells starting with these as formulas (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def group_export_rows(members: QuerySet[Member]) -> Iterator[list[str]]:
    """The header then one row per member, read in chunks (memory stays flat for large groups)."""
    yield [label for label, _attr in EXPORT_COLUMNS]
    for member in members.iterator(chunk_size=2000):
        card = card_for(member, officer=True)  # the member's own choices: a hidden field stays blank
        values = {**card.__dict__, "country_name": card.country_name, "address": " ; ".join(card.address_lines)}
        yield [_csv_safe(str(values[attr] or "")) for _label, attr in EXPORT_COLUMNS]


def group_export_audit(*, access: GroupAccess, rows: int, by, request=None) -> None:
    """Records one group export (side effect: one audit row naming the group and the row count)."""
    audit_log(
        access.group,
        action="group.export",
        by=by,
        data={"rows": rows, "group": access.group.slug, "roles": list(access.mandates)},
        request=request,
    )
