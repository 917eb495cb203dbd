"""Quel tarif s'applique à un membre pour une année, et pourquoi (en français)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Member, Rate, RateGrid, RateKind, ReducedRateGrant


@dataclass(frozen=True)
class RateChoice:
    rate: Rate | None
    reason: str  # e.g. « JP2 — 2e année après diplôme »

    @property
    def amount_eur(self):
        from decimal import Decimal

        return self.rate.amount_eur if self.rate else Decimal("0.00")


def ordinal_fr(n: int) -> str:
    return "1re" if n == 1 else f"{n}e"


def jp_tier(member: Member, year: int) -> int | None:
    """The Jeunes Promotions tier of an alumnus for `year`: the years elapsed since graduation, at least 1.

    JP1 covers two calendar years: the graduation year itself (the new alumnus's first dues year) and the
    year after; then JP2 is the 2nd year after graduation, JP3 the 3rd, and so on (graduated in 2024:
    2024 → JP1, 2025 → JP1, 2026 → JP2, 2027 → JP3). A tier the grid has no JP rate for falls back on the
    other rates. None for non-alumni, without a graduation year, or for a year before graduation.
    """
    if not member.graduation_year or not member.category.is_alumni or year < member.graduation_year:
        return None
    return max(1, year - member.graduation_year)


def resolve_rate(
    member: Member, grid: RateGrid, *, rates: list[Rate] | None = None, grants: list[ReducedRateGrant] | None = None
) -> RateChoice:
    """The rate the grid gives this member, with the reason. `rates`/`grants` avoid queries in bulk use."""
    year = grid.year
    if member.lifetime_since and member.lifetime_since <= year:
        return RateChoice(None, "Membre à vie : aucune cotisation à régler")
    rates = rates if rates is not None else list(grid.rates.all())
    by_kind: dict[str, list[Rate]] = {}
    for rate in rates:
        by_kind.setdefault(rate.kind, []).append(rate)

    for rate in by_kind.get(RateKind.CATEGORY, []):
        if rate.category_id == member.category_id:
            return RateChoice(rate, f"{rate.label} (catégorie « {member.category.label} »)")

    if grants is None:
        grants = list(member.reduced_rates.all())
    for grant in grants:
        if grant.from_year <= year <= grant.to_year:
            for rate in by_kind.get(RateKind.REDUCED, []):
                if rate.reduction in ("", grant.reduction):
                    return RateChoice(
                        rate, f"{rate.label} — tarif réduit accordé sur demande ({grant.get_reduction_display()})"
                    )

    tier = jp_tier(member, year)
    if tier is not None:
        for rate in by_kind.get(RateKind.JP, []):
            if rate.jp_tier == tier:
                return RateChoice(rate, f"{rate.code} — {ordinal_fr(tier)} année après diplôme")

    if member.partner_id:
        couple = by_kind.get(RateKind.COUPLE)
        if couple:
            return RateChoice(couple[0], f"{couple[0].label} — conjoint également membre")

    standard = by_kind.get(RateKind.STANDARD)
    if standard:
        return RateChoice(standard[0], f"{standard[0].label}")
    return RateChoice(None, "Aucun tarif applicable dans la grille : contactez le secrétariat")


def lifetime_rate(grid: RateGrid, rates: list[Rate] | None = None) -> Rate | None:
    rates = rates if rates is not None else list(grid.rates.all())
    return next((r for r in rates if r.kind == RateKind.LIFETIME), None)
