"""Periodic jobs run in-process, without Celery beat: `manage.py run_periodic_tasks [--due]`.

With `due_only`, a job runs when its crontab (soce/schedule.py) has come due since its last run, recorded in
PeriodicRun; a job never seen before runs once and is recorded. A run claims the job's row first (a
compare-and-swap on `running_since`, no transaction held while the job works, since jobs commit in
batches), so two overlapping cron calls never run the same job at once; a claim older than CLAIM_TTL is
taken to belong to a dead process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from soce.schedule import PERIODIC_TASKS

from .models import PeriodicRun

logger = logging.getLogger(__name__)

CLAIM_TTL = timedelta(hours=2)  # longer than any job (Celery's hard time limit is 15 minutes)


@dataclass
class Outcome:
    name: str
    doc: str
    skipped: bool = False
    result: object = None
    error: str = ""


def is_due(schedule, last_run_at) -> bool:
    """Whether a crontab has a planned time in (last_run_at, now]."""
    if last_run_at is None:
        return True
    return schedule.remaining_estimate(last_run_at).total_seconds() <= 0


def _claim(name: str, now) -> PeriodicRun | None:
    PeriodicRun.objects.get_or_create(name=name)
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - CLAIM_TTL)
    if PeriodicRun.objects.filter(free, name=name).update(running_since=now) != 1:
        return None  # another cron call is running it now
    return PeriodicRun.objects.get(name=name)


def run(*, names=(), due_only: bool = False) -> Iterator[Outcome]:
    """Runs the periodic jobs (all, `names`, or the due ones) one after the other; records each run.

    Side effects: whatever each job does; one PeriodicRun row per job."""
    for name, (path, schedule, doc) in PERIODIC_TASKS.items():
        if names and name not in names:
            continue
        started = timezone.now()
        row = _claim(name, started)
        if row is None:
            yield Outcome(name, doc, skipped=True)
            continue
        if due_only and not is_due(schedule, row.last_run_at):
            PeriodicRun.objects.filter(pk=row.pk).update(running_since=None)
            yield Outcome(name, doc, skipped=True)
            continue
        try:
            result = import_string(path).apply(throw=True).get()
        except Exception as exc:  # one failing job must not stop the others; recorded and reported
            logger.exception("Tâche périodique %s en échec", name)
            error = f"{exc.__class__.__name__}: {exc}"[:2000]
            outcome = Outcome(name, doc, error=error)
            updates = {"last_error": error}
        else:
            outcome = Outcome(name, doc, result=result)
            updates = {"last_error": "", "last_result": str(result)[:2000]}
        PeriodicRun.objects.filter(pk=row.pk).update(
            last_run_at=started, running_since=None, runs=row.runs + 1, **updates
        )
        yield outcome
