"""Tâches Celery des membres : minces enveloppes autour des services."""

from celery import shared_task

from . import services
from .models import Cotisation, TaxReceipt


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def tax_receipt_issue_task(cotisation_id: int) -> str | None:
    """Numbers the receipt of a paid cotisation once (side effects: INSERT, PDF)."""
    cotisation = Cotisation.objects.filter(pk=cotisation_id).first()
    if cotisation is None:
        return None
    receipt = services.tax_receipt_issue(cotisation=cotisation)
    return receipt.number if receipt else None


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def tax_receipt_render_task(receipt_id: int) -> bool:
    """Renders and stores a receipt's PDF; running it again changes nothing (side effect: file)."""
    receipt = TaxReceipt.objects.filter(pk=receipt_id).first()
    if receipt is None:
        return False
    services.tax_receipt_pdf(receipt=receipt)
    return True


@shared_task(acks_late=True)
def members_strike_off_unpaid_task() -> int:
    """The yearly striking-off of members with N unpaid years (side effects: statuses, audit rows)."""
    return services.members_strike_off_unpaid()
