"""The dues and JP figures the Bureau reads (members/figures.py), on a population counted by hand.

See figures_population.py for the population and its hand counts.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from members import figures, services
from members.models import Cotisation, Lifecycle
from members.tests.dues_fixtures import make_grid
from members.tests.factories import MemberFactory, UserFactory
from members.tests.figures_population import aware, build, dues
from soce.lib import metrics
from soce.lib.metrics import Group

pytestmark = pytest.mark.django_db
YEAR = (date(2026, 1, 1), date(2026, 11, 22))


@pytest.fixture
def population():
    return build()


def test_payers_jp_and_returning_are_counted_by_hand(population):
    assert figures.payers(2026) == 12  # 6 full + 3 JP1 + 2 JP2 + 1 JP3; due, partial and cancelled left out
    assert figures.jp_payers(2026) == 6
    assert figures.jp_share(2026) == Decimal("50.0")
    assert figures.returning(2026) == 2
    assert figures.jp_by_tier(2026) == {1: 3, 2: 2, 3: 1}
    assert figures.jp_by_tier(2025) == {1: 2, 2: 1}
    assert figures.payers_by_year(range(2023, 2027)) == {
        2023: {"payers": 0, "jp": 0, "returning": 0},
        2024: {"payers": 1, "jp": 1, "returning": 0},
        2025: {"payers": 8, "jp": 3, "returning": 0},
        2026: {"payers": 12, "jp": 6, "returning": 2},
    }
    assert figures.jp_share(2023) is None  # no payer: no share, never 0


def test_promotion_uptake_and_jp_to_full_rate(population):
    rows = figures.promotion_jp_uptake(first_years=3, since=2018)
    # every promotion, small ones included (the reader hides them), newest first
    assert [(r["promo"], r["people"], r["payers"], r["share"]) for r in rows] == [
        ("Cl 222", 5, 3, Decimal("60.0")),  # 2 still owe their dues
        ("Bo 221", 3, 2, Decimal("66.7")),  # 1 paid only part
        ("Pa 220", 1, 1, Decimal("100.0")),
        ("Li 218", 1, 1, Decimal("100.0")),  # paid in 2024, its third year
    ]
    assert figures.promotion_jp_uptake(first_years=3, since=2024, until=2024)[0]["promo"] == "Bo 221"
    # 7 members paid a JP rate (3 + 2 + 1 + Li); only Li paid the full rate afterwards
    assert figures.jp_to_full_rate() == {"jp_members": 7, "went_full": 1, "share": Decimal("14.3")}
    assert figures.jp_to_full_rate(until=2024) == {"jp_members": 1, "went_full": 0, "share": Decimal("0.0")}
    assert figures.jp_to_full_rate(until=2023)["share"] is None
    # the cohort whose three years close in the period's year
    assert figures.jp_uptake(date(2028, 1, 1), date(2028, 12, 31)) == Decimal("60.0")  # graduated 2025
    assert figures.jp_uptake(date(2027, 1, 1), date(2027, 12, 31)) == Decimal("66.7")  # graduated 2024
    assert figures.jp_uptake(*YEAR) == Decimal("100.0")  # graduated 2023: Pa alone
    assert figures.jp_uptake_by_promotion(date(2028, 1, 1), date(2028, 12, 31)) == {
        "Cl 222": Group(Decimal("60.0"), 5, 3, 5)
    }


def test_registered_metrics_and_their_source_agree(population):
    codes = ["members.payers", "members.jp_payers", "members.jp_share", "members.returning"]
    by_func = {code: metrics.get(code).func(*YEAR) for code in codes}
    assert by_func == {
        "members.payers": 12,
        "members.jp_payers": 6,
        "members.jp_share": Decimal("50.0"),
        "members.returning": 2,
    }
    source = metrics.get_source(figures.SOURCE)
    assert {code: source.values(*YEAR)[code] for code in codes} == by_func
    assert metrics.get("members.jp_to_full").func(*YEAR) == Decimal("14.3")
    assert metrics.get("members.jp_uptake").func(*YEAR) == Decimal("100.0")


def test_breakdowns_give_every_group_with_its_head_count(population):
    by_campus = figures.dues_breakdown(2026, "campus")
    assert by_campus["members.payers"] == {"Bo": Group(8, 8), "Cl": Group(3, 3), "Pa": Group(1, 1)}  # small ones too
    assert by_campus["members.jp_payers"] == {"Bo": Group(2, 2), "Cl": Group(3, 3), "Pa": Group(1, 1)}
    assert by_campus["members.returning"] == {"Bo": Group(2, 2)}
    assert by_campus["members.jp_share"] == {
        "Bo": Group(Decimal("25.0"), 8, 2, 8),
        "Cl": Group(Decimal("100.0"), 3, 3, 3),
        "Pa": Group(Decimal("100.0"), 1, 1, 1),
    }
    by_decade = figures.dues_breakdown(2026, "promo_decade")
    assert by_decade["members.payers"] == {"promos 2000-2009": Group(6, 6), "promos 2020-2029": Group(6, 6)}
    payers = metrics.get("members.payers")
    assert payers.breakdowns["campus"](*YEAR) == by_campus["members.payers"]
    tiers = metrics.get("members.jp_payers").breakdowns["jp_tier"](*YEAR)
    assert tiers == {"JP 1": Group(3, 3), "JP 2": Group(2, 2), "JP 3": Group(1, 1)}


def test_a_struck_off_member_who_pays_again_is_a_returning_member(population):
    make_grid(2027)
    staff = UserFactory(email="secretariat@exemple.fr")
    member = MemberFactory(campus=population.groups["bo_full"][0].campus, entry_year=1990, graduation_year=1993)
    with time_machine.travel(datetime(2027, 2, 1, 10, tzinfo=timezone.get_current_timezone()), tick=False):
        services.member_strike_off(member=member, reason="Trois années non réglées", by=staff)
        member.refresh_from_db()
        assert member.status == Lifecycle.STRUCK_OFF
        cotisation = services.cotisation_open(member=member, year=2027, by=staff)
        assert figures.returning(2027) == 0  # not before the dues are paid
        services.payment_record(
            cotisation=cotisation,
            amount_eur=cotisation.amount_due_eur,
            method="transfer",
            paid_on=date(2027, 2, 1),
            by=staff,
        )
    member.refresh_from_db()
    assert member.status == Lifecycle.ACTIVE and Cotisation.objects.get(member=member, year=2027).is_return
    # a member who was never struck off is not one
    other = population.groups["bo_full"][5]
    dues(other, 2027, "PLEIN")
    assert figures.returning(2027) == 1
    assert figures.payers(2027) == 2


def test_reminder_conversion_counts_payments_within_30_days_of_the_step(population):
    """Per step: people the e-mail reached, and those who paid that year within 30 days after it left."""
    from members import reminders
    from soce.lib.models import EmailStatus, OutgoingEmail
    from soce.lib.reminders.models import Campaign, Delivery, Step

    campaign = Campaign.objects.create(code="cotisations-2026", name="Cotisations 2026", year=2026)
    people = [MemberFactory() for _ in range(6)]

    def step(code, rule, send_on):
        return Step.objects.create(
            campaign=campaign, code=code, name=code, rule=rule, template="members/dues_reminder", send_on=send_on
        )

    def reach(s, member, when, status=EmailStatus.SENT):
        email = OutgoingEmail.objects.create(
            idempotency_key=f"reminder:{s.pk}:{member.pk}",
            template=s.template,
            to=member.email,
            from_email="soce@exemple.fr",
            subject="Cotisation",
            body_text="…",
            status=status,
            sent_at=when if status == EmailStatus.SENT else None,
        )
        return Delivery.objects.create(
            step=s, recipient_key=f"member-{member.pk}", member_id=member.pk, planned_at=when, email=email
        )

    march = step("mars", "members.unpaid_this_year", date(2026, 3, 2))
    sent = aware(2026, 3, 2, 9)
    for m in people[:4]:
        reach(march, m, sent)
    dues(people[0], 2026, "PLEIN", paid_at=sent + timedelta(days=9))  # converted
    dues(people[1], 2026, "PLEIN", paid_at=sent + timedelta(days=45))  # too late
    dues(people[2], 2026, "PLEIN", paid_at=sent - timedelta(days=10))  # paid before the e-mail
    # people[3] never paid
    september = step("septembre", "members.paid_last_year_not_this", date(2026, 9, 1))
    for m in people[4:]:
        reach(september, m, aware(2026, 9, 1, 9))
        dues(m, 2026, "PLEIN", paid_at=aware(2026, 9, 20))  # both converted
    reach(september, MemberFactory(), aware(2026, 9, 1, 9), status=EmailStatus.FAILED)  # never reached anyone
    other_rule = step("autre", "entraide.arrears_friendly", date(2026, 9, 1))
    reach(other_rule, people[3], aware(2026, 9, 1))  # not a dues reminder: left out
    assert [reminders.conversion(march), reminders.conversion(september)] == [1, 2]
    assert figures.reminder_conversion(*YEAR) == Decimal("50.0")  # (1 + 2) / (4 + 2)
    assert figures.reminder_conversion(date(2026, 1, 1), date(2026, 6, 30)) == Decimal("25.0")  # March only
    assert figures.reminder_conversion(date(2025, 1, 1), date(2025, 12, 31)) is None  # nobody reached
    assert metrics.get("reminders.conversion").func(*YEAR) == Decimal("50.0")
