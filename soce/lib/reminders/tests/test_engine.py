from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from soce.lib.emails import outbox_dispatch_due
from soce.lib.models import EmailStatus, OutgoingEmail
from soce.lib.reminders import services
from soce.lib.reminders.models import Delivery, Step, StepStatus
from soce.lib.reminders.registry import AudienceRule, Recipient, register

pytestmark = pytest.mark.django_db

PEOPLE: list[int] = []
FAIL_AFTER: dict[str, int] = {}


def _build(step, today):
    for n, i in enumerate(PEOPLE):
        if "n" in FAIL_AFTER and n >= FAIL_AFTER["n"]:
            raise ConnectionError("le worker s'arrête au milieu du lot")
        yield Recipient(key=f"p-{i}", to=f"p{i}@exemple.fr", context={"name": f"P{i}"}, member_id=i)


register(AudienceRule(code="tests.people", label="Personnes de test", build=_build))


@pytest.fixture(autouse=True)
def _people():
    PEOPLE[:] = list(range(1, 6))
    FAIL_AFTER.clear()
    yield


def _step(**kwargs):
    defaults = {
        "code": "test-step",
        "name": "Rappel",
        "rule": "tests.people",
        "template": "reminders/test",
        "send_on": timezone.localdate(),
        "campaign": "tests",
    }
    return services.step_ensure(**{**defaults, **kwargs})


def test_step_reaches_each_person_once_even_when_run_twice(django_capture_on_commit_callbacks):
    step = _step()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.step_run(step=step)
    step.status = StepStatus.SCHEDULED  # force a second pass as if the task were replayed
    Step.objects.filter(pk=step.pk).update(status=StepStatus.SCHEDULED)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.step_run(step=step)
    assert first.queued == 5
    assert second.queued == 0 and second.already_sent == 5
    assert OutgoingEmail.objects.count() == 5
    assert len(mail.outbox) == 5
    assert sorted(m.subject for m in mail.outbox)[0] == "Rappel pour P1"


def test_interrupted_run_resumes_without_duplicates(django_capture_on_commit_callbacks):
    step = _step()
    FAIL_AFTER["n"] = 3
    with pytest.raises(ConnectionError), django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, batch_size=2)
    assert Delivery.objects.count() == 2  # the first batch was committed, the second was not
    step.refresh_from_db()
    assert step.status == StepStatus.SCHEDULED and step.claimed_at is None
    FAIL_AFTER.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, batch_size=2)
    assert Delivery.objects.count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{i}@exemple.fr" for i in PEOPLE)


def test_overlapping_run_is_refused_while_another_holds_the_step():
    step = _step()
    Step.objects.filter(pk=step.pk).update(claimed_at=timezone.now())
    assert services.step_run(step=step).skipped == "déjà en cours"
    # a claim left by a worker that died is taken over after the timeout
    Step.objects.filter(pk=step.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    assert services.step_run(step=step).queued == 5


def test_throttle_plans_the_batch_minute_by_minute(django_capture_on_commit_callbacks):
    step = _step()
    step.campaign.rate_per_minute = 2
    step.campaign.save()
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    minutes = sorted(int((d.planned_at - start).total_seconds() // 60) for d in Delivery.objects.all())
    assert minutes == [0, 0, 1, 1, 2]
    assert len(mail.outbox) == 2  # the first minute leaves now, the rest waits for the dispatcher
    planned = OutgoingEmail.objects.filter(status=EmailStatus.QUEUED)
    assert planned.count() == 3
    with time_machine.travel(start + timedelta(minutes=1, seconds=5)), django_capture_on_commit_callbacks(execute=True):
        assert outbox_dispatch_due() == 2
        assert outbox_dispatch_due() == 0  # already handed out
    assert len(mail.outbox) == 4


def test_missed_step_is_caught_up_once():
    step = _step(send_on=date(2026, 3, 1))
    assert services.steps_run_due(now=timezone.now()) == [step.pk]
    services.step_run(step=step)
    step.refresh_from_db()
    assert step.status == StepStatus.DONE
    assert services.steps_run_due() == []


def test_future_and_paused_steps_do_not_run():
    future = _step(code="future", send_on=timezone.localdate() + timedelta(days=3))
    paused = _step(code="paused")
    services.step_set_paused(step=paused, paused=True, by=None)
    assert services.steps_run_due() == []
    assert services.step_run(step=future).skipped == "pas due"
    assert services.step_run(step=paused).skipped == "pas due"


def test_rolling_step_sends_new_milestones_only(django_capture_on_commit_callbacks):
    step = _step(code="rolling", rolling=True, send_on=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step)
    PEOPLE.append(6)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.step_run(step=step)
    assert again.queued == 1
    step.refresh_from_db()
    assert step.status == StepStatus.SCHEDULED  # a rolling step never ends
    assert len(mail.outbox) == 6


def test_preview_counts_and_renders_for_a_chosen_member():
    step = _step()
    preview = services.step_preview(step=step, member_id=3)
    assert preview["count"] == 5
    assert preview["sample"]["to"] == "p3@exemple.fr"
    assert "P3" in preview["sample"]["text"]
    assert OutgoingEmail.objects.count() == 0


def test_results_count_sent_and_failed(django_capture_on_commit_callbacks):
    step = _step()
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step)
    OutgoingEmail.objects.filter(to="p1@exemple.fr").update(status=EmailStatus.FAILED)
    results = services.step_results(step=step)
    assert results == {
        "total": 5,
        "sent": 4,
        "failed": 1,
        "skipped": 0,
        "held": 0,
        "pending": 0,
        "converted": None,
        "conversion_rate": None,
    }


# --- Pause: e-mails already planned by the throttle wait while the step is paused ---------------


def _throttled_step(rate=2, **kwargs):
    step = _step(**kwargs)
    step.campaign.rate_per_minute = rate
    step.campaign.save()
    return step


def test_pausing_holds_planned_emails_and_resuming_sends_each_once(django_capture_on_commit_callbacks):
    step = _throttled_step()
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    assert len(mail.outbox) == 2  # the first minute left, three wait for the dispatcher
    services.step_set_paused(step=step, paused=True, by=None)
    assert OutgoingEmail.objects.filter(status=EmailStatus.HELD).count() == 3
    with time_machine.travel(start + timedelta(minutes=5)), django_capture_on_commit_callbacks(execute=True):
        assert outbox_dispatch_due() == 0  # nothing of the paused step is handed out
    assert len(mail.outbox) == 2
    with time_machine.travel(start + timedelta(minutes=10)):
        with django_capture_on_commit_callbacks(execute=True):
            services.step_set_paused(step=step, paused=False, by=None)
        # re-planned at the campaign's rate from the resume: two now, one a minute later
        assert len(mail.outbox) == 4
        assert OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).count() == 1
    with (
        time_machine.travel(start + timedelta(minutes=11, seconds=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert outbox_dispatch_due() == 1
    with time_machine.travel(start + timedelta(minutes=12)), django_capture_on_commit_callbacks(execute=True):
        services.step_set_paused(step=step, paused=False, by=None)  # resuming twice releases nothing more
        assert outbox_dispatch_due() == 0
    assert len(mail.outbox) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"p{i}@exemple.fr" for i in PEOPLE)
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == 5


def test_an_email_already_handed_to_a_worker_when_the_step_is_paused_waits(django_capture_on_commit_callbacks):
    from soce.lib.tasks import outgoing_email_send

    step = _throttled_step(rate=1)
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    late = OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).order_by("not_before").first()
    # The dispatcher handed it out just before the pause: the task is in the broker, the row QUEUED.
    OutgoingEmail.objects.filter(pk=late.pk).update(not_before=None, enqueued_at=start)
    Step.objects.filter(pk=step.pk).update(paused=True)  # paused between the hand-out and the worker
    assert outgoing_email_send.apply(args=(late.pk,)).get() is False
    late.refresh_from_db()
    assert late.status == EmailStatus.HELD and "pause" in late.last_error
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.step_set_paused(step=step, paused=False, by=None)
    outgoing_email_send.apply(args=(late.pk,))  # the stale task, delivered again by the broker
    with time_machine.travel(timezone.now() + timedelta(minutes=10)), django_capture_on_commit_callbacks(execute=True):
        outbox_dispatch_due()
    assert [m.to[0] for m in mail.outbox].count(late.to) == 1
    assert len(mail.outbox) == 5


def test_pausing_the_campaign_holds_its_steps_emails(django_capture_on_commit_callbacks):
    step = _throttled_step()
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    services.campaign_set_paused(campaign=step.campaign, paused=True, by=None)
    with time_machine.travel(start + timedelta(minutes=5)), django_capture_on_commit_callbacks(execute=True):
        assert outbox_dispatch_due() == 0
        services.campaign_set_paused(campaign=step.campaign, paused=False, by=None)
    with time_machine.travel(start + timedelta(minutes=8)), django_capture_on_commit_callbacks(execute=True):
        outbox_dispatch_due()
    assert len(mail.outbox) == 5


def test_a_pause_taken_during_a_run_stops_it_at_the_next_batch(django_capture_on_commit_callbacks):
    step = _step()
    calls = {"n": 0}

    def build(step_, today):
        for i in PEOPLE:
            calls["n"] += 1
            if calls["n"] == 3:  # the secretariat pauses while the second batch is built
                Step.objects.filter(pk=step_.pk).update(paused=True)
            yield Recipient(key=f"p-{i}", to=f"p{i}@exemple.fr", context={"name": f"P{i}"}, member_id=i)

    register(AudienceRule(code="tests.paused_midway", label="x", build=build))
    Step.objects.filter(pk=step.pk).update(rule="tests.paused_midway")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.step_run(step=step, batch_size=2)
    assert result.queued == 2 and result.skipped == services.SKIP_PAUSED
    step.refresh_from_db()
    assert step.status == StepStatus.SCHEDULED and step.claimed_at is None  # not done: resumed later
    with django_capture_on_commit_callbacks(execute=True):
        services.step_set_paused(step=step, paused=False, by=None)  # resuming runs the rest (eager here)
    assert Delivery.objects.count() == 5 and len(mail.outbox) == 5


# --- Re-check just before sending -----------------------------------------------------------------

GONE: dict[str, str] = {}


def _recheck(step, key, member_id, today):
    return GONE.get(key, "")


register(AudienceRule(code="tests.rechecked", label="Personnes revérifiées", build=_build, recheck=_recheck))


def test_recipient_who_left_the_audience_before_the_send_is_skipped_with_the_reason(
    django_capture_on_commit_callbacks,
):
    GONE.clear()
    step = _throttled_step(rule="tests.rechecked", code="rechecked")
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    assert len(mail.outbox) == 2
    GONE["p-4"] = "A réglé sa cotisation entre-temps."  # p4 is planned for the second minute
    with time_machine.travel(start + timedelta(minutes=3)), django_capture_on_commit_callbacks(execute=True):
        outbox_dispatch_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["p1@exemple.fr", "p2@exemple.fr", "p3@exemple.fr", "p5@exemple.fr"]
    skipped = OutgoingEmail.objects.get(to="p4@exemple.fr")
    assert skipped.status == EmailStatus.CANCELLED
    assert skipped.last_error == "A réglé sa cotisation entre-temps."
    results = services.step_results(step=step)
    assert results["sent"] == 4 and results["skipped"] == 1 and results["pending"] == 0
    # exactly once still: the step run again does not plan p4 again
    Step.objects.filter(pk=step.pk).update(status=StepStatus.SCHEDULED)
    GONE.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.step_run(step=step).queued == 0
    assert len(mail.outbox) == 4


def test_members_who_unsubscribe_before_the_send_are_skipped(django_capture_on_commit_callbacks):
    from members.tests.factories import MemberFactory

    members = [MemberFactory(email=f"m{i}@exemple.fr") for i in range(3)]
    PEOPLE[:] = [m.pk for m in members]

    def build(step_, today):
        for m in members:
            yield Recipient(key=f"m-{m.pk}", to=m.email, context={"name": m.first_name}, member_id=m.pk)

    register(AudienceRule(code="tests.members", label="Membres", build=build))
    step = _throttled_step(rate=1, rule="tests.members", code="members")
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    type(members[2]).objects.filter(pk=members[2].pk).update(reminders_opt_out=True)
    with time_machine.travel(start + timedelta(minutes=3)), django_capture_on_commit_callbacks(execute=True):
        outbox_dispatch_due()
    assert sorted(m.to[0] for m in mail.outbox) == ["m0@exemple.fr", "m1@exemple.fr"]
    assert OutgoingEmail.objects.get(to="m2@exemple.fr").status == EmailStatus.CANCELLED


# --- One-click unsubscribe on every reminder step reaching members ----------------------------------


@pytest.mark.parametrize("is_reminder", [True, False])
def test_the_engine_adds_one_click_unsubscribe_to_reminder_steps_only(is_reminder, django_capture_on_commit_callbacks):
    from members.tests.factories import MemberFactory

    member, gone = MemberFactory(email="m@exemple.fr"), MemberFactory(email="g@exemple.fr", reminders_opt_out=True)

    def build(step_, today):  # like volunteers' re-signing reminders: the rule adds no header itself
        for m in (member, gone):
            yield Recipient(key=f"m-{m.pk}", to=m.email, context={"name": m.first_name}, member_id=m.pk)
        yield Recipient(key="not-a-member", to="x@exemple.fr", context={"name": "X"})

    register(AudienceRule(code="tests.unsubscribable", label="Membres", build=build))
    step = _step(rule="tests.unsubscribable", code=f"unsub-{is_reminder}", is_reminder=is_reminder)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step)
    by_to = {m.to[0]: m for m in mail.outbox}
    if is_reminder:
        assert set(by_to) == {"m@exemple.fr", "x@exemple.fr"}  # who opted out gets no reminder
        headers = by_to["m@exemple.fr"].extra_headers
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["List-Unsubscribe"].startswith("<http") and "/desabonnement/" in headers["List-Unsubscribe"]
        assert "List-Unsubscribe" not in by_to["x@exemple.fr"].extra_headers  # no member: nothing to opt out of
        preview = services.step_preview(step=step, member_id=member.pk)
        # The same link for the same member (the signed token carries its second: compare what it says).
        sampled = preview["sample"]["headers"]["List-Unsubscribe"]
        assert sampled.rsplit("/", 2)[0] == headers["List-Unsubscribe"].rsplit("/", 2)[0]
        assert _unsubscribes(sampled) == _unsubscribes(headers["List-Unsubscribe"]) == member
    else:
        assert set(by_to) == {"m@exemple.fr", "g@exemple.fr", "x@exemple.fr"}  # a call reaches everyone
        assert all("List-Unsubscribe" not in m.extra_headers for m in mail.outbox)


# --- The claim is a lease ---------------------------------------------------------------------------


def test_a_live_runs_claim_is_respected_and_a_dead_ones_lease_expires(settings):
    settings.REMINDERS_CLAIM_LEASE_SECONDS = 60
    step = _step()
    Step.objects.filter(pk=step.pk).update(claimed_at=timezone.now() - timedelta(seconds=30))
    assert services.step_run(step=step).skipped == services.SKIP_BUSY
    Step.objects.filter(pk=step.pk).update(claimed_at=timezone.now() - timedelta(seconds=61))
    assert services.step_run(step=step).queued == 5
    step.refresh_from_db()
    assert step.claimed_at is None and step.status == StepStatus.DONE


def test_a_run_renews_its_lease_each_batch_and_stops_when_it_lost_it(django_capture_on_commit_callbacks):
    step = _step()
    seen = []

    def build(step_, today):
        for n, i in enumerate(PEOPLE):
            seen.append(Step.objects.get(pk=step_.pk).claimed_at)
            if n == 3:  # our lease expired and another run took the step over
                Step.objects.filter(pk=step_.pk).update(claimed_at=timezone.now() + timedelta(seconds=1))
            yield Recipient(key=f"p-{i}", to=f"p{i}@exemple.fr", context={"name": f"P{i}"}, member_id=i)

    register(AudienceRule(code="tests.lease", label="x", build=build))
    Step.objects.filter(pk=step.pk).update(rule="tests.lease")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.step_run(step=step, batch_size=2)
    assert seen[2] > seen[0]  # renewed after the first batch
    assert result.queued == 2 and result.skipped == services.SKIP_LOST
    step.refresh_from_db()
    assert step.claimed_at is not None  # the other run's claim is left alone


def test_the_daily_task_releases_emails_held_by_a_pause_lifted_outside_the_services(
    django_capture_on_commit_callbacks,
):
    from soce.lib.reminders.tasks import reminders_run_due

    step = _throttled_step()
    start = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.step_run(step=step, now=start)
    services.step_set_paused(step=step, paused=True, by=None)
    Step.objects.filter(pk=step.pk).update(paused=False)  # e.g. a shell or a data migration
    with time_machine.travel(start + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        reminders_run_due.apply()
    with time_machine.travel(start + timedelta(hours=1, minutes=2)), django_capture_on_commit_callbacks(execute=True):
        outbox_dispatch_due()
    assert not OutgoingEmail.objects.filter(status=EmailStatus.HELD).exists()
    assert len(mail.outbox) == 5


def _unsubscribes(header: str):
    """The member a List-Unsubscribe header's link unsubscribes (`<https://…/desabonnement/<token>/>`)."""
    from members.tokens import member_from_unsubscribe_token

    return member_from_unsubscribe_token(header.strip("<>").rstrip("/").rsplit("/", 1)[1])
