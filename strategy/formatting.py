"""Affichage des nombres à la française (espace fine insécable, virgule), selon l'unité de l'indicateur."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NNBSP = "\u202f"  # espace fine insécable (milliers)
NBSP = "\u00a0"


def to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def group(value: Decimal, decimals: int) -> str:
    quantum = Decimal(1).scaleb(-decimals) if decimals else Decimal(1)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    text = format(abs(rounded), "f")
    whole, _, frac = text.partition(".")
    parts = []
    while whole:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    out = NNBSP.join(parts) or "0"
    return f"{sign}{out},{frac}" if frac else f"{sign}{out}"


def fmt(value, unit: str = "count", decimals: int | None = None) -> str:
    """`16 700`, `31,2 %`, `297 000 €`, `oui`; an em dash when there is no value."""
    number = to_decimal(value)
    if number is None:
        return "—"
    if unit == "bool":
        return "oui" if number >= 1 else "non"
    if unit == "percent":
        return f"{group(number, 1 if decimals is None else decimals)}{NBSP}%"
    if unit == "eur":
        return f"{group(number, 0 if decimals is None else decimals)}{NBSP}€"
    if unit == "ratio":
        return group(number, 2 if decimals is None else decimals)
    return group(number, 0 if decimals is None else decimals)


def fmt_signed(value, unit: str = "count", decimals: int | None = None) -> str:
    number = to_decimal(value)
    if number is None:
        return "—"
    if unit == "relative":  # a relative change, in percent
        text = fmt(abs(number), "percent", decimals)
    elif unit == "percent":  # the change of a percentage is in points
        text = fmt(abs(number), "percent", decimals).replace(f"{NBSP}%", f"{NBSP}pt")
    else:
        text = fmt(abs(number), unit, decimals)
    return ("+" if number > 0 else ("−" if number < 0 else "±")) + text


def fmt_pct(value, decimals: int = 0) -> str:
    number = to_decimal(value)
    return "—" if number is None else f"{group(number, decimals)}{NBSP}%"


def fmt_date(value) -> str:
    """`22/11/2026` from a date or an ISO string (dates and date-times)."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def period_label(start, end) -> str:
    """`2025`, `T3 2026`, `mars 2026` or `01/01/2026–31/03/2026`."""
    if not start or not end:
        return "—"
    start = date.fromisoformat(start) if isinstance(start, str) else start
    end = date.fromisoformat(end) if isinstance(end, str) else end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.day == 1 and start.year == end.year and end.month - start.month == 2 and start.month % 3 == 1:
        return f"T{(start.month - 1) // 3 + 1} {start.year}"
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        return f"{MONTHS[start.month - 1]} {start.year}"
    return f"{fmt_date(start)}–{fmt_date(end)}"


MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
