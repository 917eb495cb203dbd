"""Relances : créer les étapes, les envoyer une fois à leur audience, mesurer les résultats.

Garanties :
- chaque destinataire reçoit chaque étape une seule fois : la clé `reminder:<étape>:<destinataire>`
  est unique dans la boîte d'envoi et dans `Delivery` ; rejouer, chevaucher ou reprendre après une
  interruption ne renvoie rien ;
- l'audience est calculée au moment de l'envoi (qui a payé entre-temps n'est plus relancé) ;
- une étape datée manquée (planificateur arrêté) part au passage suivant, une fois ;
- le débit est limité : l'étape planifie ses e-mails minute par minute selon la campagne, et le
  répartiteur de la boîte d'envoi les confie aux workers à l'heure dite.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from soce.lib.emails import email_schedule_send, render_email
from soce.lib.models import EmailStatus, OutgoingEmail

from .models import Campaign, Delivery, Step, StepStatus
from .registry import Recipient, get_rule

logger = logging.getLogger(__name__)
CLAIM_TIMEOUT = timedelta(minutes=30)
BATCH_SIZE = 500


@dataclass
class RunResult:
    step_id: int
    queued: int = 0
    already_sent: int = 0
    skipped: str = ""


def campaign_ensure(*, code: str, name: str, year: int | None = None, rate_per_minute: int | None = None) -> Campaign:
    """Creates or returns a campaign by code (side effect: one INSERT the first time)."""
    defaults: dict[str, Any] = {"name": name, "year": year}
    if rate_per_minute:
        defaults["rate_per_minute"] = rate_per_minute
    campaign, _ = Campaign.objects.get_or_create(code=code, defaults=defaults)
    return campaign


@transaction.atomic
def step_ensure(
    *,
    code: str,
    name: str,
    rule: str,
    template: str,
    send_on: date | None = None,
    rolling: bool = False,
    params: dict | None = None,
    is_reminder: bool = True,
    campaign: str | None = None,
) -> Step:
    """Creates or returns a step by code (side effect: INSERTs the first time; later calls change nothing)."""
    get_rule(rule)  # fail early on an unknown rule
    existing = Step.objects.filter(code=code).first()
    if existing is not None:
        return existing
    camp = campaign_ensure(code=campaign or rule.split(".")[0], name=campaign or rule.split(".")[0])
    return Step.objects.create(
        campaign=camp,
        code=code,
        name=name,
        rule=rule,
        template=template,
        send_on=send_on,
        rolling=rolling,
        params=params or {},
        is_reminder=is_reminder,
    )


def step_audience(*, step: Step, today: date | None = None):
    """The recipients the step would reach now (generator; no side effect)."""
    today = today or timezone.localdate()
    return get_rule(step.rule).build(step, today)


def step_audience_count(*, step: Step, today: date | None = None) -> int:
    today = today or timezone.localdate()
    rule = get_rule(step.rule)
    if rule.count is not None:
        return rule.count(step, today)
    return sum(1 for _ in rule.build(step, today))


def step_preview(*, step: Step, member_id: int | None = None, today: date | None = None) -> dict:
    """How many people, and the e-mail as one of them (chosen by member id) would get it."""
    today = today or timezone.localdate()
    sample: Recipient | None = None
    for recipient in step_audience(step=step, today=today):
        if member_id is None or recipient.member_id == member_id:
            sample = recipient
            break
    rendered = None
    if sample is not None:
        subject, text, html = render_email(step.template, {**sample.context, "step": step})
        rendered = {"to": sample.to, "subject": subject, "text": text, "html": html, "headers": sample.headers}
    return {"count": step_audience_count(step=step, today=today), "sample": rendered}


def _claim(step: Step, now: datetime) -> bool:
    return bool(
        Step.objects.filter(pk=step.pk)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now)
    )


def _first_free_slot(step: Step, now: datetime) -> datetime:
    latest = Delivery.objects.filter(step__campaign_id=step.campaign_id, planned_at__gt=now).aggregate(
        m=Max("planned_at")
    )["m"]
    return (latest + timedelta(minutes=1)) if latest else now


def _plan(base: datetime, index: int, rate: int) -> datetime:
    return base + timedelta(minutes=index // max(rate, 1))


def step_run(*, step: Step, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> RunResult:
    """Queues the step's e-mail for each recipient not yet reached (side effects: outbox rows, deliveries, sends).

    Safe to run twice, concurrently, or again after an interruption: nobody gets the step twice.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    result = RunResult(step_id=step.pk)
    step.refresh_from_db()
    if not step.is_due(today):
        result.skipped = "pas due"
        return result
    if not _claim(step, now):
        result.skipped = "déjà en cours"
        return result
    try:
        already = set(Delivery.objects.filter(step=step).values_list("recipient_key", flat=True))
        result.already_sent = len(already)
        base = _first_free_slot(step, now)
        rate = step.campaign.rate_per_minute
        fresh = (r for r in step_audience(step=step, today=today) if r.key not in already and r.to)
        index = 0
        while True:
            batch = list(islice(fresh, batch_size))
            if not batch:
                break
            _queue_batch(step, batch, base=base, start_index=index, rate=rate, now=now)
            index += len(batch)
            result.queued += len(batch)
        finished = {"finished_at": timezone.now(), "status": StepStatus.DONE} if not step.rolling else {}
        Step.objects.filter(pk=step.pk).update(last_run_at=now, **finished)
    finally:
        Step.objects.filter(pk=step.pk).update(claimed_at=None)
    logger.info("Relance %s : %d e-mails mis en file", step.code, result.queued)
    return result


@transaction.atomic
def _queue_batch(step: Step, batch: list[Recipient], *, base: datetime, start_index: int, rate: int, now) -> None:
    ctype_cache: dict[type, ContentType] = {}
    emails, deliveries = [], []
    for offset, recipient in enumerate(batch):
        planned = _plan(base, start_index + offset, rate)
        subject, text, html = render_email(step.template, {**recipient.context, "step": step})
        related = recipient.related
        if related is not None and type(related) not in ctype_cache:
            ctype_cache[type(related)] = ContentType.objects.get_for_model(related)
        emails.append(
            OutgoingEmail(
                idempotency_key=f"reminder:{step.code}:{recipient.key}",
                template=step.template,
                to=recipient.to,
                from_email=_from_email(),
                subject=subject[:500],
                body_text=text,
                body_html=html,
                headers=recipient.headers if step.is_reminder else {},
                related_type=ctype_cache[type(related)] if related is not None else None,
                related_id=str(related.pk) if related is not None else "",
                not_before=planned if planned > now else None,
            )
        )
        deliveries.append((recipient, planned))
    OutgoingEmail.objects.bulk_create(emails, ignore_conflicts=True, batch_size=500)
    keys = [e.idempotency_key for e in emails]
    stored = {e.idempotency_key: e for e in OutgoingEmail.objects.filter(idempotency_key__in=keys)}
    Delivery.objects.bulk_create(
        [
            Delivery(
                step=step,
                recipient_key=recipient.key,
                email=stored.get(f"reminder:{step.code}:{recipient.key}"),
                member_id=recipient.member_id,
                planned_at=planned,
            )
            for recipient, planned in deliveries
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    for email in stored.values():
        if email.status == EmailStatus.QUEUED:
            email_schedule_send(email)


def _from_email() -> str:
    from django.conf import settings

    return settings.DEFAULT_FROM_EMAIL


def steps_run_due(*, now: datetime | None = None) -> list[int]:
    """Ids of the steps due now (dated steps not yet sent, rolling steps); the task runs each one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    steps = Step.objects.select_related("campaign").filter(paused=False, campaign__paused=False)
    due = steps.filter(Q(rolling=True) | Q(status=StepStatus.SCHEDULED, send_on__lte=today))
    return list(due.values_list("pk", flat=True))


def step_set_paused(*, step: Step, paused: bool, by) -> Step:
    """Pauses or resumes a step (side effect: audit row)."""
    from soce.lib.audit import audit_log

    Step.objects.filter(pk=step.pk).update(paused=paused)
    step.paused = paused
    audit_log(step, action="reminders.pause" if paused else "reminders.resume", by=by)
    return step


def step_results(*, step: Step) -> dict:
    """Sent, failed, pending and, when the rule knows how, converted within 30 days."""
    by_status = dict(Delivery.objects.filter(step=step).values_list("email__status").annotate(n=Count("id")).order_by())
    total = sum(by_status.values())
    sent = by_status.get(EmailStatus.SENT, 0)
    failed = by_status.get(EmailStatus.FAILED, 0)
    rule = get_rule(step.rule)
    converted = rule.conversion(step) if rule.conversion is not None and total else None
    return {
        "total": total,
        "sent": sent,
        "failed": failed,
        "pending": total - sent - failed,
        "converted": converted,
        "conversion_rate": (converted / total) if converted is not None and total else None,
    }


def results_for_steps(*, steps) -> dict[int, dict]:
    """step_results for several steps (dashboard reuse)."""
    return {step.pk: step_results(step=step) for step in steps}
