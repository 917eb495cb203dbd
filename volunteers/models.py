"""Bénévolat : missions, engagements, bilans, versions de la charte, signatures, mandats de contresignature."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Group, GroupKind, Member
from soce.lib.signing.models import SignableDocument
from soce.lib.states import status_constraint


class StructureKind(models.TextChoices):
    NATIONAL = "national", _("Service national")
    TERRITORIAL = "gt", _("Groupe territorial (GT)")
    PROFESSIONAL = "gp", _("Groupe professionnel (GP)")
    CAMPUS = "campus", _("Campus")


class Mission(models.Model):
    """A role description (fiche de poste) for a structure of the association."""

    Structure = StructureKind

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description (fiche de poste)"))
    structure_kind = models.CharField(_("structure servie"), max_length=16, choices=StructureKind)
    group = models.ForeignKey(
        Group,
        verbose_name=_("groupe"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="missions",
        help_text=_("Le GT, le GP ou le campus servi ; vide pour un service national."),
    )
    national_service = models.CharField(
        _("service national"), max_length=150, blank=True, help_text=_("Ex. « Entraide », « Destination Ingénieur-e ».")
    )
    skills = models.TextField(_("compétences recherchées"), blank=True)
    expected_time = models.CharField(_("temps attendu"), max_length=150, help_text=_("Ex. « 2 heures par mois »."))
    referent = models.ForeignKey(
        Member, verbose_name=_("référent"), on_delete=models.PROTECT, related_name="referent_of_missions"
    )
    review_every_months = models.PositiveSmallIntegerField(
        _("bilan tous les (mois)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    successor_sought = models.BooleanField(_("successeur recherché"), default=False)
    active = models.BooleanField(_("ouverte"), default=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ["title"]
        constraints = [
            status_constraint(StructureKind, "mission_structure_valid", field="structure_kind"),
            models.CheckConstraint(
                condition=Q(structure_kind=StructureKind.NATIONAL) | Q(group__isnull=False),
                name="mission_group_unless_national",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.structure_label}"

    # The kind of group each structure serves (GroupKind values).
    GROUP_KIND_FOR = {
        StructureKind.TERRITORIAL: GroupKind.TERRITORIAL,
        StructureKind.PROFESSIONAL: GroupKind.PROFESSIONAL,
        StructureKind.CAMPUS: GroupKind.CAMPUS,
    }

    def clean(self) -> None:
        """The group must be of the kind the structure names: a GT mission serves a GT, and so on."""
        super().clean()
        if self.structure_kind == StructureKind.NATIONAL:
            if self.group_id is not None:
                raise ValidationError(
                    {"group": _("Une mission d'un service national ne sert pas un groupe : laissez le groupe vide.")}
                )
            return
        expected = self.GROUP_KIND_FOR.get(self.structure_kind)
        if expected is None:
            return  # an unknown structure is refused by the field's choices
        if self.group_id is None:
            raise ValidationError(
                {"group": _("Choisissez le groupe servi : %(kind)s.") % {"kind": GroupKind(expected).label}}
            )
        if self.group.kind != expected:
            raise ValidationError(
                {
                    "group": _(
                        "« %(group)s » est de type « %(actual)s » : une mission « %(structure)s » doit servir un "
                        "groupe de type « %(expected)s »."
                    )
                    % {
                        "group": self.group.name,
                        "actual": self.group.get_kind_display(),
                        "structure": StructureKind(self.structure_kind).label,
                        "expected": GroupKind(expected).label,
                    }
                }
            )

    @property
    def structure_label(self) -> str:
        if self.structure_kind == StructureKind.NATIONAL:
            return self.national_service or str(StructureKind.NATIONAL.label)
        return self.group.name if self.group_id else ""


class EngagementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposé")
    AWAITING_SIGNATURE = "awaiting_signature", _("En attente de signature de la charte")
    ACTIVE = "active", _("Actif")
    REVIEW_DUE = "review_due", _("Bilan à faire")
    SUSPENDED = "suspended", _("Suspendu")
    ENDING = "ending", _("Fin en cours (préavis)")
    ENDED = "ended", _("Terminé")


class EndKind(models.TextChoices):
    NOTICE = "notice", _("Préavis donné par le bénévole")
    DECISION = "decision", _("Décision motivée de l'association, validée par le Bureau")
    TERM = "term", _("Terme de la mission")


class NoticeChannel(models.TextChoices):
    PORTAL = "portal", _("Sur le portail")
    PHONE = "phone", _("Par téléphone")
    LETTER = "letter", _("Par courrier")
    EMAIL = "email", _("Par e-mail")
    IN_PERSON = "in_person", _("De vive voix")


class EndReason(models.TextChoices):
    TERM = "term", _("Terme")
    RESIGNED = "resigned", _("Démission")
    REPLACED = "replaced", _("Remplacé")
    REVOKED = "revoked", _("Révoqué")
    DECEASED = "deceased", _("Décédé")


class Engagement(models.Model):
    """A volunteer × a mission × a referent × a period, with its own state machine."""

    Status = EngagementStatus
    EndKind = EndKind
    EndReason = EndReason
    NoticeChannel = NoticeChannel
    TRANSITIONS = {
        EngagementStatus.PROPOSED: {EngagementStatus.AWAITING_SIGNATURE},
        EngagementStatus.AWAITING_SIGNATURE: {EngagementStatus.ACTIVE},
        EngagementStatus.ACTIVE: {EngagementStatus.REVIEW_DUE, EngagementStatus.SUSPENDED, EngagementStatus.ENDING},
        EngagementStatus.REVIEW_DUE: {EngagementStatus.ACTIVE},
        EngagementStatus.SUSPENDED: {EngagementStatus.ACTIVE},
        EngagementStatus.ENDING: {EngagementStatus.ENDED},
        EngagementStatus.ENDED: set(),
    }
    # Statuses in which the person is serving (counted as an active volunteer).
    SERVING = (EngagementStatus.ACTIVE, EngagementStatus.REVIEW_DUE)
    # Statuses in which the charter in force binds the person.
    BOUND = (EngagementStatus.ACTIVE, EngagementStatus.REVIEW_DUE, EngagementStatus.SUSPENDED, EngagementStatus.ENDING)

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    volunteer = models.ForeignKey(
        Member, verbose_name=_("bénévole"), on_delete=models.PROTECT, related_name="engagements"
    )
    mission = models.ForeignKey(
        Mission, verbose_name=_("mission"), on_delete=models.PROTECT, related_name="engagements"
    )
    referent = models.ForeignKey(
        Member, verbose_name=_("référent"), on_delete=models.PROTECT, related_name="referent_of_engagements"
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin prévue (incluse)"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=24, choices=EngagementStatus, default=EngagementStatus.PROPOSED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    suspended_for_dues = models.BooleanField(_("suspendu : cotisation non à jour"), default=False)
    suspended_for_charter = models.BooleanField(_("suspendu : charte en vigueur non signée"), default=False)
    end_kind = models.CharField(_("origine de la fin"), max_length=16, choices=EndKind, blank=True)
    end_note = models.TextField(_("motif de la fin"), blank=True)
    notice_given_on = models.DateField(_("préavis donné le"), null=True, blank=True)
    notice_channel = models.CharField(_("préavis reçu"), max_length=16, choices=NoticeChannel, blank=True)
    bureau_validated_on = models.DateField(_("validé par le Bureau le"), null=True, blank=True)
    end_reason = models.CharField(_("raison de la fin"), max_length=16, choices=EndReason, blank=True)
    ended_on = models.DateField(_("terminé le"), null=True, blank=True)
    successor = models.ForeignKey(
        Member,
        verbose_name=_("successeur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="succeeded_engagements",
    )
    successor_none_found = models.BooleanField(_("aucun successeur trouvé"), default=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["status", "volunteer"], name="engagement_status_vol_idx"),
            models.Index(fields=["volunteer", "status"], name="engagement_vol_status_idx"),
        ]
        constraints = [
            status_constraint(EngagementStatus, "engagement_status_valid"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="engagement_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status=EngagementStatus.ENDED)
                | (~Q(end_reason="") & (Q(successor__isnull=False) | Q(successor_none_found=True))),
                name="engagement_ended_has_reason_and_successor",
            ),
            models.CheckConstraint(
                condition=~Q(end_kind=EndKind.DECISION) | Q(bureau_validated_on__isnull=False),
                name="engagement_decision_validated_by_bureau",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer.full_name} — {self.mission.title}"

    @property
    def suspension_causes(self) -> list[str]:
        causes = []
        if self.suspended_for_dues:
            causes.append(str(_("cotisation non à jour")))
        if self.suspended_for_charter:
            causes.append(str(_("charte en vigueur non signée dans le délai")))
        return causes


class EndProposalStatus(models.TextChoices):
    PENDING = "pending", _("À valider par le Bureau")
    VALIDATED = "validated", _("Validée par le Bureau")
    REJECTED = "rejected", _("Refusée par le Bureau")
    WITHDRAWN = "withdrawn", _("Retirée")


class EndProposal(models.Model):
    """A reasoned end decided by the association: proposed by the Bénévolat team, validated by the Bureau.

    Four eyes: the member of the Bureau who validates is never the person who proposed.
    """

    Status = EndProposalStatus
    TRANSITIONS = {
        EndProposalStatus.PENDING: {
            EndProposalStatus.VALIDATED,
            EndProposalStatus.REJECTED,
            EndProposalStatus.WITHDRAWN,
        },
        EndProposalStatus.VALIDATED: set(),
        EndProposalStatus.REJECTED: set(),
        EndProposalStatus.WITHDRAWN: set(),
    }

    engagement = models.ForeignKey(
        Engagement, verbose_name=_("engagement"), on_delete=models.PROTECT, related_name="end_proposals"
    )
    note = models.TextField(_("motif de la décision"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposée par"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposée le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=16, choices=EndProposalStatus, default=EndProposalStatus.PENDING)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decision_note = models.TextField(_("observation du Bureau"), blank=True)

    class Meta:
        verbose_name = _("fin décidée par l'association")
        verbose_name_plural = _("fins décidées par l'association")
        ordering = ["-proposed_at", "-id"]
        permissions = [
            ("validate_engagement_end", _("Valider ou refuser une fin d'engagement décidée par l'association")),
        ]
        constraints = [
            status_constraint(EndProposalStatus, "end_proposal_status_valid"),
            models.UniqueConstraint(
                fields=["engagement"],
                condition=Q(status=EndProposalStatus.PENDING),
                name="end_proposal_one_pending_per_engagement",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="end_proposal_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"Fin proposée le {timezone.localtime(self.proposed_at):%d/%m/%Y} — {self.engagement}"


class ReviewOutlook(models.TextChoices):
    CONTINUE = "continue", _("Poursuivre la mission")
    ADJUST = "adjust", _("Poursuivre en l'adaptant")
    HAND_OVER = "hand_over", _("Passer la main (chercher un successeur)")


class Review(models.Model):
    """A periodic review (bilan) of an engagement with its referent: due, done, then the next one."""

    Outlook = ReviewOutlook

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    engagement = models.ForeignKey(
        Engagement, verbose_name=_("engagement"), on_delete=models.CASCADE, related_name="reviews"
    )
    due_on = models.DateField(_("à faire pour le"))
    done_on = models.DateField(_("fait le"), null=True, blank=True)
    achievements = models.TextField(_("réalisations"), blank=True)
    difficulties = models.TextField(_("difficultés rencontrées"), blank=True)
    needs = models.TextField(_("besoins (formation, moyens, aide)"), blank=True)
    outlook = models.CharField(_("suite envisagée"), max_length=16, choices=ReviewOutlook, blank=True)
    next_due_on = models.DateField(_("prochain bilan"), null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("préparé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("préparé le"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("validé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Le référent, ou l'équipe du bénévolat : le bilan se fait avec le référent."),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("bilan")
        verbose_name_plural = _("bilans")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="review_pending_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement"], condition=Q(done_on__isnull=True), name="review_one_pending_per_engagement"
            ),
            models.CheckConstraint(condition=Q(done_on__isnull=True) | ~Q(outlook=""), name="review_done_has_outlook"),
        ]

    def __str__(self) -> str:
        return f"Bilan du {self.due_on:%d/%m/%Y} — {self.engagement}"

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    @property
    def is_prepared(self) -> bool:
        return self.prepared_at is not None


class VersionKind(models.TextChoices):
    MINOR = "minor", _("Mineure (pas de nouvelle signature)")
    MAJOR = "major", _("Majeure (chaque bénévole doit signer de nouveau)")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")


class CharterVersion(models.Model):
    """A version of the volunteer charter: rich text entered by staff, frozen with its SHA-256 on publication."""

    Kind = VersionKind
    Status = VersionStatus
    TRANSITIONS = {VersionStatus.DRAFT: {VersionStatus.PUBLISHED}, VersionStatus.PUBLISHED: set()}

    label = models.CharField(_("version"), max_length=20, unique=True, help_text=_("Ex. « V8 »."))
    title = models.CharField(_("titre"), max_length=200, default="Charte du bénévole")
    body_html = models.TextField(
        _("texte"), help_text=_("Titres, paragraphes, listes, gras et italique ; le reste est retiré.")
    )
    kind = models.CharField(_("nature"), max_length=8, choices=VersionKind, default=VersionKind.MAJOR)
    resign_within_days = models.PositiveSmallIntegerField(
        _("délai pour signer de nouveau (jours)"),
        default=60,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text=_("Version majeure : au-delà, l'engagement des bénévoles qui n'ont pas signé est suspendu."),
    )
    status = models.CharField(_("état"), max_length=16, choices=VersionStatus, default=VersionStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    effective_on = models.DateField(_("en vigueur le"), null=True, blank=True)
    baseline = models.ForeignKey(
        "self",
        verbose_name=_("dernière version majeure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Une signature vaut pour toutes les versions mineures qui suivent cette version majeure."),
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("version de la charte")
        verbose_name_plural = _("versions de la charte")
        ordering = ["-published_at", "-id"]
        constraints = [
            status_constraint(VersionStatus, "charter_version_status_valid"),
            status_constraint(VersionKind, "charter_version_kind_valid", field="kind"),
            models.CheckConstraint(
                condition=Q(status=VersionStatus.DRAFT)
                | (~Q(text_sha256="") & Q(published_at__isnull=False) & Q(baseline__isnull=False)),
                name="charter_version_published_is_frozen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.label}"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class CountersigningMandate(models.Model):
    """Who may countersign charters for the association, in which capacity, for which structures."""

    member = models.ForeignKey(
        Member, verbose_name=_("représentant"), on_delete=models.PROTECT, related_name="countersigning_mandates"
    )
    capacity = models.CharField(_("qualité"), max_length=200, help_text=_("Ex. « Président du GT Lyon Rhône »."))
    group = models.ForeignKey(
        Group,
        verbose_name=_("limité au groupe"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Vide : toutes les chartes (mandat national)."),
    )
    starts_on = models.DateField(_("depuis le"), default=timezone.localdate)
    ends_on = models.DateField(_("jusqu'au (inclus)"), null=True, blank=True)

    class Meta:
        verbose_name = _("mandat de contresignature")
        verbose_name_plural = _("mandats de contresignature")
        ordering = ["member__last_name", "member__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="mandate_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.full_name} — {self.capacity}"


class CharterSignature(models.Model):
    """One volunteer signing one version of the charter: the business side of a SignableDocument."""

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    volunteer = models.ForeignKey(
        Member, verbose_name=_("bénévole"), on_delete=models.PROTECT, related_name="charter_signatures"
    )
    version = models.ForeignKey(
        CharterVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="signatures"
    )
    engagement = models.ForeignKey(
        Engagement,
        verbose_name=_("engagement"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charter_signatures",
    )
    document = models.OneToOneField(
        SignableDocument,
        verbose_name=_("document signé"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="charter_signature",
        help_text=_("Vide pour une charte signée sur papier avant le portail (archivée au siège)."),
    )
    on_paper = models.BooleanField(_("signée sur papier"), default=False)
    mission_group = models.ForeignKey(
        Group,
        verbose_name=_("groupe de la mission"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Pour router la contresignature vers les mandats du groupe."),
    )
    volunteer_signed_at = models.DateTimeField(_("signée par le bénévole le"), null=True, blank=True)
    countersigned_at = models.DateTimeField(_("contresignée le"), null=True, blank=True)
    declined_at = models.DateTimeField(_("refusée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("commencée le"), default=timezone.now)

    class Meta:
        verbose_name = _("signature de la charte")
        verbose_name_plural = _("signatures de la charte")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["volunteer", "-volunteer_signed_at"], name="charter_sig_volunteer_idx"),
            models.Index(fields=["volunteer_signed_at", "countersigned_at"], name="charter_sig_pending_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(on_paper=True, volunteer_signed_at__isnull=False)
                | Q(on_paper=False, document__isnull=False),
                name="charter_sig_online_or_paper",
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} — {self.volunteer.full_name}"

    @property
    def state_label(self) -> str:
        if self.declined_at:
            return str(_("Refusée"))
        if self.on_paper:
            return str(_("Signée sur papier"))
        if self.countersigned_at:
            return str(_("Signée et contresignée"))
        if self.volunteer_signed_at:
            return str(_("En attente de contresignature"))
        return str(_("Signature en cours"))


class ResigningCampaign(models.Model):
    """After a major version: every bound volunteer re-signs before the deadline, else is suspended."""

    version = models.OneToOneField(
        CharterVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="campaign"
    )
    starts_on = models.DateField(_("début"))
    deadline = models.DateField(_("date limite (incluse)"))
    suspensions_done_on = models.DateField(_("suspensions appliquées le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("campagne de nouvelle signature")
        verbose_name_plural = _("campagnes de nouvelle signature")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gte=models.F("starts_on")), name="campaign_dates_ordered")
        ]

    def __str__(self) -> str:
        return f"Nouvelle signature de la {self.version} (avant le {self.deadline:%d/%m/%Y})"
