"""A real Celery worker on Redis: a step run twice, or interrupted and restarted, sends each e-mail once."""

import pytest
from django.core import mail
from django.utils import timezone

from soce.lib.models import EmailStatus, OutgoingEmail
from soce.lib.reminders import services
from soce.lib.reminders.models import Delivery, Step, StepStatus
from soce.lib.reminders.registry import AudienceRule, Recipient, register

N = 40
STATE = {"fail_after": None}


def _people(step, today):
    for i in range(N):
        if STATE["fail_after"] is not None and i >= STATE["fail_after"]:
            raise SystemExit("le worker meurt au milieu du lot")  # not an Exception: like a killed process
        yield Recipient(key=f"p-{i}", to=f"p{i}@exemple.fr", context={"name": f"P{i}"}, member_id=i)


register(AudienceRule(code="tests.worker_people", label="Personnes (worker)", build=_people))


def _wait_sent(expected: int, timeout: float = 30):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() >= expected:
            return
        time.sleep(0.2)
    raise AssertionError(f"{OutgoingEmail.objects.filter(status=EmailStatus.SENT).count()} envoyés sur {expected}")


@pytest.fixture
def step(transactional_db):
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("concurrent writes from the worker thread need PostgreSQL (CI runs them there)")
    STATE["fail_after"] = None
    return services.step_ensure(
        code="worker-step",
        name="Rappel",
        rule="tests.worker_people",
        template="reminders/test",
        send_on=timezone.localdate(),
        campaign="tests",
    )


@pytest.mark.celery_worker
def test_the_same_step_run_twice_sends_each_email_once(celery_worker_on_redis, step, mailoutbox):
    from soce.lib.reminders.tasks import step_run

    first, second = step_run.delay(step.pk), step_run.delay(step.pk)
    queued = [first.get(timeout=60), second.get(timeout=60)]
    _wait_sent(N)
    Step.objects.filter(pk=step.pk).update(status=StepStatus.SCHEDULED)  # and once more, as a replayed beat
    assert step_run.delay(step.pk).get(timeout=60) == 0
    assert sorted(queued) == [0, N]
    assert OutgoingEmail.objects.count() == N == Delivery.objects.count()
    assert len(mail.outbox) == N
    assert len({m.to[0] for m in mail.outbox}) == N


@pytest.mark.celery_worker
def test_a_run_killed_midway_then_restarted_sends_each_email_once(celery_worker_on_redis, step, mailoutbox):
    from soce.lib.reminders.tasks import step_run

    STATE["fail_after"] = 25
    with pytest.raises(SystemExit):
        services.step_run(step=step, batch_size=10)  # dies after two committed batches
    assert Delivery.objects.count() == 20
    _wait_sent(20)
    # The claim of the dead run is still there: a new run waits for it to go stale.
    Step.objects.filter(pk=step.pk).update(claimed_at=timezone.now() - services.CLAIM_TIMEOUT)
    STATE["fail_after"] = None
    assert step_run.delay(step.pk).get(timeout=60) == N - 20
    _wait_sent(N)
    assert OutgoingEmail.objects.count() == N
    assert len(mail.outbox) == N
    assert len({m.to[0] for m in mail.outbox}) == N
