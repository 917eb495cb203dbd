"""Modèles du socle : journal d'audit et boîte d'envoi (outbox) des e-mails."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which object, when: append-only."""

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("auteur (texte)"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("type d'objet"), null=True, blank=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    object_repr = models.CharField(_("objet"), max_length=255, blank=True)
    note = models.TextField(_("motif ou commentaire"), blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_repr or '—'} {self.action} {self.object_repr}"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("En file")
    SENDING = "sending", _("En cours d'envoi")
    RETRYING = "retrying", _("Nouvel essai prévu")
    HELD = "held", _("Suspendu (étape en pause)")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec")
    CANCELLED = "cancelled", _("Annulé")


class OutgoingEmail(models.Model):
    """One e-mail to send, at most once per idempotency key."""

    Status = EmailStatus

    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=255, unique=True)
    template = models.CharField(_("gabarit"), max_length=200)
    to = models.EmailField(_("destinataire"), max_length=254, db_index=True)
    from_email = models.CharField(_("expéditeur"), max_length=254)
    subject = models.CharField(_("objet"), max_length=500)
    body_text = models.TextField(_("texte"))
    body_html = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("en-têtes"), default=dict, blank=True)
    attachments = models.JSONField(
        _("pièces jointes"),
        default=list,
        blank=True,
        help_text=_('Fichiers du stockage privé : [{"path", "filename", "mimetype"}].'),
    )
    status = models.CharField(_("état"), max_length=16, choices=Status, default=Status.QUEUED)
    not_before = models.DateTimeField(
        _("pas avant"), null=True, blank=True, help_text=_("Envoi planifié (débit limité des relances).")
    )
    enqueued_at = models.DateTimeField(_("confié au worker le"), null=True, blank=True)
    redact_after_send = models.BooleanField(
        _("masquer après envoi"),
        default=False,
        help_text=_("Pour les codes à usage unique : l'objet et le texte ne sont pas conservés une fois envoyés."),
    )
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(
        _("dernière erreur ou motif"),
        blank=True,
        help_text=_("L'erreur du dernier envoi, ou pourquoi l'e-mail n'est pas parti (annulé juste avant l'envoi)."),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    related_type = models.ForeignKey(
        ContentType, verbose_name=_("lié à (type)"), null=True, blank=True, on_delete=models.SET_NULL
    )
    related_id = models.CharField(_("lié à (id)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("e-mail sortant")
        verbose_name_plural = _("boîte d'envoi")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "status_changed_at"], name="outbox_status_idx"),
            models.Index(fields=["related_type", "related_id"], name="outbox_related_idx"),
            models.Index(
                fields=["not_before"],
                name="outbox_planned_idx",
                condition=Q(status="queued", enqueued_at__isnull=True, not_before__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values),
                name="outbox_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("En file")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class BackgroundJob(models.Model):
    """A long task started by staff, with its progress visible in the admin."""

    Status = JobStatus

    kind = models.CharField(_("nature"), max_length=80)
    label = models.CharField(_("libellé"), max_length=200)
    params = models.JSONField(_("paramètres"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=JobStatus, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(_("à traiter"), default=0)
    done = models.PositiveIntegerField(_("traités"), default=0)
    result = models.JSONField(_("résultat"), default=dict, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lancé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("lancé le"), default=timezone.now)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("traitement de fond")
        verbose_name_plural = _("traitements de fond")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="job_status_valid")]

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class PeriodicRun(models.Model):
    """The last run of each periodic job by `run_periodic_tasks --due` (cron without a broker)."""

    name = models.CharField(_("tâche"), max_length=80, unique=True)
    last_run_at = models.DateTimeField(_("dernière exécution"), null=True, blank=True)
    running_since = models.DateTimeField(_("en cours depuis"), null=True, blank=True)
    last_result = models.TextField(_("résultat"), blank=True)
    last_error = models.TextField(_("erreur"), blank=True)
    runs = models.PositiveIntegerField(_("exécutions"), default=0)

    class Meta:
        verbose_name = _("tâche périodique")
        verbose_name_plural = _("tâches périodiques")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
