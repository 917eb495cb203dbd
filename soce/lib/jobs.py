"""Traitements de fond lancés par le personnel, avec leur avancement visible dans l'administration."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.utils import timezone

from .models import BackgroundJob, JobStatus


@transaction.atomic
def job_start(*, kind: str, label: str, task, params: dict | None = None, by=None) -> BackgroundJob:
    """Creates the job row and queues `task(job_id)` after commit (side effects: INSERT, a task)."""
    job = BackgroundJob.objects.create(
        kind=kind, label=label, params=params or {}, created_by=by if getattr(by, "is_authenticated", False) else None
    )
    transaction.on_commit(partial(task.delay, job.pk))
    return job


def job_begin(job_id: int, *, total: int) -> None:
    BackgroundJob.objects.filter(pk=job_id).update(
        status=JobStatus.RUNNING, total=total, done=0, started_at=timezone.now()
    )


def job_progress(job_id: int, *, done: int) -> None:
    BackgroundJob.objects.filter(pk=job_id).update(done=done)


def job_finish(job_id: int, *, result: dict) -> None:
    BackgroundJob.objects.filter(pk=job_id).update(status=JobStatus.DONE, result=result, finished_at=timezone.now())


def job_fail(job_id: int, *, error: str) -> None:
    BackgroundJob.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=error[:5000], finished_at=timezone.now()
    )
