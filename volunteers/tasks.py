"""Tâches Celery du bénévolat : minces enveloppes autour des services."""

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=6)
def engagements_sync_dues(member_id: int) -> int:
    """Suspends or resumes one member's engagements after a dues change (side effects: statuses)."""
    return services.engagements_sync_dues(member_id=member_id)


@shared_task(acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=6)
def volunteers_daily() -> dict:
    """Daily sweep: dues, overdue reviews, re-signing deadlines (side effects: statuses, reminder steps)."""
    return services.volunteers_daily()
