"""manage.py strategy_seed_plan: the 2023–2030 plan for production, from the strategy document only."""

import io

import pytest
from django.core.management import call_command

from strategy import demo, plan_2030
from strategy.management.commands.strategy_seed_plan import Command
from strategy.models import (
    Action,
    Ambition,
    Axis,
    Criterion,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Objective,
    Plan,
)

from .factories import PlanFactory

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("strategy_seed_plan", stdout=out)
    return out.getvalue()


def test_seeds_vision_axes_ambitions_and_objectives_and_nothing_invented():
    assert "plan créé ; créés : 10 axes, 5 ambitions, 15 objectifs." in seed()
    plan = Plan.objects.get(code="demain-la-soce")
    assert plan.is_current and plan.vision.startswith("Devenir une force d'influence")
    assert (plan.starts_on.year, plan.ends_on.year) == (2023, 2030)
    assert Axis.objects.filter(plan=plan).count() == 10
    assert list(Ambition.objects.filter(plan=plan).order_by("position").values_list("code", "title")) == [
        ("A1", "Nous affirmer comme leader"),
        ("A2", "Unir pour agir, fiers d'être Gadzarts"),
        ("A3", "Valoriser nos savoir-faire"),
        ("A4", "Faire valoir l'attractivité de notre formation"),
        ("A5", "Humanisme et Fraternité"),
    ]
    assert Objective.objects.filter(plan=plan).count() == 15
    assert Objective.objects.get(plan=plan, code="A5.O3").title.startswith("Développer le mentorat")
    for model in (Criterion, Indicator, IndicatorTarget, IndicatorValue, Action):
        assert not model.objects.exists(), model


def test_running_it_again_changes_nothing_and_keeps_staff_edits():
    seed()
    plan = Plan.objects.get(code="demain-la-soce")
    moved = Objective.objects.get(plan=plan, code="A2.O3")  # staff move it to ambition 3 as A3.O4
    moved.ambition = Ambition.objects.get(plan=plan, code="A3")
    moved.code = "A3.O4"
    moved.save()
    Objective.objects.filter(plan=plan, code="A1.O1").update(title="Peser sur les décideurs")  # reworded
    Ambition.objects.filter(plan=plan, code="A1").update(statement="Énoncé revu par le Bureau")
    assert "déjà complet" in seed()
    assert Objective.objects.filter(plan=plan).count() == 15
    assert Ambition.objects.get(plan=plan, code="A1").statement == "Énoncé revu par le Bureau"
    Objective.objects.filter(plan=plan, code="A4.O2").delete()
    assert "créés : 0 axe, 0 ambition, 1 objectif." in seed()  # what is missing is created again
    assert Plan.objects.count() == 1


def test_another_plan_in_force_stays_in_force():
    current = PlanFactory(code="plan-2019", is_current=True)
    seed()
    current.refresh_from_db()
    assert current.is_current and not Plan.objects.get(code="demain-la-soce").is_current


def test_its_help_says_what_it_does():
    text = Command.help
    assert "2023–2030" in text and "Sans risque à relancer" in text and "Aucune donnée inventée" in text


def test_the_demo_plan_uses_the_same_wording():
    assert [(a[0], a[1], a[2], [o[0] for o in a[3]]) for a in demo.PLAN] == [
        (code, title, statement, objectives) for code, title, statement, objectives in plan_2030.AMBITIONS
    ]
