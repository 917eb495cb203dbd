"""Le montant en toutes lettres et la vérification de ce que tape l'emprunteur."""

from decimal import Decimal

import pytest

from entraide.words import amount_in_words, figures_match, parse_figures, words_match
from soce.lib.words import integer_to_words as number_to_words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zéro"),
        (1, "un"),
        (16, "seize"),
        (17, "dix-sept"),
        (21, "vingt et un"),
        (71, "soixante et onze"),
        (77, "soixante-dix-sept"),
        (80, "quatre-vingts"),
        (81, "quatre-vingt-un"),
        (91, "quatre-vingt-onze"),
        (100, "cent"),
        (101, "cent un"),
        (200, "deux cents"),
        (280, "deux cent quatre-vingts"),
        (1000, "mille"),
        (3000, "trois mille"),
        (4500, "quatre mille cinq cents"),
        (80_000, "quatre-vingt mille"),
        (200_000, "deux cent mille"),
        (1_000_000, "un million"),
        (2_000_000, "deux millions"),
        (1_200_080, "un million deux cent mille quatre-vingts"),
    ],
)
def test_number_to_words(n, words):
    assert number_to_words(n) == words


def test_amount_in_words_with_cents():
    assert amount_in_words(Decimal("3000")) == "trois mille euros"
    assert amount_in_words(Decimal("1")) == "un euro"
    assert amount_in_words(Decimal("12.50")) == "douze euros et cinquante centimes"
    assert amount_in_words(Decimal("0.01")) == "un centime"


@pytest.mark.parametrize(
    "typed",
    [
        "trois mille euros",
        "Trois-mille euros",
        "trois mille",
        "  trois   mille  EUROS. ",
        "trois mille €",
    ],
)
def test_words_match_tolerates_spelling_variants(typed):
    assert words_match(typed, Decimal("3000"))


def test_words_match_accepts_traditional_and_reformed_spellings():
    assert words_match("quatre mille cinq cents euros", Decimal("4500"))
    assert words_match("quatre-mille-cinq-cents euros", Decimal("4500"))
    assert words_match("deux mille cinq cent vingt et un euros", Decimal("2521"))
    assert words_match("mille deux cent cinquante euros et cinquante centimes", Decimal("1250.50"))


@pytest.mark.parametrize("typed", ["trois mille un euros", "trente mille euros", "3000", "", "trois cents euros"])
def test_words_match_refuses_another_amount(typed):
    assert not words_match(typed, Decimal("3000"))


def test_figures():
    assert parse_figures("3 000,00 €") == Decimal("3000.00")
    assert parse_figures("3000") == Decimal("3000.00")
    assert parse_figures("3\u202f000,00\u00a0€") == Decimal("3000.00")
    assert parse_figures("3.000") is None  # ambiguous: refused rather than guessed
    assert parse_figures("trois mille") is None
    assert figures_match("3000,00", Decimal("3000"))
    assert not figures_match("300", Decimal("3000"))
