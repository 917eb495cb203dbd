"""Écritures : cibles historisées, quatre yeux, corrections, saisies tardives, actions, points d'étape."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from soce.lib.audit import audit_for
from soce.lib.exceptions import InvalidTransition
from strategy import services
from strategy.models import Action, CheckIn, IndicatorTarget, IndicatorValue

from .factories import ActionFactory, CycleFactory, IndicatorFactory, ObjectiveFactory, TargetFactory, ValueFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 22)


@pytest.fixture
def indicator(owner, updater):
    ind = IndicatorFactory(owner=owner)
    ind.updaters.add(updater)
    TargetFactory(indicator=ind)
    return ind


def test_changing_a_target_after_values_needs_a_reason_and_keeps_history(indicator, strategy_admin):
    ValueFactory(indicator=indicator)
    with pytest.raises(ValidationError, match="motif"):
        services.target_set(indicator=indicator, target_on=date(2030, 12, 31), value=Decimal(250), by=strategy_admin)
    new = services.target_set(
        indicator=indicator, target_on=date(2030, 12, 31), value=Decimal(250), by=strategy_admin, reason="AG 2026"
    )
    history = list(IndicatorTarget.objects.filter(indicator=indicator).order_by("set_at", "pk"))
    assert [t.value for t in history] == [Decimal(200), Decimal(250)]
    assert history[0].superseded_at is not None and history[0].superseded_by == new
    assert new.superseded_at is None
    assert audit_for(indicator).filter(action="strategy.target.set").exists()


def test_only_strategy_admins_change_targets(indicator, bureau_user, owner):
    for user in (bureau_user, owner):
        with pytest.raises(PermissionDenied):
            services.target_set(indicator=indicator, target_on=date(2028, 12, 31), value=Decimal(1), by=user)


def test_four_eyes_enter_then_approve(indicator, updater, owner):
    value = services.value_enter(
        indicator=indicator, period_start=date(2025, 1, 1), value=Decimal(140), by=updater, comment="Bilan", today=TODAY
    )
    assert value.status == IndicatorValue.Status.PENDING
    assert value.late  # 2025 was due by 30/01/2026: entered late, and accepted
    with pytest.raises(ValidationError, match="Quatre yeux"):
        services.value_approve(value=value, by=updater)
    services.value_approve(value=value, by=owner)
    value.refresh_from_db()
    assert value.status == IndicatorValue.Status.APPROVED and value.approved_by == owner


def test_the_database_refuses_self_approval(indicator, updater):
    value = ValueFactory(indicator=indicator, entered_by=updater, status=IndicatorValue.Status.PENDING)
    with pytest.raises(IntegrityError), transaction.atomic():
        IndicatorValue.objects.filter(pk=value.pk).update(approved_by=updater)


def test_nobody_but_updaters_enters_values(indicator, bureau_user):
    with pytest.raises(PermissionDenied):
        services.value_enter(
            comment="Bilan", indicator=indicator, period_start=date(2025, 1, 1), value=1, by=bureau_user, today=TODAY
        )


@pytest.mark.parametrize(
    ("period_start", "message"),
    [(date(2025, 3, 1), "fréquence"), (date(2027, 1, 1), "pas commencé")],
)
def test_period_must_match_frequency_and_have_started(indicator, updater, period_start, message):
    with pytest.raises(ValidationError, match=message):
        services.value_enter(
            comment="Bilan", indicator=indicator, period_start=period_start, value=1, by=updater, today=TODAY
        )


def test_a_correction_supersedes_the_value_once_approved(indicator, updater, owner):
    original = services.value_enter(
        comment="Bilan", indicator=indicator, period_start=date(2024, 1, 1), value=Decimal(120), by=updater, today=TODAY
    )
    services.value_approve(value=original, by=owner)
    with pytest.raises(ValidationError, match="existe déjà"):
        services.value_enter(
            comment="Bilan", indicator=indicator, period_start=date(2024, 1, 1), value=1, by=updater, today=TODAY
        )
    with pytest.raises(ValidationError, match="motif"):
        services.value_correct(original=original, value=Decimal(125), reason="", by=updater)
    fix = services.value_correct(original=original, value=Decimal(125), reason="Oubli d'un atelier", by=updater)
    original.refresh_from_db()
    assert original.status == IndicatorValue.Status.APPROVED  # still the official one until approval
    services.value_approve(value=fix, by=owner)
    original.refresh_from_db()
    fix.refresh_from_db()
    assert original.status == IndicatorValue.Status.SUPERSEDED and original.value == Decimal(120)  # never edited
    assert fix.status == IndicatorValue.Status.APPROVED and fix.supersedes == original


def test_a_rejected_value_needs_a_reason_and_frees_the_period(indicator, updater, owner):
    value = services.value_enter(
        comment="Bilan", indicator=indicator, period_start=date(2025, 1, 1), value=9, by=updater, today=TODAY
    )
    with pytest.raises(ValidationError):
        services.value_reject(value=value, by=owner, reason=" ")
    services.value_reject(value=value, by=owner, reason="Chiffre de 2024 recopié")
    assert services.value_enter(
        comment="Bilan", indicator=indicator, period_start=date(2025, 1, 1), value=10, by=updater, today=TODAY
    )


@pytest.mark.parametrize(("unit", "bad"), [("percent", 101), ("bool", 2), ("count", -1)])
def test_values_respect_the_unit(indicator, updater, unit, bad):
    indicator.unit = unit
    indicator.save()
    with pytest.raises(ValidationError):
        services.value_enter(
            comment="Bilan", indicator=indicator, period_start=date(2025, 1, 1), value=bad, by=updater, today=TODAY
        )


def test_objective_moves_to_another_ambition_with_a_new_code(strategy_admin):
    objective = ObjectiveFactory(code="A2.O3")
    target = ObjectiveFactory(ambition__plan=objective.plan, ambition__code="A3", code="A3.O1").ambition
    services.objective_move(objective=objective, to=target, by=strategy_admin)
    objective.refresh_from_db()
    assert objective.ambition == target and objective.code == "A3.O2"
    assert audit_for(objective).get(action="strategy.objective.move").data["from_code"] == "A2.O3"


def test_action_update_moves_status_through_the_transitions(owner):
    action = ActionFactory(owner=owner)
    services.action_post_update(action=action, by=owner, note="Démarrée", status="in_progress")
    services.action_post_update(action=action, by=owner, note="Bloquée : budget", status="blocked")
    action.refresh_from_db()
    assert action.status == Action.Status.BLOCKED and action.updates.count() == 2
    with pytest.raises(InvalidTransition):
        services.action_post_update(action=action, by=owner, note="?", status="done")  # blocked → done not allowed


def test_checkin_by_the_pilot_only(owner, updater):
    objective = ObjectiveFactory(pilot=owner)
    cycle = CycleFactory(plan=objective.plan)
    with pytest.raises(PermissionDenied):
        services.checkin_record(objective=objective, cycle=cycle, by=updater, status="on_track", confidence=7)
    services.checkin_record(objective=objective, cycle=cycle, by=owner, status="behind", confidence=5, blockers="x")
    services.checkin_record(objective=objective, cycle=cycle, by=owner, status="on_track", confidence=8)
    assert CheckIn.objects.get().confidence == 8
