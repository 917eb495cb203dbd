"""Écritures des membres et des cotisations : toute modification passe par ici."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date
from decimal import Decimal
from functools import partial

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.db.models.functions import Lower
from django.utils import timezone

from soce.lib.audit import audit_log
from soce.lib.exceptions import BusinessError
from soce.lib.models import AuditEvent
from soce.lib.money import ZERO, eur
from soce.lib.states import history_after_update, transition

from .models import (
    AssociationSettings,
    Cotisation,
    CotisationStatus,
    GridStatus,
    Lifecycle,
    Member,
    Payment,
    PaymentKind,
    Rate,
    RateGrid,
    RateKind,
    ReceiptSequence,
    TaxReceipt,
)
from .rates import RateChoice, lifetime_rate, resolve_rate
from .signals import dues_status_changed

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def today() -> date:
    return timezone.localdate()


# --- Grids -----------------------------------------------------------------------------------------


def grid_published(year: int) -> RateGrid | None:
    return RateGrid.objects.filter(year=year, status=GridStatus.PUBLISHED).first()


@transaction.atomic
def grid_publish(*, grid: RateGrid, by) -> RateGrid:
    """Publishes a draft grid (side effects: status change, audit row)."""
    if not grid.rates.filter(kind=RateKind.STANDARD).exists():
        raise BusinessError("Une grille doit contenir un tarif normal avant d'être publiée.")
    transition(grid, to=GridStatus.PUBLISHED, by=by, note="Publication de la grille")
    return grid


@transaction.atomic
def grid_prepare_next(*, grid: RateGrid, by) -> RateGrid:
    """Copies a grid to the next year as a draft (side effects: INSERTs, audit row)."""
    year = grid.year + 1
    if RateGrid.objects.filter(year=year).exists():
        raise BusinessError(f"La grille {year} existe déjà.")
    new = RateGrid.objects.create(year=year, notes=f"Préparée à partir de la grille {grid.year}.")
    Rate.objects.bulk_create(
        [
            Rate(
                grid=new,
                code=r.code,
                label=r.label,
                kind=r.kind,
                amount_eur=r.amount_eur,
                category_id=r.category_id,
                jp_tier=r.jp_tier,
                reduction=r.reduction,
                position=r.position,
            )
            for r in grid.rates.all()
        ]
    )
    audit_log(new, action="grid.prepare", by=by, data={"from": grid.year})
    return new


def grid_simulate(*, grid: RateGrid) -> dict:
    """How many people fall in each rate of the grid, and the expected total, if last year's payers renew.

    The population is the members up to date the year before the grid (or active alumni when nobody is).
    """
    rates = list(grid.rates.select_related("category"))
    population = (
        Member.objects.filter(status=Lifecycle.ACTIVE)
        .filter(Q(paid_through_year__gte=grid.year - 1) | Q(lifetime_since__isnull=False))
        .select_related("category")
        .prefetch_related("reduced_rates")
    )
    rows: dict[str, dict] = {r.code: {"rate": r, "count": 0, "total_eur": ZERO} for r in rates}
    none = {"count": 0}
    for member in population.iterator(chunk_size=2000):
        choice = resolve_rate(member, grid, rates=rates, grants=list(member.reduced_rates.all()))
        if choice.rate is None:
            none["count"] += 1
            continue
        row = rows[choice.rate.code]
        row["count"] += 1
        row["total_eur"] += choice.rate.amount_eur
    return {
        "rows": list(rows.values()),
        "without_rate": none["count"],
        "people": sum(r["count"] for r in rows.values()) + none["count"],
        "expected_total_eur": sum((r["total_eur"] for r in rows.values()), ZERO),
    }


# --- Renewal -------------------------------------------------------------------------------------


def renewal_year_for(member: Member, *, on: date | None = None) -> int | None:
    """The year this member should pay now: this year if unpaid, else next year once its grid is out."""
    on = on or today()
    if member.status in (Lifecycle.DECEASED,):
        return None
    for year in (on.year, on.year + 1):
        if not member.is_up_to_date(year) and grid_published(year) is not None:
            return year
    return None


def rate_choice_for(member: Member, year: int) -> RateChoice:
    grid = grid_published(year)
    if grid is None:
        raise BusinessError(f"La grille des cotisations {year} n'est pas encore publiée.")
    return resolve_rate(member, grid)


def _new_transfer_reference(year: int) -> str:
    return f"SOCE-{year}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


@transaction.atomic
def cotisation_open(
    *,
    member: Member,
    year: int,
    gift_eur: Decimal | str | int = 0,
    method: str = "",
    lifetime: bool = False,
    by=None,
) -> Cotisation:
    """Creates (or updates while unpaid) the member's cotisation for `year` with the grid's rate.

    Side effects: INSERT/UPDATE of the cotisation, audit row. The payment itself is recorded by staff.
    """
    if member.status == Lifecycle.DECEASED:
        raise BusinessError("Ce membre est décédé : aucune cotisation ne peut être ouverte.")
    grid = grid_published(year)
    if grid is None:
        raise BusinessError(f"La grille des cotisations {year} n'est pas encore publiée.")
    gift = eur(gift_eur)
    if gift < 0:
        raise BusinessError("Le don ne peut pas être négatif.")
    if lifetime:
        rate = lifetime_rate(grid)
        if rate is None:
            raise BusinessError("La cotisation à vie n'est pas proposée cette année.")
        choice = RateChoice(rate, f"{rate.label} — versée une fois pour toutes")
    else:
        choice = resolve_rate(member, grid)
    cotisation = Cotisation.objects.select_for_update().filter(member=member, year=year).first()
    now = timezone.now()
    if cotisation is not None and cotisation.status == CotisationStatus.PAID:
        raise BusinessError(f"Votre cotisation {year} est déjà réglée : merci !")
    if cotisation is None:
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    cotisation = Cotisation.objects.create(
                        member=member,
                        year=year,
                        rate=choice.rate,
                        rate_code=choice.rate.code if choice.rate else "",
                        rate_label=choice.reason,
                        amount_due_eur=choice.amount_eur,
                        gift_eur=gift,
                        declared_method=method,
                        declared_at=now if method else None,
                        transfer_reference=_new_transfer_reference(year),
                    )
                break
            except IntegrityError:
                if Cotisation.objects.filter(member=member, year=year).exists():
                    raise BusinessError("Cette cotisation vient d'être créée : rechargez la page.") from None
        action = "cotisation.open"
    else:
        if cotisation.status in (CotisationStatus.CANCELLED, CotisationStatus.WAIVED):
            transition(cotisation, to=CotisationStatus.DUE, by=by, note="Réouverture par le membre")
        fields = {"gift_eur": gift, "declared_method": method, "declared_at": now if method else None}
        if not cotisation.payments.exists() and not cotisation.override_reason:
            fields.update(
                rate=choice.rate,
                rate_code=choice.rate.code if choice.rate else "",
                rate_label=choice.reason,
                amount_due_eur=choice.amount_eur,
            )
        Cotisation.objects.filter(pk=cotisation.pk).update(**fields)
        history_after_update(Cotisation, [cotisation.pk], by=by, reason="Renouvellement par le membre")
        for key, value in fields.items():
            setattr(cotisation, key, value)
        action = "cotisation.update"
    audit_log(
        cotisation, action=action, by=by, data={"gift": str(gift), "method": method, "rate": cotisation.rate_code}
    )
    return cotisation


@transaction.atomic
def cotisation_override_rate(
    *, cotisation: Cotisation, amount_eur, reason: str, by, rate: Rate | None = None
) -> Cotisation:
    """Staff override of the computed rate, with a reason (side effects: UPDATE, audit row, status recompute)."""
    if not reason.strip():
        raise BusinessError("Indiquez le motif de la dérogation.")
    cotisation = Cotisation.objects.select_for_update().get(pk=cotisation.pk)
    before = {"amount": str(cotisation.amount_due_eur), "rate": cotisation.rate_code}
    cotisation.amount_due_eur = eur(amount_eur)
    cotisation.override_reason = reason.strip()
    if rate is not None:
        cotisation.rate, cotisation.rate_code = rate, rate.code
    cotisation.rate_label = f"{cotisation.rate_label.split(' — dérogation')[0]} — dérogation : {reason.strip()}"[:200]
    cotisation.save(update_fields=["amount_due_eur", "override_reason", "rate", "rate_code", "rate_label"])
    audit_log(
        cotisation,
        action="cotisation.override",
        by=by,
        note=reason,
        data={"before": before, "after": str(cotisation.amount_due_eur)},
    )
    _recompute(cotisation, by=by, note=f"Dérogation au tarif : {reason.strip()}")
    return cotisation


@transaction.atomic
def cotisation_waive(*, cotisation: Cotisation, reason: str, by) -> Cotisation:
    """Waives a cotisation (side effects: status change, audit row, member status)."""
    cotisation = Cotisation.objects.select_for_update().get(pk=cotisation.pk)
    transition(cotisation, to=CotisationStatus.WAIVED, by=by, note=reason)
    _member_dues_changed(cotisation.member_id, by=by)
    return cotisation


@transaction.atomic
def cotisation_cancel(*, cotisation: Cotisation, reason: str, by) -> Cotisation:
    """Cancels an unpaid cotisation (side effects: status change, audit row)."""
    cotisation = Cotisation.objects.select_for_update().get(pk=cotisation.pk)
    if cotisation.paid_eur > 0:
        raise BusinessError("Contre-passez d'abord les paiements de cette cotisation.")
    transition(cotisation, to=CotisationStatus.CANCELLED, by=by, note=reason)
    _member_dues_changed(cotisation.member_id, by=by)
    return cotisation


# --- Payments ------------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    cotisation: Cotisation,
    amount_eur,
    method: str,
    paid_on: date,
    reference: str = "",
    note: str = "",
    by,
) -> Payment:
    """Records a payment (side effects: INSERT, cotisation and member status, receipt after commit, signal)."""
    cotisation = Cotisation.objects.select_for_update().select_related("member").get(pk=cotisation.pk)
    amount = eur(amount_eur)
    if amount <= 0:
        raise BusinessError("Le montant d'un paiement doit être positif.")
    if cotisation.status == CotisationStatus.PAID:
        # Nothing is owed: a second cheque or transfer is a duplicate to return (or a mistake of cotisation),
        # not an overpayment to record silently and put on a tax receipt.
        raise BusinessError(
            f"La cotisation {cotisation.year} est déjà réglée : aucun paiement à enregistrer. "
            "Vérifiez qu'il ne s'agit pas d'un doublon ou d'une autre année."
        )
    if cotisation.status in (CotisationStatus.CANCELLED, CotisationStatus.WAIVED):
        raise BusinessError("Cette cotisation est annulée ou exonérée : rouvrez-la avant d'enregistrer un paiement.")
    if paid_on > today():
        raise BusinessError("La date du paiement ne peut pas être dans le futur.")
    payment = Payment.objects.create(
        cotisation=cotisation,
        amount_eur=amount,
        method=method,
        paid_on=paid_on,
        reference=reference.strip(),
        note=note,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_log(payment, action="payment.record", by=by, data={"amount": str(amount), "method": method})
    _recompute(cotisation, by=by, note=f"Paiement de {amount} € ({method})")
    return payment


@transaction.atomic
def payment_reverse(*, payment: Payment, reason: str, by) -> Payment:
    """Reverses a payment by a counter-entry (side effects: INSERT, statuses, audit row, signal)."""
    if not reason.strip():
        raise BusinessError("Indiquez le motif de la contre-passation.")
    cotisation = Cotisation.objects.select_for_update().get(pk=payment.cotisation_id)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.kind != PaymentKind.PAYMENT:
        raise BusinessError("Une contre-passation ne se contre-passe pas : enregistrez un nouveau paiement.")
    if Payment.objects.filter(reverses=payment).exists():
        raise BusinessError("Ce paiement a déjà été contre-passé.")
    reversal = Payment.objects.create(
        cotisation=cotisation,
        kind=PaymentKind.REVERSAL,
        amount_eur=payment.amount_eur,
        method=payment.method,
        paid_on=today(),
        reference=payment.reference,
        note=reason.strip(),
        reverses=payment,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_log(payment, action="payment.reverse", by=by, note=reason)
    _recompute(cotisation, by=by, note=f"Contre-passation : {reason.strip()}")
    return reversal


def _recompute(cotisation: Cotisation, *, by, note: str = "") -> None:
    """Brings paid amount and status in line with the payments, then the member's standing."""
    paid = ZERO
    for kind, amount in cotisation.payments.values_list("kind", "amount_eur"):
        paid += -amount if kind == PaymentKind.REVERSAL else amount
    paid = max(paid, ZERO)
    total = cotisation.amount_due_eur + cotisation.gift_eur
    if cotisation.status in (CotisationStatus.WAIVED, CotisationStatus.CANCELLED):
        target = cotisation.status
    elif paid >= total and (paid > 0 or total == 0):
        target = CotisationStatus.PAID
    elif paid > 0:
        target = CotisationStatus.PARTIAL
    else:
        target = CotisationStatus.DUE
    paid_changed = paid != cotisation.paid_eur
    if cotisation.status == CotisationStatus.PAID and (target != CotisationStatus.PAID or paid_changed):
        # The receipt certified this very amount received for a paid cotisation: it no longer holds. It is
        # cancelled (kept in the numbering); if the cotisation is still paid, a new one is issued below.
        _tax_receipt_cancel_valid(cotisation, reason=note or "Montant réglé modifié", by=by)
    if target != cotisation.status:
        extra = {"paid_at": timezone.now()} if target == CotisationStatus.PAID else {"paid_at": None}
        if target == CotisationStatus.PAID:
            member = Member.objects.select_for_update().get(pk=cotisation.member_id)
            if member.status in (Lifecycle.STRUCK_OFF, Lifecycle.RESIGNED):
                extra["is_return"] = member.status == Lifecycle.STRUCK_OFF
                transition(
                    member,
                    to=Lifecycle.ACTIVE,
                    by=by,
                    note=f"Retour : cotisation {cotisation.year} réglée",
                    struck_off_on=None,
                    struck_off_reason="",
                )
            if cotisation.rate_id and cotisation.rate.kind == RateKind.LIFETIME and not member.lifetime_since:
                Member.objects.filter(pk=member.pk).update(lifetime_since=cotisation.year)
                history_after_update(Member, [member.pk], by=by, reason=f"Membre à vie depuis {cotisation.year}")
        # The paid amount goes in the same compare-and-swap UPDATE as the status: one history row.
        transition(cotisation, to=target, by=by, note=note, paid_eur=paid, **extra)
    elif paid_changed:
        Cotisation.objects.filter(pk=cotisation.pk).update(paid_eur=paid)
        history_after_update(Cotisation, [cotisation.pk], by=by, reason=note or f"Réglé : {paid} €")
        cotisation.paid_eur = paid
    _member_dues_changed(cotisation.member_id, by=by)
    if cotisation.status == CotisationStatus.PAID:
        from .tasks import tax_receipt_issue_task

        transaction.on_commit(partial(tax_receipt_issue_task.delay, cotisation.pk))


def _member_dues_changed(member_id: int, *, by=None) -> None:
    """Brings the member's paid-through year in line with the dues (UPDATE and history row when it moves)."""
    latest = Cotisation.objects.filter(
        member_id=member_id, status__in=[CotisationStatus.PAID, CotisationStatus.WAIVED]
    ).aggregate(y=Max("year"))["y"]
    member = Member.objects.only("status", "paid_through_year", "lifetime_since").get(pk=member_id)
    if member.paid_through_year != latest:
        Member.objects.filter(pk=member_id).update(paid_through_year=latest)
        history_after_update(Member, [member_id], by=by, reason=f"À jour jusqu'à : {latest or '—'}")
        member.paid_through_year = latest
    up_to_date = member.is_up_to_date(today().year)
    transaction.on_commit(partial(dues_status_changed.send, sender=Member, member_id=member_id, up_to_date=up_to_date))


# --- Standing ------------------------------------------------------------------------------------


@transaction.atomic
def member_strike_off(*, member: Member, reason: str, by, on: date | None = None) -> Member:
    """Strikes one member off (side effects: status change, audit row, signal)."""
    transition(
        member, to=Lifecycle.STRUCK_OFF, by=by, note=reason, struck_off_on=on or today(), struck_off_reason=reason[:200]
    )
    _member_dues_changed(member.pk, by=by)
    return member


@transaction.atomic
def member_reinstate(*, member: Member, reason: str, by) -> Member:
    """Reinstates a struck-off or resigned member (side effects: status change, audit row, signal)."""
    transition(member, to=Lifecycle.ACTIVE, by=by, note=reason, struck_off_on=None, struck_off_reason="")
    _member_dues_changed(member.pk, by=by)
    return member


@transaction.atomic
def member_resign(*, member: Member, reason: str, by) -> Member:
    """Records a resignation (side effects: status change, audit and history rows, signal).

    Reminders and calls for dues skip resigned members; paying again brings them back (see _recompute).
    """
    if not reason.strip():
        raise BusinessError("Indiquez le motif de la démission.")
    transition(member, to=Lifecycle.RESIGNED, by=by, note=f"Démission : {reason.strip()}")
    _member_dues_changed(member.pk, by=by)
    return member


@transaction.atomic
def member_mark_deceased(*, member: Member, on: date, by, note: str = "") -> Member:
    """Records a death (side effects: status change, audit and history rows, unpaid dues cancelled, signal).

    No more calls for dues nor reminders: the cotisations still due with nothing paid are cancelled; what was
    paid stays in the accounts.
    """
    if on > today():
        raise BusinessError("La date du décès ne peut pas être dans le futur.")
    label = f"Décès le {on:%d/%m/%Y}" + (f" : {note.strip()}" if note.strip() else "")
    transition(member, to=Lifecycle.DECEASED, by=by, note=label, deceased_on=on)
    unpaid = Cotisation.objects.filter(member=member, status=CotisationStatus.DUE, paid_eur=0)
    for cotisation in unpaid.select_for_update():
        transition(cotisation, to=CotisationStatus.CANCELLED, by=by, note=label)
    _member_dues_changed(member.pk, by=by)
    return member


def members_strike_off_unpaid(*, on: date | None = None, by=None) -> int:
    """The yearly job: strikes off members with N unpaid years (side effects: bulk UPDATE, history and audit rows)."""
    on = on or today()
    years = AssociationSettings.load().strike_off_after_years
    last_paid_limit = on.year - 1 - years
    reason = f"Non-paiement de {years} années de cotisation"
    candidates = Member.objects.filter(
        status=Lifecycle.ACTIVE,
        lifetime_since__isnull=True,
        paid_through_year__isnull=False,
        paid_through_year__lte=last_paid_limit,
    )
    from django.contrib.contenttypes.models import ContentType

    ctype = ContentType.objects.get_for_model(Member)
    total = 0
    ids = list(candidates.values_list("pk", flat=True))
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        with transaction.atomic():
            # Compare-and-swap in bulk: lock the rows still meeting the rule, change exactly those.
            struck = list(candidates.filter(pk__in=chunk).select_for_update().values_list("pk", flat=True))
            changed = Member.objects.filter(pk__in=struck).update(
                status=Lifecycle.STRUCK_OFF,
                status_changed_at=timezone.now(),
                struck_off_on=on,
                struck_off_reason=reason,
            )
            history_after_update(Member, struck, by=by, reason=reason)
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        actor=by if getattr(by, "is_authenticated", False) else None,
                        actor_repr=str(by) if by else "tâche annuelle",
                        action=f"status.{Lifecycle.STRUCK_OFF}",
                        content_type=ctype,
                        object_id=str(pk),
                        note=reason,
                        data={"from": "active", "to": "struck_off"},
                    )
                    for pk in struck
                ]
            )
            total += changed
            for pk in struck:
                transaction.on_commit(partial(dues_status_changed.send, sender=Member, member_id=pk, up_to_date=False))
    return total


# --- Tax receipts --------------------------------------------------------------------------------


def _donor_snapshot(member: Member) -> dict:
    return {
        "civility": member.civility,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "address_line1": member.address_line1,
        "address_line2": member.address_line2,
        "postal_code": member.postal_code,
        "city": member.city,
        "country": member.country,
    }


def _issuer_snapshot(conf: AssociationSettings) -> dict:
    return {
        "name": conf.legal_name,
        "address": conf.legal_address,
        "object": conf.legal_object,
        "decree": conf.public_utility_decree,
        "signatory": conf.receipt_signatory,
    }


def tax_receipt_issue(*, cotisation: Cotisation) -> TaxReceipt | None:
    """Numbers a receipt for a paid cotisation, once (side effects: sequence bump, INSERT, PDF after commit).

    The number is taken under a row lock in the same transaction as the receipt: no gaps, no doubles.
    A cancelled receipt is never reused: a cotisation paid again gets a new receipt with a new number.
    """
    with transaction.atomic():
        cotisation = Cotisation.objects.select_for_update().select_related("member").get(pk=cotisation.pk)
        existing = TaxReceipt.objects.filter(cotisation=cotisation, cancelled_at__isnull=True).first()
        if existing is not None or cotisation.status != CotisationStatus.PAID:
            return existing
        conf = AssociationSettings.load()
        dues_part = min(cotisation.paid_eur, cotisation.amount_due_eur)
        gift_part = cotisation.paid_eur - dues_part
        amount = (dues_part if conf.dues_tax_deductible else ZERO) + gift_part
        if amount <= 0:
            return None
        # The latest payment still standing (a reversed one is no longer a payment received).
        last = (
            cotisation.payments.filter(kind=PaymentKind.PAYMENT, reversed_by__isnull=True)
            .order_by("-paid_on", "-recorded_at", "-pk")
            .first()
        )
        year = today().year
        ReceiptSequence.objects.get_or_create(year=year)
        sequence = ReceiptSequence.objects.select_for_update().get(year=year)
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        receipt = TaxReceipt.objects.create(
            year=year,
            sequence=sequence.last_number,
            number=f"{year}-{sequence.last_number:06d}",
            cotisation=cotisation,
            member=cotisation.member,
            amount_eur=amount,
            dues_eur=dues_part if conf.dues_tax_deductible else ZERO,
            gift_eur=gift_part,
            payment_date=last.paid_on if last else today(),
            payment_method=last.method if last else "transfer",
            donor=_donor_snapshot(cotisation.member),
            issuer=_issuer_snapshot(conf),
        )
        audit_log(receipt, action="receipt.issue", by=None, data={"number": receipt.number, "amount": str(amount)})
        from .tasks import tax_receipt_render_task

        transaction.on_commit(partial(tax_receipt_render_task.delay, receipt.pk))
    return receipt


def _tax_receipt_cancel_valid(cotisation: Cotisation, *, reason: str, by) -> TaxReceipt | None:
    receipt = TaxReceipt.objects.select_for_update().filter(cotisation=cotisation, cancelled_at__isnull=True).first()
    if receipt is not None:
        tax_receipt_cancel(receipt=receipt, reason=reason, by=by)
    return receipt


@transaction.atomic
def tax_receipt_cancel(*, receipt: TaxReceipt, reason: str, by) -> TaxReceipt:
    """Cancels a receipt: kept with its number, marked « annulé » with date and reason, out of the declaration.

    Side effects: UPDATE, audit row, the PDF rendered again after commit with the cancellation (the file
    issued before is kept in the storage).
    """
    if not reason.strip():
        raise BusinessError("Indiquez le motif de l'annulation du reçu.")
    locked = TaxReceipt.objects.select_for_update().get(pk=receipt.pk)
    if locked.cancelled_at is not None:
        raise BusinessError(f"Le reçu n° {locked.number} est déjà annulé.")
    now = timezone.now()
    TaxReceipt.objects.filter(pk=locked.pk).update(
        cancelled_at=now, cancel_reason=reason.strip()[:200], pdf="", pdf_sha256=""
    )
    receipt.cancelled_at, receipt.cancel_reason, receipt.pdf, receipt.pdf_sha256 = now, reason.strip()[:200], "", ""
    audit_log(receipt, action="receipt.cancel", by=by, note=reason, data={"number": receipt.number})
    from .tasks import tax_receipt_render_task

    transaction.on_commit(partial(tax_receipt_render_task.delay, receipt.pk))
    return receipt


def tax_receipt_pdf(*, receipt: TaxReceipt) -> bytes:
    """The receipt's PDF: rendered and stored the first time, the stored bytes afterwards (side effect: file)."""
    if receipt.pdf:
        with receipt.pdf.open("rb") as fh:
            return fh.read()
    from .pdf import tax_receipt_render

    data = tax_receipt_render(receipt)
    with transaction.atomic():
        locked = TaxReceipt.objects.select_for_update().get(pk=receipt.pk)
        if locked.pdf:  # rendered meanwhile by another request or the task
            receipt.pdf = locked.pdf
            with locked.pdf.open("rb") as fh:
                return fh.read()
        suffix = "-annule" if locked.cancelled_at else ""
        locked.pdf.save(f"{receipt.year}/recu-{receipt.number}{suffix}.pdf", ContentFile(data), save=False)
        locked.pdf_sha256 = hashlib.sha256(data).hexdigest()
        locked.save(update_fields=["pdf", "pdf_sha256"])
        receipt.pdf, receipt.pdf_sha256 = locked.pdf, locked.pdf_sha256
    return data


def receipts_total(year: int):
    """The total of the receipts issued in `year` that still hold (cancelled ones are not declared)."""
    return TaxReceipt.objects.filter(year=year, cancelled_at__isnull=True).aggregate(s=Sum("amount_eur"))["s"] or ZERO


@transaction.atomic
def member_set_reminders_opt_out(*, member: Member, opt_out: bool, by, request=None) -> Member:
    """Stops or restores dues reminders (the annual call still arrives) (side effects: UPDATE, history, audit rows)."""
    Member.objects.filter(pk=member.pk).update(reminders_opt_out=opt_out)
    history_after_update(Member, [member.pk], by=by, reason="Relances arrêtées" if opt_out else "Relances rétablies")
    member.reminders_opt_out = opt_out
    audit_log(member, action="reminders.opt_out" if opt_out else "reminders.opt_in", by=by, request=request)
    return member


@transaction.atomic
def member_link_confirmed_email(*, user, email: str) -> Member | None:
    """Links a login to the member record bearing the e-mail it just confirmed, when exactly one does.

    Only when that one record (same e-mail, case aside, not anonymised) has no login yet, is not a deceased
    person, and the login has no record: otherwise the secretariat links by hand (ambiguous or taken).
    Side effects: UPDATE of Member.user (history row), audit row. Returns the member linked, or None.
    """
    email = (email or "").strip().lower()
    if not email or Member.objects.filter(user=user).exists():
        return None
    # Lower(email) is indexed (member_email_ci_idx): no scan of the 100,000 records.
    matches = list(
        Member.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci=email, anonymised_at__isnull=True)
        .select_for_update()[:2]
    )
    if len(matches) != 1:
        return None
    member = matches[0]
    if member.user_id is not None or member.status == Lifecycle.DECEASED:
        return None
    member.user = user
    member._change_reason = "Compte relié : e-mail confirmé"
    member.save(update_fields=["user"])
    audit_log(member, action="member.link_account", by=user, data={"email": email})
    return member


def tax_receipts_issue_missing(*, year: int) -> list[int]:
    """Numbers a receipt for every paid cotisation of `year` that has none; returns the ids to render.

    Side effects: receipt rows (one transaction each, so the numbering stays gap-free under concurrency).
    """
    valid = TaxReceipt.objects.filter(cotisation=OuterRef("pk"), cancelled_at__isnull=True)
    missing = Cotisation.objects.filter(year=year, status=CotisationStatus.PAID).exclude(Exists(valid))
    for cotisation in missing.iterator(chunk_size=1000):
        tax_receipt_issue(cotisation=cotisation)
    return list(TaxReceipt.objects.filter(cotisation__year=year, pdf="").order_by("pk").values_list("pk", flat=True))
