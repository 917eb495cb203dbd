"""Données personnelles d'un membre (RGPD) : ce qu'il modifie lui-même, ses consentements, l'export et l'effacement.

The higher apps (volunteers, entraide…) hold data about members too, but members may not import them. They
register their part here from their `AppConfig.ready()`:

    from members import gdpr
    gdpr.register_export("benevolat", lambda member: {...})         # a JSON-serialisable section
    gdpr.register_eraser("benevolat", lambda *, member, by: ...)     # runs inside member_anonymise's transaction
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from soce.lib.audit import audit_log
from soce.lib.exceptions import BusinessError
from soce.lib.models import AuditEvent, EmailStatus, OutgoingEmail

from .models import Cotisation, GroupMembership, Member, Payment, TaxReceipt, User, Visibility

ExportFunc = Callable[[Member], Any]
EraseFunc = Callable[..., None]

_EXPORTS: dict[str, ExportFunc] = {}
_ERASERS: dict[str, EraseFunc] = {}


def register_export(name: str, func: ExportFunc) -> None:
    """Adds a section `name` to « mes données »: `func(member)` returns JSON-serialisable data."""
    _EXPORTS[name] = func


def register_eraser(name: str, func: EraseFunc) -> None:
    """Adds a step to the erasure: `func(*, member, by)` removes or anonymises that app's personal data."""
    _ERASERS[name] = func


def registered_sections() -> list[str]:
    """Names of the sections other apps add to the export."""
    return sorted(_EXPORTS)


# --- Edits by the person -------------------------------------------------------------------------

PROFILE_FIELDS = (
    "email",
    "email_alt",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "employer",
    "position",
    "sector",
)
AUDITED_FIELDS = ("email", "email_alt")
VISIBILITY_FIELDS = ("email_visibility", "phone_visibility", "address_visibility", "employer_visibility")


def _lock(member: Member) -> Member:
    return Member.objects.select_for_update().get(pk=member.pk)


@transaction.atomic
def member_profile_update(*, member: Member, data: dict[str, Any], by, request=None) -> Member:
    """Updates one's contact details (side effects: UPDATE, history row, audit row when an e-mail changes)."""
    locked = _lock(member)
    changed = {}
    for name in PROFILE_FIELDS:
        if name in data and data[name] != getattr(locked, name):
            changed[name] = (getattr(locked, name), data[name])
            setattr(locked, name, data[name])
    if not changed:
        return locked
    locked._change_reason = "Modifié par la personne (profil)"
    locked.save(update_fields=list(changed))
    for name in AUDITED_FIELDS:
        if name in changed:
            old, new = changed[name]
            audit_log(
                locked,
                action="member.email_change",
                by=by,
                data={"field": name, "from": old, "to": new},
                request=request,
            )
    return locked


@transaction.atomic
def member_privacy_update(
    *,
    member: Member,
    visibilities: dict[str, str],
    directory_listed: bool,
    newsletter: bool,
    reminders_opt_out: bool,
    by,
    request=None,
) -> Member:
    """Records who sees what and the dated consents (side effects: UPDATE, history row, audit row on change)."""
    locked = _lock(member)
    now = timezone.now()
    changes: dict[str, Any] = {}
    for name in VISIBILITY_FIELDS:
        value = visibilities.get(name, getattr(locked, name))
        if value not in Visibility.values:
            raise BusinessError("Choix de visibilité inconnu.")
        if value != getattr(locked, name):
            changes[name] = value
            setattr(locked, name, value)
    for flag, attr in ((directory_listed, "directory_consent_at"), (newsletter, "newsletter_consent_at")):
        given = getattr(locked, attr) is not None
        if flag and not given:
            setattr(locked, attr, now)
            changes[attr] = "given"
        elif given and not flag:
            setattr(locked, attr, None)
            changes[attr] = "withdrawn"
    if reminders_opt_out != locked.reminders_opt_out:
        locked.reminders_opt_out = reminders_opt_out
        changes["reminders_opt_out"] = reminders_opt_out
    if not changes:
        return locked
    locked._change_reason = "Modifié par la personne (confidentialité)"
    locked.save(update_fields=[name for name in changes])
    audit_log(locked, action="member.privacy", by=by, data=changes, request=request)
    return locked


# --- Export (right of access and portability) ---------------------------------------------------

MEMBER_EXCLUDED = {"id", "user"}


def _dt(value):
    return value.isoformat() if value else None


def _member_record(member: Member) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in Member._meta.concrete_fields:
        if f.name in MEMBER_EXCLUDED:
            continue
        value = getattr(member, f.attname)
        if f.is_relation:
            related = getattr(member, f.name)
            value = str(related) if related is not None else None
        out[f.name] = value
    out["promo_label"] = member.promo_label
    return out


def _audit_events(member: Member) -> list[dict[str, Any]]:
    member_ct = ContentType.objects.get_for_model(Member)
    about = Q(content_type=member_ct, object_id=str(member.pk))
    if member.user_id:
        about |= Q(content_type=ContentType.objects.get_for_model(User), object_id=str(member.user_id))
        about |= Q(actor_id=member.user_id)
    return [
        {"at": e.at, "action": e.action, "by": e.actor_repr, "object": e.object_repr, "note": e.note, "data": e.data}
        for e in AuditEvent.objects.filter(about).order_by("at", "id")
    ]


def _addresses(member: Member) -> set[str]:
    found = {member.email, member.email_alt}
    if member.user_id:
        found.add(member.user.email)
    return {a.lower() for a in found if a}


def _emails_sent(addresses: set[str]) -> list[dict[str, Any]]:
    if not addresses:
        return []
    match = Q()
    for address in addresses:
        match |= Q(to__iexact=address)
    return [
        {"subject": subject, "to": to, "status": status, "created_at": created, "sent_at": sent}
        for subject, to, status, created, sent in OutgoingEmail.objects.filter(match)
        .order_by("created_at", "id")
        .values_list("subject", "to", "status", "created_at", "sent_at")
    ]


def member_data(*, member: Member) -> dict[str, Any]:
    """Everything the app holds about this person, as JSON-ready data (reads only)."""
    member = Member.objects.select_related("campus", "category", "user", "partner").get(pk=member.pk)
    user = member.user
    cotisations = list(Cotisation.objects.filter(member=member).order_by("year"))
    payments = Payment.objects.filter(cotisation__member=member).select_related("cotisation").order_by("paid_on", "id")
    data: dict[str, Any] = {
        "export": {"generated_at": timezone.now(), "format": "soce-mes-donnees/1"},
        "member": _member_record(member),
        "account": (
            {
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "date_joined": user.date_joined,
                "last_login": user.last_login,
                "is_active": user.is_active,
            }
            if user
            else None
        ),
        "consents": {
            "directory": _dt(member.directory_consent_at),
            "newsletter": _dt(member.newsletter_consent_at),
            "reminders_opt_out": member.reminders_opt_out,
            **{name: getattr(member, name) for name in VISIBILITY_FIELDS},
        },
        "groups": [
            {
                "group": gm.group.name,
                "kind": gm.group.get_kind_display(),
                "role": gm.get_role_display(),
                "starts_on": gm.starts_on,
                "ends_on": gm.ends_on,
            }
            for gm in GroupMembership.objects.filter(member=member).select_related("group").order_by("starts_on")
        ],
        "reduced_rates": [
            {"reduction": g.get_reduction_display(), "from_year": g.from_year, "to_year": g.to_year, "note": g.note}
            for g in member.reduced_rates.order_by("from_year")
        ],
        "cotisations": [
            {
                "year": c.year,
                "rate": c.rate_label or c.rate_code,
                "amount_due_eur": c.amount_due_eur,
                "gift_eur": c.gift_eur,
                "paid_eur": c.paid_eur,
                "status": c.get_status_display(),
                "transfer_reference": c.transfer_reference,
                "paid_at": c.paid_at,
            }
            for c in cotisations
        ],
        "payments": [
            {
                "year": p.cotisation.year,
                "kind": p.get_kind_display(),
                "amount_eur": p.amount_eur,
                "method": p.get_method_display(),
                "paid_on": p.paid_on,
                "reference": p.reference,
            }
            for p in payments
        ],
        "tax_receipts": [
            {
                "number": r.number,
                "year": r.year,
                "amount_eur": r.amount_eur,
                "issued_at": r.issued_at,
                "cancelled_at": r.cancelled_at,
                "cancel_reason": r.cancel_reason,
            }
            for r in TaxReceipt.objects.filter(member=member).order_by("year", "sequence")
        ],
        "history": [
            {"at": h.history_date, "type": h.get_history_type_display(), "reason": h.history_change_reason or ""}
            for h in member.history.order_by("history_date")
        ],
        "audit_events": _audit_events(member),
        "emails": _emails_sent(_addresses(member)),
    }
    for name, func in sorted(_EXPORTS.items()):
        data[name] = func(member)
    return data


def member_data_export(*, member: Member, by, request=None) -> dict[str, Any]:
    """Builds « mes données » for download (side effect: one audit row)."""
    data = member_data(member=member)
    audit_log(member, action="member.data_export", by=by, request=request)
    return data


# --- Erasure (right to be forgotten) -------------------------------------------------------------

ANONYMOUS_FIRST_NAME = "Personne"
ANONYMOUS_LAST_NAME = "ANONYMISÉE"


def _redact_outbox(addresses: set[str], scrambled: str) -> None:
    if not addresses:
        return
    match = Q()
    for address in addresses:
        match |= Q(to__iexact=address)
    # E-mails not sent yet are not sent at all; every copy loses its recipient and its content.
    OutgoingEmail.objects.filter(match, status__in=[EmailStatus.QUEUED, EmailStatus.RETRYING]).update(
        status=EmailStatus.CANCELLED, status_changed_at=timezone.now()
    )
    OutgoingEmail.objects.filter(match).update(
        to=scrambled, subject="[anonymisé]", body_text="", body_html="", headers={}
    )


def _redact_audit(member: Member, user: User | None, label: str) -> None:
    member_ct = ContentType.objects.get_for_model(Member)
    AuditEvent.objects.filter(content_type=member_ct, object_id=str(member.pk)).update(object_repr=label)
    AuditEvent.objects.filter(content_type=member_ct, object_id=str(member.pk), action="member.email_change").update(
        data={}
    )
    if user is not None:
        AuditEvent.objects.filter(actor=user).update(actor_repr=label)
        AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)).update(
            object_repr=label
        )
    from django.contrib.admin.models import LogEntry

    LogEntry.objects.filter(content_type=member_ct, object_id=str(member.pk)).update(object_repr=label)


def _deactivate_login(user: User, scrambled: str) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.email = scrambled
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


@transaction.atomic
def member_anonymise(*, member: Member, by, reason: str) -> Member:
    """Erases a person while keeping the accounting records (side effects: UPDATEs and DELETEs across the
    member, their login, groups, history, outbox and audit labels, the registered erasers, one audit row).

    Kept, as the law requires: cotisations, payments, tax receipts (their donor snapshot and PDF are legal
    documents) and reduced-rate grants without their note. Kept for statistics: campus, entry and graduation
    years, category and standing.
    """
    member = _lock(member)
    if member.anonymised_at is not None:
        raise BusinessError("Cette personne a déjà été anonymisée.")
    if not reason.strip():
        raise BusinessError("Indiquez le motif de l'effacement (par ex. la date de la demande).")
    user = User.objects.filter(pk=member.user_id).first() if member.user_id else None
    addresses = _addresses(member)
    scrambled = f"anonyme-{uuid.uuid4().hex[:16]}@anonyme.invalid"

    for _name, erase in sorted(_ERASERS.items()):
        erase(member=member, by=by)

    memberships = GroupMembership.objects.filter(member=member)
    memberships.delete()
    GroupMembership.history.filter(member_id=member.pk).delete()
    for other in Member.objects.filter(partner=member):
        other.partner = None
        other._change_reason = "Conjoint anonymisé"
        other.save(update_fields=["partner"])
    member.reduced_rates.update(note="")
    if user is not None:
        _deactivate_login(user, scrambled)
    _redact_outbox(addresses, scrambled)

    member.civility = ""
    member.first_name = ANONYMOUS_FIRST_NAME
    member.last_name = ANONYMOUS_LAST_NAME
    for name in (
        "birth_name",
        "email",
        "email_alt",
        "phone",
        "address_line1",
        "address_line2",
        "postal_code",
        "city",
        "country",
        "employer",
        "position",
        "sector",
        "staff_notes",
    ):
        setattr(member, name, "")
    member.birth_date = None
    member.partner = None
    member.newsletter_consent_at = None
    member.directory_consent_at = None
    for name in VISIBILITY_FIELDS:
        setattr(member, name, Visibility.NOBODY)
    member.reminders_opt_out = True
    member.anonymised_at = timezone.now()
    # The history holds every former name and address: purge it, then keep one anonymised snapshot.
    Member.history.filter(id=member.pk).delete()
    member._change_reason = "Anonymisation (RGPD)"
    member.save()

    label = str(member)
    _redact_audit(member, user, label)
    audit_log(member, action="member.anonymise", by=by, note=reason)
    return member
