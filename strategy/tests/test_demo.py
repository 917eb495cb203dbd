"""Le semeur de démonstration : plan #DemainLaSoce, plan 2019, valeurs, actions, dossier ; idempotent."""

import io
import random
from datetime import date

import pytest
import time_machine

from members.tests.factories import UserFactory
from strategy import demo
from strategy.models import Action, Ambition, Axis, BoardPack, CheckIn, Indicator, IndicatorValue, Objective, Plan

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]


@time_machine.travel(date(2026, 11, 22), tick=False)
def test_demo_seeds_the_2030_plan_and_the_2019_plan(django_capture_on_commit_callbacks):
    for local in ("bureau", "secretariat", "entraide", "benevolat", "benevole"):
        UserFactory(email=f"{local}@{demo.DEMO_DOMAIN}", is_staff=local != "benevole")
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(rng=random.Random("2030:strategy"), stdout=out, options={})
    plan = Plan.objects.get(code=demo.PLAN_CODE)
    assert plan.is_current and Plan.objects.filter(code="plan-2019").exists()
    assert Ambition.objects.filter(plan=plan).count() == 5
    assert Objective.objects.filter(plan=plan).count() == 15
    assert Axis.objects.filter(plan=plan).count() == 10
    computed = Indicator.objects.filter(plan=plan, kind="computed")
    assert set(computed.values_list("metric_code", flat=True)) >= {"members.payers", "entraide.repayment_rate"}
    # no metric is registered here: computed indicators get labelled demo values, never zeros
    assert IndicatorValue.objects.filter(indicator__in=computed, source="import").exists()
    assert IndicatorValue.objects.filter(status="pending").exists()
    assert IndicatorValue.objects.filter(status="superseded").count() == 1
    assert Action.objects.filter(status="blocked").exists() and CheckIn.objects.exists()
    assert BoardPack.objects.get().status == BoardPack.Status.READY
    demo.seed(rng=random.Random("2030:strategy"), stdout=out, options={})  # idempotent
    assert Plan.objects.count() == 2 and BoardPack.objects.count() == 1
