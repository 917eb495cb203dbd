"""Relances du pilotage : un récapitulatif par personne et par jour, pas un e-mail par élément."""

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from soce.lib.emails import render_email
from soce.lib.models import OutgoingEmail
from soce.lib.reminders import services as reminder_services
from soce.lib.reminders.models import Step
from soce.lib.reminders.registry import get_rule
from strategy import reminders, services

from .factories import CycleFactory, IndicatorFactory, ObjectiveFactory, TargetFactory, ValueFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]
STEP = SimpleNamespace(params={})


def at(day: date, hour: int = 7):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def test_the_digest_rule_is_registered_and_the_per_topic_ones_are_retired():
    assert get_rule("strategy.digest").build is reminders.digest
    for code in reminders.RETIRED_RULES:
        assert list(get_rule(code).build(STEP, date(2026, 10, 25))) == []


def test_updater_digest_before_and_after_the_due_date(updater, owner):
    soon = IndicatorFactory(code="soon", name="Conférences", frequency="quarterly", grace_days=30, owner=owner)
    late = IndicatorFactory(code="late", name="Tables rondes", criterion=soon.criterion, owner=owner, grace_days=30)
    for ind in (soon, late):
        ind.updaters.add(updater)
    ValueFactory(indicator=late, period_start=date(2023, 1, 1), period_end=date(2023, 12, 31))
    ValueFactory(indicator=late, period_start=date(2024, 1, 1), period_end=date(2024, 12, 31))
    # on 25/10/2026: Q3 of "soon" is due by 30/10 (within 7 days); 2025 of "late" was due by 30/01/2026
    recipients = [r for r in reminders.digest(STEP, date(2026, 10, 25)) if r.to == updater.email]
    assert len(recipients) == 1
    digest = recipients[0]
    assert {(i["code"], i["late"]) for i in digest.context["items"]} >= {("soon", False), ("late", True)}
    subject, text, _html = render_email("strategy/digest", digest.context)
    assert "à voir aujourd'hui" in subject
    assert "Conférences" in text and "Tables rondes" in text and "en retard depuis le 30/01/2026" in text
    # same list, same key: sent once
    again = [r for r in reminders.digest(STEP, date(2026, 10, 25)) if r.to == updater.email]
    assert again[0].key == digest.key


def everything_for_one_person(person, updater):
    """`person` enters a value that is due, owns a red indicator with a value to approve, and pilots an
    objective whose review cycle ends soon: three topics that used to be three e-mails."""
    red = IndicatorFactory(code="rouge", name="Tables rondes", owner=person, grace_days=30)
    red.plan.is_current = True
    red.plan.save()
    red.updaters.add(person)  # person also enters its values: 2026 is due by the end of January 2027
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
    objective = ObjectiveFactory(pilot=person, code="A1.O1", ambition=red.criterion.objective.ambition)
    CycleFactory(plan=objective.plan, ends_on=date(2026, 12, 31), starts_on=date(2026, 10, 1), name="T4 2026")
    return red, pending


def test_one_digest_covers_values_due_red_indicators_approvals_and_cycles(owner, updater):
    _red, pending = everything_for_one_person(owner, updater)
    recipients = [r for r in reminders.digest(STEP, date(2026, 12, 24)) if r.to == owner.email]
    assert len(recipients) == 1
    context = recipients[0].context
    assert [(i["code"], i["period"][0].year, i["late"]) for i in context["items"]] == [
        ("rouge", 2022, True),
        ("rouge", 2023, True),
    ]
    assert [r["code"] for r in context["red"]] == ["rouge"]
    assert [p["id"] for p in context["pending"]] == [str(pending.public_id)]
    assert [i["objective"].code for i in context["cycles"]] == ["A1.O1"]  # the other objective has no pilot
    subject, text, html = render_email("strategy/digest", context)
    assert subject.strip() == "Pilotage : 5 points à voir aujourd'hui"
    assert "Valeurs à saisir" in text and "hors trajectoire" in text and "attendent votre validation" in text
    assert "Points d'étape" in text and "31/12/2026" in text and "A1.O1" in html


def test_through_the_engine_one_email_per_person_per_day(owner, updater):
    everything_for_one_person(owner, updater)
    services.reminders_ensure()
    step = Step.objects.get(code="strategy-digest")
    assert step.rolling and step.rule == "strategy.digest"
    day = date(2026, 12, 24)
    with time_machine.travel(at(day), tick=False):
        reminder_services.step_run(step=step, now=at(day))
    assert OutgoingEmail.objects.filter(to=owner.email).count() == 1
    # later that day a new item turns up: still nothing more before tomorrow
    with time_machine.travel(at(day, 15), tick=False):
        ObjectiveFactory(pilot=owner, code="A1.O9", ambition=ambition_piloted_by(owner))
        reminder_services.step_run(step=step, now=at(day, 15))
    assert OutgoingEmail.objects.filter(to=owner.email).count() == 1
    # the next day the changed list goes out, once
    nxt = date(2026, 12, 25)
    with time_machine.travel(at(nxt), tick=False):
        reminder_services.step_run(step=step, now=at(nxt))
        reminder_services.step_run(step=step, now=at(nxt, 8))
    assert OutgoingEmail.objects.filter(to=owner.email).count() == 2


def ambition_piloted_by(owner):
    from strategy.models import Objective

    return Objective.objects.filter(pilot=owner).first().ambition


def test_reminders_ensure_is_idempotent_and_pauses_the_retired_steps():
    old = reminder_services.step_ensure(
        code="strategy-values-due",
        name="Pilotage : valeurs à saisir",
        rule="strategy.values_due",
        template="strategy/values_due",
        rolling=True,
        is_reminder=False,
        campaign="strategy",
    )
    services.reminders_ensure()
    services.reminders_ensure()
    assert Step.objects.filter(code="strategy-digest").count() == 1
    old.refresh_from_db()
    assert old.paused


def test_the_nightly_task_creates_the_digest_step():
    from strategy import tasks

    with time_machine.travel(date(2026, 4, 2), tick=False):
        tasks.periods_close.apply().get()
    assert Step.objects.filter(code="strategy-digest", rule="strategy.digest").exists()


def test_pilots_hear_before_a_cycle_closes(owner):
    objective = ObjectiveFactory(pilot=owner, code="A1.O1")
    ObjectiveFactory(ambition=objective.ambition, pilot=owner, code="A1.O2")
    CycleFactory(plan=objective.plan, ends_on=date(2026, 12, 31), starts_on=date(2026, 10, 1), name="T4 2026")
    recipients = list(reminders.digest(STEP, date(2026, 12, 24)))
    assert len(recipients) == 1 and len(recipients[0].context["cycles"]) == 2
    _subject, text, _html = render_email("strategy/digest", recipients[0].context)
    assert "31/12/2026" in text and "A1.O2" in text
    assert list(reminders.digest(STEP, date(2026, 11, 1))) == []
