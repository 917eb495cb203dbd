"""run_periodic_tasks --due: each job when its crontab comes due, once, even with overlapping cron calls."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import shared_task
from celery.schedules import crontab
from django.core.management import CommandError, call_command

from soce.lib import periodic
from soce.lib.models import PeriodicRun

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
CALLS: list[str] = []


@shared_task(name="soce.lib.tests.test_periodic.nightly")
def nightly():
    CALLS.append("nightly")
    return "nuit"


@shared_task(name="soce.lib.tests.test_periodic.broken")
def broken():
    raise RuntimeError("panne")


@pytest.fixture
def jobs(monkeypatch):
    CALLS.clear()
    table = {
        "test-nightly": ("soce.lib.tests.test_periodic.nightly", crontab(minute=30, hour=2), "Chaque nuit."),
        "test-broken": ("soce.lib.tests.test_periodic.broken", crontab(minute=0), "Toujours en panne."),
    }
    monkeypatch.setattr(periodic, "PERIODIC_TASKS", table)
    monkeypatch.setattr("soce.lib.management.commands.run_periodic_tasks.PERIODIC_TASKS", table)
    return table


def _run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("run_periodic_tasks", *args, stdout=out, stderr=err)
        failed = False
    except CommandError:
        failed = True
    return out.getvalue(), err.getvalue(), failed


def test_due_runs_a_job_once_per_planned_time(jobs):
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=PARIS), tick=False):
        _run("--due", "test-nightly")  # never seen: runs once and is recorded
        _run("--due", "test-nightly")  # the next 2:30 has not come
    assert CALLS == ["nightly"]
    with time_machine.travel(datetime(2027, 3, 2, 2, 29, tzinfo=PARIS), tick=False):
        _run("--due", "test-nightly")
    assert CALLS == ["nightly"]
    with time_machine.travel(datetime(2027, 3, 2, 2, 31, tzinfo=PARIS), tick=False):
        out, _err, failed = _run("--due", "test-nightly")
        _run("--due", "test-nightly")
    assert CALLS == ["nightly", "nightly"]
    assert "test-nightly" in out and "nuit" in out and not failed
    # The scheduler was down for three days: one catch-up run, not three.
    with time_machine.travel(datetime(2027, 3, 5, 9, 0, tzinfo=PARIS), tick=False):
        _run("--due", "test-nightly")
        _run("--due", "test-nightly")
    assert CALLS == ["nightly"] * 3
    row = PeriodicRun.objects.get(name="test-nightly")
    assert row.runs == 3 and row.running_since is None and row.last_result == "nuit"


def test_a_job_claimed_by_another_cron_call_is_skipped(jobs):
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=PARIS), tick=False):
        PeriodicRun.objects.create(name="test-nightly", running_since=datetime(2027, 3, 1, 9, 59, tzinfo=PARIS))
        _run("--due", "test-nightly")
        assert CALLS == []
    # A claim left by a dead process expires.
    with time_machine.travel(datetime(2027, 3, 1, 13, 0, tzinfo=PARIS), tick=False):
        _run("--due", "test-nightly")
    assert CALLS == ["nightly"]


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(jobs):
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=PARIS), tick=False):
        _out, err, failed = _run("--due")
    assert failed and "panne" in err
    assert CALLS == ["nightly"]
    broken_row = PeriodicRun.objects.get(name="test-broken")
    assert "RuntimeError: panne" in broken_row.last_error and broken_row.running_since is None


def test_without_due_every_job_runs_and_an_unknown_name_is_refused(jobs):
    _run("test-nightly")
    _run("test-nightly")
    assert CALLS == ["nightly", "nightly"]
    with pytest.raises(CommandError, match="Tâche inconnue"):
        call_command("run_periodic_tasks", "nexiste-pas", stdout=StringIO())
