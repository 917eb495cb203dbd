from celery import shared_task

from . import services
from .models import Step


@shared_task(acks_late=True)
def reminders_run_due() -> int:
    """Starts one task per due step, and releases e-mails still held by a lifted pause (side effect: tasks queued)."""
    services.held_release_unpaused()
    ids = services.steps_run_due()
    for step_id in ids:
        step_run.delay(step_id)
    return len(ids)


@shared_task(bind=True, acks_late=True, max_retries=3)
def step_run(self, step_id: int) -> int:
    """Sends one step to its audience, once per person (side effects: outbox rows, sends).

    When another run holds the step, comes back once its lease would have expired: if that run's
    worker died, this one resumes the step; if it is alive, it finds the step done (or renewed).
    """
    step = Step.objects.filter(pk=step_id).first()
    if step is None:
        return 0
    result = services.step_run(step=step)
    if result.skipped == services.SKIP_BUSY and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=services.claim_lease().total_seconds() + 1)
    return result.queued
