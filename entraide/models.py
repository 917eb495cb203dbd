"""Entraide : dossiers d'aide confidentiels, avis, séances du comité et instruments (secours, prêts
d'honneur, cautions bancaires).

Les statuts ne changent que par les services (soce.lib.states.transition : compare-and-swap et
ligne d'audit). Les montants sont des Decimal en euros (suffixe `_eur`), jamais négatifs.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soce.lib.states import status_constraint

ZERO = Decimal("0.00")


def private_storage():
    """Stockage privé (hors MEDIA_URL) : les fichiers ne sont servis que par des vues contrôlées."""
    return storages["private"]


def _document_path(instance: Document, filename: str) -> str:
    # Never keep the uploaded name on disk: it may carry personal data.
    return f"entraide/documents/{instance.case.public_id}/{uuid.uuid4().hex}.{instance.extension}"


def _minutes_path(instance: CommitteeSession, filename: str) -> str:
    return f"entraide/seances/{instance.public_id}/pv-{uuid.uuid4().hex[:8]}.pdf"


def _contract_path(instance, filename: str) -> str:
    # Referenced by migration 0001 (the contract PDF is now sealed and stored by the signing engine).
    return f"entraide/contrats/{instance.loan.public_id}/contrat-{uuid.uuid4().hex[:8]}.pdf"


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=10, decimal_places=2, **kwargs)


def non_negative(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__gte": 0}), name=name)


def four_eyes(maker: str, checker: str, name: str) -> models.CheckConstraint:
    """The checker is never the maker (enforced by the database as well as by the services)."""
    return models.CheckConstraint(
        condition=Q(**{f"{checker}__isnull": True}) | ~Q(**{checker: F(maker)}),
        name=name,
    )


# ---------------------------------------------------------------------------------------------
# Paramètres
# ---------------------------------------------------------------------------------------------


class EntraideSettings(models.Model):
    """The service's parameters (one row): caps, ceilings, deadlines, retention."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    student_loan_cap_eur = money_field(
        _("plafond des prêts d'honneur par élève"),
        default=Decimal("4500.00"),
        help_text=_("Sur toute la scolarité ; vérifié au moment de la décision."),
    )
    urgent_ceiling_eur = money_field(
        _("plafond d'un secours d'urgence"),
        default=Decimal("1500.00"),
        help_text=_("Accordé par le président et le trésorier, ratifié à la séance suivante."),
    )
    quorum = models.PositiveSmallIntegerField(
        _("quorum du comité"), default=3, help_text=_("Membres présents et non récusés pour décider d'un dossier.")
    )
    opinion_delay_days = models.PositiveSmallIntegerField(_("délai pour rendre un avis (jours)"), default=15)
    retention_years = models.PositiveSmallIntegerField(
        _("conservation des dossiers clos (années)"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_("Ensuite, les dossiers clos sont anonymisés ; les montants agrégés restent."),
    )
    max_document_mb = models.PositiveSmallIntegerField(
        _("taille maximale d'une pièce (Mo)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    graduation_month = models.PositiveSmallIntegerField(
        _("mois habituel du diplôme"), default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    graduation_day = models.PositiveSmallIntegerField(
        _("jour habituel du diplôme"), default=30, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    default_instalments = models.PositiveSmallIntegerField(_("nombre de mensualités par défaut"), default=36)
    default_deferral_months = models.PositiveSmallIntegerField(
        _("différé par défaut pour un diplômé (mois)"), default=6
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("paramètres de l'entraide")
        verbose_name_plural = _("paramètres de l'entraide")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="entraide_settings_singleton"),
            non_negative("student_loan_cap_eur", "entraide_settings_cap_nonneg"),
            non_negative("urgent_ceiling_eur", "entraide_settings_urgent_nonneg"),
        ]

    def __str__(self) -> str:
        return str(_("Paramètres de l'entraide"))


class Envelope(models.Model):
    """The yearly budget voted for mutual aid; committed and left are computed."""

    year = models.PositiveSmallIntegerField(_("année"), unique=True)
    amount_eur = money_field(_("enveloppe"))
    note = models.CharField(_("commentaire"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("enveloppe annuelle")
        verbose_name_plural = _("enveloppes annuelles")
        ordering = ["-year"]
        constraints = [non_negative("amount_eur", "envelope_amount_nonneg")]

    def __str__(self) -> str:
        return f"{self.year}"


class SeatRole(models.TextChoices):
    CHAIR = "chair", _("Président du comité")
    MEMBER = "member", _("Membre du comité")


class CommitteeSeat(models.Model):
    """A seat on the entraide committee (who is convened to the monthly sessions)."""

    Role = SeatRole

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("personne"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("rôle"), max_length=8, choices=Role, default=Role.MEMBER)
    starts_on = models.DateField(_("depuis le"), default=timezone.localdate)
    ends_on = models.DateField(_("jusqu'au (inclus)"), null=True, blank=True)

    class Meta:
        verbose_name = _("siège au comité")
        verbose_name_plural = _("composition du comité")
        ordering = ["role", "user__last_name"]
        constraints = [
            status_constraint(SeatRole, "seat_role_valid", field="role"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="seat_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


# ---------------------------------------------------------------------------------------------
# Dossiers
# ---------------------------------------------------------------------------------------------


class AidKind(models.TextChoices):
    GRANT = "grant", _("Secours (don)")
    LOAN = "loan", _("Prêt d'honneur")
    GUARANTEE = "guarantee", _("Caution bancaire")
    SCHOLARSHIP = "scholarship", _("Bourse")


class Purpose(models.TextChoices):
    MOBILITY = "mobility", _("Mobilité internationale")
    STUDIES = "studies", _("Frais d'études")
    HARDSHIP = "hardship", _("Difficultés financières")
    HEALTH = "health", _("Santé")
    JOB_LOSS = "job_loss", _("Perte d'emploi")
    BEREAVEMENT = "bereavement", _("Deuil")
    OTHER = "other", _("Autre")


class BeneficiaryKind(models.TextChoices):
    MEMBER = "member", _("Membre")
    STUDENT = "student", _("Élève")
    FAMILY = "family", _("Famille d'un membre")


class Relation(models.TextChoices):
    NONE = "", _("—")
    SPOUSE = "spouse", _("Conjoint ou veuf/veuve")
    CHILD = "child", _("Enfant")
    PARENT = "parent", _("Parent")
    OTHER = "other", _("Autre proche")


class Beneficiary(models.Model):
    """The person helped: a member, a student, or a member's relative (widow, child…)."""

    Kind = BeneficiaryKind
    Relation = Relation

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("nature"), max_length=8, choices=Kind)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("membre"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entraide_beneficiaries",
        help_text=_("La personne aidée, ou pour la famille, le membre dont elle est proche."),
    )
    relation = models.CharField(_("lien avec le membre"), max_length=8, choices=Relation, blank=True)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("bénéficiaire")
        verbose_name_plural = _("bénéficiaires")
        constraints = [
            status_constraint(BeneficiaryKind, "beneficiary_kind_valid", field="kind"),
            status_constraint(Relation, "beneficiary_relation_valid", field="relation"),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(anonymised_at__isnull=False) | Q(kind=BeneficiaryKind.FAMILY),
                name="beneficiary_member_required",
            ),
        ]

    def __str__(self) -> str:
        return f"B-{self.public_id.hex[:8].upper()}"

    @property
    def display_name(self) -> str:
        """Needs `member` loaded (select_related) for members and students."""
        if self.anonymised_at:
            return str(_("Bénéficiaire anonymisé"))
        if self.kind == BeneficiaryKind.FAMILY or self.member_id is None:
            return f"{self.first_name} {self.last_name}".strip()
        return self.member.full_name

    @property
    def contact_email(self) -> str:
        if self.email:
            return self.email
        return self.member.contact_email if self.member_id else ""


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposé")
    INCOMPLETE = "incomplete", _("Incomplet")
    INSTRUCTION = "instruction", _("En instruction")
    OPINIONS = "opinions", _("Avis en attente")
    READY = "ready", _("Prêt pour le comité")
    IN_SESSION = "in_session", _("En séance")
    APPROVED = "approved", _("Accordé")
    REJECTED = "rejected", _("Refusé")
    ADJOURNED = "adjourned", _("Ajourné")
    WITHDRAWN = "withdrawn", _("Retiré")
    CLOSED = "closed", _("Clos")


class FiledAs(models.TextChoices):
    SELF = "self", _("Par la personne elle-même")
    RELAY = "relay", _("Par un relais (délégué, camarade)")
    STAFF = "staff", _("Par le service entraide")


class AidCase(models.Model):
    """A confidential request for help and everything decided about it."""

    Status = CaseStatus
    Kind = AidKind
    Purpose = Purpose
    FiledAs = FiledAs

    TRANSITIONS = {
        CaseStatus.DRAFT: {CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN},
        CaseStatus.SUBMITTED: {CaseStatus.INCOMPLETE, CaseStatus.INSTRUCTION, CaseStatus.WITHDRAWN},
        CaseStatus.INCOMPLETE: {CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN},
        CaseStatus.INSTRUCTION: {
            CaseStatus.OPINIONS,
            CaseStatus.READY,
            CaseStatus.INCOMPLETE,
            CaseStatus.APPROVED,  # urgent aid only
            CaseStatus.WITHDRAWN,
        },
        CaseStatus.OPINIONS: {CaseStatus.READY, CaseStatus.INSTRUCTION, CaseStatus.APPROVED, CaseStatus.WITHDRAWN},
        CaseStatus.READY: {CaseStatus.IN_SESSION, CaseStatus.INSTRUCTION, CaseStatus.APPROVED, CaseStatus.WITHDRAWN},
        CaseStatus.IN_SESSION: {
            CaseStatus.APPROVED,
            CaseStatus.REJECTED,
            CaseStatus.ADJOURNED,
            CaseStatus.WITHDRAWN,
        },
        CaseStatus.ADJOURNED: {CaseStatus.INSTRUCTION, CaseStatus.READY, CaseStatus.WITHDRAWN},
        CaseStatus.APPROVED: {CaseStatus.CLOSED},
        CaseStatus.REJECTED: set(),
        CaseStatus.WITHDRAWN: set(),
        CaseStatus.CLOSED: set(),
    }
    BEFORE_DECISION = frozenset(s for s, targets in TRANSITIONS.items() if CaseStatus.WITHDRAWN in targets)
    TERMINAL = frozenset({CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED})

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("bénéficiaire"), on_delete=models.PROTECT, related_name="cases"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filed_as = models.CharField(_("déposé"), max_length=8, choices=FiledAs, default=FiledAs.SELF)
    kind_requested = models.CharField(_("aide demandée"), max_length=12, choices=AidKind)
    purpose = models.CharField(_("objet"), max_length=12, choices=Purpose)
    amount_requested_eur = money_field(_("montant demandé"))
    situation = models.TextField(_("situation"), blank=True)
    member_message = models.TextField(
        _("message au demandeur"), blank=True, help_text=_("Ce qui manque au dossier, visible du demandeur.")
    )
    status = models.CharField(_("état"), max_length=12, choices=CaseStatus, default=CaseStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    submitted_at = models.DateTimeField(_("déposé le"), null=True, blank=True)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("instructeur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rapporteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rapporteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    session = models.ForeignKey(
        "CommitteeSession",
        verbose_name=_("séance"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    urgent = models.BooleanField(_("aide d'urgence"), default=False)
    # Snapshot of the decision (the Decision rows keep the history).
    decided_kind = models.CharField(_("aide accordée"), max_length=12, choices=AidKind, blank=True)
    amount_granted_eur = money_field(_("montant accordé"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    # Aggregation keys copied at filing: they survive anonymisation.
    beneficiary_kind = models.CharField(_("nature du bénéficiaire"), max_length=8, choices=BeneficiaryKind)
    campus_code = models.CharField(_("campus"), max_length=4, blank=True)
    promo_decade = models.PositiveSmallIntegerField(_("décennie de promotion"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier d'entraide")
        verbose_name_plural = _("dossiers d'entraide")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="case_status_idx"),
            models.Index(fields=["instructor", "status"], name="case_instructor_idx"),
        ]
        constraints = [
            status_constraint(CaseStatus, "case_status_valid"),
            status_constraint(AidKind, "case_kind_valid", field="kind_requested"),
            status_constraint(Purpose, "case_purpose_valid", field="purpose"),
            status_constraint(FiledAs, "case_filed_as_valid", field="filed_as"),
            models.CheckConstraint(
                condition=Q(decided_kind="") | Q(decided_kind__in=AidKind.values), name="case_decided_kind_valid"
            ),
            non_negative("amount_requested_eur", "case_requested_nonneg"),
            non_negative("amount_granted_eur", "case_granted_nonneg"),
        ]
        permissions = [
            ("assign_aidcase", _("Attribuer les dossiers à un instructeur")),
            ("view_access_log", _("Voir qui a ouvert un dossier")),
            ("manage_session", _("Préparer et tenir les séances du comité")),
        ]

    def __str__(self) -> str:
        # Never a name: this text lands in the audit log and the outbox.
        return f"Dossier {self.reference}"

    @property
    def reference(self) -> str:
        return f"E-{self.public_id.hex[:8].upper()}"

    @property
    def is_student_case(self) -> bool:
        return self.beneficiary_kind == BeneficiaryKind.STUDENT


class OpinionRole(models.TextChoices):
    PROMO_DELEGATE = "promo_delegate", _("Délégué de promotion")
    CAMPUS_DELEGATE = "campus_delegate", _("Délégué de campus (DSC)")
    CAMPUS_DIRECTOR = "campus_director", _("Directeur de campus")


class OpinionStatus(models.TextChoices):
    REQUESTED = "requested", _("Demandé")
    GIVEN = "given", _("Rendu")
    WAIVED = "waived", _("Levé par le président du comité")


class Verdict(models.TextChoices):
    FAVOURABLE = "favourable", _("Favorable")
    RESERVED = "reserved", _("Réservé")
    UNFAVOURABLE = "unfavourable", _("Défavorable")


class Opinion(models.Model):
    """An opinion asked from a named role (promo delegate, DSC, campus director)."""

    Role = OpinionRole
    Status = OpinionStatus
    Verdict = Verdict

    TRANSITIONS = {
        OpinionStatus.REQUESTED: {OpinionStatus.GIVEN, OpinionStatus.WAIVED},
        OpinionStatus.GIVEN: set(),
        OpinionStatus.WAIVED: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="opinions")
    role = models.CharField(_("rôle"), max_length=16, choices=OpinionRole)
    requested_from = models.ForeignKey(
        "members.Member",
        verbose_name=_("demandé à"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entraide_opinions",
    )
    status = models.CharField(_("état"), max_length=10, choices=OpinionStatus, default=OpinionStatus.REQUESTED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    requested_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    due_on = models.DateField(_("à rendre avant le"))
    verdict = models.CharField(_("avis"), max_length=12, choices=Verdict, blank=True)
    text = models.TextField(_("commentaire"), blank=True)
    given_at = models.DateTimeField(_("rendu le"), null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("levé par"), null=True, blank=True, on_delete=models.SET_NULL
    )
    waive_reason = models.TextField(_("motif de la levée"), blank=True)

    class Meta:
        verbose_name = _("avis")
        verbose_name_plural = _("avis")
        ordering = ["case", "role"]
        constraints = [
            status_constraint(OpinionStatus, "opinion_status_valid"),
            status_constraint(OpinionRole, "opinion_role_valid", field="role"),
            models.CheckConstraint(condition=Q(verdict="") | Q(verdict__in=Verdict.values), name="opinion_verdict"),
            models.UniqueConstraint(fields=["case", "role"], name="opinion_one_per_role"),
        ]

    def __str__(self) -> str:
        return f"Avis {self.get_role_display()} — {self.case}"


class Document(models.Model):
    """A supporting document (PDF or image), checked by content, in the private storage."""

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("fichier"), upload_to=_document_path, storage=private_storage, max_length=255)
    label = models.CharField(_("intitulé"), max_length=150, blank=True)
    original_name = models.CharField(_("nom d'origine"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("déposé par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    # What the requester sent through the portal is theirs; what the service files (a bank statement it
    # obtained, a social worker's report) stays internal unless someone decides to show it.
    shared_with_requester = models.BooleanField(
        _("visible du demandeur"),
        default=False,
        help_text=_(
            "Les pièces déposées au portail le sont toujours ; celles du service, seulement si on les partage."
        ),
    )

    EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/png", "image/jpeg", "image/webp"]),
                name="document_type_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Pièce {self.public_id.hex[:8]}"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")


# ---------------------------------------------------------------------------------------------
# Séances du comité
# ---------------------------------------------------------------------------------------------


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    OPEN = "open", _("En cours")
    CLOSED = "closed", _("Close")
    CANCELLED = "cancelled", _("Annulée")


class CommitteeSession(models.Model):
    """A monthly sitting of the entraide committee."""

    Status = SessionStatus

    TRANSITIONS = {
        SessionStatus.PLANNED: {SessionStatus.OPEN, SessionStatus.CANCELLED},
        SessionStatus.OPEN: {SessionStatus.CLOSED},
        SessionStatus.CLOSED: set(),
        SessionStatus.CANCELLED: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    held_on = models.DateField(_("date"))
    place = models.CharField(_("lieu"), max_length=150, blank=True, default="Hôtel d'Iéna, Paris")
    status = models.CharField(_("état"), max_length=10, choices=SessionStatus, default=SessionStatus.PLANNED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    notes = models.TextField(_("observations"), blank=True)
    minutes_pdf = models.FileField(
        _("procès-verbal"), upload_to=_minutes_path, storage=private_storage, blank=True, max_length=255
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créée par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("séance du comité")
        verbose_name_plural = _("séances du comité")
        ordering = ["-held_on", "-id"]
        constraints = [status_constraint(SessionStatus, "session_status_valid")]

    def __str__(self) -> str:
        return f"Séance du {self.held_on:%d/%m/%Y}"


class SessionMember(models.Model):
    """A committee member convened to one session, and whether they attended."""

    session = models.ForeignKey(
        CommitteeSession, verbose_name=_("séance"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("personne"), on_delete=models.CASCADE, related_name="+"
    )
    role = models.CharField(_("rôle"), max_length=8, choices=SeatRole, default=SeatRole.MEMBER)
    present = models.BooleanField(_("présent"), default=False)

    class Meta:
        verbose_name = _("membre convoqué")
        verbose_name_plural = _("membres convoqués")
        ordering = ["role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="session_member_unique"),
            status_constraint(SeatRole, "session_member_role_valid", field="role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.session}"


class Recusal(models.Model):
    """A committee member who does not take part in one case (a link with the beneficiary)."""

    session = models.ForeignKey(
        CommitteeSession, verbose_name=_("séance"), on_delete=models.CASCADE, related_name="recusals"
    )
    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="recusals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("personne"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("motif"), max_length=200)
    automatic = models.BooleanField(_("détectée automatiquement"), default=True)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("récusation")
        verbose_name_plural = _("récusations")
        constraints = [models.UniqueConstraint(fields=["session", "case", "user"], name="recusal_unique")]

    def __str__(self) -> str:
        return f"{self.user} récusé — {self.case}"


class Outcome(models.TextChoices):
    APPROVED = "approved", _("Accordé")
    REJECTED = "rejected", _("Refusé")
    ADJOURNED = "adjourned", _("Ajourné")


class Decision(models.Model):
    """A committee decision on a case (or an urgent aid), kept forever."""

    Outcome = Outcome

    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="decisions")
    session = models.ForeignKey(
        CommitteeSession,
        verbose_name=_("séance"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    outcome = models.CharField(_("décision"), max_length=10, choices=Outcome)
    kind = models.CharField(_("aide"), max_length=12, choices=AidKind, blank=True)
    amount_eur = money_field(_("montant"), null=True, blank=True)
    instalments_count = models.PositiveSmallIntegerField(_("nombre de mensualités"), null=True, blank=True)
    deferral_months = models.PositiveSmallIntegerField(_("différé (mois)"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    reason = models.TextField(_("motif"), blank=True)
    urgent = models.BooleanField(_("aide d'urgence"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saisie par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["-decided_at", "-id"]
        constraints = [
            status_constraint(Outcome, "decision_outcome_valid", field="outcome"),
            models.CheckConstraint(condition=Q(kind="") | Q(kind__in=AidKind.values), name="decision_kind_valid"),
            non_negative("amount_eur", "decision_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} — {self.case}"


class UrgentStatus(models.TextChoices):
    PENDING = "pending", _("En attente du second accord")
    CONFIRMED = "confirmed", _("Accordée")
    CANCELLED = "cancelled", _("Annulée")


class UrgentAid(models.Model):
    """An urgent grant agreed by the president and the treasurer, ratified at the next session."""

    Status = UrgentStatus

    TRANSITIONS = {
        UrgentStatus.PENDING: {UrgentStatus.CONFIRMED, UrgentStatus.CANCELLED},
        UrgentStatus.CONFIRMED: set(),
        UrgentStatus.CANCELLED: set(),
    }

    case = models.OneToOneField(AidCase, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="urgent_aid")
    amount_eur = money_field(_("montant"))
    reason = models.TextField(_("motif de l'urgence"))
    status = models.CharField(_("état"), max_length=10, choices=UrgentStatus, default=UrgentStatus.PENDING)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandée par"), on_delete=models.PROTECT, related_name="+"
    )
    first_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("premier accord"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    first_role = models.CharField(_("qualité (premier)"), max_length=16, blank=True)
    first_at = models.DateTimeField(_("premier accord le"), null=True, blank=True)
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("second accord"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    second_role = models.CharField(_("qualité (second)"), max_length=16, blank=True)
    second_at = models.DateTimeField(_("second accord le"), null=True, blank=True)
    created_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    ratified_session = models.ForeignKey(
        CommitteeSession,
        verbose_name=_("séance de ratification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="urgent_aids",
    )
    ratified = models.BooleanField(_("ratifiée"), null=True, blank=True)
    ratified_at = models.DateTimeField(_("ratifiée le"), null=True, blank=True)
    ratification_note = models.TextField(_("observations de la séance"), blank=True)

    class Meta:
        verbose_name = _("aide d'urgence")
        verbose_name_plural = _("aides d'urgence")
        constraints = [
            status_constraint(UrgentStatus, "urgent_status_valid"),
            non_negative("amount_eur", "urgent_amount_nonneg"),
            four_eyes("first_by", "second_by", "urgent_two_people"),
        ]

    def __str__(self) -> str:
        return f"Urgence — {self.case}"


# ---------------------------------------------------------------------------------------------
# Instruments : secours, prêts, cautions
# ---------------------------------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    PREPARED = "prepared", _("Préparé")
    VALIDATED = "validated", _("Validé")
    PAID = "paid", _("Payé")
    AWAITING_PROOF = "awaiting_proof", _("Justificatif attendu")
    CLOSED = "closed", _("Clos")
    CANCELLED = "cancelled", _("Annulé")


class Grant(models.Model):
    """A gift (secours or scholarship): prepared, validated by a second person, paid, closed."""

    Status = PaymentStatus

    TRANSITIONS = {
        PaymentStatus.PREPARED: {PaymentStatus.VALIDATED, PaymentStatus.CANCELLED},
        PaymentStatus.VALIDATED: {PaymentStatus.PAID, PaymentStatus.CANCELLED},
        PaymentStatus.PAID: {PaymentStatus.AWAITING_PROOF, PaymentStatus.CLOSED},
        PaymentStatus.AWAITING_PROOF: {PaymentStatus.CLOSED},
        PaymentStatus.CLOSED: set(),
        PaymentStatus.CANCELLED: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="grants")
    kind = models.CharField(_("nature"), max_length=12, choices=AidKind, default=AidKind.GRANT)
    amount_eur = money_field(_("montant"))
    status = models.CharField(_("état"), max_length=16, choices=PaymentStatus, default=PaymentStatus.PREPARED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    account_holder = models.CharField(_("titulaire du compte"), max_length=150)
    iban = models.CharField(_("IBAN"), max_length=34)
    proof_required = models.BooleanField(_("justificatif d'utilisation demandé"), default=False)
    proof_document = models.ForeignKey(
        Document, verbose_name=_("justificatif"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("préparé par"), on_delete=models.PROTECT, related_name="+"
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validé par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("payé le"), null=True, blank=True)
    payment_reference = models.CharField(_("référence du virement"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("secours")
        verbose_name_plural = _("secours")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint(PaymentStatus, "grant_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=["grant", "scholarship"]), name="grant_kind_valid"),
            non_negative("amount_eur", "grant_amount_nonneg"),
            four_eyes("prepared_by", "validated_by", "grant_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"Secours S-{self.public_id.hex[:8].upper()}"


class LoanOrigin(models.TextChoices):
    HONOUR_LOAN = "honour_loan", _("Prêt d'honneur")
    GUARANTEE_CALL = "guarantee_call", _("Créance après appel de caution")


class LoanStatus(models.TextChoices):
    OFFERED = "offered", _("Proposé")
    SIGNED = "signed", _("Contrat signé")
    DISBURSING = "disbursing", _("En cours de versement")
    DEFERRED = "deferred", _("Différé")
    REPAYING = "repaying", _("En remboursement")
    REPAID = "repaid", _("Remboursé")
    FORGIVEN = "forgiven", _("Remise accordée")
    WRITTEN_OFF = "written_off", _("Passé en perte")
    CANCELLED = "cancelled", _("Annulé")


class ArrearsBucket(models.TextChoices):
    NONE = "none", _("À jour")
    FRIENDLY = "friendly", _("Rappel amical par e-mail")
    CALL = "call", _("Appel d'un camarade")
    LETTER = "letter", _("Courrier")
    COMMITTEE = "committee", _("Examen par le comité")


class Loan(models.Model):
    """An interest-free honour loan, or the receivable left by a called bank guarantee."""

    Status = LoanStatus
    Origin = LoanOrigin
    Bucket = ArrearsBucket

    TRANSITIONS = {
        LoanStatus.OFFERED: {LoanStatus.SIGNED, LoanStatus.CANCELLED},
        LoanStatus.SIGNED: {LoanStatus.DISBURSING, LoanStatus.DEFERRED, LoanStatus.REPAYING, LoanStatus.CANCELLED},
        LoanStatus.DISBURSING: {LoanStatus.DEFERRED, LoanStatus.REPAYING},
        LoanStatus.DEFERRED: {LoanStatus.REPAYING, LoanStatus.FORGIVEN, LoanStatus.WRITTEN_OFF},
        LoanStatus.REPAYING: {LoanStatus.REPAID, LoanStatus.FORGIVEN, LoanStatus.WRITTEN_OFF},
        LoanStatus.WRITTEN_OFF: {LoanStatus.REPAID},  # fully recovered after all
        LoanStatus.REPAID: {LoanStatus.REPAYING},  # a reversed repayment reopens it
        LoanStatus.FORGIVEN: set(),
        LoanStatus.CANCELLED: set(),
    }
    OUTSTANDING = frozenset({LoanStatus.DISBURSING, LoanStatus.DEFERRED, LoanStatus.REPAYING})

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="loans")
    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("emprunteur"), on_delete=models.PROTECT, related_name="loans"
    )
    origin = models.CharField(_("origine"), max_length=16, choices=LoanOrigin, default=LoanOrigin.HONOUR_LOAN)
    for_student = models.BooleanField(_("prêt à un élève"), default=False)
    principal_eur = money_field(_("capital"))
    status = models.CharField(_("état"), max_length=12, choices=LoanStatus, default=LoanStatus.OFFERED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    instalments_count = models.PositiveSmallIntegerField(_("nombre de mensualités"), validators=[MinValueValidator(1)])
    deferral_months = models.PositiveSmallIntegerField(_("différé (mois)"), default=0)
    graduation_on = models.DateField(_("date du diplôme retenue"), null=True, blank=True)
    first_due_on = models.DateField(_("première échéance"))
    schedule_version = models.PositiveSmallIntegerField(_("version de l'échéancier"), default=1)
    schedule_base_eur = money_field(
        _("déjà remboursé à l'établissement de l'échéancier"),
        default=ZERO,
        help_text=_("Après un rééchelonnement, le nouvel échéancier porte sur le solde restant."),
    )
    forgiven_eur = money_field(_("remise (transformée en don)"), default=ZERO)
    written_off_eur = money_field(_("passé en perte"), default=ZERO)
    # Maintained by the nightly computation (and after each repayment).
    days_past_due = models.PositiveIntegerField(_("jours de retard"), default=0)
    arrears_eur = money_field(_("montant en retard"), default=ZERO)
    arrears_bucket = models.CharField(
        _("suivi du retard"), max_length=10, choices=ArrearsBucket, default=ArrearsBucket.NONE
    )
    arrears_computed_on = models.DateField(_("retard calculé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("prêt d'honneur")
        verbose_name_plural = _("prêts d'honneur")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "arrears_bucket"], name="loan_status_bucket_idx"),
        ]
        constraints = [
            status_constraint(LoanStatus, "loan_status_valid"),
            status_constraint(LoanOrigin, "loan_origin_valid", field="origin"),
            status_constraint(ArrearsBucket, "loan_bucket_valid", field="arrears_bucket"),
            non_negative("principal_eur", "loan_principal_nonneg"),
            non_negative("schedule_base_eur", "loan_base_nonneg"),
            non_negative("forgiven_eur", "loan_forgiven_nonneg"),
            non_negative("written_off_eur", "loan_written_off_nonneg"),
            non_negative("arrears_eur", "loan_arrears_nonneg"),
        ]
        permissions = [("record_repayment", _("Enregistrer les remboursements"))]

    def __str__(self) -> str:
        return f"Prêt P-{self.public_id.hex[:8].upper()}"

    @property
    def reference(self) -> str:
        return f"P-{self.public_id.hex[:8].upper()}"


class Instalment(models.Model):
    """One principal-only instalment of a loan's schedule (a version per rescheduling)."""

    loan = models.ForeignKey(Loan, verbose_name=_("prêt"), on_delete=models.CASCADE, related_name="instalments")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    seq = models.PositiveSmallIntegerField(_("n°"))
    due_on = models.DateField(_("échéance"))
    amount_eur = money_field(_("montant"))

    class Meta:
        verbose_name = _("échéance")
        verbose_name_plural = _("échéancier")
        ordering = ["loan", "version", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "version", "seq"], name="instalment_unique"),
            non_negative("amount_eur", "instalment_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"Échéance {self.seq} du {self.due_on:%d/%m/%Y}"


class DisbursementStatus(models.TextChoices):
    PREPARED = "prepared", _("Préparé")
    VALIDATED = "validated", _("Validé")
    PAID = "paid", _("Versé")
    CANCELLED = "cancelled", _("Annulé")


class Disbursement(models.Model):
    """One tranche of a loan paid to the borrower, validated by a second person."""

    Status = DisbursementStatus

    TRANSITIONS = {
        DisbursementStatus.PREPARED: {DisbursementStatus.VALIDATED, DisbursementStatus.CANCELLED},
        DisbursementStatus.VALIDATED: {DisbursementStatus.PAID, DisbursementStatus.CANCELLED},
        DisbursementStatus.PAID: set(),
        DisbursementStatus.CANCELLED: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    loan = models.ForeignKey(Loan, verbose_name=_("prêt"), on_delete=models.PROTECT, related_name="disbursements")
    amount_eur = money_field(_("montant"))
    status = models.CharField(_("état"), max_length=16, choices=DisbursementStatus, default=DisbursementStatus.PREPARED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    account_holder = models.CharField(_("titulaire du compte"), max_length=150)
    iban = models.CharField(_("IBAN"), max_length=34)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("préparé par"), on_delete=models.PROTECT, related_name="+"
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validé par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("versé le"), null=True, blank=True)
    payment_reference = models.CharField(_("référence du virement"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("versement (tranche)")
        verbose_name_plural = _("versements (tranches)")
        ordering = ["created_at", "id"]
        constraints = [
            status_constraint(DisbursementStatus, "disbursement_status_valid"),
            non_negative("amount_eur", "disbursement_amount_nonneg"),
            four_eyes("prepared_by", "validated_by", "disbursement_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"Tranche V-{self.public_id.hex[:8].upper()}"


class RepaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Remboursement")
    REVERSAL = "reversal", _("Contre-passation")


class RepaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Virement")
    DIRECT_DEBIT = "direct_debit", _("Prélèvement")
    CHEQUE = "cheque", _("Chèque")
    OTHER = "other", _("Autre")


class Repayment(models.Model):
    """A repayment recorded by staff. Never edited: a mistake is corrected by a reversal entry."""

    Kind = RepaymentKind
    Method = RepaymentMethod

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    loan = models.ForeignKey(Loan, verbose_name=_("prêt"), on_delete=models.PROTECT, related_name="repayments")
    kind = models.CharField(_("nature"), max_length=10, choices=RepaymentKind, default=RepaymentKind.PAYMENT)
    amount_eur = money_field(_("montant"))
    received_on = models.DateField(_("reçu le"))
    method = models.CharField(_("moyen"), max_length=14, choices=RepaymentMethod, default=RepaymentMethod.TRANSFER)
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    note = models.CharField(_("commentaire"), max_length=255, blank=True)
    is_recovery = models.BooleanField(_("recouvrement après passage en perte"), default=False)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("contre-passe"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saisi par"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("saisi le"), default=timezone.now)

    class Meta:
        verbose_name = _("remboursement")
        verbose_name_plural = _("remboursements")
        ordering = ["received_on", "id"]
        constraints = [
            status_constraint(RepaymentKind, "repayment_kind_valid", field="kind"),
            status_constraint(RepaymentMethod, "repayment_method_valid", field="method"),
            models.CheckConstraint(condition=Q(amount_eur__gt=0), name="repayment_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind=RepaymentKind.PAYMENT, reverses__isnull=True)
                | Q(kind=RepaymentKind.REVERSAL, reverses__isnull=False),
                name="repayment_reversal_links",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} R-{self.public_id.hex[:8].upper()}"

    def save(self, *args, **kwargs):
        # Ledger rule, not a side effect: an entry is written once.
        if not self._state.adding:
            raise ValueError("Un remboursement enregistré ne se modifie pas : contre-passez-le.")
        super().save(*args, **kwargs)

    @property
    def signed_amount_eur(self):
        return self.amount_eur if self.kind == RepaymentKind.PAYMENT else -self.amount_eur


class MeasureKind(models.TextChoices):
    RESCHEDULE = "reschedule", _("Rééchelonnement")
    FORGIVE = "forgive", _("Remise du solde (don)")
    WRITE_OFF = "write_off", _("Passage en perte")


class MeasureStatus(models.TextChoices):
    PROPOSED = "proposed", _("À valider")
    VALIDATED = "validated", _("Validée")
    CANCELLED = "cancelled", _("Annulée")


class LoanMeasure(models.Model):
    """Rescheduling, forgiveness or write-off: a committee decision, then a second person validates."""

    Kind = MeasureKind
    Status = MeasureStatus

    TRANSITIONS = {
        MeasureStatus.PROPOSED: {MeasureStatus.VALIDATED, MeasureStatus.CANCELLED},
        MeasureStatus.VALIDATED: set(),
        MeasureStatus.CANCELLED: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    loan = models.ForeignKey(Loan, verbose_name=_("prêt"), on_delete=models.PROTECT, related_name="measures")
    kind = models.CharField(_("mesure"), max_length=10, choices=MeasureKind)
    status = models.CharField(_("état"), max_length=10, choices=MeasureStatus, default=MeasureStatus.PROPOSED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    session = models.ForeignKey(
        CommitteeSession,
        verbose_name=_("séance qui l'a décidée"),
        on_delete=models.PROTECT,
        related_name="loan_measures",
    )
    decision_note = models.TextField(_("décision du comité"))
    new_instalments_count = models.PositiveSmallIntegerField(_("nouveau nombre de mensualités"), null=True, blank=True)
    new_first_due_on = models.DateField(_("nouvelle première échéance"), null=True, blank=True)
    amount_eur = money_field(_("montant concerné"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saisie par"), on_delete=models.PROTECT, related_name="+"
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saisie le"), default=timezone.now)
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("mesure sur un prêt")
        verbose_name_plural = _("mesures sur les prêts")
        ordering = ["-created_at", "-id"]
        constraints = [
            status_constraint(MeasureKind, "measure_kind_valid", field="kind"),
            status_constraint(MeasureStatus, "measure_status_valid"),
            non_negative("amount_eur", "measure_amount_nonneg"),
            four_eyes("proposed_by", "validated_by", "measure_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.loan}"


class AgendaLoan(models.Model):
    """A loan put on a session's agenda (arrears, a borrower asking for relief): the committee may then
    decide to reschedule, forgive or write it off."""

    session = models.ForeignKey(
        CommitteeSession, verbose_name=_("séance"), on_delete=models.CASCADE, related_name="agenda_loans"
    )
    loan = models.ForeignKey(Loan, verbose_name=_("prêt"), on_delete=models.CASCADE, related_name="agenda_items")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inscrit par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("inscrit le"), default=timezone.now)

    class Meta:
        verbose_name = _("prêt à l'ordre du jour")
        verbose_name_plural = _("prêts à l'ordre du jour")
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["session", "loan"], name="agenda_loan_unique")]

    def __str__(self) -> str:
        return f"{self.loan} — {self.session}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Fait")
    RESOLVED = "resolved", _("Régularisé")


class FollowUp(models.Model):
    """A human follow-up of a late loan (e-mail, a call by a camarade, a letter, the committee)."""

    Status = FollowUpStatus
    Bucket = ArrearsBucket

    loan = models.ForeignKey(Loan, verbose_name=_("prêt"), on_delete=models.CASCADE, related_name="follow_ups")
    bucket = models.CharField(_("étape"), max_length=10, choices=ArrearsBucket)
    status = models.CharField(_("état"), max_length=10, choices=FollowUpStatus, default=FollowUpStatus.OPEN)
    opened_on = models.DateField(_("ouvert le"))
    days_past_due = models.PositiveIntegerField(_("jours de retard à l'ouverture"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("fait par"), null=True, blank=True, on_delete=models.SET_NULL
    )
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)
    outcome = models.TextField(_("compte rendu"), blank=True)

    class Meta:
        verbose_name = _("suivi d'un retard")
        verbose_name_plural = _("suivis des retards")
        ordering = ["-opened_on", "-id"]
        constraints = [
            status_constraint(FollowUpStatus, "followup_status_valid"),
            status_constraint(ArrearsBucket, "followup_bucket_valid", field="bucket"),
            models.UniqueConstraint(
                fields=["loan", "bucket"], condition=Q(status="open"), name="followup_one_open_per_bucket"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_bucket_display()} — {self.loan}"


class LoanContract(models.Model):
    """The borrower's written commitment on their honour: the amounts they typed, and the signed document.

    The signature itself (e-mailed code, drawn signature, hash-chained evidence, sealed PDF) is held by the
    signing engine (soce.lib.signing) in `document`.
    """

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    loan = models.OneToOneField(Loan, verbose_name=_("prêt"), on_delete=models.PROTECT, related_name="contract")
    document = models.OneToOneField(
        "signing.SignableDocument",
        verbose_name=_("document signé"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("texte du contrat"))
    text_sha256 = models.CharField(_("empreinte du texte"), max_length=64)
    amount_words = models.CharField(_("montant en lettres saisi"), max_length=300)
    amount_figures = models.CharField(_("montant en chiffres saisi"), max_length=40)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("emprunteur"),
        null=True,  # emptied when the case is anonymised
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("montants vérifiés le"), default=timezone.now)
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(_("navigateur"), max_length=300, blank=True)
    evidence_sha256 = models.CharField(_("empreinte de la saisie des montants"), max_length=64)

    class Meta:
        verbose_name = _("contrat de prêt")
        verbose_name_plural = _("contrats de prêt")

    def __str__(self) -> str:
        return f"Contrat — {self.loan}"


class GuaranteeStatus(models.TextChoices):
    ACTIVE = "active", _("En cours")
    RELEASED = "released", _("Levée")
    CALLED = "called", _("Appelée par la banque")
    PAID = "paid", _("Payée à la banque")


class Guarantee(models.Model):
    """A guarantee given to a bank on a student's loan (international mobility)."""

    Status = GuaranteeStatus

    TRANSITIONS = {
        GuaranteeStatus.ACTIVE: {GuaranteeStatus.RELEASED, GuaranteeStatus.CALLED},
        GuaranteeStatus.CALLED: {GuaranteeStatus.PAID, GuaranteeStatus.ACTIVE},
        GuaranteeStatus.RELEASED: set(),
        GuaranteeStatus.PAID: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(AidCase, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="guarantees")
    bank = models.CharField(_("banque"), max_length=150)
    loan_reference = models.CharField(_("référence du prêt bancaire"), max_length=100)
    loan_amount_eur = money_field(_("montant du prêt bancaire"))
    share_percent = models.DecimalField(
        _("part garantie (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    ceiling_eur = money_field(_("plafond de la garantie"))
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin (incluse)"))
    status = models.CharField(_("état"), max_length=10, choices=GuaranteeStatus, default=GuaranteeStatus.ACTIVE)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    released_on = models.DateField(_("levée le"), null=True, blank=True)
    called_on = models.DateField(_("appelée le"), null=True, blank=True)
    called_eur = money_field(_("montant appelé"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appel enregistré par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    paid_reference = models.CharField(_("référence du paiement"), max_length=100, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paiement validé par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receivable = models.OneToOneField(
        Loan,
        verbose_name=_("créance sur l'élève"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guarantee",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saisie par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("saisie le"), default=timezone.now)

    class Meta:
        verbose_name = _("caution bancaire")
        verbose_name_plural = _("cautions bancaires")
        ordering = ["-starts_on", "-id"]
        constraints = [
            status_constraint(GuaranteeStatus, "guarantee_status_valid"),
            non_negative("loan_amount_eur", "guarantee_loan_nonneg"),
            non_negative("ceiling_eur", "guarantee_ceiling_nonneg"),
            non_negative("called_eur", "guarantee_called_nonneg"),
            models.CheckConstraint(
                condition=Q(share_percent__gte=0) & Q(share_percent__lte=100), name="guarantee_share_range"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="guarantee_dates_ordered"),
            four_eyes("called_by", "paid_by", "guarantee_four_eyes"),
        ]

    def __str__(self) -> str:
        return f"Caution C-{self.public_id.hex[:8].upper()}"

    @property
    def guaranteed_eur(self) -> Decimal:
        from soce.lib.money import eur

        share = eur(self.loan_amount_eur * self.share_percent / Decimal(100))
        return min(share, self.ceiling_eur)


class GuaranteeStatement(models.Model):
    """The bank's yearly statement of what remains on a guaranteed loan."""

    guarantee = models.ForeignKey(
        Guarantee, verbose_name=_("caution"), on_delete=models.CASCADE, related_name="statements"
    )
    year = models.PositiveSmallIntegerField(_("année"))
    outstanding_eur = money_field(_("capital restant dû à la banque"))
    received_on = models.DateField(_("reçu le"))
    note = models.CharField(_("commentaire"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("relevé annuel")
        verbose_name_plural = _("relevés annuels")
        ordering = ["guarantee", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["guarantee", "year"], name="statement_one_per_year"),
            non_negative("outstanding_eur", "statement_outstanding_nonneg"),
        ]

    def __str__(self) -> str:
        return f"Relevé {self.year} — {self.guarantee}"
