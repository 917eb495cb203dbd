"""Tâches Celery de l'entraide : minces enveloppes autour des services."""

from smtplib import SMTPException

from celery import shared_task

from . import services

RETRY = {"acks_late": True, "autoretry_for": (SMTPException, OSError), "retry_backoff": True, "max_retries": 6}


@shared_task(**RETRY)
def loans_nightly() -> dict:
    """Nightly: first due dates, deferred → repaying, days past due, follow-ups (UPDATEs, audit)."""
    services.reminders_ensure()
    return services.loans_nightly()


@shared_task(**RETRY)
def cases_anonymise_expired() -> int:
    """Anonymises closed cases past the retention period (UPDATEs, deleted files)."""
    return services.cases_anonymise_expired()
