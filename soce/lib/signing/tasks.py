"""Tâches Celery de la signature : minces enveloppes autour des services."""

from smtplib import SMTPException

from celery import shared_task
from pyhanko.sign.timestamps import TimestampRequestError

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError, TimestampRequestError),
    retry_backoff=True,
    max_retries=6,
)
def document_seal(document_id: int) -> str:
    """Seals one fully signed document and e-mails the copies (side effects: file, evidence, outbox); replayable."""
    document = services.document_seal(document_id=document_id)
    return document.status if document is not None else "absent"


@shared_task(acks_late=True)
def documents_seal_overdue() -> int:
    """Safety net: queues again the sealing of documents signed by all but unsealed after 10 minutes."""
    return services.documents_seal_overdue()
