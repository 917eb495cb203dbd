"""The fixed journeys of issue 8: who asks for which page, and which target applies.

`discover()` runs inside Django (bench settings) and turns each journey into a concrete path on the
seeded database (a group's slug, a member's id, an indicator's code). A journey whose page does not
exist yet (an app still being written) is reported as missing, never as a crash, and is picked up by
the next run once its URL resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

# Kinds of pages and the numbers issue 8 sets for them (8 users, 30 s; one user: p95).
LIST, SEARCH, DETAIL, DASHBOARD = "list", "search", "detail", "dashboard"
POOL = "pool"
MIN_RPS = {LIST: 30.0, SEARCH: 30.0, DETAIL: 100.0, DASHBOARD: 10.0}
MAX_SINGLE_P95_MS = {LIST: 100.0, SEARCH: 100.0, DETAIL: 100.0, DASHBOARD: 250.0}
MAX_QUERIES = 15


@dataclass(frozen=True)
class Journey:
    name: str
    # The demo account's local part (members.demo.DEMO_ACCOUNTS), or POOL: many distinct up-to-date members,
    # one per request in turn, for the pages rate-limited per person (the directory: 30 pages a minute).
    role: str
    kind: str
    title: str
    resolve: Callable[[], tuple[str | None, str]]  # -> (path, note); path None = missing


def _reverse(name: str, *args, query: dict | None = None) -> tuple[str | None, str]:
    from django.urls import NoReverseMatch, reverse

    try:
        path = reverse(name, args=args)
    except NoReverseMatch:
        return None, f"URL « {name} » absente"
    return (f"{path}?{urlencode(query)}" if query else path), ""


def _first_of(*candidates: tuple[str, str]) -> tuple[str | None, str]:
    """The first URL name that resolves (an app's own page, else its admin), with which one it is."""
    notes = []
    for name, label in candidates:
        path, note = _reverse(name)
        if path is not None:
            return path, label
        notes.append(note)
    return None, "; ".join(notes)


def _model(label: str):
    from django.apps import apps

    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _directory_group() -> tuple[str | None, str]:
    """The territorial group with the most members: the heaviest group page of the directory."""
    from django.db.models import Count

    from members.models import Group

    group = (
        Group.objects.filter(kind=Group.Kind.TERRITORIAL, active=True)
        .annotate(n=Count("memberships"))
        .order_by("-n", "slug")
        .first()
    )
    if group is None:
        return None, "aucun groupe territorial"
    path, note = _reverse("directory", query={"groupe": group.slug})
    return path, note or f"groupe {group.slug} ({group.n} membres)"


def _heaviest_member() -> dict | None:
    """The active member with the longest dues history (12 years of cotisations)."""
    from django.db.models import Count

    from members.models import Member

    return (
        Member.objects.filter(status=Member.Lifecycle.ACTIVE)
        .annotate(n=Count("cotisations"))
        .order_by("-n", "pk")
        .values("pk", "n")
        .first()
    )


def _admin_member(url_name: str) -> Callable[[], tuple[str | None, str]]:
    def resolve() -> tuple[str | None, str]:
        member = _heaviest_member()
        if member is None:
            return None, "aucun membre"
        path, note = _reverse(url_name, member["pk"])
        return path, note or f"membre {member['pk']} ({member['n']} cotisations)"

    return resolve


def _indicator() -> tuple[str | None, str]:
    """The indicator with the most values (7 years of history)."""
    from django.db.models import Count

    model = _model("strategy.Indicator")
    if model is None:
        return None, "modèle strategy.Indicator absent"
    try:
        indicator = model.objects.annotate(n=Count("values")).order_by("-n", "code").values("code", "n").first()
    except Exception as exc:
        return None, f"indicateurs illisibles : {exc.__class__.__name__}"
    if indicator is None:
        return None, "aucun indicateur"
    path, note = _reverse("strategy:indicator", indicator["code"])
    return path, note or f"indicateur {indicator['code']} ({indicator['n']} valeurs)"


JOURNEYS: list[Journey] = [
    Journey("member_home", "membre", DETAIL, "Mon espace", lambda: _reverse("home")),
    Journey("dues", "membre", DETAIL, "Cotisation", lambda: _reverse("dues")),
    Journey(
        "directory_promo",
        POOL,
        SEARCH,
        "Annuaire par promo (Bo 179)",
        lambda: _reverse("directory", query={"promo": "Bo 179"}),
    ),
    Journey(
        "directory_name",
        POOL,
        SEARCH,
        "Annuaire par nom (Mart)",
        lambda: _reverse("directory", query={"q": "Mart"}),
    ),
    Journey("directory_group", POOL, LIST, "Annuaire par groupe", _directory_group),
    Journey(
        "admin_members", "secretariat", LIST, "Admin : membres", lambda: _reverse("admin:members_member_changelist")
    ),
    Journey(
        "admin_members_filtered",
        "secretariat",
        LIST,
        "Admin : membres actifs non à jour",
        lambda: _reverse("admin:members_member_changelist", query={"status__exact": "active", "a_jour": "non"}),
    ),
    Journey(
        "admin_members_search_name",
        "secretariat",
        SEARCH,
        "Admin : recherche « Martin »",
        lambda: _reverse("admin:members_member_changelist", query={"q": "Martin"}),
    ),
    Journey(
        "admin_members_search_promo",
        "secretariat",
        SEARCH,
        "Admin : recherche « Bo 179 »",
        lambda: _reverse("admin:members_member_changelist", query={"q": "Bo 179"}),
    ),
    # The page the member list opens (reading), then the change form behind its "Modifier" button.
    Journey(
        "admin_member_page", "secretariat", DETAIL, "Admin : fiche membre", _admin_member("admin:members_member_fiche")
    ),
    Journey(
        "admin_member_change",
        "secretariat",
        DETAIL,
        "Admin : formulaire de modification du membre",
        _admin_member("admin:members_member_change"),
    ),
    Journey("charter", "benevole", DETAIL, "Charte du bénévole", lambda: _reverse("volunteers:charter")),
    Journey(
        "entraide_cases",
        "entraide",
        LIST,
        "Entraide : liste des dossiers",
        lambda: _first_of(
            ("entraide:staff_cases", "la liste du service entraide"),
            ("admin:entraide_aidcase_changelist", "l'admin des dossiers"),
        ),
    ),
    Journey("dashboard", "bureau", DASHBOARD, "Pilotage : tableau de bord", lambda: _reverse("strategy:dashboard")),
    Journey("indicator", "bureau", DETAIL, "Pilotage : indicateur", _indicator),
]


def discover(names: list[str] | None = None) -> list[dict]:
    """Each journey with its concrete path on this database (None when missing) and a note."""
    out = []
    for journey in JOURNEYS:
        if names and journey.name not in names:
            continue
        try:
            path, note = journey.resolve()
        except Exception as exc:
            path, note = None, f"{exc.__class__.__name__}: {exc}"
        out.append(
            {
                "name": journey.name,
                "role": journey.role,
                "kind": journey.kind,
                "title": journey.title,
                "path": path,
                "note": note,
            }
        )
    return out
