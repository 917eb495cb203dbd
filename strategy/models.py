"""Plans, ambitions, objectifs, critères clés de réussite, indicateurs, valeurs, actions, points d'étape."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soce.lib.states import status_constraint

from . import rules

USER = settings.AUTH_USER_MODEL
ONE = 1
VALUE_DIGITS = {"max_digits": 18, "decimal_places": 4}


def private_storage():
    return storages["private"]


class TargetType(models.TextChoices):
    INCREASE = rules.TargetType.INCREASE.value, _("Atteindre (hausse)")
    DECREASE = rules.TargetType.DECREASE.value, _("Ramener à (baisse)")
    STAY_ABOVE = rules.TargetType.STAY_ABOVE.value, _("Rester au-dessus de")
    STAY_BELOW = rules.TargetType.STAY_BELOW.value, _("Rester en dessous de")
    STAY_BETWEEN = rules.TargetType.STAY_BETWEEN.value, _("Rester entre deux bornes")
    MILESTONE = rules.TargetType.MILESTONE.value, _("Jalon à une date")
    TRACK = rules.TargetType.TRACK.value, _("Suivi sans cible")


class Aggregation(models.TextChoices):
    SUM = rules.Aggregation.SUM.value, _("Somme des périodes (flux)")
    LAST = rules.Aggregation.LAST.value, _("Dernière valeur (stock)")
    RATIO = rules.Aggregation.RATIO.value, _("Rapport des sommes (pourcentage)")


class Frequency(models.TextChoices):
    MONTHLY = rules.Frequency.MONTHLY.value, _("Mensuelle")
    QUARTERLY = rules.Frequency.QUARTERLY.value, _("Trimestrielle")
    YEARLY = rules.Frequency.YEARLY.value, _("Annuelle")


class Unit(models.TextChoices):
    COUNT = "count", _("Nombre")
    PERCENT = "percent", _("Pourcentage")
    EUR = "eur", _("Euros")
    RATIO = "ratio", _("Ratio")
    BOOL = "bool", _("Oui / non")


class Kind(models.TextChoices):
    COMPUTED = "computed", _("Calculé par l'application")
    MANUAL = "manual", _("Saisi")


class PilotStatus(models.TextChoices):
    """How a pilot sees an objective at a check-in."""

    ON_TRACK = rules.Status.ON_TRACK.value, _("En bonne voie")
    BEHIND = rules.Status.BEHIND.value, _("En retard")
    OFF_TRACK = rules.Status.OFF_TRACK.value, _("Hors trajectoire")


class Plan(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("nom"), max_length=150)
    vision = models.TextField(_("vision"), blank=True)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    is_current = models.BooleanField(_("plan en vigueur"), default=False)
    featured_indicator = models.ForeignKey(
        "Indicator",
        verbose_name=_("indicateur de la courbe à inverser"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("L'indicateur montré par défaut dans le graphique « inverser la courbe »."),
    )

    class Meta:
        verbose_name = _("plan stratégique")
        verbose_name_plural = _("plans stratégiques")
        ordering = ["-starts_on"]
        permissions = [
            ("view_dashboard", _("Voir le tableau de bord de pilotage")),
            ("admin_strategy", _("Administrer les définitions et les cibles de la stratégie")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="strategy_plan_dates"),
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="strategy_one_current"),
        ]

    def __str__(self) -> str:
        return self.name


class Axis(models.Model):
    """One of the plan's cross-cutting axes: a tag on objectives, indicators and actions."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="axes")
    number = models.PositiveSmallIntegerField(_("numéro"))
    label = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("axe stratégique")
        verbose_name_plural = _("axes stratégiques")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="strategy_axis_number")]

    def __str__(self) -> str:
        return f"Axe {self.number} — {self.label}"


class Ambition(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="ambitions")
    code = models.CharField(_("code"), max_length=10, help_text=_("A1, A2…"))
    title = models.CharField(_("intitulé"), max_length=200)
    statement = models.TextField(_("énoncé"), blank=True)
    pilot = models.ForeignKey(
        USER, verbose_name=_("pilote"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weight = models.DecimalField(_("poids"), max_digits=6, decimal_places=2, default=ONE)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("ambition")
        verbose_name_plural = _("ambitions")
        ordering = ["plan", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="strategy_ambition_code"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="strategy_ambition_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Objective(models.Model):
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="objectives")
    ambition = models.ForeignKey(
        Ambition, verbose_name=_("ambition"), on_delete=models.PROTECT, related_name="objectives"
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("A1.O1, A1.O2…"))
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    pilot = models.ForeignKey(
        USER, verbose_name=_("pilote"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weight = models.DecimalField(_("poids"), max_digits=6, decimal_places=2, default=ONE)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    axes = models.ManyToManyField(Axis, verbose_name=_("axes"), blank=True, related_name="objectives")

    class Meta:
        verbose_name = _("objectif")
        verbose_name_plural = _("objectifs")
        ordering = ["plan", "ambition__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="strategy_objective_code"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="strategy_objective_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Criterion(models.Model):
    """A key success criterion (critère clé de réussite), worded as the plan words it."""

    objective = models.ForeignKey(
        Objective, verbose_name=_("objectif"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.CharField(_("code"), max_length=10, help_text=_("C1, C2… (relatif à l'objectif)"))
    statement = models.TextField(_("énoncé"))
    weight = models.DecimalField(_("poids"), max_digits=6, decimal_places=2, default=ONE)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("critère clé de réussite")
        verbose_name_plural = _("critères clés de réussite")
        ordering = ["objective", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["objective", "code"], name="strategy_criterion_code"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="strategy_criterion_weight"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.statement[:80]}"


class Indicator(models.Model):
    """What measures a criterion, with its reference sheet (fiche de référence)."""

    Kind = Kind
    Unit = Unit
    TargetType = TargetType
    Aggregation = Aggregation
    Frequency = Frequency

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="indicators")
    criterion = models.ForeignKey(
        Criterion,
        verbose_name=_("critère mesuré"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="indicators",
    )
    code = models.SlugField(_("code"), max_length=60, unique=True, help_text=_("Figure dans l'adresse de sa page."))
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("nature"), max_length=10, choices=Kind, default=Kind.MANUAL)
    metric_code = models.CharField(
        _("indicateur calculé (code)"),
        max_length=80,
        blank=True,
        help_text=_("Code du registre des indicateurs calculés, ex. « members.payers »."),
    )
    definition = models.TextField(_("définition"), blank=True)
    data_source = models.TextField(_("source des données"), blank=True)
    collection_method = models.TextField(_("mode de collecte"), blank=True)
    limitations = models.TextField(_("limites"), blank=True)
    unit = models.CharField(_("unité"), max_length=10, choices=Unit, default=Unit.COUNT)
    decimals = models.PositiveSmallIntegerField(_("décimales affichées"), default=0, validators=[MaxValueValidator(4)])
    target_type = models.CharField(_("type de cible"), max_length=10, choices=TargetType, default=TargetType.INCREASE)
    aggregation = models.CharField(
        _("agrégation dans le temps"), max_length=10, choices=Aggregation, default=Aggregation.LAST
    )
    frequency = models.CharField(_("fréquence"), max_length=10, choices=Frequency, default=Frequency.YEARLY)
    owner = models.ForeignKey(
        USER,
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="strategy_owned_indicators",
    )
    updaters = models.ManyToManyField(
        USER, verbose_name=_("contributeurs"), blank=True, related_name="strategy_updated_indicators"
    )
    baseline_value = models.DecimalField(_("valeur de référence"), null=True, blank=True, **VALUE_DIGITS)
    baseline_on = models.DateField(_("date de la référence"), null=True, blank=True)
    weight = models.DecimalField(_("poids"), max_digits=6, decimal_places=2, default=ONE)
    on_track_threshold = models.DecimalField(
        _("seuil « en bonne voie » (% du rythme attendu)"), max_digits=5, decimal_places=2, default=95
    )
    behind_threshold = models.DecimalField(
        _("seuil « en retard » (% du rythme attendu)"), max_digits=5, decimal_places=2, default=85
    )
    grace_days = models.PositiveSmallIntegerField(
        _("délai de saisie (jours)"), default=30, help_text=_("Au-delà, la valeur est « à mettre à jour ».")
    )
    axes = models.ManyToManyField(Axis, verbose_name=_("axes"), blank=True, related_name="indicators")
    is_headline = models.BooleanField(_("tuile du tableau de bord"), default=False)
    headline_position = models.PositiveSmallIntegerField(_("ordre des tuiles"), default=0)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["plan", "position", "code"]
        constraints = [
            status_constraint(Kind, "strategy_indicator_kind", field="kind"),
            status_constraint(Unit, "strategy_indicator_unit", field="unit"),
            status_constraint(TargetType, "strategy_indicator_target_type", field="target_type"),
            status_constraint(Aggregation, "strategy_indicator_aggregation", field="aggregation"),
            status_constraint(Frequency, "strategy_indicator_frequency", field="frequency"),
            models.CheckConstraint(
                condition=Q(kind=Kind.MANUAL) | ~Q(metric_code=""), name="strategy_computed_has_metric"
            ),
            models.CheckConstraint(
                condition=Q(behind_threshold__gte=0) & Q(behind_threshold__lte=F("on_track_threshold")),
                name="strategy_indicator_thresholds",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="strategy_indicator_weight"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_computed(self) -> bool:
        return self.kind == Kind.COMPUTED


class IndicatorTarget(models.Model):
    """An interim or final target at a date. Never edited: a change supersedes it, with a reason."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicateur"), on_delete=models.CASCADE, related_name="targets"
    )
    target_on = models.DateField(_("échéance"))
    value = models.DecimalField(_("cible"), **VALUE_DIGITS)
    value_high = models.DecimalField(_("borne haute"), null=True, blank=True, **VALUE_DIGITS)
    reason = models.TextField(_("motif"), blank=True)
    set_by = models.ForeignKey(
        USER, verbose_name=_("fixée par"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("fixée le"), default=timezone.now)
    superseded_at = models.DateTimeField(_("remplacée le"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("remplacée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )

    class Meta:
        verbose_name = _("cible")
        verbose_name_plural = _("cibles")
        ordering = ["indicator", "target_on", "set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "target_on"],
                condition=Q(superseded_at__isnull=True),
                name="strategy_one_current_target",
            ),
            models.CheckConstraint(
                condition=Q(value_high__isnull=True) | Q(value_high__gte=F("value")),
                name="strategy_target_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.target_on:%d/%m/%Y} : {self.value}"


class ValueStatus(models.TextChoices):
    PENDING = "pending", _("À valider")
    APPROVED = "approved", _("Validée")
    REJECTED = "rejected", _("Refusée")
    SUPERSEDED = "superseded", _("Remplacée par une correction")


class ValueSource(models.TextChoices):
    MANUAL = "manual", _("Saisie")
    COMPUTED = "computed", _("Calcul officiel à la clôture")
    IMPORT = "import", _("Reprise d'historique")


class IndicatorValue(models.Model):
    """The value of one period. Never edited: a correction is a new row that supersedes it."""

    Status = ValueStatus
    Source = ValueSource
    TRANSITIONS = {
        ValueStatus.PENDING: {ValueStatus.APPROVED, ValueStatus.REJECTED},
        ValueStatus.APPROVED: {ValueStatus.SUPERSEDED},
        ValueStatus.REJECTED: set(),
        ValueStatus.SUPERSEDED: set(),
    }

    public_id = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicateur"), on_delete=models.PROTECT, related_name="values"
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    value = models.DecimalField(_("valeur"), **VALUE_DIGITS)
    numerator = models.DecimalField(_("numérateur"), null=True, blank=True, **VALUE_DIGITS)
    denominator = models.DecimalField(_("dénominateur"), null=True, blank=True, **VALUE_DIGITS)
    source = models.CharField(_("origine"), max_length=10, choices=ValueSource, default=ValueSource.MANUAL)
    status = models.CharField(_("état"), max_length=12, choices=ValueStatus, default=ValueStatus.PENDING)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    comment = models.TextField(_("commentaire"), blank=True)
    evidence = models.FileField(
        _("justificatif"), storage=private_storage, upload_to="strategy/evidence/%Y/", blank=True
    )
    evidence_url = models.URLField(_("lien vers le justificatif"), blank=True)
    entered_by = models.ForeignKey(
        USER, verbose_name=_("saisie par"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("saisie le"), default=timezone.now)
    late = models.BooleanField(_("saisie tardive"), default=False)
    approved_by = models.ForeignKey(
        USER, verbose_name=_("validée par"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    decision_note = models.TextField(_("motif du refus"), blank=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("corrige"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    correction_reason = models.TextField(_("motif de la correction"), blank=True)
    definition_version = models.PositiveIntegerField(_("version de la définition"), null=True, blank=True)
    fingerprint = models.CharField(_("empreinte (SHA-256)"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateurs")
        ordering = ["indicator", "period_start", "entered_at"]
        indexes = [models.Index(fields=["indicator", "status", "period_end"], name="strategy_value_idx")]
        constraints = [
            status_constraint(ValueStatus, "strategy_value_status"),
            status_constraint(ValueSource, "strategy_value_source", field="source"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="strategy_value_period"),
            # Four eyes: nobody approves a value they entered.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(entered_by__isnull=True) | ~Q(approved_by=F("entered_by")),
                name="strategy_value_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
                name="strategy_correction_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(source=ValueSource.COMPUTED) | (~Q(fingerprint="") & Q(definition_version__isnull=False)),
                name="strategy_computed_value_fingerprint",
            ),
            models.UniqueConstraint(
                fields=["indicator", "period_start"],
                condition=Q(status=ValueStatus.APPROVED),
                name="strategy_one_approved_value",
            ),
            models.UniqueConstraint(
                fields=["indicator", "period_start"],
                condition=Q(status=ValueStatus.PENDING),
                name="strategy_one_pending_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period_start:%d/%m/%Y}–{self.period_end:%d/%m/%Y} : {self.value}"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    IN_PROGRESS = "in_progress", _("En cours")
    BLOCKED = "blocked", _("Bloquée")
    DONE = "done", _("Terminée")
    CANCELLED = "cancelled", _("Abandonnée")


class Action(models.Model):
    """An action of the plan (plan d'action), meant to move objectives and indicators."""

    Status = ActionStatus
    TRANSITIONS = {
        ActionStatus.PLANNED: {ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED, ActionStatus.CANCELLED},
        ActionStatus.IN_PROGRESS: {ActionStatus.BLOCKED, ActionStatus.DONE, ActionStatus.CANCELLED},
        ActionStatus.BLOCKED: {ActionStatus.IN_PROGRESS, ActionStatus.CANCELLED},
        ActionStatus.DONE: {ActionStatus.IN_PROGRESS},
        ActionStatus.CANCELLED: set(),
    }
    OPEN = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        USER, verbose_name=_("responsable"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ManyToManyField(USER, verbose_name=_("équipe"), blank=True, related_name="strategy_actions")
    starts_on = models.DateField(_("début"), null=True, blank=True)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=ActionStatus, default=ActionStatus.PLANNED)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    objectives = models.ManyToManyField(
        Objective, verbose_name=_("objectifs visés"), blank=True, related_name="actions"
    )
    axes = models.ManyToManyField(Axis, verbose_name=_("axes"), blank=True, related_name="actions")
    indicators = models.ManyToManyField(
        Indicator, verbose_name=_("indicateurs visés"), blank=True, related_name="actions"
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["plan", "due_on", "title"]
        constraints = [
            status_constraint(ActionStatus, "strategy_action_status"),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(starts_on__isnull=True) | Q(due_on__gte=F("starts_on")),
                name="strategy_action_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_late(self, today) -> bool:
        return self.status in self.OPEN and self.due_on is not None and self.due_on < today


class ActionUpdate(models.Model):
    """A dated update of an action (append-only)."""

    action = models.ForeignKey(Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField(_("date"), default=timezone.now)
    by = models.ForeignKey(USER, verbose_name=_("par"), null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("point d'avancement"))
    status = models.CharField(_("état après"), max_length=12, choices=ActionStatus, blank=True)

    class Meta:
        verbose_name = _("point d'avancement d'action")
        verbose_name_plural = _("points d'avancement d'actions")
        ordering = ["action", "-at"]

    def __str__(self) -> str:
        return f"{self.action} — {self.at:%d/%m/%Y}"


class ReviewCycle(models.Model):
    """A review period of the plan (e.g. a quarter), the columns of the heatmap."""

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(_("nom"), max_length=60)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))

    class Meta:
        verbose_name = _("cycle de revue")
        verbose_name_plural = _("cycles de revue")
        ordering = ["plan", "ends_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="strategy_cycle_dates"),
            models.UniqueConstraint(fields=["plan", "ends_on"], name="strategy_cycle_end"),
        ]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """The pilot's view of an objective for one review cycle."""

    Status = PilotStatus

    objective = models.ForeignKey(
        Objective, verbose_name=_("objectif"), on_delete=models.CASCADE, related_name="checkins"
    )
    cycle = models.ForeignKey(ReviewCycle, verbose_name=_("cycle"), on_delete=models.CASCADE, related_name="checkins")
    status = models.CharField(_("appréciation du pilote"), max_length=12, choices=PilotStatus)
    confidence = models.PositiveSmallIntegerField(
        _("confiance (0 à 10)"), validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    what_changed = models.TextField(_("ce qui a changé"), blank=True)
    blockers = models.TextField(_("points de blocage"), blank=True)
    next_steps = models.TextField(_("prochaines étapes"), blank=True)
    decisions_requested = models.TextField(_("décisions demandées au Bureau"), blank=True)
    by = models.ForeignKey(USER, verbose_name=_("par"), null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("point d'étape")
        verbose_name_plural = _("points d'étape")
        ordering = ["cycle__ends_on", "objective"]
        constraints = [
            status_constraint(PilotStatus, "strategy_checkin_status"),
            models.CheckConstraint(condition=Q(confidence__lte=10), name="strategy_checkin_confidence"),
            models.UniqueConstraint(fields=["objective", "cycle"], name="strategy_one_checkin_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.objective.code} — {self.cycle}"


class AnnotationKind(models.TextChoices):
    ASSEMBLY = "assembly", _("Assemblée générale")
    CAMPAIGN = "campaign", _("Campagne")
    EVENT = "event", _("Événement")


class Annotation(models.Model):
    """A dated event drawn on the charts (an AG, a campaign…)."""

    Kind = AnnotationKind

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="annotations")
    on = models.DateField(_("date"))
    label = models.CharField(_("libellé"), max_length=120)
    kind = models.CharField(_("nature"), max_length=10, choices=AnnotationKind, default=AnnotationKind.EVENT)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("seulement sur l'indicateur"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="annotations",
    )

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["plan", "on"]
        constraints = [status_constraint(AnnotationKind, "strategy_annotation_kind", field="kind")]

    def __str__(self) -> str:
        return f"{self.on:%d/%m/%Y} {self.label}"


class BoardPackStatus(models.TextChoices):
    PENDING = "pending", _("En préparation")
    READY = "ready", _("Prêt")
    FAILED = "failed", _("Échec")


class BoardPack(models.Model):
    """A frozen board pack: the figures shown, the PDF made from them, and both fingerprints."""

    Status = BoardPackStatus
    TRANSITIONS = {
        BoardPackStatus.PENDING: {BoardPackStatus.READY, BoardPackStatus.FAILED},
        BoardPackStatus.FAILED: {BoardPackStatus.READY},
        BoardPackStatus.READY: set(),
    }

    reference = models.UUIDField(_("référence"), default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="board_packs")
    title = models.CharField(_("titre"), max_length=200)
    meeting_on = models.DateField(_("date de la réunion"))
    created_by = models.ForeignKey(
        USER, verbose_name=_("demandé par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("demandé le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=10, choices=BoardPackStatus, default=BoardPackStatus.PENDING)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    figures = models.JSONField(_("chiffres présentés"))
    figures_sha256 = models.CharField(_("empreinte des chiffres (SHA-256)"), max_length=64)
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="strategy/board-packs/", blank=True)
    pdf_sha256 = models.CharField(_("empreinte du PDF (SHA-256)"), max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("produit le"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier du Bureau")
        verbose_name_plural = _("dossiers du Bureau")
        ordering = ["-created_at"]
        constraints = [
            status_constraint(BoardPackStatus, "strategy_boardpack_status"),
            models.CheckConstraint(
                condition=~Q(status=BoardPackStatus.READY) | ~Q(pdf_sha256=""), name="strategy_boardpack_ready_sha"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.meeting_on:%d/%m/%Y})"
