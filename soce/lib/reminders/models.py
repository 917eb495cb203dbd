"""Campagnes, étapes et envois des relances."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soce.lib.models import OutgoingEmail
from soce.lib.states import status_constraint


class Campaign(models.Model):
    """A set of steps sharing a sending rate (e.g. « Cotisations 2027 »)."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True, db_index=True)
    rate_per_minute = models.PositiveIntegerField(
        _("débit maximal (e-mails par minute)"),
        default=300,
        help_text=_("Les envois d'une étape sont étalés pour ne pas engorger le serveur SMTP."),
    )
    paused = models.BooleanField(_("en pause"), default=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("campagne de relance")
        verbose_name_plural = _("campagnes de relance")
        ordering = ["-year", "name"]

    def __str__(self) -> str:
        return self.name


class StepStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Programmée")
    DONE = "done", _("Envoyée")


class Step(models.Model):
    """One e-mail to one audience: on a date (sent once, caught up if missed) or every day (rolling)."""

    Status = StepStatus

    campaign = models.ForeignKey(Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    rule = models.CharField(_("règle d'audience"), max_length=80)
    params = models.JSONField(_("paramètres de l'audience"), default=dict, blank=True)
    template = models.CharField(
        _("gabarit d'e-mail"), max_length=150, help_text=_("Ex. « members/dues_reminder » (sous templates/emails/).")
    )
    send_on = models.DateField(_("date d'envoi"), null=True, blank=True)
    rolling = models.BooleanField(
        _("quotidienne"), default=False, help_text=_("Réévaluée chaque jour ; chaque jalon n'est envoyé qu'une fois.")
    )
    is_reminder = models.BooleanField(
        _("relance"),
        default=True,
        help_text=_("Une relance respecte la désinscription et porte le lien de désabonnement en un clic."),
    )
    paused = models.BooleanField(_("en pause"), default=False)
    status = models.CharField(_("état"), max_length=16, choices=StepStatus, default=StepStatus.SCHEDULED)
    claimed_at = models.DateTimeField(_("en cours depuis"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("dernier passage"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("étape de relance")
        verbose_name_plural = _("étapes de relance")
        ordering = ["campaign", "send_on", "id"]
        indexes = [models.Index(fields=["status", "send_on"], name="step_due_idx")]
        constraints = [
            status_constraint(StepStatus, "step_status_valid"),
            models.CheckConstraint(condition=Q(rolling=True) | Q(send_on__isnull=False), name="step_dated_or_rolling"),
        ]

    def __str__(self) -> str:
        when = _("chaque jour") if self.rolling else (self.send_on.strftime("%d/%m/%Y") if self.send_on else "—")
        return f"{self.name} ({when})"

    def is_due(self, today) -> bool:
        if self.paused or self.campaign.paused:
            return False
        if self.rolling:
            return True
        return self.status == StepStatus.SCHEDULED and self.send_on is not None and self.send_on <= today


class Delivery(models.Model):
    """Who was sent which step: the proof of « exactly once » and the base of the results."""

    step = models.ForeignKey(Step, verbose_name=_("étape"), on_delete=models.CASCADE, related_name="deliveries")
    recipient_key = models.CharField(_("destinataire (clé)"), max_length=200)
    email = models.ForeignKey(
        OutgoingEmail, verbose_name=_("e-mail"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    member_id = models.BigIntegerField(_("membre (id)"), null=True, blank=True)
    planned_at = models.DateTimeField(_("envoi planifié"))
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("envoi de relance")
        verbose_name_plural = _("envois de relance")
        constraints = [models.UniqueConstraint(fields=["step", "recipient_key"], name="delivery_once_per_step")]
        indexes = [models.Index(fields=["member_id", "created_at"], name="delivery_member_idx")]

    def __str__(self) -> str:
        return f"{self.step} → {self.recipient_key}"
