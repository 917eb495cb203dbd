"""Montants en euros : Decimal, jamais de float."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def eur(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("float interdit pour les montants")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(value: Decimal | int | str | None) -> str:
    """`1 234,50 €` (espace fine insécable comme séparateur de milliers)."""
    if value is None:
        return "—"
    amount = eur(value)
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    thin_nbsp = "\u202f"
    return f"{sign}{thin_nbsp.join(groups)},{cents}\u00a0€"
