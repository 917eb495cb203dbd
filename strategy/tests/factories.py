from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from strategy.models import (
    Action,
    Ambition,
    Criterion,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Objective,
    Plan,
    ReviewCycle,
)


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("code",)

    code = "demain"
    name = "#DemainLaSoce 2023–2030"
    starts_on = date(2023, 1, 1)
    ends_on = date(2030, 12, 31)
    is_current = True


class AmbitionFactory(DjangoModelFactory):
    class Meta:
        model = Ambition

    plan = factory.SubFactory(PlanFactory)
    code = factory.Sequence(lambda n: f"A{n + 1}")
    title = factory.Sequence(lambda n: f"Ambition {n + 1}")


class ObjectiveFactory(DjangoModelFactory):
    class Meta:
        model = Objective

    ambition = factory.SubFactory(AmbitionFactory)
    plan = factory.SelfAttribute("ambition.plan")
    code = factory.Sequence(lambda n: f"A.O{n + 1}")
    title = factory.Sequence(lambda n: f"Objectif {n + 1}")


class CriterionFactory(DjangoModelFactory):
    class Meta:
        model = Criterion

    objective = factory.SubFactory(ObjectiveFactory)
    code = factory.Sequence(lambda n: f"C{n + 1}")
    statement = factory.Sequence(lambda n: f"Critère clé {n + 1}")


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    criterion = factory.SubFactory(CriterionFactory)
    plan = factory.SelfAttribute("criterion.objective.plan")
    code = factory.Sequence(lambda n: f"indicateur-{n + 1}")
    name = factory.Sequence(lambda n: f"Indicateur {n + 1}")
    kind = Indicator.Kind.MANUAL
    unit = Indicator.Unit.COUNT
    target_type = Indicator.TargetType.INCREASE
    aggregation = Indicator.Aggregation.LAST
    frequency = Indicator.Frequency.YEARLY
    baseline_value = Decimal(100)
    baseline_on = date(2022, 12, 31)


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = IndicatorTarget

    indicator = factory.SubFactory(IndicatorFactory)
    target_on = date(2030, 12, 31)
    value = Decimal(200)


class ValueFactory(DjangoModelFactory):
    """An approved imported value (tests that exercise four eyes go through the services)."""

    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    period_start = date(2024, 1, 1)
    period_end = date(2024, 12, 31)
    value = Decimal(150)
    source = IndicatorValue.Source.IMPORT
    status = IndicatorValue.Status.APPROVED


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    plan = factory.SubFactory(PlanFactory)
    title = factory.Sequence(lambda n: f"Action {n + 1}")


class CycleFactory(DjangoModelFactory):
    class Meta:
        model = ReviewCycle

    plan = factory.SubFactory(PlanFactory)
    name = "T3 2026"
    starts_on = date(2026, 7, 1)
    ends_on = date(2026, 9, 30)
