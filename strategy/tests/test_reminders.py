"""Relances du pilotage : un récapitulatif par personne, pas un e-mail par élément."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from soce.lib.emails import render_email
from soce.lib.reminders.registry import get_rule
from strategy import reminders

from .factories import CycleFactory, IndicatorFactory, ObjectiveFactory, TargetFactory, ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]
STEP = SimpleNamespace(params={})


def test_rules_are_registered():
    for code in ("strategy.values_due", "strategy.owners_attention", "strategy.cycle_closing"):
        assert get_rule(code).build


def test_one_digest_per_updater_before_and_after_the_due_date(updater, owner):
    soon = IndicatorFactory(code="soon", name="Conférences", frequency="quarterly", grace_days=30, owner=owner)
    late = IndicatorFactory(code="late", name="Tables rondes", criterion=soon.criterion, owner=owner, grace_days=30)
    for ind in (soon, late):
        ind.updaters.add(updater)
    ValueFactory(indicator=late, period_start=date(2023, 1, 1), period_end=date(2023, 12, 31))
    ValueFactory(indicator=late, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    # on 25/10/2026: Q3 of "soon" is due by 30/10 (within 7 days); 2025 of "late" was due by 30/01/2026
    recipients = list(reminders.values_due(STEP, date(2026, 10, 25)))
    assert len(recipients) == 1
    digest = recipients[0]
    assert digest.to == updater.email
    assert {(i["code"], i["late"]) for i in digest.context["items"]} >= {("soon", False), ("late", True)}
    subject, text, _html = render_email("strategy/values_due", digest.context)
    assert "valeurs d'indicateurs à saisir" in subject
    assert "Conférences" in text and "Tables rondes" in text and "en retard depuis le 30/01/2026" in text
    # same list, same key: sent once
    again = list(reminders.values_due(STEP, date(2026, 10, 25)))
    assert again[0].key == digest.key


def test_owner_hears_about_red_indicators_and_values_to_approve(owner, updater):
    red = IndicatorFactory(code="rouge", name="Tables rondes", owner=owner)
    red.plan.is_current = True
    red.plan.save()
    TargetFactory(indicator=red, value=Decimal(200))
    ValueFactory(indicator=red, value=Decimal(101), period_start=date(2025, 1, 1), period_end=date(2025, 12, 31))
    pending = ValueFactory(
        indicator=red,
        value=Decimal(5),
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
        status="pending",
        entered_by=updater,
    )
    recipients = list(reminders.owners_attention(STEP, date(2026, 1, 10)))
    assert len(recipients) == 1
    context = recipients[0].context
    assert [r["code"] for r in context["red"]] == ["rouge"]
    assert [p["id"] for p in context["pending"]] == [str(pending.public_id)]
    subject, _text, _html = render_email("strategy/owners_attention", context)
    assert "hors trajectoire" in subject and "valeur à valider" in subject


def test_pilots_hear_before_a_cycle_closes(owner):
    objective = ObjectiveFactory(pilot=owner, code="A1.O1")
    ObjectiveFactory(ambition=objective.ambition, pilot=owner, code="A1.O2")
    CycleFactory(plan=objective.plan, ends_on=date(2026, 12, 31), starts_on=date(2026, 10, 1), name="T4 2026")
    recipients = list(reminders.cycle_closing(STEP, date(2026, 12, 24)))
    assert len(recipients) == 1 and len(recipients[0].context["items"]) == 2
    subject, text, _html = render_email("strategy/cycle_closing", recipients[0].context)
    assert "31/12/2026" in subject and "A1.O2" in text
    assert list(reminders.cycle_closing(STEP, date(2026, 11, 1))) == []
