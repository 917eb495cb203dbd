"""Moteur de signature électronique générique (charte du bénévole, contrat de prêt d'honneur…).

API publique (arguments nommés ; chaque fonction écrit dans une transaction et rend l'objet) :

    from soce.lib.signing import services as signing
    from soce.lib.signing.client import ClientInfo        # ClientInfo.from_request(request) dans la vue
    from soce.lib.signing.registry import DocumentKind, register

1. Déclarer la nature du document (AppConfig.ready) : `register(DocumentKind(code="entraide.loan_contract",
   label=..., pdf_template="pdf/entraide/loan_contract.html", pdf_context=..., on_party_signed=...,
   on_sealed=...))`. Le gabarit étend `pdf/signing/base.html` (blocs `body`, `parties`, `evidence`) ;
   `pdf/signing/document.html` convient tel quel (texte, blocs des parties, page de preuve).
2. `signing.document_create(kind=, title=, text_html=, version_label=, related=<objet métier>,
   parties=[signing.PartySpec(role=Party.Role.SIGNER, label="L'emprunteur", user=..., identity={...}),
   signing.PartySpec(role=Party.Role.COUNTERSIGNER, label="Pour la Soce")], by=)` : le texte est assaini
   (nh3) puis figé par son SHA-256. `identity` = {"last_name", "first_name", "promo", "email", …}
   (clés libres, affichées dans le PDF et la preuve). Un contresignataire sans `user` est « à prendre »
   par quiconque a mandat : `party_claim`.
3. La cérémonie, pour chaque partie (toutes journalisées dans la preuve chaînée) :
   `party_open(party=, user=, client=)` → `party_claim(party=, user=, identity=, capacity=, client=)`
   (contresignataire) → `party_confirm(party=, user=, identity=, consent_text=, consent_version=, client=)`
   → `otp_send(party=, user=, to=, client=)` → `otp_verify(party=, user=, code=, client=)` (rend un
   `OtpCheck(ok, message)`) → `party_sign(party=, user=, signature_data_url= | typed_name=, place=, client=)`
   ou `party_decline(party=, user=, reason=, client=)`.
4. Quand toutes les parties ont signé, le scellement part après commit (tâche Celery
   `soce.lib.signing.tasks.document_seal`, idempotente) : PDF/A-3b WeasyPrint avec `preuves.json` joint,
   cachet PAdES pyHanko (certification, aucune modification permise, SHA-256, horodatage RFC 3161 si
   SIGNING_TSA_URL), puis un exemplaire à chaque partie par la boîte d'envoi (pièce jointe).
5. `document_sealed_pdf(document=)` rend les octets ; `verify_pdf(data=)` et `verify_reference(reference=)`
   rendent une `Verification` (statut, explication en français, parties caviardées).
   `document_cancel(document=, by=, reason=)` abandonne un document non signé.
Erreurs métier : `soce.lib.exceptions.BusinessError` (message en français à montrer tel quel).

Côté portail : `templates/signing/_otp_form.html` et `_signature_pad.html` (+ `_signature_pad_scripts.html`
dans `extra_body`) avec `soce.lib.signing.forms.OtpForm`, `SignatureForm`, `DeclineForm` ; les vues
renvoient 404 à qui n'est pas partie (sélecteurs de l'app). Tests : `soce.lib.signing.testing`
(`drawn_signature()`, `last_otp_code(to=)`). Exemple complet : volunteers/services.py et views.py.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import nh3
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from soce.lib.emails import email_queue
from soce.lib.exceptions import BusinessError
from soce.lib.models import OutgoingEmail
from soce.lib.states import transition

from . import pki
from .client import ClientInfo
from .models import (
    DocumentStatus,
    EvidenceAction,
    EvidenceEvent,
    OTPChallenge,
    Party,
    PartyRole,
    PartyStatus,
    SignableDocument,
    SignatureMethod,
    normalise_reference,
    sha256_hex,
)
from .registry import get_kind

logger = logging.getLogger(__name__)

OTP_TTL = timedelta(minutes=10)
OTP_MAX_ATTEMPTS = 5
OTP_MAX_SENDS_PER_HOUR = 5
OTP_VALID_FOR_SIGNING = timedelta(minutes=30)
CLAIM_TIMEOUT = timedelta(minutes=30)
MAX_SIGNATURE_BYTES = 300_000
MAX_SIGNATURE_SIDE = 2000

# The rich text a signed document may contain (no links, images, styles or scripts).
ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "sup",
    "sub",
}


def sanitise_html(html: str) -> str:
    """The rich text a signed document may hold: nh3 with a short allow-list, no attributes."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes={}, link_rel=None).strip()


@dataclass(frozen=True)
class PartySpec:
    role: str
    label: str
    user: object | None = None
    identity: dict = field(default_factory=dict)
    capacity: str = ""


@dataclass(frozen=True)
class OtpCheck:
    ok: bool
    message: str = ""


# ---------------------------------------------------------------------------------------------- evidence


def evidence_append(
    *,
    document: SignableDocument,
    action: str,
    party: Party | None = None,
    actor=None,
    data: dict | None = None,
    client: ClientInfo | None = None,
) -> EvidenceEvent:
    """Appends one hash-chained event (side effect: locks the document row, one INSERT)."""
    client = client or ClientInfo()
    with transaction.atomic():
        # The lock serialises appends, so `seq` and `prev_hash` are never computed twice.
        SignableDocument.objects.select_for_update().filter(pk=document.pk).values_list("pk", flat=True).first()
        last = EvidenceEvent.objects.filter(document=document).order_by("-seq").values("seq", "hash").first()
        event = EvidenceEvent(
            document=document,
            seq=(last["seq"] + 1) if last else 1,
            at=timezone.now(),
            action=action,
            party=party,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            data=data or {},
            ip=client.ip,
            user_agent=client.user_agent,
            prev_hash=last["hash"] if last else EvidenceEvent.GENESIS,
        )
        event.hash = event.compute_hash()
        event.save()
    return event


def evidence_verify_chain(*, document: SignableDocument) -> bool:
    """True when every event's hash and link to the previous one still hold (no side effect)."""
    previous = EvidenceEvent.GENESIS
    for index, event in enumerate(document.events.order_by("seq"), start=1):
        event.document = document
        if event.seq != index or event.prev_hash != previous or event.compute_hash() != event.hash:
            return False
        previous = event.hash
    return True


# ---------------------------------------------------------------------------------------------- creation


@transaction.atomic
def document_create(
    *,
    kind: str,
    title: str,
    text_html: str,
    parties: list[PartySpec],
    version_label: str = "",
    related: models.Model | None = None,
    by=None,
) -> SignableDocument:
    """Freezes the sanitised text by its SHA-256 and creates the parties (side effects: rows, evidence)."""
    if not parties:
        raise BusinessError("Un document à signer doit avoir au moins une partie.")
    text = sanitise_html(text_html)
    document = SignableDocument.objects.create(
        kind=kind,
        title=title,
        version_label=version_label,
        text_html=text,
        text_sha256=sha256_hex(text),
        content_type=ContentType.objects.get_for_model(related) if related is not None else None,
        object_id=str(related.pk) if related is not None else "",
    )
    for position, spec in enumerate(parties):
        Party.objects.create(
            document=document,
            role=spec.role,
            position=position,
            label=spec.label,
            user=spec.user,
            identity=spec.identity,
            capacity=spec.capacity,
        )
    evidence_append(
        document=document,
        action=EvidenceAction.CREATED,
        actor=by,
        data={
            "kind": kind,
            "title": title,
            "version": version_label,
            "text_sha256": document.text_sha256,
            "parties": [{"role": s.role, "label": s.label} for s in parties],
        },
    )
    return document


@transaction.atomic
def document_cancel(*, document: SignableDocument, by, reason: str) -> SignableDocument:
    """Abandons a document not yet signed by everyone (side effects: status, evidence, audit)."""
    transition(document, to=DocumentStatus.CANCELLED, by=by, note=reason)
    evidence_append(document=document, action=EvidenceAction.CANCELLED, actor=by, data={"reason": reason})
    return document


# ---------------------------------------------------------------------------------------------- ceremony


def _locked_party(party: Party) -> Party:
    locked = Party.objects.select_for_update().select_related("document").get(pk=party.pk)
    if locked.document.status != DocumentStatus.PENDING:
        raise BusinessError("Ce document n'est plus en cours de signature.")
    if locked.status != PartyStatus.PENDING:
        raise BusinessError(
            "Cette signature a déjà été donnée."
            if locked.status == PartyStatus.SIGNED
            else "Cette signature a été refusée."
        )
    return locked


def _require_holder(party: Party, user) -> None:
    if party.user_id != user.pk:
        raise BusinessError("Un autre représentant s'occupe déjà de ce document.")


def _refuse_second_role(party: Party, user) -> None:
    """One person is one party: the signer never countersigns their own document."""
    if Party.objects.filter(document_id=party.document_id, user=user).exclude(pk=party.pk).exists():
        raise BusinessError("Vous ne pouvez pas contresigner un document que vous signez vous-même.")


def _refresh(target: Party, source: Party) -> Party:
    for f in target._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    return target


@transaction.atomic
def party_open(*, party: Party, user, client: ClientInfo | None = None) -> Party:
    """Records the first time this person opened the document to sign it (side effect: evidence)."""
    if not party.events.filter(action=EvidenceAction.OPENED, actor=user).exists():
        evidence_append(
            document=party.document,
            action=EvidenceAction.OPENED,
            party=party,
            actor=user,
            data={"auth": (client or ClientInfo()).auth_summary()},
            client=client,
        )
    return party


@transaction.atomic
def party_claim(*, party: Party, user, identity: dict, capacity: str = "", client: ClientInfo | None = None) -> Party:
    """Takes an open countersignature for `user` for 30 minutes (side effects: compare-and-swap, evidence).

    Two representatives may open the same document: only one holds it at a time, so only one signs.
    """
    locked = _locked_party(party)
    if locked.role != PartyRole.COUNTERSIGNER:
        raise BusinessError("Seule une contresignature se prend en charge.")
    _refuse_second_role(locked, user)
    if locked.user_id == user.pk and locked.claimed_at and locked.claimed_at > timezone.now() - CLAIM_TIMEOUT:
        return _refresh(party, locked)
    now = timezone.now()
    free = models.Q(user__isnull=True) | models.Q(claimed_at__lt=now - CLAIM_TIMEOUT) | models.Q(user=user)
    changed = (
        Party.objects.filter(pk=locked.pk, status=PartyStatus.PENDING)
        .filter(free)
        .update(
            user=user,
            claimed_at=now,
            identity=identity,
            capacity=capacity,
            identity_confirmed_at=None,
            consent_accepted_at=None,
            otp_verified_at=None,
        )
    )
    if changed != 1:
        raise BusinessError("Un autre représentant s'occupe déjà de ce document.")
    OTPChallenge.objects.filter(party=locked, superseded_at__isnull=True).update(superseded_at=now)
    evidence_append(
        document=locked.document,
        action=EvidenceAction.CLAIMED,
        party=locked,
        actor=user,
        data={"capacity": capacity},
        client=client,
    )
    locked.refresh_from_db()
    return _refresh(party, locked)


@transaction.atomic
def party_confirm(
    *,
    party: Party,
    user,
    identity: dict,
    consent_text: str,
    consent_version: str,
    client: ClientInfo | None = None,
) -> Party:
    """Records the confirmed identity and the accepted consent wording (side effects: party row, evidence)."""
    locked = _locked_party(party)
    _require_holder(locked, user)
    now = timezone.now()
    Party.objects.filter(pk=locked.pk).update(
        identity=identity,
        identity_confirmed_at=now,
        consent_accepted_at=now,
        consent_text=consent_text,
        consent_version=consent_version,
    )
    evidence_append(
        document=locked.document,
        action=EvidenceAction.IDENTITY_CONFIRMED,
        party=locked,
        actor=user,
        data={"identity": identity, "auth": (client or ClientInfo()).auth_summary()},
        client=client,
    )
    evidence_append(
        document=locked.document,
        action=EvidenceAction.CONSENT_ACCEPTED,
        party=locked,
        actor=user,
        data={"version": consent_version, "text": consent_text, "text_sha256": sha256_hex(consent_text)},
        client=client,
    )
    locked.refresh_from_db()
    return _refresh(party, locked)


def _otp_hash(salt: str, code: str) -> str:
    return salted_hmac("soce.signing.otp", f"{salt}:{code}", algorithm="sha256").hexdigest()


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


@transaction.atomic
def otp_send(*, party: Party, user, to: str, client: ClientInfo | None = None) -> OTPChallenge:
    """E-mails a fresh 6-digit code and retires the previous ones (side effects: challenge, outbox, evidence)."""
    locked = _locked_party(party)
    _require_holder(locked, user)
    if not locked.consent_accepted_at:
        raise BusinessError("Confirmez d'abord votre identité et votre consentement.")
    if not to:
        raise BusinessError("Aucune adresse e-mail n'est connue pour vous envoyer le code.")
    now = timezone.now()
    recent = OTPChallenge.objects.filter(party=locked, created_at__gte=now - timedelta(hours=1)).count()
    if recent >= OTP_MAX_SENDS_PER_HOUR:
        raise BusinessError("Trop de codes demandés : réessayez dans une heure.")
    OTPChallenge.objects.filter(party=locked, superseded_at__isnull=True).update(superseded_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    challenge = OTPChallenge.objects.create(
        party=locked,
        user=user,
        code_hash=f"{salt}${_otp_hash(salt, code)}",
        sent_to=to,
        created_at=now,
        expires_at=now + OTP_TTL,
    )
    email_queue(
        template="signing/otp",
        to=to,
        context={
            "code": code,
            "document": locked.document,
            "party": locked,
            "minutes": int(OTP_TTL.total_seconds() // 60),
        },
        key=f"signing:otp:{challenge.pk}",
        related=locked,
        redact_after_send=True,
    )
    evidence_append(
        document=locked.document,
        action=EvidenceAction.OTP_SENT,
        party=locked,
        actor=user,
        data={"challenge": challenge.pk, "to": mask_email(to), "expires_at": challenge.expires_at.isoformat()},
        client=client,
    )
    return challenge


@transaction.atomic
def otp_verify(*, party: Party, user, code: str, client: ClientInfo | None = None) -> OtpCheck:
    """Checks the code of the latest challenge (side effects: attempt counter, evidence); never raises on a typo."""
    locked = _locked_party(party)
    _require_holder(locked, user)
    challenge = (
        OTPChallenge.objects.select_for_update()
        .filter(party=locked, user=user, superseded_at__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )
    if challenge is None:
        return OtpCheck(False, "Demandez d'abord un code.")
    if challenge.verified_at:
        return OtpCheck(True)
    now = timezone.now()
    if challenge.attempts >= OTP_MAX_ATTEMPTS:
        return OtpCheck(False, "Trop d'essais : demandez un nouveau code.")
    if now > challenge.expires_at:
        return OtpCheck(False, "Ce code a expiré : demandez-en un nouveau.")
    salt, _, expected = challenge.code_hash.partition("$")
    typed = re.sub(r"\D", "", code or "")
    attempts = challenge.attempts + 1
    if hmac.compare_digest(_otp_hash(salt, typed), expected):
        OTPChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1, verified_at=now)
        Party.objects.filter(pk=locked.pk).update(otp_verified_at=now)
        evidence_append(
            document=locked.document,
            action=EvidenceAction.OTP_VERIFIED,
            party=locked,
            actor=user,
            data={"challenge": challenge.pk, "attempts": attempts},
            client=client,
        )
        party.otp_verified_at = now
        return OtpCheck(True)
    OTPChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
    remaining = OTP_MAX_ATTEMPTS - attempts
    evidence_append(
        document=locked.document,
        action=EvidenceAction.OTP_FAILED,
        party=locked,
        actor=user,
        data={"challenge": challenge.pk, "attempts": attempts, "remaining": remaining},
        client=client,
    )
    if remaining <= 0:
        return OtpCheck(False, "Code erroné. Trop d'essais : demandez un nouveau code.")
    return OtpCheck(False, f"Code erroné. Il vous reste {remaining} essai{'s' if remaining > 1 else ''}.")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def signature_image_from_data_url(data_url: str) -> bytes:
    """Validates the pad's PNG and re-encodes it without metadata; refuses an empty drawing."""
    from PIL import Image, UnidentifiedImageError

    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise BusinessError("La signature tracée n'a pas été reçue : tracez-la de nouveau ou saisissez votre nom.")
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BusinessError("La signature tracée est illisible : tracez-la de nouveau.") from exc
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise BusinessError("La signature tracée est trop volumineuse.")
    try:
        image = Image.open(io.BytesIO(raw))
        if image.format != "PNG" or max(image.size) > MAX_SIGNATURE_SIDE:
            raise BusinessError("La signature tracée est illisible : tracez-la de nouveau.")
        image = image.convert("RGBA")
    except (UnidentifiedImageError, OSError) as exc:
        raise BusinessError("La signature tracée est illisible : tracez-la de nouveau.") from exc
    if image.getchannel("A").getbbox() is None:
        raise BusinessError("Le cadre de signature est vide : tracez votre signature ou saisissez votre nom.")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@transaction.atomic
def party_sign(
    *,
    party: Party,
    user,
    signature_data_url: str = "",
    typed_name: str = "",
    place: str = "",
    client: ClientInfo | None = None,
) -> Party:
    """Signs for this party (side effects: compare-and-swap, evidence, hooks; sealing after commit when complete).

    Refused unless identity and consent were confirmed and the e-mailed code verified within 30 minutes.
    """
    client = client or ClientInfo()
    locked = _locked_party(party)
    _require_holder(locked, user)
    _refuse_second_role(locked, user)
    now = timezone.now()
    if not (locked.identity_confirmed_at and locked.consent_accepted_at):
        raise BusinessError("Confirmez d'abord votre identité et votre consentement.")
    if not locked.otp_verified_at or locked.otp_verified_at < now - OTP_VALID_FOR_SIGNING:
        raise BusinessError("Saisissez d'abord le code reçu par e-mail (il vaut 30 minutes une fois vérifié).")
    place = (place or "").strip()[:100]
    if not place:
        raise BusinessError("Indiquez le lieu de signature (« fait à »).")
    png, method, typed = None, SignatureMethod.TYPED, ""
    if signature_data_url:
        png, method = signature_image_from_data_url(signature_data_url), SignatureMethod.DRAWN
    else:
        typed = " ".join((typed_name or "").split())[:200]
        last_name = _fold(locked.identity.get("last_name", ""))
        if not typed:
            raise BusinessError("Tracez votre signature ou saisissez votre nom.")
        if last_name and last_name not in _fold(typed):
            raise BusinessError("Saisissez votre prénom et votre nom tels qu'ils figurent ci-dessus.")
    signature_sha = sha256_hex(png) if png else sha256_hex(typed)
    transition(
        locked,
        to=PartyStatus.SIGNED,
        by=user,
        signed_at=now,
        place=place,
        signature_method=method,
        typed_name=typed,
        signature_png=png,
        signature_sha256=signature_sha,
    )
    challenge = locked.otps.filter(verified_at__isnull=False).order_by("-verified_at").first()
    document = locked.document
    evidence_append(
        document=document,
        action=EvidenceAction.SIGNED,
        party=locked,
        actor=user,
        data={
            "role": locked.role,
            "capacity": locked.capacity,
            "place": place,
            "signature_method": method,
            "signature_image_sha256": signature_sha,
            "text_sha256": document.text_sha256,
            "identity_check": {
                "login": True,
                **client.auth_summary(),
                "otp": {
                    "sent_to": mask_email(challenge.sent_to) if challenge else None,
                    "sent_at": challenge.created_at.isoformat() if challenge else None,
                    "verified_at": challenge.verified_at.isoformat() if challenge else None,
                    "attempts": challenge.attempts if challenge else None,
                },
            },
        },
        client=client,
    )
    kind = get_kind(document.kind)
    if kind.on_party_signed is not None:
        kind.on_party_signed(document, locked)
    if not document.parties.exclude(status=PartyStatus.SIGNED).exists():
        transition(document, to=DocumentStatus.SIGNED, by=user, completed_at=now)
        from .tasks import document_seal as task

        transaction.on_commit(partial(task.delay, document.pk))
    return _refresh(party, locked)


@transaction.atomic
def party_decline(*, party: Party, user, reason: str, client: ClientInfo | None = None) -> Party:
    """Declines to sign, with a reason (side effects: party and document statuses, evidence, hook)."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError("Indiquez le motif de votre refus.")
    locked = _locked_party(party)
    _require_holder(locked, user)
    transition(locked, to=PartyStatus.DECLINED, by=user, note=reason, decline_reason=reason[:2000])
    document = locked.document
    evidence_append(
        document=document,
        action=EvidenceAction.DECLINED,
        party=locked,
        actor=user,
        data={"reason": reason},
        client=client,
    )
    transition(document, to=DocumentStatus.DECLINED, by=user, note=reason)
    kind = get_kind(document.kind)
    if kind.on_declined is not None:
        kind.on_declined(document, locked)
    return _refresh(party, locked)


# ---------------------------------------------------------------------------------------------- sealing


# A document signed by every party is sealed within seconds; past this delay the sweep queues it again.
SEAL_OVERDUE_AFTER = timedelta(minutes=10)
# The sweep gives up after this many attempts (about two hours): the error waits for staff in the admin.
SEAL_MAX_AUTO_ATTEMPTS = 12


def document_seal(*, document_id: int) -> SignableDocument | None:
    """Renders, seals and stores the PDF, then e-mails each party a copy (side effects: file, evidence, outbox).

    Idempotent: a sealed document is returned untouched; a failure before commit leaves it SIGNED for a retry,
    with the error kept on the row for the admin.
    """
    SignableDocument.objects.filter(pk=document_id, status=DocumentStatus.SIGNED).update(
        seal_attempts=F("seal_attempts") + 1, seal_attempted_at=timezone.now()
    )
    try:
        return _document_seal(document_id)
    except Exception as exc:  # recorded for the admin, then re-raised for the task's retry policy
        SignableDocument.objects.filter(pk=document_id, status=DocumentStatus.SIGNED).update(
            seal_error=f"{timezone.now():%d/%m/%Y %H:%M} — {type(exc).__name__} : {exc}"[:2000]
        )
        raise


def _document_seal(document_id: int) -> SignableDocument | None:
    from .pdf import document_pdf, evidence_build, evidence_bytes, seal_pdf

    with transaction.atomic():
        document = SignableDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status != DocumentStatus.SIGNED:
            return document  # déjà scellé, annulé ou inconnu : rejouable sans effet
        events = list(document.events.order_by("seq"))
        for event in events:
            event.document = document
        evidence = evidence_bytes(evidence_build(document, events))
        pdf = document_pdf(document, events=events, evidence=evidence)
        sealed, timestamped = off_event_loop(seal_pdf, pdf, document=document)
        path = f"signing/{document.created_at:%Y/%m}/{document.reference}.pdf"
        private = storages["private"]
        if private.exists(path):
            private.delete(path)  # a previous attempt rolled back after writing: overwrite it
        path = private.save(path, ContentFile(sealed))
        sealed_sha = hashlib.sha256(sealed).hexdigest()
        transition(
            document,
            to=DocumentStatus.SEALED,
            by=None,
            sealed_at=timezone.now(),
            sealed_pdf_path=path,
            sealed_sha256=sealed_sha,
            evidence_sha256=sha256_hex(evidence),
            seal_certificate_sha256=pki.seal_certificate_sha256(),
            timestamped=timestamped,
            seal_error="",
        )
        evidence_append(
            document=document,
            action=EvidenceAction.SEALED,
            data={
                "sealed_pdf_sha256": sealed_sha,
                "evidence_sha256": document.evidence_sha256,
                "seal_certificate_sha256": document.seal_certificate_sha256,
                "timestamped": timestamped,
            },
        )
        kind = get_kind(document.kind)
        if kind.on_sealed is not None:
            kind.on_sealed(document)
        _deliver(document)
    return document


def _deliver(document: SignableDocument) -> None:
    kind = get_kind(document.kind)
    parties = list(document.parties.select_related("user"))
    for party in parties:
        to = party.identity.get("email") or (party.user.email if party.user_id else "")
        if not to:
            continue
        portal_url = kind.portal_url(document, party) if kind.portal_url is not None else ""
        email = email_queue(
            template=kind.delivery_template,
            to=to,
            context={
                "document": document,
                "party": party,
                "parties": parties,
                "copies": len(parties),
                "kind": kind,
                "portal_url": portal_url,
                "verify_path": f"/verifier/{document.reference}/",
            },
            key=f"signing:sealed:{document.pk}:{party.pk}",
            related=document,
            attachments=[
                {"path": document.sealed_pdf_path, "filename": document.filename, "mimetype": "application/pdf"}
            ],
        )
        if getattr(email, "was_created", False):
            evidence_append(
                document=document,
                action=EvidenceAction.DELIVERED,
                party=party,
                data={"to": mask_email(to), "email": email.pk},
            )


def documents_seal_overdue(*, now=None, limit: int = 500) -> int:
    """Queues again the sealing of documents signed by every party but still unsealed after 10 minutes.

    Side effects: claims each row (`seal_attempted_at`) so that the next sweep leaves it alone for another
    10 minutes, then queues the task. Safe: sealing locks the row and skips a sealed document, and the copies
    are e-mailed under one idempotency key per party, so nothing is sealed or sent twice.
    """
    from .tasks import document_seal as task

    now = now or timezone.now()
    before = now - SEAL_OVERDUE_AFTER
    overdue = (
        SignableDocument.objects.filter(status=DocumentStatus.SIGNED, seal_attempts__lt=SEAL_MAX_AUTO_ATTEMPTS)
        .filter(models.Q(completed_at__lte=before) | models.Q(completed_at__isnull=True, status_changed_at__lte=before))
        .filter(models.Q(seal_attempted_at__isnull=True) | models.Q(seal_attempted_at__lte=before))
    )
    ids = list(overdue.order_by("completed_at", "pk").values_list("pk", flat=True)[:limit])
    claimed = []
    for pk in ids:
        if overdue.filter(pk=pk).update(seal_attempted_at=now):  # an overlapping sweep may have taken it
            claimed.append(pk)
    for pk in claimed:
        task.delay(pk)
    if claimed:
        logger.warning("Scellement relancé pour %d document(s) signé(s) mais non scellé(s)", len(claimed))
    return len(claimed)


@transaction.atomic
def document_reseal(*, document: SignableDocument, by) -> SignableDocument:
    """Staff: seals again a document left unsealed, or re-sends the copies a sealed one still lacks.

    Side effects: audit row; the sealing task after commit (the automatic attempts start again), or the
    missing delivery e-mails. A copy already queued is never queued again (one idempotency key per party).
    """
    from soce.lib.audit import audit_log

    from .tasks import document_seal as task

    locked = SignableDocument.objects.select_for_update().get(pk=document.pk)
    if locked.status == DocumentStatus.SIGNED:
        SignableDocument.objects.filter(pk=locked.pk).update(seal_attempts=0, seal_attempted_at=timezone.now())
        audit_log(locked, action="signing.reseal", by=by, note=locked.seal_error[:500])
        transaction.on_commit(partial(task.delay, locked.pk))
    elif locked.status == DocumentStatus.SEALED:
        _deliver(locked)
        audit_log(locked, action="signing.redeliver", by=by)
    else:
        raise BusinessError("Ce document n'est pas signé par toutes les parties : il n'y a rien à sceller.")
    document.refresh_from_db()
    return document


def document_sealed_pdf(*, document: SignableDocument) -> bytes:
    """The sealed PDF's bytes (no side effect)."""
    if not document.sealed_pdf_path:
        raise BusinessError("Ce document n'est pas encore scellé.")
    with storages["private"].open(document.sealed_pdf_path, "rb") as fh:
        return fh.read()


def delivery_emails(*, document: SignableDocument):
    """The outbox rows that carried the sealed copies."""
    ctype = ContentType.objects.get_for_model(SignableDocument)
    return OutgoingEmail.objects.filter(related_type=ctype, related_id=str(document.pk))


# ---------------------------------------------------------------------------------------------- verification

REFERENCE_RE = re.compile(r"\b([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})\b")


@dataclass
class Verification:
    """The outcome shown on /verifier/: `status` is one of STATUSES; `reasons` are French sentences."""

    status: str
    document: SignableDocument | None = None
    intact: bool | None = None
    trusted: bool | None = None
    unchanged_since_seal: bool | None = None
    matches_record: bool | None = None
    sealed_at: object = None
    seal_subject: str = ""
    timestamped: bool = False
    file_sha256: str = ""
    reasons: list[str] = field(default_factory=list)

    STATUSES = ("valid", "altered", "untrusted", "unknown", "not_sealed", "not_pdf", "pending")

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    @property
    def headline(self) -> str:
        return {
            "valid": "Document intact, cachet de la Soce valide.",
            "altered": "Document altéré : il ne correspond plus à ce qui a été scellé.",
            "untrusted": "Cachet présent mais non reconnu : il n'émane pas de la Soce.",
            "unknown": "Cachet valide, mais cette pièce est inconnue de notre registre.",
            "not_sealed": "Ce PDF ne porte aucun cachet électronique.",
            "not_pdf": "Ce fichier n'est pas un PDF.",
            "pending": "Ce document est en cours de signature : il n'est pas encore scellé.",
        }[self.status]


def off_event_loop(func, *args, **kwargs):
    """Runs `func` in a worker thread when this thread already runs an asyncio loop.

    pyHanko's synchronous API calls asyncio.run(), which refuses to start inside a running loop
    (an ASGI worker, Playwright's sync API in the browser tests).
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


def _validate_seal(data: bytes) -> dict:
    """pyHanko's verdict on the first (certification) signature of `data`."""
    return off_event_loop(_validate_seal_now, data)


def _validate_seal_now(data: bytes) -> dict:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        return {"present": False}
    sig = signatures[0]
    context = ValidationContext(trust_roots=[pki.trust_root()], allow_fetching=False)
    status = validate_pdf_signature(sig, context)
    reason = str(sig.sig_object.get("/Reason", ""))
    coverage = getattr(status.coverage, "name", "")
    return {
        "present": True,
        "intact": bool(status.intact and status.valid),
        "trusted": bool(status.trusted),
        "unchanged": bool(status.docmdp_ok is not False and coverage == "ENTIRE_FILE" and len(signatures) == 1),
        "subject": status.signing_cert.subject.human_friendly,
        "timestamped": status.timestamp_validity is not None,
        "signed_at": status.timestamp_validity.timestamp if status.timestamp_validity else status.signer_reported_dt,
        "reason": reason,
    }


def verify_pdf(*, data: bytes) -> Verification:
    """Checks an uploaded PDF: seal intact and trusted, nothing added since, same bytes as our record."""
    file_sha = hashlib.sha256(data).hexdigest()
    if not data.lstrip()[:5].startswith(b"%PDF"):
        return Verification(status="not_pdf", file_sha256=file_sha)
    document = SignableDocument.objects.filter(sealed_sha256=file_sha).first()
    try:
        seal = _validate_seal(data)
    except Exception:  # any parsing or crypto failure on a PDF means it is not what we sealed
        logger.info("Vérification : PDF illisible ou cachet corrompu", exc_info=True)
        seal = {"present": True, "intact": False, "trusted": False, "unchanged": False, "reason": ""}
    if document is None:
        match = REFERENCE_RE.search(seal.get("reason", ""))
        if match is None:
            match = REFERENCE_RE.search(data[-200_000:].decode("latin-1"))
        if match:
            document = SignableDocument.objects.filter(reference=match.group(1)).first()
    result = Verification(
        status="valid",
        document=document,
        file_sha256=file_sha,
        intact=seal.get("intact"),
        trusted=seal.get("trusted"),
        unchanged_since_seal=seal.get("unchanged"),
        matches_record=(document.sealed_sha256 == file_sha) if document is not None else None,
        seal_subject=seal.get("subject", ""),
        timestamped=seal.get("timestamped", False),
        sealed_at=document.sealed_at if document is not None else seal.get("signed_at"),
    )
    if not seal["present"]:
        result.status = "not_sealed"
    elif not result.intact:
        result.status = "altered"
        result.reasons.append("L'empreinte du contenu ne correspond plus à celle que le cachet a signée.")
    elif not result.unchanged_since_seal:
        result.status = "altered"
        result.reasons.append("Le fichier a été modifié après la pose du cachet.")
    elif not result.trusted:
        result.status = "untrusted"
        result.reasons.append("Le certificat du cachet ne remonte pas à la racine publiée de la Soce.")
    elif document is None:
        result.status = "unknown"
    elif not result.matches_record:
        result.status = "altered"
        result.reasons.append("Ce fichier diffère de l'exemplaire scellé enregistré sous cette référence.")
    return result


def verify_reference(*, reference: str) -> Verification | None:
    """What the register says of a reference (the QR code's target), or None if unknown."""
    document = SignableDocument.objects.filter(reference=normalise_reference(reference)).first()
    if document is None or document.status in (DocumentStatus.CANCELLED,):
        return None
    if document.status != DocumentStatus.SEALED:
        status = "pending" if document.status in (DocumentStatus.PENDING, DocumentStatus.SIGNED) else "not_sealed"
        return Verification(status=status, document=document)
    result = verify_pdf(data=document_sealed_pdf(document=document))
    result.document = document
    return result


def trust_root_fingerprint() -> str:
    """The published SHA-256 fingerprint of the root certificate (ensure_dev_pki in development)."""
    return pki.trust_root_fingerprint()


def parties_for_public(*, document: SignableDocument) -> list[dict]:
    """Redacted lines for the public page: role, first name and initial, capacity, date."""
    return [
        {
            "label": p.label,
            "name": p.public_name,
            "capacity": p.capacity,
            "status": p.get_status_display(),
            "signed_at": p.signed_at,
        }
        for p in document.parties.all()
    ]


def settings_summary() -> dict:
    return {"tsa": bool(settings.SIGNING_TSA_URL)}
