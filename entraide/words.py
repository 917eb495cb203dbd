"""Vérification de ce que l'emprunteur a tapé : le montant en lettres et en chiffres.

Le texte attendu vient de `soce.lib.words` (orthographe traditionnelle, comme sur les reçus fiscaux) ;
la comparaison se fait sur des formes normalisées : traits d'union, espaces, majuscules, le « s » de
« cents », « vingts » ou « millions » et les mots « euro(s) » sont indifférents, de sorte que
l'orthographe rectifiée de 1990 (« deux-cent-un ») est acceptée aussi.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from soce.lib.money import eur
from soce.lib.words import euros_to_words


def amount_in_words(amount: Decimal | int | str) -> str:
    """3000 → « trois mille euros » ; 12,50 → « douze euros et cinquante centimes »."""
    return euros_to_words(eur(amount))


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
