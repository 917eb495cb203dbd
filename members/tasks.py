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


RENDER_CHUNK = 50  # the job's progress moves every few seconds


@shared_task(acks_late=True)
def tax_receipts_generate_year(job_id: int) -> int:
    """Numbers the missing receipts of a year, then renders their PDFs in chunks (side effects: rows, files)."""
    from soce.lib import jobs
    from soce.lib.models import BackgroundJob

    job = BackgroundJob.objects.get(pk=job_id)
    try:
        ids = services.tax_receipts_issue_missing(year=int(job.params["year"]))
    except Exception as exc:
        jobs.job_fail(job_id, error=repr(exc))
        raise
    jobs.job_begin(job_id, total=len(ids))
    if not ids:
        jobs.job_finish(job_id, result={"receipts": 0})
        return 0
    for start in range(0, len(ids), RENDER_CHUNK):
        tax_receipts_render_chunk.delay(job_id, ids[start : start + RENDER_CHUNK])
    return len(ids)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=6)
def tax_receipts_render_chunk(job_id: int, receipt_ids: list[int]) -> int:
    """Renders a chunk of receipt PDFs and advances the job (side effects: files, progress)."""
    from django.db.models import F

    from soce.lib import jobs
    from soce.lib.models import BackgroundJob

    for receipt in TaxReceipt.objects.filter(pk__in=receipt_ids).order_by("pk"):
        services.tax_receipt_pdf(receipt=receipt)
    BackgroundJob.objects.filter(pk=job_id).update(done=F("done") + len(receipt_ids))
    job = BackgroundJob.objects.get(pk=job_id)
    if job.done >= job.total:
        jobs.job_finish(job_id, result={"receipts": job.total})
    return len(receipt_ids)
