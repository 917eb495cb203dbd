"""Real Celery workers on Redis: a step run twice sends each e-mail once; a worker killed (SIGKILL)
in the middle of a step, then a new worker and run, still send each e-mail exactly once."""

import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from soce.lib.models import EmailStatus, OutgoingEmail
from soce.lib.reminders import services
from soce.lib.reminders.models import Delivery, Step, StepStatus
from soce.lib.reminders.tests.worker_rule import N

QUEUE = "reminders-kill-test"


def _wait(condition, what: str, timeout: float = 30, log: Path | None = None, every=None):
    """Waits for `condition`; `every` = (seconds, action): the action is repeated meanwhile (a beat)."""
    deadline = time.monotonic() + timeout
    next_beat = time.monotonic() + every[0] if every else None
    while time.monotonic() < deadline:
        if condition():
            return
        if next_beat is not None and time.monotonic() >= next_beat:
            every[1]()
            next_beat = time.monotonic() + every[0]
        time.sleep(0.1)
    raise AssertionError(f"{what} : délai dépassé\n{_state()}\n{_log_tail(log)}")


def _state() -> str:
    """What the database says, for a failure message: steps, outbox by status, deliveries."""
    from django.db.models import Count

    steps = list(Step.objects.values("pk", "status", "claimed_at"))
    outbox = dict(OutgoingEmail.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return f"steps {steps}; outbox {outbox}; deliveries {Delivery.objects.count()}"


def _log_tail(log: Path | None) -> str:
    """The workers' log without the lines of successful sends (the rest says what happened)."""
    if log is None or not log.exists():
        return ""
    lines = [
        line for line in log.read_text().splitlines() if "outgoing_email_send" not in line or "succeeded" not in line
    ]
    return "\n".join(lines)[-6000:]


def _forget_unacked(conn) -> None:
    """Drops messages that killed workers left unacknowledged (kombu's Redis transport keeps them an hour,
    then puts them back in their queue: a later run's worker would execute an old run's tasks)."""
    channel = conn.default_channel
    channel.client.delete(channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key)


def _wait_sent(expected: int, timeout: float = 30, log: Path | None = None):
    _wait(
        lambda: OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() >= expected,
        f"{OutgoingEmail.objects.filter(status=EmailStatus.SENT).count()} envoyés sur {expected}",
        timeout,
        log,
    )


@pytest.fixture
def step(transactional_db):
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("concurrent writes from the worker need PostgreSQL (CI runs them there)")
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
def test_a_run_that_finds_a_dead_claim_comes_back_when_its_lease_expires(celery_worker_on_redis, step, settings):
    from soce.lib.reminders.tasks import step_run

    settings.REMINDERS_CLAIM_LEASE_SECONDS = 1
    Step.objects.filter(pk=step.pk).update(claimed_at=timezone.now())  # a run whose worker just died
    assert step_run.delay(step.pk).get(timeout=30) == N  # busy at first, then retried and taken over
    _wait_sent(N)  # (and the worker idle before the database is flushed)
    step.refresh_from_db()
    assert step.status == StepStatus.DONE and step.claimed_at is None


# --- A worker process killed mid-step -------------------------------------------------------------


class Workers:
    """Celery workers in subprocesses, on the test database and a Redis queue of their own."""

    def __init__(self, tmp_path: Path):
        from django.db import connection

        db = connection.settings_dict
        self.maildir = tmp_path / "mails"
        self.maildir.mkdir()
        self.log = tmp_path / "workers.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "soce.lib.reminders.tests.worker_settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "CELERY_BROKER_URL": settings.CELERY_TEST_BROKER_URL,
            "SOCE_TEST_QUEUE": QUEUE,
            "SOCE_TEST_MAILDIR": str(self.maildir),
            "SOCE_TEST_RECIPIENT_DELAY": "0.05",
        }
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        with self.log.open("a") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "soce.lib.reminders.tests.run_worker"],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def delivered(self) -> list[str]:
        """Recipients of the e-mails the workers actually handed to the (file) backend."""
        to = []
        for path in sorted(self.maildir.iterdir()):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    to.append(email.message_from_bytes(chunk)["To"])
        return to

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(step, tmp_path):
    from conftest import redis_or_skip
    from soce.celery import app

    redis_or_skip(settings.CELERY_TEST_BROKER_URL)
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=settings.CELERY_TEST_BROKER_URL)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(QUEUE)  # left over by an earlier, interrupted run
        _forget_unacked(conn)
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.stop()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
            _forget_unacked(conn)  # the killed worker's task, which would come back in an hour
        app.conf.update(saved)


@pytest.mark.celery_worker
def test_a_worker_killed_mid_step_then_a_new_run_sends_each_email_exactly_once(step, workers):
    from soce.lib.reminders.tasks import step_run

    first = workers.start()
    step_run.apply_async(args=(step.pk,), queue=QUEUE)
    # Let it commit a few batches (5 recipients each), then kill it as the OOM killer would: no
    # `finally`, no ack, its claim on the step left in place, its database session cut mid-batch.
    # Generous timeouts: each wait returns as soon as its condition holds; a loaded CI machine needs the room.
    _wait(lambda: Delivery.objects.count() >= 15, "le premier worker n'a pas commencé", 120, workers.log)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    cut = Delivery.objects.count()
    step.refresh_from_db()
    assert 15 <= cut < N, "the worker must die in the middle of the step"
    assert step.status == StepStatus.SCHEDULED
    assert step.claimed_at is not None  # the dead run's claim is still there, until its lease expires
    assert OutgoingEmail.objects.count() == cut  # each committed batch is whole: outbox row + delivery

    # A new worker; the next beat queues the step again. The dead run's lease expires, the new run
    # takes over and plans only the recipients not yet reached; the queued sends go out.
    workers.start()
    step_run.apply_async(args=(step.pk,), queue=QUEUE)
    _wait(
        lambda: (
            Step.objects.filter(pk=step.pk, status=StepStatus.DONE).exists()
            and OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() >= N
        ),
        "la reprise n'a pas fini",
        120,
        workers.log,
        # As in production, where the daily beat (and the dead run's own message, back after the broker's
        # visibility timeout) queue a step that is not done again; every 15 s here: a run that found the dead
        # one's claim still valid and ran out of retries is not the end of it.
        every=(15, lambda: step_run.apply_async(args=(step.pk,), queue=QUEUE)),
    )
    time.sleep(0.5)  # a duplicate, if any, would have had time to leave
    assert OutgoingEmail.objects.count() == N == Delivery.objects.count()
    assert OutgoingEmail.objects.filter(status=EmailStatus.SENT).count() == N
    delivered = workers.delivered()
    assert len(delivered) == N
    assert sorted(delivered) == sorted(f"p{i}@exemple.fr" for i in range(N))
    assert Step.objects.get(pk=step.pk).claimed_at is None
