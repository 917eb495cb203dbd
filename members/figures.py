"""Chiffres des cotisations et des Jeunes Promotions, réutilisés par le tableau de bord (registre metrics).

Toutes les fonctions lisent des agrégats : aucune ne renvoie de personne. Les ventilations masquent
les groupes de moins de MIN_GROUP_SIZE personnes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Cast

from soce.lib.metrics import MIN_GROUP_SIZE, Metric, register

from .models import Cotisation, CotisationStatus, RateKind

PAID = Q(status=CotisationStatus.PAID)


def payers(year: int) -> int:
    return Cotisation.objects.filter(PAID, year=year).count()


def jp_payers(year: int) -> int:
    return Cotisation.objects.filter(PAID, year=year, rate__kind=RateKind.JP).count()


def jp_by_tier(year: int) -> dict[int, int]:
    rows = (
        Cotisation.objects.filter(PAID, year=year, rate__kind=RateKind.JP)
        .values_list("rate__jp_tier")
        .annotate(n=Count("id"))
        .order_by("rate__jp_tier")
    )
    return dict(rows)


def jp_share(year: int) -> Decimal | None:
    total = payers(year)
    if not total:
        return None
    return (Decimal(jp_payers(year)) * 100 / total).quantize(Decimal("0.1"))


def returning(year: int) -> int:
    return Cotisation.objects.filter(PAID, year=year, is_return=True).count()


def payers_by_year(years: range) -> dict[int, dict]:
    """Payers, JP payers and returning members per year, in three queries."""
    base = Cotisation.objects.filter(PAID, year__in=list(years)).values("year")
    total = dict(base.annotate(n=Count("id")).values_list("year", "n"))
    jp = dict(base.filter(rate__kind=RateKind.JP).annotate(n=Count("id")).values_list("year", "n"))
    back = dict(base.filter(is_return=True).annotate(n=Count("id")).values_list("year", "n"))
    return {y: {"payers": total.get(y, 0), "jp": jp.get(y, 0), "returning": back.get(y, 0)} for y in years}


def promotion_jp_uptake(*, first_years: int = 3, since: int = 2010) -> list[dict]:
    """For each promotion graduated since `since`: the share that paid in its first years after graduation."""
    from .models import Member

    paid_early = Cotisation.objects.filter(
        PAID,
        member_id=OuterRef("pk"),
        year__gte=OuterRef("graduation_year"),
        year__lte=OuterRef("graduation_year") + first_years,
    )
    rows = (
        Member.objects.filter(category__is_alumni=True, graduation_year__gte=since, campus__isnull=False)
        .annotate(paid=Exists(paid_early))
        .values("campus__code", "entry_year", "graduation_year")
        .annotate(people=Count("id"), payers=Count("id", filter=Q(paid=True)))
        .order_by("-graduation_year", "campus__code")
    )
    out = []
    for row in rows:
        if row["people"] < MIN_GROUP_SIZE:
            continue
        out.append(
            {
                "promo": f"{row['campus__code']} {row['entry_year'] - 1800}",
                "graduation_year": row["graduation_year"],
                "people": row["people"],
                "payers": row["payers"],
                "share": (Decimal(row["payers"]) * 100 / row["people"]).quantize(Decimal("0.1")),
            }
        )
    return out


def jp_to_full_rate() -> dict:
    """Of the members who paid a JP rate, how many went on to pay the full rate later."""
    later_full = Cotisation.objects.filter(
        PAID, member_id=OuterRef("member_id"), year__gt=OuterRef("year"), rate__kind=RateKind.STANDARD
    )
    last_jp = Cotisation.objects.filter(PAID, rate__kind=RateKind.JP).values("member_id").distinct()
    jp_members = last_jp.count()
    converted = (
        Cotisation.objects.filter(PAID, rate__kind=RateKind.JP)
        .filter(Exists(later_full))
        .values("member_id")
        .distinct()
        .count()
    )
    return {
        "jp_members": jp_members,
        "went_full": converted,
        "share": (Decimal(converted) * 100 / jp_members).quantize(Decimal("0.1")) if jp_members else None,
    }


def _breakdown(year: int, field: str) -> dict[str, int]:
    rows = Cotisation.objects.filter(PAID, year=year).values(field).annotate(n=Count("id"))
    out = {}
    for row in rows:
        key = row[field]
        if key is None or row["n"] < MIN_GROUP_SIZE:
            continue
        out[str(key)] = row["n"]
    return out


def payers_by_campus(start: date, end: date) -> dict[str, int]:
    return _breakdown(end.year, "member__campus__code")


def payers_by_promo_decade(start: date, end: date) -> dict[str, int]:
    rows = (
        Cotisation.objects.filter(PAID, year=end.year, member__entry_year__isnull=False)
        .annotate(decade=Cast(F("member__entry_year") / 10 * 10, output_field=Cotisation._meta.get_field("year")))
        .values("decade")
        .annotate(n=Count("id"))
    )
    return {f"{r['decade']}s": r["n"] for r in rows if r["n"] >= MIN_GROUP_SIZE}


def reminder_conversion(start: date, end: date) -> Decimal | None:
    """Share of people reached by a dues reminder step sent in the period who paid within 30 days."""
    from soce.lib.reminders.models import Delivery, Step

    from .reminders import RULES, conversion

    steps = Step.objects.filter(rule__in=list(RULES), send_on__gte=start, send_on__lte=end).select_related("campaign")
    reached = converted = 0
    for step in steps:
        reached += Delivery.objects.filter(step=step).count()
        converted += conversion(step)
    if not reached:
        return None
    return (Decimal(converted) * 100 / reached).quantize(Decimal("0.1"))


def register_metrics() -> None:
    register(
        Metric(
            "members.payers",
            "Membres cotisants",
            "count",
            lambda s, e: payers(e.year),
            aggregation="last",
            description="Cotisations réglées de l'année (état « réglée »).",
            breakdowns={"campus": payers_by_campus, "promo_decade": payers_by_promo_decade},
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
        )
    )
    register(
        Metric(
            "members.jp_share",
            "Part des JP parmi les cotisants",
            "percent",
            lambda s, e: jp_share(e.year),
            aggregation="ratio",
        )
    )
    register(
        Metric(
            "members.returning",
            "Radiés revenus en cotisant",
            "count",
            lambda s, e: returning(e.year),
            aggregation="sum",
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
