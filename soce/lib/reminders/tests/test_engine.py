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
    assert results == {"total": 5, "sent": 4, "failed": 1, "pending": 0, "converted": None, "conversion_rate": None}
