from decimal import Decimal

import pytest

from members.models import Category, ReducedRateGrant
from members.promo import parse_promo
from members.rates import jp_tier, resolve_rate
from members.tests.factories import CampusFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["Bo 179", "bo179", "Bo. 179", "BO 179", "  bo 179 "])
def test_promo_labels_are_forgiving_and_normalised(text):
    CampusFactory(code="Bo")
    promo = parse_promo(text)
    assert promo.label == "Bo 179"
    assert promo.entry_year == 1979


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Zz 179", "Campus inconnu"),
        ("Bo 9", "Promotion impossible"),
        ("Bo 299", "Promotion impossible"),
        ("Bordeaux", "n'est pas une promotion"),
    ],
)
def test_bad_promo_labels_say_why_in_french(text, message):
    from django.core.exceptions import ValidationError

    CampusFactory(code="Bo")
    with pytest.raises(ValidationError) as exc:
        parse_promo(text)
    assert message in exc.value.messages[0]


@pytest.mark.parametrize(
    ("year", "tier"),
    [(2023, None), (2024, 1), (2025, 1), (2026, 2), (2027, 3), (2028, 4), (2040, 16)],
)
def test_jp_tier_rule_graduation_year_and_the_next_are_both_jp1(year, tier):
    """The rule: tier = years since graduation, at least 1; the graduation year is the first dues year (JP1)."""
    member = MemberFactory(entry_year=2021, graduation_year=2024)
    assert jp_tier(member, year) == tier


def test_no_jp_tier_without_graduation_or_for_non_alumni():
    assert jp_tier(MemberFactory(entry_year=2024, graduation_year=None), 2026) is None
    other = Category.objects.create(code="associe", label="Associé", is_alumni=False)
    assert jp_tier(MemberFactory(category=other, entry_year=2021, graduation_year=2024), 2026) is None


@pytest.mark.parametrize(
    ("graduation", "year", "code", "reason", "amount"),
    [
        (2026, 2026, "JP1", "JP1 — 1re année après diplôme", "25.00"),  # the graduation year itself
        (2025, 2026, "JP1", "JP1 — 1re année après diplôme", "25.00"),
        (2025, 2027, "JP2", "JP2 — 2e année après diplôme", "45.00"),
        (2024, 2027, "JP3", "JP3 — 3e année après diplôme", "60.00"),
        (2023, 2027, "PLEIN", "Cotisation normale", "110.00"),  # JP4: no such rate in the grid
        (2020, 2027, "PLEIN", "Cotisation normale", "110.00"),
    ],
)
def test_each_jp_tier_gets_its_rate_and_reason(grids, graduation, year, code, reason, amount):
    member = MemberFactory(entry_year=graduation - 3, graduation_year=graduation)
    choice = resolve_rate(member, grids[year])
    assert (choice.rate.code, choice.reason, choice.amount_eur) == (code, reason, Decimal(amount))


def test_journey_member_sees_jp2_at_45(grids):
    member = MemberFactory(entry_year=2022, graduation_year=2025)
    choice = resolve_rate(member, grids[2027])
    assert (choice.reason, choice.amount_eur) == ("JP2 — 2e année après diplôme", Decimal("45.00"))


def test_category_rate_beats_jp(grids):
    eleve = Category.objects.get(code="eleve")
    member = MemberFactory(category=eleve, entry_year=2025, graduation_year=None)
    assert resolve_rate(member, grids[2026]).rate.code == "ETU"


def test_reduced_rate_on_request_for_its_years_only(grids):
    member = MemberFactory(entry_year=1970, graduation_year=1973)
    ReducedRateGrant.objects.create(member=member, reduction="retired", from_year=2026, to_year=2026)
    assert resolve_rate(member, grids[2026]).rate.code == "RETRAITE"
    assert "retraité" in resolve_rate(member, grids[2026]).reason
    assert resolve_rate(member, grids[2027]).rate.code == "PLEIN"


def test_couple_and_lifetime(grids):
    a = MemberFactory(entry_year=1990, graduation_year=1993)
    b = MemberFactory(entry_year=1990, graduation_year=1993, partner=a)
    assert resolve_rate(b, grids[2026]).rate.code == "COUPLE"
    a.lifetime_since = 2020
    choice = resolve_rate(a, grids[2026])
    assert choice.rate is None and "à vie" in choice.reason
