"""Chiffres des cotisations et des Jeunes Promotions, réutilisés par le tableau de bord (registre metrics).

Toutes les fonctions lisent des agrégats : aucune ne renvoie de personne. Les ventilations rendent
tous les groupes avec leur effectif (`metrics.Group`) : le pilotage masque les petits groupes et ceux
qui les trahiraient par soustraction.

Les indicateurs de l'année se calculent ensemble (source « members.dues ») : cotisants, cotisants JP,
part des JP et retours de radiés sortent d'une seule requête.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, Max, Min, OuterRef, Q
from django.db.models.functions import Cast

from soce.lib.metrics import Group, Metric, Source, register, register_source

from .models import Cotisation, CotisationStatus, RateKind

PAID = Q(status=CotisationStatus.PAID)
JP = Q(rate__kind=RateKind.JP)
UNKNOWN = "non renseigné"
SOURCE = "members.dues"


def _share(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1")) if whole else None


def payers(year: int) -> int:
    return Cotisation.objects.filter(PAID, year=year).count()


def jp_payers(year: int) -> int:
    return Cotisation.objects.filter(PAID, JP, year=year).count()


def jp_by_tier(year: int) -> dict[int, int]:
    """JP payers of the year per tier (years since graduation), every tier with at least one payer."""
    rows = (
        Cotisation.objects.filter(PAID, JP, year=year)
        .values_list("rate__jp_tier")
        .annotate(n=Count("id"))
        .order_by("rate__jp_tier")
    )
    return dict(rows)


def jp_share(year: int) -> Decimal | None:
    row = payers_by_year(range(year, year + 1))[year]
    return _share(row["jp"], row["payers"])


def returning(year: int) -> int:
    return Cotisation.objects.filter(PAID, year=year, is_return=True).count()


def payers_by_year(years: range) -> dict[int, dict]:
    """Payers, JP payers and returning members per year, in one query."""
    rows = (
        Cotisation.objects.filter(PAID, year__in=list(years))
        .values("year")
        .annotate(
            n=Count("id"),
            jp=Count("id", filter=JP),
            back=Count("id", filter=Q(is_return=True)),
        )
        .order_by()
    )
    found = {r["year"]: r for r in rows}
    empty = {"n": 0, "jp": 0, "back": 0}
    return {
        y: {
            "payers": found.get(y, empty)["n"],
            "jp": found.get(y, empty)["jp"],
            "returning": found.get(y, empty)["back"],
        }
        for y in years
    }


def promotion_jp_uptake(*, first_years: int = 3, since: int = 2010, until: int | None = None) -> list[dict]:
    """For each promotion graduated from `since` (to `until`): the share that paid in its first years after
    graduation. Every promotion is returned with its head count; the reader hides the small ones."""
    from .models import Member

    paid_early = Cotisation.objects.filter(
        PAID,
        member_id=OuterRef("pk"),
        year__gte=OuterRef("graduation_year"),
        year__lte=OuterRef("graduation_year") + first_years,
    )
    members = Member.objects.filter(category__is_alumni=True, graduation_year__gte=since, campus__isnull=False)
    if until is not None:
        members = members.filter(graduation_year__lte=until)
    rows = (
        members.annotate(paid=Exists(paid_early))
        .values("campus__code", "entry_year", "graduation_year")
        .annotate(people=Count("id"), payers=Count("id", filter=Q(paid=True)))
        .order_by("-graduation_year", "campus__code", "entry_year")
    )
    return [
        {
            "promo": f"{row['campus__code']} {row['entry_year'] - 1800}" if row["entry_year"] else row["campus__code"],
            "graduation_year": row["graduation_year"],
            "people": row["people"],
            "payers": row["payers"],
            "share": _share(row["payers"], row["people"]),
        }
        for row in rows
    ]


def jp_to_full_rate(until: int | None = None) -> dict:
    """Of the members who paid a JP rate (up to `until`), how many went on to pay the full rate later
    (also up to `until`): one pass over the paid dues, member by member (first JP year, last full-rate
    year)."""
    paid = Cotisation.objects.filter(PAID, rate__kind__in=[RateKind.JP, RateKind.STANDARD])
    if until is not None:
        paid = paid.filter(year__lte=until)
    per_member = (
        paid.values("member_id")
        .annotate(first_jp=Min("year", filter=JP), last_full=Max("year", filter=Q(rate__kind=RateKind.STANDARD)))
        .filter(first_jp__isnull=False)
        .order_by()
    )
    counts = per_member.aggregate(
        jp_members=Count("member_id"), went_full=Count("member_id", filter=Q(last_full__gt=F("first_jp")))
    )
    return {
        "jp_members": counts["jp_members"],
        "went_full": counts["went_full"],
        "share": _share(counts["went_full"], counts["jp_members"]),
    }


# --- Breakdowns (every group, with its head count) ----------------------------------------------


def _decade_label(decade: int | None) -> str:
    return f"promos {decade}-{decade + 9}" if decade else UNKNOWN


DIMENSIONS = {
    "campus": "member__campus__code",
    "promo_decade": "decade",
}


def dues_breakdown(year: int, dimension: str) -> dict[str, dict[str, Group]]:
    """Payers, JP payers, returning members and JP share per campus or promo decade, in one query."""
    qs = Cotisation.objects.filter(PAID, year=year)
    if dimension == "promo_decade":
        qs = qs.annotate(decade=Cast(F("member__entry_year") / 10 * 10, output_field=IntegerField()))
    rows = (
        qs.values(DIMENSIONS[dimension])
        .annotate(n=Count("id"), jp=Count("id", filter=JP), back=Count("id", filter=Q(is_return=True)))
        .order_by()
    )
    out: dict[str, dict[str, Group]] = defaultdict(dict)
    for row in rows:
        key = row[DIMENSIONS[dimension]]
        label = _decade_label(key) if dimension == "promo_decade" else (key or UNKNOWN)
        n, jp, back = row["n"], row["jp"], row["back"]
        out["members.payers"][label] = Group(n, n)
        if jp:
            out["members.jp_payers"][label] = Group(jp, jp)
        if back:
            out["members.returning"][label] = Group(back, back)
        out["members.jp_share"][label] = Group(_share(jp, n), n, jp, n)
    return dict(out)


def _dues_values(start: date, end: date) -> dict[str, Decimal | int | None]:
    row = payers_by_year(range(end.year, end.year + 1))[end.year]
    return {
        "members.payers": row["payers"],
        "members.jp_payers": row["jp"],
        "members.jp_share": _share(row["jp"], row["payers"]),
        "members.returning": row["returning"],
    }


def jp_tiers_breakdown(start: date, end: date) -> dict[str, dict[str, Group]]:
    return {"members.jp_payers": {f"JP {tier}": Group(n, n) for tier, n in jp_by_tier(end.year).items()}}


UPTAKE_YEARS = 3  # a promotion's "first years" after graduation


def jp_uptake(start: date, end: date) -> Decimal | None:
    """Share of the promotions graduated UPTAKE_YEARS years before the period's year that paid in their
    first years (graduation year included): the cohort whose window closes that year."""
    cohort = end.year - UPTAKE_YEARS
    rows = promotion_jp_uptake(first_years=UPTAKE_YEARS, since=cohort, until=cohort)
    return _share(sum(r["payers"] for r in rows), sum(r["people"] for r in rows))


def jp_uptake_by_promotion(start: date, end: date) -> dict[str, Group]:
    cohort = end.year - UPTAKE_YEARS
    rows = promotion_jp_uptake(first_years=UPTAKE_YEARS, since=cohort, until=cohort)
    return {r["promo"]: Group(r["share"], r["people"], r["payers"], r["people"]) for r in rows}


def reminder_conversion(start: date, end: date) -> Decimal | None:
    """Share of the people a dues reminder step sent in the period actually reached (e-mail delivered)
    who paid within 30 days after it left (`members.reminders.conversion`, step by step)."""
    from soce.lib.models import EmailStatus
    from soce.lib.reminders.models import Step

    from .reminders import RULES, conversion

    delivered = Q(deliveries__email__status=EmailStatus.SENT, deliveries__email__sent_at__isnull=False)
    steps = (
        Step.objects.filter(rule__in=list(RULES), send_on__gte=start, send_on__lte=end)
        .select_related("campaign")
        .annotate(reached=Count("deliveries", filter=delivered))
        .filter(reached__gt=0)
    )
    reached = converted = 0
    for step in steps:
        reached += step.reached
        converted += conversion(step)
    if not reached:
        return None
    return _share(converted, reached)


SOURCE_BREAKDOWNS = {
    "campus": lambda s, e: dues_breakdown(e.year, "campus"),
    "promo_decade": lambda s, e: dues_breakdown(e.year, "promo_decade"),
    "jp_tier": jp_tiers_breakdown,
}


def _view(code: str, names=("campus", "promo_decade")):
    """One metric's breakdowns, read from the source's (for callers that ask a metric directly)."""

    def one(name: str):
        compute = SOURCE_BREAKDOWNS[name]
        return lambda start, end: compute(start, end).get(code, {})

    return {n: one(n) for n in names}


def register_metrics() -> None:
    register_source(Source(SOURCE, _dues_values, breakdowns=SOURCE_BREAKDOWNS))
    register(
        Metric(
            "members.payers",
            "Membres cotisants",
            "count",
            lambda s, e: payers(e.year),
            aggregation="last",
            description="Cotisations réglées de l'année (état « réglée »).",
            source=SOURCE,
            breakdowns=_view("members.payers"),
        )
    )
    register(
        Metric(
            "members.jp_payers",
            "Cotisants Jeunes Promotions",
            "count",
            lambda s, e: jp_payers(e.year),
            aggregation="last",
            description="Cotisations réglées au tarif d'un palier JP.",
            source=SOURCE,
            breakdowns=_view("members.jp_payers", ("campus", "promo_decade", "jp_tier")),
        )
    )
    register(
        Metric(
            "members.jp_share",
            "Part des JP parmi les cotisants",
            "percent",
            lambda s, e: jp_share(e.year),
            aggregation="ratio",
            source=SOURCE,
            breakdowns=_view("members.jp_share"),
        )
    )
    register(
        Metric(
            "members.returning",
            "Radiés revenus en cotisant",
            "count",
            lambda s, e: returning(e.year),
            aggregation="sum",
            description="Cotisations réglées de l'année par un membre radié à ce moment-là.",
            source=SOURCE,
            breakdowns=_view("members.returning"),
        )
    )
    register(
        Metric(
            "members.jp_uptake",
            "Diplômés ayant cotisé dans leurs trois premières années",
            "percent",
            jp_uptake,
            aggregation="ratio",
            description=(
                f"Promotions diplômées {UPTAKE_YEARS} ans avant l'année : part des diplômés ayant réglé "
                f"au moins une cotisation entre l'année du diplôme et {UPTAKE_YEARS} ans après."
            ),
            breakdowns={"promotion": jp_uptake_by_promotion},
        )
    )
    register(
        Metric(
            "members.jp_to_full",
            "Anciens JP passés au tarif normal",
            "percent",
            lambda s, e: jp_to_full_rate(until=e.year)["share"],
            aggregation="ratio",
            description=(
                "Parmi les membres ayant réglé un tarif JP jusqu'à l'année, part de ceux qui ont réglé "
                "le tarif normal une année suivante (jusqu'à l'année)."
            ),
        )
    )
    register(
        Metric(
            "reminders.conversion",
            "Cotisants dans les 30 jours après une relance",
            "percent",
            reminder_conversion,
            aggregation="ratio",
        )
    )
