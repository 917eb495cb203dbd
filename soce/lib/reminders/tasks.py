from celery import shared_task

from . import services
from .models import Step


@shared_task(acks_late=True)
def reminders_run_due() -> int:
    """Starts one task per due step (side effect: tasks queued)."""
    ids = services.steps_run_due()
    for step_id in ids:
        step_run.delay(step_id)
    return len(ids)


@shared_task(acks_late=True)
def step_run(step_id: int) -> int:
    """Sends one step to its audience, once per person (side effects: outbox rows, sends)."""
    step = Step.objects.filter(pk=step_id).first()
    if step is None:
        return 0
    return services.step_run(step=step).queued
