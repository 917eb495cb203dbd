"""Nombres en toutes lettres, en français (reçus fiscaux, contrats de prêt)."""

from decimal import ROUND_HALF_UP, Decimal

_UNITS = [
    "zéro",
    "un",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "treize",
    "quatorze",
    "quinze",
    "seize",
    "dix-sept",
    "dix-huit",
    "dix-neuf",
]
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante", 8: "quatre-vingt"}


def _below_100(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix, quatre-vingt-dix
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = 10 + unit
        sep = " et " if tens == 7 and unit == 1 else "-"
        return f"{base}{sep}{_UNITS[rest]}"
    word = _TENS[tens]
    if unit == 0:
        return word + ("s" if tens == 8 else "")
    if unit == 1 and tens != 8:
        return f"{word} et un"
    return f"{word}-{_UNITS[unit]}"


def _below_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest)
    head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 else "")
    return f"{head} {_below_100(rest)}"


def integer_to_words(n: int) -> str:
    """0 <= n < 10**12, in traditional French spelling (« quatre-vingts », « deux cents », « mille »)."""
    if n < 0 or n >= 10**12:
        raise ValueError(n)
    if n < 1000:
        return _below_1000(n)
    parts = []
    billions, n = divmod(n, 10**9)
    millions, n = divmod(n, 10**6)
    thousands, rest = divmod(n, 1000)
    if billions:
        parts.append(f"{integer_to_words(billions)} milliard" + ("s" if billions > 1 else ""))
    if millions:
        parts.append(f"{integer_to_words(millions)} million" + ("s" if millions > 1 else ""))
    if thousands:
        # « cent » and « vingt » take no s before « mille » (deux cent mille).
        head = _below_1000(thousands)
        if head.endswith(("cents", "vingts")):
            head = head[:-1]
        word = "mille" if thousands == 1 else f"{head} mille"
        parts.append(word)
    if rest:
        parts.append(_below_1000(rest))
    return " ".join(parts)


def euros_to_words(amount: Decimal | int | str) -> str:
    """`1234.50` → « mille deux cent trente-quatre euros et cinquante centimes »."""
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError(amount)
    euros = int(value)
    cents = int((value - euros) * 100)
    if cents and not euros:
        return f"{integer_to_words(cents)} centime" + ("s" if cents > 1 else "")
    text = f"{integer_to_words(euros)} euro" + ("s" if euros > 1 else "")
    if euros and euros % 10**6 == 0:
        text = text.replace(" euros", " d'euros")
    if cents:
        text += f" et {integer_to_words(cents)} centime" + ("s" if cents > 1 else "")
    return text
