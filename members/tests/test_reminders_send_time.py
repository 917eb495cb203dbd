"""Dues reminders checked when each e-mail leaves, and conversion counted from the actual send."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from members import services
from members.models import Cotisation, CotisationStatus
from members.tests.factories import MemberFactory
from soce.lib.emails import outbox_dispatch_due
from soce.lib.models import EmailStatus, OutgoingEmail
from soce.lib.reminders import services as reminders

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("grids")]

START = timezone.make_aware(datetime(2026, 3, 2, 9, 0))


def _step(code="mars", rule="members.unpaid_this_year", rate=1):
    step = reminders.step_ensure(
        code=code,
        name="Relance de mars",
        rule=rule,
        template="members/dues_reminder",
        send_on=date(2026, 3, 1),
        params={"year": 2026},
        campaign="cotisations-2026",
    )
    step.campaign.rate_per_minute = rate
    step.campaign.save()
    return step


def _pay(member, staff_user):
    cot = services.cotisation_open(member=member, year=2026, by=None)
    services.payment_record(
        cotisation=cot, amount_eur=cot.amount_due_eur, method="cheque", paid_on=timezone.localdate(), by=staff_user
    )


def test_who_pays_or_declares_a_payment_during_the_throttled_send_is_not_reminded(
    staff_user, django_capture_on_commit_callbacks
):
    first, payer, declarer, other = (MemberFactory(paid_through_year=2025) for _ in range(4))
    step = _step()
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert reminders.step_run(step=step).queued == 4  # one a minute: three wait for the dispatcher
    assert [m.to[0] for m in mail.outbox] == [first.email]
    with (
        time_machine.travel(START + timedelta(seconds=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _pay(payer, staff_user)
        services.cotisation_open(member=declarer, year=2026, method="cheque", by=None)  # « j'ai envoyé un chèque »
    mail.outbox.clear()
    with (
        time_machine.travel(START + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        outbox_dispatch_due()
    assert [m.to[0] for m in mail.outbox] == [other.email]
    paid = OutgoingEmail.objects.get(to=payer.email)
    declared = OutgoingEmail.objects.get(to=declarer.email)
    assert paid.status == declared.status == EmailStatus.CANCELLED
    assert "réglé la cotisation 2026" in paid.last_error
    assert "déclaré un paiement 2026" in declared.last_error
    results = reminders.step_results(step=step)
    assert (results["sent"], results["skipped"], results["pending"]) == (2, 2, 0)


def test_conversion_counts_from_the_actual_send_and_only_delivered_emails(
    staff_user, django_capture_on_commit_callbacks
):
    late_payer, failed_payer, converted, slow = (MemberFactory(paid_through_year=2025) for _ in range(4))
    step = _step(rate=1000)
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders.step_run(step=step)
    # The e-mails left later than planned (a queue backlog); one of them bounced for good.
    OutgoingEmail.objects.update(sent_at=START + timedelta(days=2))
    OutgoingEmail.objects.filter(to=failed_payer.email).update(status=EmailStatus.FAILED, sent_at=None)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        _pay(late_payer, staff_user)  # paid after the planned time but before the e-mail left: not converted
    with time_machine.travel(START + timedelta(days=5), tick=False):
        _pay(failed_payer, staff_user)  # never got it: not converted
        _pay(converted, staff_user)
    with time_machine.travel(START + timedelta(days=40), tick=False):
        _pay(slow, staff_user)  # more than 30 days after
    assert Cotisation.objects.filter(status=CotisationStatus.PAID).count() == 4
    results = reminders.step_results(step=step)
    assert results["sent"] == 3 and results["failed"] == 1
    assert results["converted"] == 1
    assert results["conversion_rate"] == pytest.approx(1 / 3)


def test_conversion_over_several_steps_is_a_service_for_the_dashboard(staff_user, django_capture_on_commit_callbacks):
    members = [MemberFactory(paid_through_year=2025) for _ in range(4)]
    march, may = _step(rate=1000), _step(code="mai", rate=1000)
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        reminders.step_run(step=march)
        reminders.step_run(step=may)
    OutgoingEmail.objects.filter(to=members[3].email).update(status=EmailStatus.FAILED, sent_at=None)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        _pay(members[0], staff_user)
    totals = reminders.conversion_totals(steps=[march, may])
    # 3 delivered per step; members[0] paid within 30 days of both; the failed e-mails are not counted
    assert totals == {"sent": 6, "converted": 2, "rate": pytest.approx(1 / 3)}
