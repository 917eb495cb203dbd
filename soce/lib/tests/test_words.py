import pytest

from soce.lib.words import euros_to_words, integer_to_words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zéro"),
        (1, "un"),
        (16, "seize"),
        (17, "dix-sept"),
        (21, "vingt et un"),
        (22, "vingt-deux"),
        (71, "soixante et onze"),
        (77, "soixante-dix-sept"),
        (80, "quatre-vingts"),
        (81, "quatre-vingt-un"),
        (91, "quatre-vingt-onze"),
        (100, "cent"),
        (101, "cent un"),
        (180, "cent quatre-vingts"),
        (200, "deux cents"),
        (201, "deux cent un"),
        (1000, "mille"),
        (1001, "mille un"),
        (3000, "trois mille"),
        (4500, "quatre mille cinq cents"),
        (80000, "quatre-vingt mille"),
        (200000, "deux cent mille"),
        (1_000_000, "un million"),
        (2_300_000, "deux millions trois cent mille"),
    ],
)
def test_integer_to_words(n, words):
    assert integer_to_words(n) == words


def test_euros_to_words():
    assert euros_to_words("3000") == "trois mille euros"
    assert euros_to_words("45.20") == "quarante-cinq euros et vingt centimes"
    assert euros_to_words("1.01") == "un euro et un centime"
    assert euros_to_words("1000000") == "un million d'euros"
