"""`seed_demo --scale large` for the strategy: ~150 indicators with targets and seven years of values.

Sizes are module constants of strategy.demo lowered here. Also the demo figures invented for computed
indicators whose source has no figure: a percentage never goes past 100 (the 100.8 % repayment rate
seen on the dashboard was 90 % × 1.12 from that fallback).
"""

import io
import random
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from conftest import login_with_mfa, staff_user_with
from members.tests.factories import UserFactory
from soce.lib import roles
from strategy import demo, rules, selectors, services
from strategy.models import Criterion, Indicator, IndicatorValue, Plan
from strategy.tests.conftest import TODAY, constant_metric

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]

SMALL_PLAN = 30  # indicators of the small 2023–2030 plan
ADDED = 40
ACCOUNTS = ("bureau", "secretariat", "entraide", "benevolat", "benevole", "membre", "comite3")


def accounts():
    for local in ACCOUNTS:
        email = f"{local}@{demo.DEMO_DOMAIN}"
        if local == "bureau":
            staff_user_with(roles.BUREAU, email)
        else:
            UserFactory(email=email, is_staff=local != "benevole")


def seed(django_capture_on_commit_callbacks, **options) -> str:
    out = io.StringIO()
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        demo.seed(rng=random.Random("2030:strategy"), stdout=out, options=options)
    return out.getvalue()


def test_demo_figures_of_percentages_stay_within_100(django_capture_on_commit_callbacks):
    accounts()
    seed(django_capture_on_commit_callbacks)  # no metric registered: computed indicators get demo figures
    invented = IndicatorValue.objects.filter(source="import", indicator__unit="percent")
    assert invented.filter(indicator__code="remboursement").exists()
    assert max(invented.values_list("value", flat=True)) <= Decimal(100)


def test_large_branch_adds_indicators_with_targets_and_values(
    monkeypatch, registry, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(demo, "LARGE_INDICATORS", SMALL_PLAN + ADDED)
    # Two sources with figures (official values), the others without (labelled demo values).
    registry.register(constant_metric("members.payers", {y: 15000 + 300 * (y - 2018) for y in range(2018, 2027)}))
    registry.register(
        constant_metric("entraide.granted_eur", {y: Decimal(150000 + 5000 * (y - 2018)) for y in range(2018, 2027)})
    )
    accounts()
    out = seed(django_capture_on_commit_callbacks, scale="large", seed=2030)
    assert f"volume large, {ADDED} indicateurs" in out
    plan = Plan.objects.get(code=demo.PLAN_CODE)
    assert Indicator.objects.filter(plan=plan).count() == SMALL_PLAN + ADDED
    assert not Criterion.objects.filter(objective__plan=plan, indicators__isnull=True).exists()
    added = list(
        Indicator.objects.filter(plan=plan, position__gt=SMALL_PLAN).prefetch_related("targets", "updaters", "values")
    )
    assert len(added) == ADDED
    assert {i.kind for i in added} == {"computed", "manual"}
    assert {i.frequency for i in added} == {"yearly", "quarterly", "monthly"}
    assert {i.target_type for i in added} >= {"increase", "decrease", "above", "below", "between", "milestone"}
    for indicator in added:
        sheet = (indicator.definition, indicator.data_source, indicator.collection_method, indicator.limitations)
        assert all(sheet), indicator.code
        targets = list(indicator.targets.all())
        assert targets, indicator.code
        assert rules.config_error(selectors.definition_of(indicator, targets)) is None, indicator.code
        values = sorted(indicator.values.all(), key=lambda v: v.period_start)
        assert all(v.status == "approved" for v in values)
        if indicator.is_computed:
            assert {v.period_start.year for v in values} == set(range(indicator.baseline_on.year, TODAY.year))
            sources = {v.source for v in values}
            if indicator.metric_code in ("members.payers", "entraide.granted_eur"):
                assert sources == {"computed"} and all(v.fingerprint and v.definition_version for v in values)
            else:
                assert sources == {"import"}
            continue
        first_year = demo.LARGE_FIRST_YEAR if indicator.frequency == "yearly" else demo.LARGE_FIRST_YEAR + 1
        expected = rules.periods_between(
            indicator.frequency, date(first_year, 1, 1), rules.last_closed_period(indicator.frequency, TODAY)[1]
        )
        assert [(v.period_start, v.period_end) for v in values] == expected, indicator.code
        if indicator.frequency == "yearly":
            assert len(values) == 7  # 2019 to 2025
        updaters = set(indicator.updaters.all())
        for value in values:  # four eyes: a contributor enters, the owner approves
            assert value.entered_by in updaters and value.approved_by == indicator.owner
            assert value.entered_by != value.approved_by
            assert value.source == "manual" and value.approved_at >= value.entered_at
            if indicator.unit == "percent":
                assert Decimal(0) <= value.value <= Decimal(100)
    # The nightly closing finds every past period of the added computed indicators already closed.
    with time_machine.travel(TODAY, tick=False):
        assert services.periods_close(today=TODAY)["written"] == 0


def test_dashboard_renders_with_the_large_plan(monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(demo, "LARGE_INDICATORS", SMALL_PLAN + ADDED)
    accounts()
    seed(django_capture_on_commit_callbacks, scale="large", seed=2030)
    client = login_with_mfa(Client(), get_user_model().objects.get(email=f"bureau@{demo.DEMO_DOMAIN}"))
    with time_machine.travel(TODAY, tick=False):
        response = client.get("/pilotage/")
    assert response.status_code == 200
    assert "tribunes-national" in response.content.decode() or "Tribunes" in response.content.decode()
