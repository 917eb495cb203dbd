"""Tâches Celery du socle : minces enveloppes autour des services."""

from smtplib import SMTPException

from celery import Task, shared_task

from . import emails


class OutboxTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        email_id = args[0] if args else kwargs.get("email_id")
        if email_id is not None:
            emails.outgoing_email_mark_failed(email_id=email_id, error=repr(exc))


@shared_task(
    base=OutboxTask,
    acks_late=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def outgoing_email_send(email_id: int) -> bool:
    """Sends one outbox e-mail if still queued (side effect: SMTP)."""
    return emails.outgoing_email_send(email_id=email_id)


@shared_task(acks_late=True)
def outbox_requeue_stale() -> int:
    """Re-queues stuck outbox rows (side effect: sends)."""
    return emails.outbox_requeue_stale()


@shared_task(acks_late=True)
def outbox_dispatch_due() -> int:
    """Hands planned e-mails that are due to the workers (side effect: tasks queued)."""
    return emails.outbox_dispatch_due()
