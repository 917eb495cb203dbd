"""Indicateurs calculés : valeurs officielles à la clôture, valeur en direct, cache, ventilations.

Les « faux » indicateurs comptent des lignes posées à la main : chaque attendu est compté à la main.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from members.tests.factories import CampusFactory, MemberFactory, UserFactory
from soce.lib import metrics
from strategy import computed, rules, selectors, services
from strategy.models import Indicator, IndicatorValue

from .conftest import constant_metric
from .factories import IndicatorFactory, TargetFactory

pytestmark = pytest.mark.django_db


def accounts_opened(start: date, end: date) -> int:
    """Accounts opened in the period: counts rows, so the test can count them by hand."""
    from members.models import User

    return User.objects.filter(date_joined__date__gte=start, date_joined__date__lte=end).count()


def members_by_campus(start: date, end: date) -> dict[str, int]:
    from members.models import Member

    out: dict[str, int] = {}
    for code in Member.objects.values_list("campus__code", flat=True):
        out[code] = out.get(code, 0) + 1
    return out


def opened(year: int, month: int, n: int) -> None:
    for _ in range(n):
        UserFactory(date_joined=datetime(year, month, 15, 12, tzinfo=UTC))


@pytest.fixture
def accounts(registry):
    registry.register(
        metrics.Metric(
            "test.accounts",
            "Comptes ouverts",
            "count",
            accounts_opened,
            aggregation="sum",
            version=3,
            breakdowns={"campus": members_by_campus},
        )
    )
    ind = IndicatorFactory(
        code="comptes",
        kind=Indicator.Kind.COMPUTED,
        metric_code="test.accounts",
        aggregation="sum",
        frequency="quarterly",
        baseline_value=Decimal(0),
        baseline_on=date(2026, 1, 1),
    )
    TargetFactory(indicator=ind, target_on=date(2030, 12, 31), value=Decimal(100))
    return ind


def test_closing_writes_hand_counted_official_values_with_version_and_fingerprint(accounts):
    opened(2026, 2, 3)  # Q1: 3
    opened(2026, 5, 4)  # Q2: 4
    opened(2026, 6, 1)  # Q2: 5
    opened(2026, 11, 2)  # Q4, still open on 22/11
    result = services.periods_close(today=date(2026, 11, 22))
    values = {v.period_start: v for v in accounts.values.all()}
    assert result == {"written": 3, "unavailable": 0}
    assert {k: v.value for k, v in values.items()} == {
        date(2026, 1, 1): Decimal(3),
        date(2026, 4, 1): Decimal(5),
        date(2026, 7, 1): Decimal(0),
    }
    q1 = values[date(2026, 1, 1)]
    assert q1.source == IndicatorValue.Source.COMPUTED and q1.status == IndicatorValue.Status.APPROVED
    assert q1.definition_version == 3 and len(q1.fingerprint) == 64
    assert q1.fingerprint == computed.fingerprint(
        indicator_code="comptes",
        metric_code="test.accounts",
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        value=Decimal(3),
    )
    # idempotent: a second run writes nothing, and rows are never rewritten
    opened(2026, 2, 10)
    assert services.periods_close(today=date(2026, 11, 22))["written"] == 0
    assert accounts.values.get(period_start=date(2026, 1, 1)).value == Decimal(3)


def test_live_value_between_closings_is_cached_until_invalidated(accounts):
    opened(2026, 10, 2)
    opened(2026, 11, 3)
    live = computed.live_values([accounts], date(2026, 11, 22))
    assert live["comptes"]["value"] == Decimal(5)  # Q4 so far
    assert live["comptes"]["start"] == date(2026, 10, 1)
    opened(2026, 11, 1)
    assert computed.live_values([accounts], date(2026, 11, 22))["comptes"]["value"] == Decimal(5)  # cached
    computed.invalidate()
    assert computed.live_values([accounts], date(2026, 11, 22))["comptes"]["value"] == Decimal(6)


def test_approving_a_value_invalidates_the_cache(accounts, owner, updater):
    generation = computed.generation()
    manual = IndicatorFactory(owner=owner)
    manual.updaters.add(updater)
    value = services.value_enter(
        comment="Bilan", indicator=manual, period_start=date(2025, 1, 1), value=3, by=updater, today=date(2026, 1, 5)
    )
    services.value_approve(value=value, by=owner)
    assert computed.generation() > generation


def test_unregistered_metric_is_unavailable_never_zero(registry):
    ind = IndicatorFactory(kind=Indicator.Kind.COMPUTED, metric_code="volunteers.active")
    assert services.periods_close(today=date(2026, 11, 22)) == {"written": 0, "unavailable": 1}
    live = computed.live_values([ind], date(2026, 11, 22))[ind.code]
    assert live == {**live, "available": False, "value": None, "problem": computed.UNAVAILABLE}


def test_a_failing_metric_does_not_break_the_dashboard(registry):
    def broken(start, end):
        raise RuntimeError("bug in another app")

    registry.register(metrics.Metric("test.broken", "Cassé", "count", broken))
    result = computed.compute("test.broken", date(2026, 1, 1), date(2026, 1, 31))
    assert not result.available and result.problem == computed.FAILED


def test_breakdowns_hide_groups_under_five_people(registry):
    registry.register(
        metrics.Metric("test.members", "Membres", "count", lambda s, e: 0, breakdowns={"campus": members_by_campus})
    )
    for code, n in {"Bo": 7, "Cl": 2, "Pa": 6}.items():
        campus = CampusFactory(code=code, name=code)
        MemberFactory.create_batch(n, campus=campus)
    groups, hidden = computed.breakdown("test.members", "campus", date(2026, 1, 1), date(2026, 12, 31))
    assert groups == {"Bo": 7} and hidden == 2  # Cl (2) and, so that it can't be deduced, Pa (6)


@time_machine.travel(date(2026, 11, 22), tick=False)
def test_community_panel_uses_the_2019_report_then_the_registry(registry):
    registry.register(constant_metric("members.payers", {2023: 17000, 2024: 17200, 2025: 17350, 2026: 17400}))
    panel = selectors.community_figures(today=date(2026, 11, 22))
    payers = panel["series"]["members.payers"]
    by_year = dict(zip(payers["years"], payers["values"], strict=True))
    assert by_year[2017] == "16266" and by_year[2018] == "15567" and by_year[2019] == "16700"
    assert payers["sources"][:3] == ["report"] * 3
    assert by_year[2025] == "17350" and payers["sources"][-1] == "live"
    jp = panel["series"]["members.jp_share"]
    assert jp["values"][2] == "31.2" and not jp["available"]  # 5 215 / 16 700, from the report
    assert panel["series"]["entraide.granted_eur"]["values"] == [None] * len(payers["years"])


def test_rules_periods_match_the_official_values(accounts):
    start, end = rules.period_of(accounts.frequency, date(2026, 5, 5))
    assert (start, end) == (date(2026, 4, 1), date(2026, 6, 30))


def test_the_periodic_job_is_scheduled_and_runs(accounts):
    from soce.schedule import PERIODIC_TASKS
    from strategy import tasks

    assert PERIODIC_TASKS["strategy-close-periods"][0] == "strategy.tasks.periods_close"
    opened(2026, 2, 2)
    with time_machine.travel(date(2026, 4, 2), tick=False):
        assert tasks.periods_close.apply().get() == {"written": 1, "unavailable": 0}
    assert accounts.values.get().value == Decimal(2)
