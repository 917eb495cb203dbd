"""Signature électronique : documents à signer, parties, codes à usage unique, journal de preuve chaîné."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soce.lib.states import status_constraint

# Crockford base32: no I, L, O, U, so a reference read aloud or typed from paper is unambiguous.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A random public reference, e.g. `7K3F-9QX2-M4TD-8H1C` (80 bits): printed on the PDF and its QR code."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def normalise_reference(value: str) -> str:
    """What a person typed, as a stored reference (case, spaces, O/0 and I/L/1 confusions)."""
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"}))
    if len(raw) != 16:
        return raw
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("En cours de signature")
    SIGNED = "signed", _("Signé, scellement en cours")
    SEALED = "sealed", _("Signé et scellé")
    DECLINED = "declined", _("Refusé")
    CANCELLED = "cancelled", _("Annulé")


class SignableDocument(models.Model):
    """A text frozen by its SHA-256, signed by parties, then sealed as a PDF with its evidence."""

    Status = DocumentStatus
    TRANSITIONS = {
        DocumentStatus.PENDING: {DocumentStatus.SIGNED, DocumentStatus.DECLINED, DocumentStatus.CANCELLED},
        DocumentStatus.SIGNED: {DocumentStatus.SEALED},
        DocumentStatus.SEALED: set(),
        DocumentStatus.DECLINED: set(),
        DocumentStatus.CANCELLED: set(),
    }

    public_id = models.UUIDField(_("identifiant opaque"), default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("référence publique"), max_length=24, unique=True, default=new_reference)
    kind = models.CharField(_("nature"), max_length=60, db_index=True, help_text=_("Ex. « volunteers.charter »."))
    title = models.CharField(_("titre"), max_length=200)
    version_label = models.CharField(_("version du texte"), max_length=40, blank=True)
    text_html = models.TextField(_("texte signé (HTML assaini)"))
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64)
    status = models.CharField(_("état"), max_length=16, choices=DocumentStatus, default=DocumentStatus.PENDING)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("objet lié (type)"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("objet lié (id)"), max_length=64, blank=True)
    related = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    completed_at = models.DateTimeField(_("signé par toutes les parties le"), null=True, blank=True)
    sealed_at = models.DateTimeField(_("scellé le"), null=True, blank=True)
    sealed_pdf_path = models.CharField(_("PDF scellé (stockage privé)"), max_length=255, blank=True)
    sealed_sha256 = models.CharField(_("empreinte SHA-256 du PDF scellé"), max_length=64, blank=True, db_index=True)
    evidence_sha256 = models.CharField(_("empreinte du fichier de preuve joint"), max_length=64, blank=True)
    seal_certificate_sha256 = models.CharField(_("empreinte du certificat de cachet"), max_length=64, blank=True)
    timestamped = models.BooleanField(_("horodatage RFC 3161"), default=False)
    seal_attempts = models.PositiveSmallIntegerField(_("essais de scellement"), default=0)
    seal_attempted_at = models.DateTimeField(_("dernier essai de scellement le"), null=True, blank=True)
    seal_error = models.TextField(_("dernière erreur de scellement"), blank=True)

    class Meta:
        verbose_name = _("document signé")
        verbose_name_plural = _("documents signés")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="signdoc_related_idx"),
            models.Index(fields=["kind", "status"], name="signdoc_kind_status_idx"),
        ]
        constraints = [
            status_constraint(DocumentStatus, "signdoc_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=DocumentStatus.SEALED) | ~Q(sealed_sha256=""), name="signdoc_sealed_has_hash"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.reference})"

    @property
    def is_sealed(self) -> bool:
        return self.status == DocumentStatus.SEALED

    @property
    def filename(self) -> str:
        return f"soce-{self.reference}.pdf"


class PartyRole(models.TextChoices):
    SIGNER = "signer", _("Signataire")
    COUNTERSIGNER = "countersigner", _("Contresignataire")


class PartyStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    SIGNED = "signed", _("Signé")
    DECLINED = "declined", _("Refusé")


class SignatureMethod(models.TextChoices):
    DRAWN = "drawn", _("Signature tracée")
    TYPED = "typed", _("Nom saisi au clavier")


class Party(models.Model):
    """One person who signs the document: known in advance (signer) or any mandate holder (countersigner)."""

    Role = PartyRole
    Status = PartyStatus
    Method = SignatureMethod
    TRANSITIONS = {
        PartyStatus.PENDING: {PartyStatus.SIGNED, PartyStatus.DECLINED},
        PartyStatus.SIGNED: set(),
        PartyStatus.DECLINED: set(),
    }

    document = models.ForeignKey(
        SignableDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("rôle"), max_length=16, choices=PartyRole)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    label = models.CharField(_("intitulé"), max_length=100, help_text=_("Ex. « Le bénévole », « Pour la Soce »."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signing_parties",
    )
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    identity = models.JSONField(_("identité confirmée"), default=dict, blank=True)
    capacity = models.CharField(_("qualité"), max_length=200, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=PartyStatus, default=PartyStatus.PENDING)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    identity_confirmed_at = models.DateTimeField(_("identité confirmée le"), null=True, blank=True)
    consent_accepted_at = models.DateTimeField(_("consentement donné le"), null=True, blank=True)
    consent_text = models.TextField(_("texte du consentement accepté"), blank=True)
    consent_version = models.CharField(_("version du consentement"), max_length=40, blank=True)
    otp_verified_at = models.DateTimeField(_("code vérifié le"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)
    place = models.CharField(_("fait à"), max_length=100, blank=True)
    signature_method = models.CharField(_("mode de signature"), max_length=8, choices=SignatureMethod, blank=True)
    typed_name = models.CharField(_("nom saisi"), max_length=200, blank=True)
    signature_png = models.BinaryField(_("image de la signature (PNG)"), null=True, blank=True, editable=False)
    signature_sha256 = models.CharField(_("empreinte de l'image de signature"), max_length=64, blank=True)
    decline_reason = models.TextField(_("motif du refus"), blank=True)

    class Meta:
        verbose_name = _("partie signataire")
        verbose_name_plural = _("parties signataires")
        ordering = ["document", "position", "id"]
        indexes = [models.Index(fields=["role", "status"], name="party_role_status_idx")]
        constraints = [
            status_constraint(PartyStatus, "party_status_valid"),
            status_constraint(PartyRole, "party_role_valid", field="role"),
            models.CheckConstraint(
                condition=~Q(status=PartyStatus.SIGNED) | (Q(user__isnull=False) & Q(signed_at__isnull=False)),
                name="party_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.display_name or '—'}"

    @property
    def display_name(self) -> str:
        first, last = self.identity.get("first_name", ""), self.identity.get("last_name", "")
        return f"{first} {last.upper()}".strip()

    @property
    def public_name(self) -> str:
        """Redacted for the public verification page: first name and initial."""
        first, last = self.identity.get("first_name", ""), self.identity.get("last_name", "")
        return f"{first} {last[:1].upper()}.".strip() if last else first

    @property
    def signature_data_url(self) -> str:
        import base64

        if not self.signature_png:
            return ""
        return "data:image/png;base64," + base64.b64encode(bytes(self.signature_png)).decode("ascii")


class OTPChallenge(models.Model):
    """A one-time code e-mailed to a party: only its keyed hash is kept; expiry and attempt limit."""

    party = models.ForeignKey(Party, verbose_name=_("partie"), on_delete=models.CASCADE, related_name="otps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("compte"), on_delete=models.CASCADE)
    code_hash = models.CharField(_("empreinte du code (sel et HMAC)"), max_length=128)
    sent_to = models.EmailField(_("envoyé à"))
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("remplacé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("code à usage unique")
        verbose_name_plural = _("codes à usage unique")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["party", "-created_at"], name="otp_party_idx")]

    def __str__(self) -> str:
        return f"Code {self.pk} ({self.sent_to})"


class EvidenceAction(models.TextChoices):
    CREATED = "created", _("Document préparé")
    OPENED = "opened", _("Document ouvert")
    CLAIMED = "claimed", _("Contresignature prise en charge")
    IDENTITY_CONFIRMED = "identity_confirmed", _("Identité confirmée")
    CONSENT_ACCEPTED = "consent_accepted", _("Consentement et convention de preuve acceptés")
    OTP_SENT = "otp_sent", _("Code à usage unique envoyé")
    OTP_FAILED = "otp_failed", _("Code erroné")
    OTP_VERIFIED = "otp_verified", _("Code vérifié")
    SIGNED = "signed", _("Signé")
    DECLINED = "declined", _("Signature refusée")
    CANCELLED = "cancelled", _("Annulé")
    SEALED = "sealed", _("Scellé (cachet électronique)")
    DELIVERED = "delivered", _("Exemplaire remis par e-mail")


class EvidenceEvent(models.Model):
    """Append-only, hash-chained: each event's hash covers its content and the previous hash."""

    Action = EvidenceAction
    GENESIS = "0" * 64

    document = models.ForeignKey(
        SignableDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="events"
    )
    seq = models.PositiveIntegerField(_("rang"))
    at = models.DateTimeField(_("date"))
    action = models.CharField(_("étape"), max_length=24, choices=EvidenceAction)
    party = models.ForeignKey(
        Party, verbose_name=_("partie"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), null=True, blank=True, on_delete=models.SET_NULL
    )
    data = models.JSONField(_("détails"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=400, blank=True)
    prev_hash = models.CharField(_("empreinte précédente"), max_length=64)
    hash = models.CharField(_("empreinte"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("événement de preuve")
        verbose_name_plural = _("journal de preuve")
        ordering = ["document", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["document", "seq"], name="evidence_seq_unique"),
            status_constraint(EvidenceAction, "evidence_action_valid", field="action"),
        ]

    def __str__(self) -> str:
        return f"{self.seq}. {self.get_action_display()} ({self.at:%d/%m/%Y %H:%M:%S})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Le journal de preuve est en ajout seul : un événement ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Le journal de preuve est en ajout seul : un événement ne se supprime pas.")

    def payload(self) -> dict:
        """What the hash covers (and what the evidence file lists)."""
        return {
            "document": self.document.reference if self.document_id else "",
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "action": self.action,
            "party": self.party_id,
            "actor": self.actor_id,
            "data": self.data,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        canonical = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return sha256_hex(canonical)
