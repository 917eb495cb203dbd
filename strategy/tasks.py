"""Tâches du pilotage : minces enveloppes autour des services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def periods_close() -> dict:
    """Nightly: ensures the daily digest step, then writes the official values of closed periods of
    computed indicators (side effect: rows)."""
    services.reminders_ensure()
    return services.periods_close()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def boardpack_render(boardpack_id: int) -> str:
    """Renders a frozen board pack to PDF once (side effect: stored file)."""
    return services.boardpack_render(boardpack_id=boardpack_id).status
