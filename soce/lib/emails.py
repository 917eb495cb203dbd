"""Boîte d'envoi : mettre un e-mail en file (idempotent), l'envoyer une seule fois."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import EmailStatus, OutgoingEmail

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=15)
REDACTED = "[contenu masqué après envoi]"


@dataclass(frozen=True)
class SendDecision:
    """What a send check says just before an e-mail leaves: send it, hold it, or cancel it (with why)."""

    action: str  # "send" | "hold" | "cancel"
    reason: str = ""


SEND = SendDecision("send")

# (idempotency key prefix, check): an engine that queues e-mails for later (the reminders) registers a
# check that the worker runs under the row lock, so what is decided at send time cannot race the send.
_SEND_CHECKS: list[tuple[str, Callable[[OutgoingEmail], SendDecision]]] = []


def register_send_check(prefix: str, check: Callable[[OutgoingEmail], SendDecision]) -> None:
    """Asks `check(email)` before sending any e-mail whose idempotency key starts with `prefix`."""
    if (prefix, check) not in _SEND_CHECKS:
        _SEND_CHECKS.append((prefix, check))


def _send_decision(email: OutgoingEmail) -> SendDecision:
    for prefix, check in _SEND_CHECKS:
        if email.idempotency_key.startswith(prefix):
            decision = check(email)
            if decision.action != "send":
                return decision
    return SEND


def is_permanent_failure(exc: BaseException) -> bool:
    """True for SMTP answers that will not change on retry (5xx): refused recipient, rejected data or sender."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError | smtplib.SMTPSenderRefused):
        return exc.smtp_code >= 500
    return False


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Renders `emails/<template>_subject.txt`, `_body.txt` and the optional `_body.html` in French."""
    ctx = {"site_url": settings.SITE_URL, **context}
    with translation.override("fr"):
        subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
        text = render_to_string(f"emails/{template}_body.txt", ctx).strip() + "\n"
        try:
            html = render_to_string(f"emails/{template}_body.html", ctx)
        except TemplateDoesNotExist:
            html = ""
    return subject, text, html


def email_queue(
    *,
    template: str,
    to: str,
    context: dict,
    key: str,
    related: models.Model | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict] | None = None,
    not_before=None,
    redact_after_send: bool = False,
) -> OutgoingEmail:
    """Renders and stores one e-mail under `key`, then sends it after commit.

    Queuing an existing key returns the existing row and sends nothing more. `attachments` are files
    of the private storage: [{"path": name in storages["private"], "filename": ..., "mimetype": ...}].
    `not_before` plans the send for later (the dispatcher hands it to a worker when due).
    """
    existing = OutgoingEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        existing.was_created = False
        return existing
    subject, text, html = render_email(template, context)
    return email_store(
        key=key,
        template=template,
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers,
        related=related,
        attachments=attachments,
        not_before=not_before,
        redact_after_send=redact_after_send,
    )


def email_store(
    *,
    key: str,
    template: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    headers: dict[str, str] | None = None,
    related: models.Model | None = None,
    from_email: str | None = None,
    attachments: list[dict] | None = None,
    not_before=None,
    redact_after_send: bool = False,
) -> OutgoingEmail:
    """Inserts the outbox row (unique key) and schedules its send on commit."""
    fields = {
        "redact_after_send": redact_after_send,
        "attachments": attachments or [],
        "not_before": not_before,
        "template": template,
        "to": to,
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "subject": subject[:500],
        "body_text": body_text,
        "body_html": body_html,
        "headers": headers or {},
        "related_type": ContentType.objects.get_for_model(related) if related is not None else None,
        "related_id": str(related.pk) if related is not None else "",
    }
    try:
        with transaction.atomic():
            email = OutgoingEmail.objects.create(idempotency_key=key, **fields)
    except IntegrityError:  # same key queued concurrently: the other one wins
        email = OutgoingEmail.objects.get(idempotency_key=key)
        email.was_created = False
        return email
    email.was_created = True
    email_schedule_send(email)
    return email


def email_schedule_send(email: OutgoingEmail) -> None:
    """Hands the e-mail to a worker after commit, unless it is planned for later (see outbox_dispatch_due)."""
    from .tasks import outgoing_email_send as task

    if email.not_before is not None and email.not_before > timezone.now():
        return
    transaction.on_commit(partial(task.delay, email.pk))


def build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to],
        headers=email.headers or None,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    if email.attachments:
        from django.core.files.storage import storages

        private = storages["private"]
        for item in email.attachments:
            with private.open(item["path"], "rb") as fh:
                message.attach(item.get("filename") or item["path"].rsplit("/", 1)[-1], fh.read(), item.get("mimetype"))
    return message


def outgoing_email_send(*, email_id: int) -> bool:
    """Locks the row and sends it over SMTP if still queued (side effect: one e-mail).

    Returns True when this call sent it. Before sending, the registered send checks may hold the
    e-mail (HELD, released later) or cancel it (CANCELLED, with the reason). A permanent SMTP refusal
    (5xx) marks it FAILED at once; a temporary error leaves it RETRYING and re-raises for the retry.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status not in {EmailStatus.QUEUED, EmailStatus.RETRYING}:
            return False  # déjà envoyé, en cours, suspendu ou abandonné : rejouable sans effet
        now = timezone.now()
        if email.not_before is not None and email.not_before > now and email.enqueued_at is None:
            return False  # a stale task for a row planned later (re-planned on resume): the dispatcher sends it
        decision = _send_decision(email)
        if decision.action == "hold":
            OutgoingEmail.objects.filter(pk=email_id).update(
                status=EmailStatus.HELD, status_changed_at=now, enqueued_at=None, last_error=decision.reason[:2000]
            )
            return False
        if decision.action == "cancel":
            OutgoingEmail.objects.filter(pk=email_id).update(
                status=EmailStatus.CANCELLED, status_changed_at=now, last_error=decision.reason[:2000]
            )
            return False
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=EmailStatus.SENDING, status_changed_at=now, attempts=models.F("attempts") + 1
        )
    try:
        build_message(email).send()  # never inside the transaction
    except Exception as exc:
        if is_permanent_failure(exc):  # retrying a 5xx only annoys the server: give up now, with the answer
            outgoing_email_mark_failed(email_id=email_id, error=repr(exc))
            logger.warning("E-mail %s refusé définitivement : %r", email_id, exc)
            return False
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=EmailStatus.RETRYING, status_changed_at=timezone.now(), last_error=repr(exc)[:2000]
        )
        raise
    now = timezone.now()
    sent = {"status": EmailStatus.SENT, "sent_at": now, "status_changed_at": now, "last_error": ""}
    if email.redact_after_send:  # a one-time code must not stay readable in the back office
        sent.update(subject=REDACTED, body_text=REDACTED, body_html="")
    OutgoingEmail.objects.filter(pk=email_id).update(**sent)
    return True


def outgoing_email_mark_failed(*, email_id: int, error: str) -> None:
    """Gives up on one e-mail after its retries (side effect: status FAILED)."""
    OutgoingEmail.objects.filter(pk=email_id).exclude(status=EmailStatus.SENT).update(
        status=EmailStatus.FAILED, status_changed_at=timezone.now(), last_error=error[:2000]
    )


def outgoing_email_resend(*, email: OutgoingEmail, by) -> OutgoingEmail:
    """Puts a failed e-mail back in the queue (side effects: audit row, a send after commit)."""
    from .audit import audit_log

    with transaction.atomic():
        changed = OutgoingEmail.objects.filter(
            pk=email.pk, status__in=[EmailStatus.FAILED, EmailStatus.CANCELLED]
        ).update(status=EmailStatus.QUEUED, status_changed_at=timezone.now())
        if changed:
            audit_log(email, action="outbox.resend", by=by)
            email_schedule_send(email)
    email.refresh_from_db()
    return email


def outbox_hold(*, email_ids: list[int], reason: str) -> int:
    """Holds e-mails not yet handed to SMTP (side effect: QUEUED/RETRYING → HELD); a stale task then skips them."""
    return OutgoingEmail.objects.filter(pk__in=email_ids, status__in=[EmailStatus.QUEUED, EmailStatus.RETRYING]).update(
        status=EmailStatus.HELD, status_changed_at=timezone.now(), enqueued_at=None, last_error=reason[:2000]
    )


def outbox_release(*, plan: list[tuple[int, datetime | None]]) -> int:
    """Puts held e-mails back in the queue, each at its (new) planned time (side effect: sends after commit).

    Only rows still HELD move (compare-and-swap), so releasing twice sends nothing twice.
    """
    now = timezone.now()
    released = 0
    by_time: dict[datetime | None, list[int]] = {}
    for pk, not_before in plan:
        by_time.setdefault(not_before if not_before and not_before > now else None, []).append(pk)
    with transaction.atomic():
        for not_before, ids in by_time.items():
            moved = list(
                OutgoingEmail.objects.select_for_update()
                .filter(pk__in=ids, status=EmailStatus.HELD)
                .values_list("pk", flat=True)
            )
            released += OutgoingEmail.objects.filter(pk__in=moved).update(
                status=EmailStatus.QUEUED, status_changed_at=now, enqueued_at=None, not_before=not_before, last_error=""
            )
            if not_before is None:
                for pk in moved:
                    email_schedule_send(OutgoingEmail(pk=pk))
    return released


def outbox_dispatch_due(*, limit: int = 5000) -> int:
    """Hands planned e-mails whose time has come to the workers (side effect: tasks queued)."""
    from .tasks import outgoing_email_send as task

    now = timezone.now()
    due = list(
        OutgoingEmail.objects.filter(
            status=EmailStatus.QUEUED, enqueued_at__isnull=True, not_before__isnull=False, not_before__lte=now
        )
        .order_by("not_before")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    # Claim them first, so that an overlapping dispatcher does not hand them out again.
    claimed = OutgoingEmail.objects.filter(pk__in=due, enqueued_at__isnull=True).update(enqueued_at=now)
    if claimed:
        for pk in OutgoingEmail.objects.filter(pk__in=due, enqueued_at=now).values_list("pk", flat=True):
            task.delay(pk)
    return claimed


def outbox_requeue_stale() -> int:
    """Re-queues e-mails stuck in SENDING, or never picked up, for 15 minutes (side effect: sends)."""
    limit = timezone.now() - STALE_AFTER
    stale = list(
        OutgoingEmail.objects.filter(
            status__in=[EmailStatus.SENDING, EmailStatus.QUEUED, EmailStatus.RETRYING],
            status_changed_at__lt=limit,
        )
        .exclude(not_before__gt=timezone.now())
        .values_list("pk", flat=True)[:5000]
    )
    with transaction.atomic():
        OutgoingEmail.objects.filter(pk__in=stale, status=EmailStatus.SENDING).update(
            status=EmailStatus.RETRYING, status_changed_at=timezone.now()
        )
        for pk in stale:
            email_schedule_send(OutgoingEmail(pk=pk))
    if stale:
        logger.warning("%d e-mails relancés après blocage", len(stale))
    return len(stale)
