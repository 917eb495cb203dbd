"""Toutes les écritures du pilotage : cibles, valeurs (quatre yeux), clôtures, actions, points d'étape, dossiers."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from soce.lib.audit import audit_log
from soce.lib.states import transition

from . import computed, permissions, rules
from .models import (
    Action,
    ActionUpdate,
    Ambition,
    Axis,
    BoardPack,
    CheckIn,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Objective,
    Plan,
    ReviewCycle,
)

logger = logging.getLogger(__name__)
ValueStatus = IndicatorValue.Status


def _require_admin(by) -> None:
    if not permissions.is_admin(by):
        raise PermissionDenied(_("Seuls les administrateurs de la stratégie changent les définitions et les cibles."))


def _decimal(value, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        raise TypeError("float interdit : passer un Decimal")
    try:
        return Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError(_("%(label)s : nombre invalide.") % {"label": label}) from exc


# --------------------------------------------------------------------------- definitions


@transaction.atomic
def plan_set_current(*, plan: Plan, by) -> Plan:
    """Makes `plan` the plan in force (side effects: the previous one stops being current, audit row)."""
    _require_admin(by)
    Plan.objects.filter(is_current=True).exclude(pk=plan.pk).update(is_current=False)
    Plan.objects.filter(pk=plan.pk).update(is_current=True)
    plan.is_current = True
    audit_log(plan, action="strategy.plan.current", by=by)
    computed.invalidate()
    return plan


@transaction.atomic
def objective_move(*, objective: Objective, to: Ambition, by, code: str = "") -> Objective:
    """Moves an objective under another ambition of the same plan (side effects: new code, audit row)."""
    _require_admin(by)
    if to.plan_id != objective.plan_id:
        raise ValidationError(_("L'objectif ne peut changer que d'ambition au sein du même plan."))
    if to.pk == objective.ambition_id:
        return objective
    previous = objective.code
    if not code:
        taken = set(Objective.objects.filter(plan_id=objective.plan_id).values_list("code", flat=True))
        number = to.objectives.count() + 1
        while f"{to.code}.O{number}" in taken:
            number += 1
        code = f"{to.code}.O{number}"
    objective.ambition = to
    objective.code = code
    objective.position = to.objectives.count() + 1
    objective.save(update_fields=["ambition", "code", "position"])
    audit_log(
        objective,
        action="strategy.objective.move",
        by=by,
        data={"from_code": previous, "to_code": code, "to_ambition": to.code},
    )
    computed.invalidate()
    return objective


@transaction.atomic
def indicator_definition_changed(*, indicator: Indicator, by, changed: list[str]) -> None:
    """Records that a strategy admin changed an indicator's definition (side effect: audit row)."""
    _require_admin(by)
    audit_log(indicator, action="strategy.indicator.definition", by=by, data={"fields": sorted(changed)})
    computed.invalidate()


@transaction.atomic
def target_set(
    *,
    indicator: Indicator,
    target_on: date,
    value: Decimal,
    by,
    value_high: Decimal | None = None,
    reason: str = "",
) -> IndicatorTarget:
    """Sets the target at a date; an existing one is superseded, never edited (side effects: audit row).

    Once the indicator has values, a reason is mandatory.
    """
    _require_admin(by)
    value = _decimal(value, _("Cible"))
    value_high = _decimal(value_high, _("Borne haute"))
    reason = (reason or "").strip()
    if value is None:
        raise ValidationError(_("La cible est obligatoire."))
    if value_high is not None and value_high < value:
        raise ValidationError(_("La borne haute doit être supérieure ou égale à la borne basse."))
    if indicator.target_type == Indicator.TargetType.STAY_BETWEEN and value_high is None:
        raise ValidationError(_("Une cible « rester entre » demande une borne haute."))
    has_values = indicator.values.exists()
    previous = (
        IndicatorTarget.objects.select_for_update()
        .filter(indicator=indicator, target_on=target_on, superseded_at__isnull=True)
        .first()
    )
    if (has_values or previous) and not reason:
        raise ValidationError(_("Indiquez le motif du changement : des valeurs ou une cible existent déjà."))
    now = timezone.now()
    if previous:
        IndicatorTarget.objects.filter(pk=previous.pk).update(superseded_at=now)
    target = IndicatorTarget.objects.create(
        indicator=indicator,
        target_on=target_on,
        value=value,
        value_high=value_high,
        reason=reason,
        set_by=by,
        set_at=now,
    )
    if previous:
        IndicatorTarget.objects.filter(pk=previous.pk).update(superseded_by=target)
    audit_log(
        indicator,
        action="strategy.target.set",
        by=by,
        note=reason,
        data={
            "target_on": target_on.isoformat(),
            "value": str(value),
            "high": str(value_high) if value_high is not None else None,
            "previous": str(previous.value) if previous else None,
        },
    )
    computed.invalidate()
    return target


@transaction.atomic
def target_withdraw(*, target: IndicatorTarget, by, reason: str) -> IndicatorTarget:
    """Withdraws a target without replacing it (side effects: kept as superseded, audit row)."""
    _require_admin(by)
    if not (reason or "").strip():
        raise ValidationError(_("Indiquez le motif du retrait de la cible."))
    IndicatorTarget.objects.filter(pk=target.pk, superseded_at__isnull=True).update(superseded_at=timezone.now())
    audit_log(
        target.indicator,
        action="strategy.target.withdraw",
        by=by,
        note=reason,
        data={"target_on": str(target.target_on)},
    )
    computed.invalidate()
    target.refresh_from_db()
    return target


# --------------------------------------------------------------------------- values


def _check_value(indicator: Indicator, value: Decimal) -> None:
    unit = indicator.unit
    if unit == Indicator.Unit.PERCENT and not (0 <= value <= 100):
        raise ValidationError(_("Un pourcentage est compris entre 0 et 100."))
    if unit == Indicator.Unit.BOOL and value not in (0, 1):
        raise ValidationError(_("Un indicateur oui/non vaut 1 (oui) ou 0 (non)."))
    if unit in (Indicator.Unit.COUNT, Indicator.Unit.EUR) and value < 0:
        raise ValidationError(_("La valeur ne peut pas être négative."))


def _period(indicator: Indicator, period_start: date, today: date) -> tuple[date, date]:
    start, end = rules.period_of(indicator.frequency, period_start)
    if start != period_start:
        raise ValidationError(_("La période ne correspond pas à la fréquence de l'indicateur."))
    if start > today:
        raise ValidationError(_("On ne saisit pas la valeur d'une période qui n'a pas commencé."))
    return start, end


def _evidence_save(value: IndicatorValue, evidence) -> None:
    if evidence:
        value.evidence.save(evidence.name, evidence, save=False)
        IndicatorValue.objects.filter(pk=value.pk).update(evidence=value.evidence.name)


@transaction.atomic
def value_enter(
    *,
    indicator: Indicator,
    period_start: date,
    value,
    by,
    comment: str = "",
    evidence=None,
    evidence_url: str = "",
    numerator=None,
    denominator=None,
    today: date | None = None,
) -> IndicatorValue:
    """Enters the value of a period, to be approved by someone else (side effects: file stored, audit row).

    Past periods may be entered late (flagged as such); a period that already has a value is corrected.
    """
    today = today or timezone.localdate()
    if not permissions.can_enter(by, indicator):
        raise PermissionDenied(_("Vous ne contribuez pas à cet indicateur."))
    if indicator.is_computed:
        raise ValidationError(_("Cet indicateur est calculé par l'application : sa valeur ne se saisit pas."))
    amount = _decimal(value, _("Valeur"))
    if amount is None:
        raise ValidationError(_("La valeur est obligatoire."))
    if not (comment or "").strip():
        raise ValidationError(_("Dites en un commentaire d'où vient le chiffre."))
    _check_value(indicator, amount)
    start, end = _period(indicator, period_start, today)
    if IndicatorValue.objects.filter(
        indicator=indicator, period_start=start, status__in=[ValueStatus.APPROVED, ValueStatus.PENDING]
    ).exists():
        raise ValidationError(_("Une valeur existe déjà pour cette période : corrigez-la ou attendez sa validation."))
    try:
        with transaction.atomic():
            row = IndicatorValue.objects.create(
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=amount,
                numerator=_decimal(numerator, _("Numérateur")),
                denominator=_decimal(denominator, _("Dénominateur")),
                source=IndicatorValue.Source.MANUAL,
                comment=comment.strip(),
                evidence_url=evidence_url,
                entered_by=by,
                late=today > rules.due_on(end, indicator.grace_days),
            )
    except IntegrityError as exc:  # someone entered the same period at the same moment
        raise ValidationError(_("Une valeur vient d'être saisie pour cette période.")) from exc
    _evidence_save(row, evidence)
    audit_log(row, action="strategy.value.enter", by=by, note=comment, data={"value": str(amount), "late": row.late})
    return row


@transaction.atomic
def value_correct(
    *,
    original: IndicatorValue,
    value,
    reason: str,
    by,
    comment: str = "",
    evidence=None,
    evidence_url: str = "",
    numerator=None,
    denominator=None,
) -> IndicatorValue:
    """Proposes a correction: a new row superseding `original` once approved (side effect: audit row)."""
    indicator = original.indicator
    reason = (reason or "").strip()
    if original.source != IndicatorValue.Source.MANUAL and not permissions.is_admin(by):
        raise PermissionDenied(_("Seuls les administrateurs de la stratégie corrigent une valeur calculée ou reprise."))
    if not permissions.can_enter(by, indicator):
        raise PermissionDenied(_("Vous ne contribuez pas à cet indicateur."))
    if original.status != ValueStatus.APPROVED:
        raise ValidationError(_("Seule une valeur validée se corrige."))
    if not reason:
        raise ValidationError(_("Le motif de la correction est obligatoire."))
    amount = _decimal(value, _("Valeur"))
    if amount is None:
        raise ValidationError(_("La valeur est obligatoire."))
    _check_value(indicator, amount)
    if IndicatorValue.objects.filter(
        indicator=indicator, period_start=original.period_start, status=ValueStatus.PENDING
    ).exists():
        raise ValidationError(_("Une correction attend déjà sa validation pour cette période."))
    row = IndicatorValue.objects.create(
        indicator=indicator,
        period_start=original.period_start,
        period_end=original.period_end,
        value=amount,
        numerator=_decimal(numerator, _("Numérateur")),
        denominator=_decimal(denominator, _("Dénominateur")),
        source=IndicatorValue.Source.MANUAL,
        comment=comment.strip(),
        evidence_url=evidence_url,
        entered_by=by,
        supersedes=original,
        correction_reason=reason,
        late=True,
    )
    _evidence_save(row, evidence)
    audit_log(row, action="strategy.value.correct", by=by, note=reason, data={"supersedes": str(original.public_id)})
    return row


@transaction.atomic
def value_approve(*, value: IndicatorValue, by) -> IndicatorValue:
    """Approves a pending value (side effects: the corrected row is superseded, audit rows, cache invalidated)."""
    if value.entered_by_id == getattr(by, "pk", None):
        raise ValidationError(_("Quatre yeux : une autre personne que l'auteur de la saisie doit la valider."))
    if not permissions.can_approve(by, value):
        raise PermissionDenied(_("Seul le responsable de l'indicateur ou un administrateur valide une valeur."))
    if value.supersedes_id:
        original = IndicatorValue.objects.get(pk=value.supersedes_id)
        if original.status == ValueStatus.APPROVED:
            transition(original, to=ValueStatus.SUPERSEDED, by=by, note=value.correction_reason)
    transition(value, to=ValueStatus.APPROVED, by=by, approved_by=by, approved_at=timezone.now())
    computed.invalidate()
    return value


@transaction.atomic
def value_reject(*, value: IndicatorValue, by, reason: str) -> IndicatorValue:
    """Refuses a pending value with a reason (side effect: audit row)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Le motif du refus est obligatoire."))
    if not permissions.can_approve(by, value):
        raise PermissionDenied(_("Seul le responsable de l'indicateur ou un administrateur refuse une valeur."))
    transition(value, to=ValueStatus.REJECTED, by=by, note=reason, decision_note=reason)
    return value


@transaction.atomic
def value_import(
    *, indicator: Indicator, period_start: date, value, comment: str, by=None, numerator=None, denominator=None
) -> IndicatorValue:
    """Records a historical figure taken from a trusted document (side effects: approved row, audit row)."""
    start, end = rules.period_of(indicator.frequency, period_start)
    existing = IndicatorValue.objects.filter(
        indicator=indicator, period_start=start, status=ValueStatus.APPROVED
    ).first()
    if existing:
        return existing
    row = IndicatorValue.objects.create(
        indicator=indicator,
        period_start=start,
        period_end=end,
        value=_decimal(value, _("Valeur")),
        numerator=_decimal(numerator, _("Numérateur")),
        denominator=_decimal(denominator, _("Dénominateur")),
        source=IndicatorValue.Source.IMPORT,
        status=ValueStatus.APPROVED,
        comment=comment,
        entered_at=timezone.now(),
        approved_at=timezone.now(),
    )
    audit_log(row, action="strategy.value.import", by=by, note=comment)
    computed.invalidate()
    return row


# --------------------------------------------------------------------------- computed indicators


def _first_period_start(indicator: Indicator) -> date:
    return indicator.baseline_on or indicator.plan.starts_on


@transaction.atomic
def period_close(*, indicator: Indicator, period_start: date, today: date | None = None) -> IndicatorValue | None:
    """Writes the official value of a closed period of a computed indicator (side effect: one approved row).

    Idempotent: returns the existing row if the period already has one; None when the source is
    unavailable or has no figure (retried at the next run).
    """
    today = today or timezone.localdate()
    start, end = rules.period_of(indicator.frequency, period_start)
    if end >= today:
        raise ValidationError(_("La période n'est pas close."))
    existing = IndicatorValue.objects.filter(
        indicator=indicator, period_start=start, status=ValueStatus.APPROVED
    ).first()
    if existing:
        return existing
    result = computed.compute(indicator.metric_code, start, end)
    if not result.available or result.value is None:
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            return IndicatorValue.objects.create(
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=result.value,
                source=IndicatorValue.Source.COMPUTED,
                status=ValueStatus.APPROVED,
                entered_at=now,
                approved_at=now,
                definition_version=result.version,
                fingerprint=computed.fingerprint(
                    indicator_code=indicator.code,
                    metric_code=indicator.metric_code,
                    start=start,
                    end=end,
                    value=result.value,
                ),
                comment=_("Valeur officielle calculée à la clôture de la période."),
            )
    except IntegrityError:  # another run closed it first
        return IndicatorValue.objects.get(indicator=indicator, period_start=start, status=ValueStatus.APPROVED)


def periods_close(*, today: date | None = None) -> dict[str, int]:
    """Closes every missing past period of every computed indicator (side effects: rows, cache invalidated)."""
    today = today or timezone.localdate()
    written = unavailable = 0
    indicators = list(Indicator.objects.filter(kind=Indicator.Kind.COMPUTED).select_related("plan"))
    done = set(
        IndicatorValue.objects.filter(indicator__in=indicators, status=ValueStatus.APPROVED).values_list(
            "indicator_id", "period_start"
        )
    )
    for indicator in indicators:
        if computed.metric_or_none(indicator.metric_code) is None:
            unavailable += 1
            continue
        last = rules.last_closed_period(indicator.frequency, today)
        first = _first_period_start(indicator)
        if first > last[1]:
            continue
        for start, _end in rules.periods_between(indicator.frequency, first, last[1]):
            if (indicator.pk, start) in done:
                continue
            if period_close(indicator=indicator, period_start=start, today=today) is not None:
                written += 1
    if written:
        computed.invalidate()
    logger.info("Clôture des indicateurs calculés : %d valeurs écrites, %d sources indisponibles", written, unavailable)
    return {"written": written, "unavailable": unavailable}


def live_refresh(*, by) -> None:
    """Forgets the cached live values so that the next view recomputes them (side effect: audit row)."""
    computed.invalidate()
    audit_log(None, action="strategy.live.refresh", by=by)


# --------------------------------------------------------------------------- actions and check-ins


@transaction.atomic
def action_post_update(*, action: Action, by, note: str, status: str = "") -> ActionUpdate:
    """Adds a dated update to an action, moving its status if asked (side effects: audit rows)."""
    if not permissions.can_update_action(by, action):
        raise PermissionDenied(_("Seuls le responsable, l'équipe de l'action ou un administrateur la mettent à jour."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Décrivez l'avancement."))
    if status and status != action.status:
        transition(action, to=Action.Status(status), by=by, note=note)
    update = ActionUpdate.objects.create(action=action, by=by, note=note, status=status or "")
    computed.invalidate()
    return update


@transaction.atomic
def checkin_record(
    *,
    objective: Objective,
    cycle: ReviewCycle,
    by,
    status: str,
    confidence: int,
    what_changed: str = "",
    blockers: str = "",
    next_steps: str = "",
    decisions_requested: str = "",
) -> CheckIn:
    """Records (or revises) the pilot's check-in of an objective for a cycle (side effect: audit row)."""
    if not permissions.can_checkin(by, objective):
        raise PermissionDenied(_("Seuls les pilotes de l'objectif ou de son ambition font le point."))
    if cycle.plan_id != objective.plan_id:
        raise ValidationError(_("Ce cycle n'appartient pas au plan de l'objectif."))
    if not 0 <= int(confidence) <= 10:
        raise ValidationError(_("La confiance va de 0 à 10."))
    checkin, created = CheckIn.objects.update_or_create(
        objective=objective,
        cycle=cycle,
        defaults={
            "status": CheckIn.Status(status),
            "confidence": int(confidence),
            "what_changed": what_changed,
            "blockers": blockers,
            "next_steps": next_steps,
            "decisions_requested": decisions_requested,
            "by": by,
            "at": timezone.now(),
        },
    )
    audit_log(
        checkin,
        action="strategy.checkin.create" if created else "strategy.checkin.revise",
        by=by,
        data={"status": status, "confidence": int(confidence)},
    )
    computed.invalidate()
    return checkin


# --------------------------------------------------------------------------- board packs


def figures_digest(figures: dict) -> tuple[dict, str]:
    """The figures as stored (JSON round-trip, order kept) and the SHA-256 of their canonical JSON (sorted keys)."""
    stored = json.loads(json.dumps(figures, cls=DjangoJSONEncoder, ensure_ascii=False))
    canonical = json.dumps(stored, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return stored, hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def boardpack_request(*, plan: Plan, by, title: str, meeting_on: date, today: date | None = None) -> BoardPack:
    """Freezes today's figures for a Bureau meeting and queues the PDF (side effects: row, task after commit)."""
    from . import selectors, tasks

    if not (permissions.is_admin(by) or by.has_perm(permissions.ADD_BOARD_PACK)):
        raise PermissionDenied(_("Seul le Bureau prépare un dossier."))
    title = (title or "").strip() or _("Dossier du Bureau du %(date)s") % {"date": meeting_on.strftime("%d/%m/%Y")}
    figures, digest = figures_digest(selectors.board_pack_figures(plan=plan, today=today or timezone.localdate()))
    pack = BoardPack.objects.create(
        plan=plan, title=title[:200], meeting_on=meeting_on, created_by=by, figures=figures, figures_sha256=digest
    )
    audit_log(pack, action="strategy.boardpack.request", by=by, data={"figures_sha256": digest})
    transaction.on_commit(partial(tasks.boardpack_render.delay, pack.pk))
    return pack


def boardpack_render(*, boardpack_id: int) -> BoardPack:
    """Renders the frozen figures to PDF once (side effects: file stored, SHA-256 recorded, audit row).

    A pack already rendered is left alone: what the Bureau saw never changes.
    """
    from .pdf import board_pack_pdf

    pack = BoardPack.objects.get(pk=boardpack_id)
    if pack.status == BoardPack.Status.READY:
        return pack
    content = board_pack_pdf(pack)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        pack = BoardPack.objects.select_for_update().get(pk=boardpack_id)
        if pack.status == BoardPack.Status.READY:
            return pack
        if pack.pdf:
            pack.pdf.delete(save=False)
        pack.pdf.save(f"dossier-{pack.reference}.pdf", ContentFile(content), save=False)
        BoardPack.objects.filter(pk=pack.pk).update(pdf=pack.pdf.name)
        transition(
            pack,
            to=BoardPack.Status.READY,
            by=None,
            pdf_sha256=digest,
            rendered_at=timezone.now(),
            data={"sha256": digest},
        )
    return pack


def boardpack_integrity(*, pack: BoardPack) -> dict[str, bool]:
    """Whether the stored PDF and figures still match their recorded SHA-256 (no side effect)."""
    _figures, figures_digest_now = figures_digest(pack.figures)
    pdf_ok = False
    if pack.pdf and pack.pdf_sha256:
        with pack.pdf.open("rb") as handle:
            pdf_ok = hashlib.sha256(handle.read()).hexdigest() == pack.pdf_sha256
    return {"pdf": pdf_ok, "figures": figures_digest_now == pack.figures_sha256}


# --------------------------------------------------------------------------- reminders


def reminders_ensure() -> int:
    """Creates the daily digest step if missing and pauses the steps of the retired per-topic rules
    (side effects: INSERTs once, held e-mails and audit rows for a step paused)."""
    from soce.lib.reminders import services as reminders
    from soce.lib.reminders.models import Step

    from .reminders import DIGEST_STEP, RETIRED_RULES

    code, name, rule, template = DIGEST_STEP
    reminders.step_ensure(
        code=code, name=name, rule=rule, template=template, rolling=True, is_reminder=False, campaign="strategy"
    )
    retired = Step.objects.filter(rule__in=RETIRED_RULES, paused=False).select_related("campaign")
    for step in retired:
        reminders.step_set_paused(step=step, paused=True, by=None)
    return 1


# --------------------------------------------------------------------------- the 2023–2030 plan


@transaction.atomic
def plan_2030_seed() -> dict[str, int]:
    """Creates what is missing of the #DemainLaSoce 2023–2030 plan as the strategy document words it
    (vision, axes, ambitions, objectives), never changing what exists (side effects: INSERTs, audit row).

    An objective is found by its wording or its code in the plan, so one that staff moved to another
    ambition (new code) or reworded (same code) is not created twice. The plan becomes the one in
    force only if no plan is.
    """
    from . import plan_2030 as source

    created = {"plan": 0, "axes": 0, "ambitions": 0, "objectives": 0}
    plan = Plan.objects.filter(code=source.PLAN_CODE).first()
    if plan is None:
        plan = Plan.objects.create(
            code=source.PLAN_CODE,
            name=source.PLAN_NAME,
            vision=source.VISION,
            starts_on=source.STARTS_ON,
            ends_on=source.ENDS_ON,
            is_current=not Plan.objects.filter(is_current=True).exists(),
        )
        created["plan"] = 1
    for number, label in enumerate(source.AXES, start=1):
        _axis, made = Axis.objects.get_or_create(plan=plan, number=number, defaults={"label": label})
        created["axes"] += made
    titles = set(Objective.objects.filter(plan=plan).values_list("title", flat=True))
    codes = set(Objective.objects.filter(plan=plan).values_list("code", flat=True))
    for a_position, (a_code, a_title, a_statement, objectives) in enumerate(source.AMBITIONS, start=1):
        ambition, made = Ambition.objects.get_or_create(
            plan=plan, code=a_code, defaults={"title": a_title, "statement": a_statement, "position": a_position}
        )
        created["ambitions"] += made
        for o_position, o_title in enumerate(objectives, start=1):
            code = f"{a_code}.O{o_position}"
            if o_title in titles or code in codes:
                continue
            Objective.objects.create(plan=plan, ambition=ambition, code=code, title=o_title, position=o_position)
            created["objectives"] += 1
    if any(created.values()):
        audit_log(plan, action="strategy.plan.seed", by=None, data=created)
        computed.invalidate()
    return created
