"""Calculs purs des prêts : échéancier (capital seul), dates, retards. Aucun accès à la base."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from soce.lib.money import CENT, ZERO, eur

# Days past due at which each human follow-up opens (no penalties, ever).
BUCKET_THRESHOLDS: list[tuple[int, str]] = [
    (90, "committee"),  # examen par le comité
    (60, "letter"),  # courrier
    (30, "call"),  # appel d'un camarade
    (8, "friendly"),  # e-mail amical (une semaine de grâce pour les virements en route)
]
BUCKET_ORDER = ["none", "friendly", "call", "letter", "committee"]


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the end of a shorter month (31/01 + 1 → 28 or 29/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def safe_date(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def split_principal(principal: Decimal, count: int) -> list[Decimal]:
    """Equal instalments rounded down to the cent; the last one takes the remainder (sum = principal)."""
    if count < 1:
        raise ValueError("au moins une échéance")
    principal = eur(principal)
    regular = (principal / count).quantize(CENT, rounding=ROUND_DOWN)
    last = principal - regular * (count - 1)
    return [regular] * (count - 1) + [eur(last)]


@dataclass(frozen=True)
class Line:
    seq: int
    due_on: date
    amount_eur: Decimal


def build_schedule(*, principal: Decimal, count: int, first_due_on: date) -> list[Line]:
    """Monthly principal-only schedule starting on `first_due_on`."""
    return [
        Line(seq=i + 1, due_on=add_months(first_due_on, i), amount_eur=amount)
        for i, amount in enumerate(split_principal(principal, count))
    ]


def student_first_due_on(graduation_on: date) -> date:
    """Students start repaying one year after their graduation date."""
    return add_months(graduation_on, 12)


def bucket_for(days_past_due: int) -> str:
    for threshold, bucket in BUCKET_THRESHOLDS:
        if days_past_due >= threshold:
            return bucket
    return "none"


@dataclass(frozen=True)
class Arrears:
    days_past_due: int
    arrears_eur: Decimal
    due_to_date_eur: Decimal
    bucket: str


def compute_arrears(
    *, lines: list[tuple[date, Decimal]], base_eur: Decimal, repaid_eur: Decimal, today: date
) -> Arrears:
    """Oldest instalment not fully covered by what was repaid (payments fill instalments in order).

    `base_eur` is what had been repaid when this schedule version was set (a rescheduled schedule
    covers only the balance). An instalment due today is not late yet.
    """
    due_to_date = base_eur + sum((amount for due_on, amount in lines if due_on < today), ZERO)
    covered = base_eur
    days = 0
    for due_on, amount in sorted(lines):
        covered += amount
        if covered > repaid_eur:
            if due_on < today:
                days = (today - due_on).days
            break
    arrears = max(due_to_date - repaid_eur, ZERO)
    if arrears == ZERO:
        days = 0
    return Arrears(
        days_past_due=days, arrears_eur=eur(arrears), due_to_date_eur=eur(due_to_date), bucket=bucket_for(days)
    )
