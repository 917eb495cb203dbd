"""Montants en toutes lettres (français) et vérification de ce que l'emprunteur a tapé.

L'orthographe produite suit les rectifications de 1990 (traits d'union partout : « deux-cent-un »).
La vérification compare des formes normalisées : les traits d'union, les espaces, les majuscules,
le « s » de « cents », « vingts » ou « millions » et les mots « euro(s) » sont indifférents, de sorte
que l'orthographe traditionnelle (« deux cent un ») est acceptée aussi.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from soce.lib.money import eur

UNITS = [
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
]
TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_100(n: int) -> str:
    if n <= 16:
        return UNITS[n]
    if n < 20:
        return f"dix-{UNITS[n - 10]}"
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix, quatre-vingt-dix: built on the previous ten + 10..19
        base = "soixante" if tens == 7 else "quatre-vingt"
        rest = n - (60 if tens == 7 else 80)
        if rest == 11 and tens == 7:
            return "soixante-et-onze"
        return f"{base}-{_below_100(rest)}"
    if tens == 8:
        return "quatre-vingts" if unit == 0 else f"quatre-vingt-{UNITS[unit]}"
    word = TENS[tens]
    if unit == 0:
        return word
    if unit == 1:
        return f"{word}-et-un"
    return f"{word}-{UNITS[unit]}"


def _below_1000(n: int, *, final: bool) -> str:
    """`final`: nothing multiplies this group afterwards (so « cents » and « quatre-vingts » take an s)."""
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        if hundreds == 1:
            parts.append("cent")
        else:
            parts.append(f"{UNITS[hundreds]}-cent{'s' if rest == 0 and final else ''}")
    if rest:
        words = _below_100(rest)
        if not final and words == "quatre-vingts":
            words = "quatre-vingt"
        parts.append(words)
    return "-".join(parts)


def number_to_words(n: int) -> str:
    """0 → « zéro », 3000 → « trois-mille », 1_200_080 → « un-million-deux-cent-mille-quatre-vingts »."""
    if n < 0:
        raise ValueError("montant négatif")
    if n == 0:
        return "zéro"
    parts = []
    billions, rest = divmod(n, 1_000_000_000)
    millions, rest = divmod(rest, 1_000_000)
    thousands, units = divmod(rest, 1000)
    if billions:
        parts.append(f"{_below_1000(billions, final=True)}-milliard{'s' if billions > 1 else ''}")
    if millions:
        parts.append(f"{_below_1000(millions, final=True)}-million{'s' if millions > 1 else ''}")
    if thousands:
        parts.append("mille" if thousands == 1 else f"{_below_1000(thousands, final=False)}-mille")
    if units:
        parts.append(_below_1000(units, final=True))
    return "-".join(parts)


def amount_in_words(amount: Decimal | int | str) -> str:
    """3000 → « trois-mille euros » ; 12,50 → « douze euros et cinquante centimes »."""
    value = eur(amount)
    whole = int(value)
    cents = int((value - whole) * 100)
    euros = f"{number_to_words(whole)} euro{'s' if whole > 1 else ''}"
    if whole and whole % 1_000_000 == 0:
        euros = f"{number_to_words(whole)} d'euros"
    if cents and not whole:
        return f"{number_to_words(cents)} centime{'s' if cents > 1 else ''}"
    if cents:
        return f"{euros} et {number_to_words(cents)} centime{'s' if cents > 1 else ''}"
    return euros


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    text = re.sub(r"[\s\-\u00a0\u202f]+", " ", text).strip(" .")
    text = text.replace("d'euros", "euros").replace("€", " euros ")
    words = []
    for word in text.split():
        if word in {"cents", "vingts", "millions", "milliards", "euro", "centime"}:
            word = {"euro": "euros", "centime": "centimes"}.get(word, word[:-1])
        words.append(word)
    return " ".join(words)


def words_match(typed: str, amount: Decimal | int | str) -> bool:
    """True when the typed words say exactly `amount` (hyphens, case and plural s do not matter)."""
    expected = _normalise(amount_in_words(amount))
    got = _normalise(typed)
    if got == expected:
        return True
    # « trois mille » without the currency is accepted for a whole amount.
    return eur(amount) == int(eur(amount)) and f"{got} euros" == expected


def parse_figures(typed: str) -> Decimal | None:
    """« 3 000,00 € » → Decimal('3000.00'); None when it is not a plain amount."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]|eur(os?)?", "", typed.strip().lower()).replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        return None
    try:
        return eur(cleaned)
    except InvalidOperation:
        return None


def figures_match(typed: str, amount: Decimal | int | str) -> bool:
    return parse_figures(typed) == eur(amount)
