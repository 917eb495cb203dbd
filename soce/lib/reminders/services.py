"""Relances : créer les étapes, les envoyer une fois à leur audience, mesurer les résultats.

Garanties :
- chaque destinataire reçoit chaque étape une seule fois : la clé `reminder:<étape>:<destinataire>`
  est unique dans la boîte d'envoi et dans `Delivery` ; rejouer, chevaucher ou reprendre après une
  interruption ne renvoie rien ;
- l'audience est calculée quand l'étape est planifiée, puis revérifiée par le worker juste avant
  que chaque e-mail parte (`AudienceRule.recheck`, désinscription) : qui a payé pendant l'envoi
  étalé n'est pas relancé, l'e-mail est annulé avec son motif ;
- une étape en pause retient ses e-mails pas encore partis (état « suspendu ») ; à la reprise ils
  repartent, replanifiés au débit de la campagne, chacun une fois ;
- un passage tient l'étape par un bail renouvelé à chaque lot : le bail d'un worker mort expire et
  un nouveau passage reprend où il s'était arrêté ;
- une étape datée manquée (planificateur arrêté) part au passage suivant, une fois ;
- le débit est limité : l'étape planifie ses e-mails minute par minute selon la campagne, et le
  répartiteur de la boîte d'envoi les confie aux workers à l'heure dite.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, Max, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from soce.lib.emails import SEND, SendDecision, email_schedule_send, outbox_hold, outbox_release, render_email
from soce.lib.models import EmailStatus, OutgoingEmail

from .models import Campaign, Delivery, Step, StepStatus
from .registry import Recipient, find_rule, get_opt_out, get_rule

logger = logging.getLogger(__name__)
BATCH_SIZE = 500  # settings.REMINDERS_BATCH_SIZE overrides it
SKIP_NOT_DUE = "pas due"
SKIP_BUSY = "déjà en cours"
SKIP_PAUSED = "mise en pause pendant l'envoi"
SKIP_LOST = "reprise par un autre passage"


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
    for recipient, context, headers in _personalise(step, [sample] if sample is not None else []):
        subject, text, html = render_email(step.template, context)
        rendered = {"to": recipient.to, "subject": subject, "text": text, "html": html, "headers": headers}
    return {"count": step_audience_count(step=step, today=today), "sample": rendered}


def claim_lease() -> timedelta:
    """How long a run's claim on a step holds without being renewed (renewed after each batch)."""
    return timedelta(seconds=getattr(settings, "REMINDERS_CLAIM_LEASE_SECONDS", 300))


def _claim(step: Step, now: datetime) -> datetime | None:
    """Takes the step for this run; returns the claim's token (its time), or None if another run holds it.

    A claim is a lease: a run renews it after each batch, so a claim left by a worker that died
    (SIGKILL, OOM, lost machine: no `finally` runs) expires after `claim_lease()` and a new run resumes.
    """
    taken = (
        Step.objects.filter(pk=step.pk)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_lease()))
        .update(claimed_at=now)
    )
    return now if taken else None


def _renew(step: Step, token: datetime) -> datetime | None:
    """Extends this run's lease; None when it was lost (expired and taken by another run)."""
    fresh = timezone.now()
    if fresh <= token:
        fresh = token + timedelta(microseconds=1)
    renewed = Step.objects.filter(pk=step.pk, claimed_at=token).update(claimed_at=fresh)
    return fresh if renewed else None


def _first_free_slot(step: Step, now: datetime) -> datetime:
    latest = (
        Delivery.objects.filter(step__campaign_id=step.campaign_id, planned_at__gt=now)
        .exclude(email__status=EmailStatus.HELD)
        .aggregate(m=Max("planned_at"))["m"]
    )
    return (latest + timedelta(minutes=1)) if latest else now


def _plan(base: datetime, index: int, rate: int) -> datetime:
    return base + timedelta(minutes=index // max(rate, 1))


def _batch_size() -> int:
    return int(getattr(settings, "REMINDERS_BATCH_SIZE", BATCH_SIZE))


def step_run(*, step: Step, now: datetime | None = None, batch_size: int | None = None) -> RunResult:
    """Queues the step's e-mail for each recipient not yet reached (side effects: outbox rows, deliveries, sends).

    Safe to run twice, concurrently, or again after an interruption: nobody gets the step twice.
    A pause taken during the run stops it at the next batch; the rest goes when the step is resumed.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    batch_size = batch_size or _batch_size()
    result = RunResult(step_id=step.pk)
    step.refresh_from_db()
    if not step.is_due(today):
        result.skipped = SKIP_NOT_DUE
        return result
    token = _claim(step, now)
    if token is None:
        result.skipped = SKIP_BUSY
        return result
    finished = True
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
            token = _renew(step, token)
            if token is None:
                result.skipped, finished = SKIP_LOST, False
                break
            if Step.objects.filter(pk=step.pk).filter(Q(paused=True) | Q(campaign__paused=True)).exists():
                result.skipped, finished = SKIP_PAUSED, False
                break
            index += _queue_batch(step, batch, base=base, start_index=index, rate=rate, now=now)
            result.queued = index
        if finished:
            done = {"finished_at": timezone.now(), "status": StepStatus.DONE} if not step.rolling else {}
            Step.objects.filter(pk=step.pk).update(last_run_at=now, **done)
    finally:
        if token is not None:
            Step.objects.filter(pk=step.pk, claimed_at=token).update(claimed_at=None)
    logger.info("Relance %s : %d e-mails mis en file %s", step.code, result.queued, result.skipped)
    return result


def _personalise(step: Step, batch: list[Recipient]) -> list[tuple[Recipient, dict, dict[str, str]]]:
    """Context and headers of each recipient; drops members who opted out of reminders (one query per batch).

    A reminder step reaching a member carries the one-click unsubscribe (RFC 8058); any other step
    (the dues call, notifications) carries none, whatever the rule put in its headers.
    """
    opt_out = get_opt_out() if step.is_reminder else None
    links: dict[int, str] = {}
    if opt_out is not None:
        member_ids = {r.member_id for r in batch if r.member_id is not None}
        if member_ids:
            gone = opt_out.opted_out(member_ids)
            batch = [r for r in batch if r.member_id not in gone]
            links = opt_out.unsubscribe_urls(member_ids - gone)
    out = []
    for recipient in batch:
        headers = {k: v for k, v in recipient.headers.items() if not k.lower().startswith("list-unsubscribe")}
        link = links.get(recipient.member_id) if recipient.member_id is not None else None
        if link:
            headers["List-Unsubscribe"] = f"<{link}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        context = {"unsubscribe_url": link or "", **recipient.context, "step": step}
        out.append((recipient, context, headers))
    return out


@transaction.atomic
def _queue_batch(step: Step, batch: list[Recipient], *, base: datetime, start_index: int, rate: int, now) -> int:
    """Stores one batch (outbox rows and deliveries, all or nothing); returns how many were planned."""
    ctype_cache: dict[type, ContentType] = {}
    emails, deliveries = [], []
    for offset, (recipient, context, headers) in enumerate(_personalise(step, batch)):
        planned = _plan(base, start_index + offset, rate)
        subject, text, html = render_email(step.template, context)
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
                headers=headers,
                related_type=ctype_cache[type(related)] if related is not None else None,
                related_id=str(related.pk) if related is not None else "",
                not_before=planned if planned > now else None,
            )
        )
        deliveries.append((recipient, planned))
    if not emails:
        return 0
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
    return len(emails)


def _from_email() -> str:
    return settings.DEFAULT_FROM_EMAIL


def recipient_recheck(*, step: Step, recipient_key: str, member_id: int | None, today: date) -> str:
    """Why a planned recipient should no longer get the step ("" if they still should); no side effect."""
    with translation.override("fr"):
        opt_out = get_opt_out() if step.is_reminder else None
        if opt_out is not None and member_id is not None and member_id in opt_out.opted_out([member_id]):
            return gettext("S'est désabonné(e) des relances avant l'envoi.")
        rule = find_rule(step.rule)
        if rule is None or rule.recheck is None:
            return ""
        return str(rule.recheck(step, recipient_key, member_id, today) or "")


def email_send_check(email: OutgoingEmail) -> SendDecision:
    """The outbox asks this under the row lock just before a step's e-mail leaves (no side effect).

    Paused step or campaign: hold it (released on resume). Recipient no longer in the audience
    (paid, declared a payment, unsubscribed…): cancel it with the reason.
    """
    delivery = Delivery.objects.select_related("step__campaign").filter(email_id=email.pk).first()
    if delivery is None:
        return SEND
    step = delivery.step
    if step.paused or step.campaign.paused:
        with translation.override("fr"):
            return SendDecision("hold", gettext("Étape ou campagne en pause : l'e-mail partira à la reprise."))
    reason = recipient_recheck(
        step=step, recipient_key=delivery.recipient_key, member_id=delivery.member_id, today=timezone.localdate()
    )
    return SendDecision("cancel", reason) if reason else SEND


def steps_run_due(*, now: datetime | None = None) -> list[int]:
    """Ids of the steps due now (dated steps not yet sent, rolling steps); the task runs each one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    steps = Step.objects.select_related("campaign").filter(paused=False, campaign__paused=False)
    due = steps.filter(Q(rolling=True) | Q(status=StepStatus.SCHEDULED, send_on__lte=today))
    return list(due.values_list("pk", flat=True))


def _step_emails(step: Step, statuses) -> QuerySet:
    return OutgoingEmail.objects.filter(
        pk__in=Delivery.objects.filter(step=step, email__isnull=False).values("email_id"), status__in=statuses
    )


def _hold(steps, reason: str) -> int:
    return sum(
        outbox_hold(email_ids=_step_emails(step, [EmailStatus.QUEUED, EmailStatus.RETRYING]), reason=reason)
        for step in steps
    )


def _release(step: Step, now: datetime) -> int:
    """Held e-mails of a step that is running again, re-planned at the campaign's rate from now."""
    step = Step.objects.select_related("campaign").get(pk=step.pk)
    if step.paused or step.campaign.paused:
        return 0
    held = list(
        Delivery.objects.filter(step=step, email__status=EmailStatus.HELD)
        .order_by("planned_at", "pk")
        .values_list("pk", "email_id")
    )
    if not held:
        return 0
    base = _first_free_slot(step, now)
    rate = step.campaign.rate_per_minute
    plan = [(email_id, _plan(base, i, rate)) for i, (_pk, email_id) in enumerate(held)]
    per_minute: dict[datetime, list[int]] = {}
    for (pk, _email_id), (_e, at) in zip(held, plan, strict=True):
        per_minute.setdefault(at, []).append(pk)
    with transaction.atomic():
        for at, pks in per_minute.items():
            Delivery.objects.filter(pk__in=pks).update(planned_at=at)
        return outbox_release(plan=plan)


def step_set_paused(*, step: Step, paused: bool, by) -> Step:
    """Pauses or resumes a step (side effects: its unsent e-mails held or released, audit row, a run on resume).

    Pausing holds the step's e-mails that have not left yet (planned by the throttle, waiting for a
    worker or for a retry); the worker also holds any it picks up while paused. Resuming puts them
    back in the queue, re-planned at the campaign's rate from now, and runs the step if it is due.
    A held e-mail leaves at most once: only rows still HELD are released, and the worker sends a row
    only under its lock and while QUEUED or RETRYING.
    """
    from soce.lib.audit import audit_log

    from .tasks import step_run as step_run_task

    with transaction.atomic():
        Step.objects.filter(pk=step.pk).update(paused=paused)
        step.paused = paused
        if paused:
            with translation.override("fr"):
                n = _hold([step], gettext("Étape ou campagne en pause : l'e-mail partira à la reprise."))
        else:
            n = _release(step, timezone.now())
            if step.is_due(timezone.localdate()):
                transaction.on_commit(partial(step_run_task.delay, step.pk))
        audit_log(step, action="reminders.pause" if paused else "reminders.resume", by=by, data={"emails": n})
    return step


def campaign_set_paused(*, campaign: Campaign, paused: bool, by) -> Campaign:
    """Pauses or resumes every step of a campaign at once (side effects: as step_set_paused, per step)."""
    from soce.lib.audit import audit_log

    from .tasks import step_run as step_run_task

    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(paused=paused)
        campaign.paused = paused
        steps = list(Step.objects.filter(campaign=campaign).select_related("campaign"))
        if paused:
            with translation.override("fr"):
                n = _hold(steps, gettext("Étape ou campagne en pause : l'e-mail partira à la reprise."))
        else:
            now = timezone.now()
            n = sum(_release(step, now) for step in steps)
            today = timezone.localdate(now)
            for step in Step.objects.filter(campaign=campaign).select_related("campaign"):
                if step.is_due(today):
                    transaction.on_commit(partial(step_run_task.delay, step.pk))
        audit_log(campaign, action="reminders.pause" if paused else "reminders.resume", by=by, data={"emails": n})
    return campaign


def held_release_unpaused(*, now: datetime | None = None) -> int:
    """Releases e-mails still held although their step and campaign run again (side effect: sends).

    A safety net for a pause lifted outside the services (a data migration, a shell); run daily.
    """
    now = now or timezone.now()
    steps = Step.objects.filter(
        paused=False, campaign__paused=False, deliveries__email__status=EmailStatus.HELD
    ).distinct()
    return sum(_release(step, now) for step in steps)


def step_results(*, step: Step) -> dict:
    """Sent, failed, skipped (cancelled just before sending), held, pending and the conversion (no side effect).

    `converted` (when the rule knows how) counts people who did what the e-mail asked within 30 days
    after it actually left; `conversion_rate` is over the e-mails delivered.
    """
    by_status = dict(Delivery.objects.filter(step=step).values_list("email__status").annotate(n=Count("id")).order_by())
    total = sum(by_status.values())
    sent = by_status.get(EmailStatus.SENT, 0)
    failed = by_status.get(EmailStatus.FAILED, 0)
    skipped = by_status.get(EmailStatus.CANCELLED, 0)
    held = by_status.get(EmailStatus.HELD, 0)
    rule = find_rule(step.rule)
    converted = rule.conversion(step) if rule is not None and rule.conversion is not None and total else None
    return {
        "total": total,
        "sent": sent,
        "failed": failed,
        "skipped": skipped,
        "held": held,
        "pending": total - sent - failed - skipped - held,
        "converted": converted,
        "conversion_rate": (converted / sent) if converted is not None and sent else None,
    }


def results_for_steps(*, steps) -> dict[int, dict]:
    """step_results for several steps (the dashboard's figures reuse it)."""
    return {step.pk: step_results(step=step) for step in steps}


CONVERSION_DAYS = 30


def delivered_and_done_within(*, step: Step, done: QuerySet, member_field: str, at_field: str) -> int:
    """How many people the step's e-mail reached did `done` within CONVERSION_DAYS after it left.

    The counting every rule's conversion shares: from each e-mail's actual send time, over delivered
    e-mails only (failed or cancelled ones convert nobody). `done` is a queryset of what the e-mail asked
    for (payments, signatures…), `member_field` its column holding the members.Member id, `at_field` when.
    """
    sent_at = OuterRef("email__sent_at")
    soon = done.filter(
        **{
            member_field: OuterRef("member_id"),
            f"{at_field}__gte": sent_at,
            f"{at_field}__lte": ExpressionWrapper(
                sent_at + timedelta(days=CONVERSION_DAYS), output_field=DateTimeField()
            ),
        }
    )
    return (
        Delivery.objects.filter(step=step, email__status=EmailStatus.SENT, email__sent_at__isnull=False)
        .filter(Exists(soon))
        .count()
    )


def conversion_totals(*, steps) -> dict:
    """Delivered e-mails and conversions summed over several steps, and their rate (no side effect).

    The dashboard's « conversion des relances » is this over the period's dues steps: the same
    counting as each step's results (from the actual send, delivered e-mails only).
    """
    results = results_for_steps(steps=steps).values()
    sent = sum(r["sent"] for r in results)
    converted = sum(r["converted"] or 0 for r in results)
    return {"sent": sent, "converted": converted, "rate": (converted / sent) if sent else None}
