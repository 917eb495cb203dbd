"""A small population of members and dues whose figures are counted by hand (members and strategy tests).

2026 (the year the tests look at):
- Bo, promo 2000: 6 members at the full rate, 2 of them back after being struck off; a 7th cancelled;
- Cl, promo 2022 (graduated 2025): 3 at JP tier 1, 2 more who owe their dues;
- Bo, promo 2021 (graduated 2024): 2 at JP tier 2, a 3rd who paid part of it;
- Pa, promo 2020 (graduated 2023): 1 at JP tier 3.
So 12 payers, 6 JP (3 + 2 + 1 by tier), JP share 50.0 %, 2 returning members;
by campus Bo 8 (2 JP, 2 back), Cl 3, Pa 1; by promo decade 2000s 6, 2020s 6.

2025: 4 of the Bo 2000 members at the full rate, the Bo 2021 pair at JP tier 1, Pa at JP tier 2, and
Li 2018 (graduated 2021) at the full rate after JP tier 3 in 2024: 8 payers, 3 JP.
2024: only Li 2018, at JP tier 3: 1 payer, 1 JP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from members.models import Cotisation, CotisationStatus, Member, Rate
from members.tests.dues_fixtures import make_grid
from members.tests.factories import CampusFactory, MemberFactory

PAID = CotisationStatus.PAID


def aware(year: int, month: int = 3, day: int = 1, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


def dues(member: Member, year: int, code: str, *, status=PAID, is_return=False, paid_at=None) -> Cotisation:
    """A cotisation as the services leave it (rate, amounts, status), written directly."""
    rate = Rate.objects.get(grid__year=year, code=code)
    paid = rate.amount_eur if status == PAID else (rate.amount_eur / 2 if status == CotisationStatus.PARTIAL else 0)
    return Cotisation.objects.create(
        member=member,
        year=year,
        rate=rate,
        rate_code=code,
        rate_label=rate.label,
        amount_due_eur=rate.amount_eur,
        paid_eur=Decimal(paid),
        status=status,
        is_return=is_return,
        paid_at=(paid_at or aware(year)) if status == PAID else None,
        transfer_reference=f"T-{year}-{member.pk}",
    )


@dataclass
class Population:
    groups: dict[str, list[Member]] = field(default_factory=dict)


def build() -> Population:
    for year in (2024, 2025, 2026):
        make_grid(year)
    bo, cl, pa = (
        CampusFactory(code="Bo"),
        CampusFactory(code="Cl", name="Cluny"),
        CampusFactory(code="Pa", name="Paris"),
    )
    li = CampusFactory(code="Li", name="Lille")

    def members(n, campus, entry):
        return [MemberFactory(campus=campus, entry_year=entry, graduation_year=entry + 3) for _ in range(n)]

    p = Population()
    p.groups["bo_full"] = members(6, bo, 2000)
    p.groups["bo_cancelled"] = members(1, bo, 2000)
    p.groups["cl_jp1"] = members(3, cl, 2022)
    p.groups["cl_owing"] = members(2, cl, 2022)
    p.groups["bo_jp2"] = members(2, bo, 2021)
    p.groups["bo_partial"] = members(1, bo, 2021)
    p.groups["pa_jp3"] = members(1, pa, 2020)
    p.groups["li_former_jp"] = members(1, li, 2018)

    for i, m in enumerate(p.groups["bo_full"]):
        dues(m, 2026, "PLEIN", is_return=i < 2)
        if i < 4:
            dues(m, 2025, "PLEIN")
    dues(p.groups["bo_cancelled"][0], 2026, "PLEIN", status=CotisationStatus.CANCELLED)
    for m in p.groups["cl_jp1"]:
        dues(m, 2026, "JP1")
    for m in p.groups["cl_owing"]:
        dues(m, 2026, "JP1", status=CotisationStatus.DUE)
    for m in p.groups["bo_jp2"]:
        dues(m, 2026, "JP2")
        dues(m, 2025, "JP1")
    dues(p.groups["bo_partial"][0], 2026, "JP2", status=CotisationStatus.PARTIAL)
    dues(p.groups["pa_jp3"][0], 2026, "JP3")
    dues(p.groups["pa_jp3"][0], 2025, "JP2")
    dues(p.groups["li_former_jp"][0], 2024, "JP3")
    dues(p.groups["li_former_jp"][0], 2025, "PLEIN")
    return p
