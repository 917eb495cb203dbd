"""Personnes, promotions, catégories et groupes de la Soce."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from soce.lib.states import status_constraint

PROMO_OFFSET = 1800  # Bo 179 = entrée en 1979
MIN_ENTRY_YEAR = 1830
MAX_ENTRY_YEAR = 2100


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A login. The e-mail is the identifier; the person behind it is a Member."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class CampusKind(models.TextChoices):
    CAMPUS = "campus", _("Campus de l'École")
    INSTITUTE = "institute", _("Institut")


class Campus(models.Model):
    Kind = CampusKind

    code = models.CharField(_("code"), max_length=4, unique=True, help_text=_("Ex. « Bo » pour Bordeaux-Talence."))
    name = models.CharField(_("nom"), max_length=100)
    kind = models.CharField(_("nature"), max_length=16, choices=Kind, default=Kind.CAMPUS)
    active = models.BooleanField(_("actif"), default=True)
    first_year = models.PositiveSmallIntegerField(
        _("première promotion (année d'entrée)"),
        default=MIN_ENTRY_YEAR,
        validators=[MinValueValidator(MIN_ENTRY_YEAR), MaxValueValidator(MAX_ENTRY_YEAR)],
    )

    class Meta:
        verbose_name = _("campus")
        verbose_name_plural = _("campus")
        ordering = ["code"]
        constraints = [status_constraint(CampusKind, "campus_kind_valid", field="kind")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Category(models.Model):
    """Member category (Gadzarts, élève, diplômé d'une autre filière…): data, staff extend it."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("libellé"), max_length=100)
    is_alumni = models.BooleanField(
        _("diplômé de l'École"),
        default=True,
        help_text=_("Donne droit aux tarifs Jeunes Promotions dans les premières années après le diplôme."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("catégorie de membre")
        verbose_name_plural = _("catégories de membre")
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class GroupKind(models.TextChoices):
    TERRITORIAL = "gt", _("Groupe territorial (GT)")
    PROFESSIONAL = "gp", _("Groupe professionnel (GP)")
    PROMOTION = "promo", _("Promotion")
    CLUB = "club", _("Club")
    CAMPUS = "campus", _("Campus (délégation)")
    NATIONAL = "national", _("Instance nationale")


class Group(models.Model):
    Kind = GroupKind

    kind = models.CharField(_("type"), max_length=16, choices=Kind)
    name = models.CharField(_("nom"), max_length=150)
    slug = models.SlugField(_("adresse"), max_length=160, unique=True)
    campus = models.ForeignKey(
        Campus, verbose_name=_("campus"), null=True, blank=True, on_delete=models.PROTECT, related_name="groups"
    )
    entry_year = models.PositiveSmallIntegerField(_("année d'entrée (promotion)"), null=True, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("groupe")
        verbose_name_plural = _("groupes")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "name"], name="group_kind_name_idx")]
        constraints = [status_constraint(GroupKind, "group_kind_valid", field="kind")]

    def __str__(self) -> str:
        return self.name


class Civility(models.TextChoices):
    MR = "M.", _("M.")
    MRS = "Mme", _("Mme")


class Lifecycle(models.TextChoices):
    ACTIVE = "active", _("Membre")
    STRUCK_OFF = "struck_off", _("Radié")
    RESIGNED = "resigned", _("Démissionnaire")
    DECEASED = "deceased", _("Décédé")


class Visibility(models.TextChoices):
    MEMBERS = "members", _("Visible des membres")
    NOBODY = "nobody", _("Visible de personne")


# Who the directory lists (members.directory.directory_listed), less the up-to-date rule, which depends on the
# year; also the condition of the listed members' partial indexes below.
DIRECTORY_LISTED = Q(directory_consent_at__isnull=False, status=Lifecycle.ACTIVE, anonymised_at__isnull=True)


class Member(models.Model):
    """A person known to the association: Gadzarts, student, associate…"""

    Civility = Civility
    Lifecycle = Lifecycle
    Visibility = Visibility
    Status = Lifecycle

    TRANSITIONS = {
        Lifecycle.ACTIVE: {Lifecycle.STRUCK_OFF, Lifecycle.RESIGNED, Lifecycle.DECEASED},
        Lifecycle.STRUCK_OFF: {Lifecycle.ACTIVE, Lifecycle.DECEASED},
        Lifecycle.RESIGNED: {Lifecycle.ACTIVE, Lifecycle.DECEASED},
        Lifecycle.DECEASED: set(),
    }

    public_id = models.UUIDField(_("référence publique"), default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    civility = models.CharField(_("civilité"), max_length=4, choices=Civility, blank=True)
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_name = models.CharField(_("nom de naissance"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    email_alt = models.EmailField(_("e-mail secondaire"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=16, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays (code ISO)"), max_length=2, default="FR")
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    campus = models.ForeignKey(
        Campus, verbose_name=_("campus"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    entry_year = models.PositiveSmallIntegerField(
        _("année d'entrée"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_ENTRY_YEAR), MaxValueValidator(MAX_ENTRY_YEAR)],
    )
    graduation_year = models.PositiveSmallIntegerField(
        _("année de diplôme"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_ENTRY_YEAR), MaxValueValidator(MAX_ENTRY_YEAR)],
    )
    category = models.ForeignKey(
        Category, verbose_name=_("catégorie"), on_delete=models.PROTECT, related_name="members"
    )
    employer = models.CharField(_("employeur"), max_length=150, blank=True)
    position = models.CharField(_("fonction"), max_length=150, blank=True)
    sector = models.CharField(_("secteur d'activité"), max_length=100, blank=True)
    newsletter_consent_at = models.DateTimeField(_("consentement lettre d'information"), null=True, blank=True)
    directory_consent_at = models.DateTimeField(_("consentement annuaire"), null=True, blank=True)
    email_visibility = models.CharField(
        _("e-mail dans l'annuaire"), max_length=8, choices=Visibility, default=Visibility.NOBODY
    )
    phone_visibility = models.CharField(
        _("téléphone dans l'annuaire"), max_length=8, choices=Visibility, default=Visibility.NOBODY
    )
    address_visibility = models.CharField(
        _("adresse dans l'annuaire"), max_length=8, choices=Visibility, default=Visibility.NOBODY
    )
    employer_visibility = models.CharField(
        _("employeur dans l'annuaire"), max_length=8, choices=Visibility, default=Visibility.MEMBERS
    )
    reminders_opt_out = models.BooleanField(
        _("ne plus recevoir les relances"),
        default=False,
        help_text=_("L'appel à cotisation annuel reste envoyé."),
    )
    staff_notes = models.TextField(_("notes internes"), blank=True)
    status = models.CharField(_("situation"), max_length=16, choices=Lifecycle, default=Lifecycle.ACTIVE)
    status_changed_at = models.DateTimeField(_("situation changée le"), default=timezone.now)
    struck_off_on = models.DateField(_("radié le"), null=True, blank=True)
    struck_off_reason = models.CharField(_("motif de radiation"), max_length=200, blank=True)
    deceased_on = models.DateField(_("décédé le"), null=True, blank=True)
    # Maintained by the dues services (denormalised for fast filters at 100,000 rows).
    paid_through_year = models.PositiveSmallIntegerField(_("à jour jusqu'à l'année"), null=True, blank=True)
    lifetime_since = models.PositiveSmallIntegerField(_("membre à vie depuis"), null=True, blank=True)
    partner = models.OneToOneField(
        "self", verbose_name=_("conjoint membre"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["status_changed_at"])

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="member_name_idx"),
            models.Index(fields=["campus", "entry_year"], name="member_promo_idx"),
            models.Index(fields=["entry_year"], name="member_entry_year_idx"),
            models.Index(fields=["graduation_year"], name="member_grad_year_idx"),
            models.Index(fields=["status", "paid_through_year"], name="member_status_paid_idx"),
            models.Index(fields=["paid_through_year"], name="member_paid_idx"),
            models.Index(fields=["city"], name="member_city_idx"),
            models.Index(fields=["country"], name="member_country_idx"),
            models.Index(fields=["employer"], name="member_employer_idx"),
            models.Index(Lower("email"), name="member_email_ci_idx"),
            # The members the directory lists (members.directory.directory_listed, less the up-to-date rule,
            # which depends on the year): their names in order, for the first pages of a search, read from
            # the index alone…
            models.Index(
                fields=["last_name", "first_name", "id"],
                include=["paid_through_year", "lifetime_since"],
                condition=DIRECTORY_LISTED,
                name="member_listed_name_idx",
            ),
            # …and by id, those of them who may be up to date (paid once, or for life), for counting a group's
            # listed members by a merge with its memberships, in id order. Without the names: an index holding
            # them would be scanned whole by the name search (UPPER(name) LIKE 'MART%' on every row) instead
            # of the prefix indexes of migration 0003.
            models.Index(
                fields=["id"],
                include=["paid_through_year", "lifetime_since"],
                condition=DIRECTORY_LISTED & (Q(paid_through_year__isnull=False) | Q(lifetime_since__isnull=False)),
                name="member_listed_payer_idx",
            ),
        ]
        constraints = [
            status_constraint(Lifecycle, "member_status_valid"),
            models.CheckConstraint(
                condition=Q(graduation_year__isnull=True)
                | Q(entry_year__isnull=True)
                | Q(graduation_year__gte=models.F("entry_year")),
                name="member_graduation_after_entry",
            ),
        ]

    def __str__(self) -> str:
        label = self.promo_label
        return f"{self.first_name} {self.last_name.upper()}" + (f" ({label})" if label else "")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def promo_label(self) -> str:
        if self.campus_id and self.entry_year:
            return format_promo(self.campus.code, self.entry_year)
        return ""

    @property
    def contact_email(self) -> str:
        return self.email or (self.user.email if self.user_id else "")

    def is_up_to_date(self, year: int) -> bool:
        if self.status != self.Lifecycle.ACTIVE:
            return False
        if self.lifetime_since and self.lifetime_since <= year:
            return True
        return bool(self.paid_through_year and self.paid_through_year >= year)


class GroupRole(models.TextChoices):
    MEMBER = "member", _("Membre")
    PRESIDENT = "president", _("Président")
    VICE_PRESIDENT = "vice_president", _("Vice-président")
    TREASURER = "treasurer", _("Trésorier")
    SECRETARY = "secretary", _("Secrétaire")
    PMI_DELEGATE = "pmi_delegate", _("Délégué PMI")
    PROMO_DELEGATE = "promo_delegate", _("Délégué de promotion")
    CAMPUS_DELEGATE = "campus_delegate", _("Délégué de campus (DSC)")
    CAMPUS_DIRECTOR = "campus_director", _("Directeur de campus")
    REGIONAL_DELEGATE = "regional_delegate", _("Délégué régional")


class GroupMembership(models.Model):
    Role = GroupRole

    OFFICER_ROLES = frozenset(
        {
            GroupRole.PRESIDENT,
            GroupRole.VICE_PRESIDENT,
            GroupRole.TREASURER,
            GroupRole.SECRETARY,
            GroupRole.PROMO_DELEGATE,
            GroupRole.CAMPUS_DELEGATE,
            GroupRole.REGIONAL_DELEGATE,
        }
    )

    member = models.ForeignKey(
        Member, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="group_memberships"
    )
    group = models.ForeignKey(Group, verbose_name=_("groupe"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=24, choices=Role, default=Role.MEMBER)
    starts_on = models.DateField(_("depuis le"), default=timezone.localdate)
    ends_on = models.DateField(
        _("jusqu'au (inclus)"),
        null=True,
        blank=True,
        help_text=_("Fin du mandat des responsables : leur accès délégué s'arrête à cette date."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appartenance à un groupe")
        verbose_name_plural = _("appartenances aux groupes")
        ordering = ["group__name"]
        indexes = [
            models.Index(fields=["group", "role"], name="gm_group_role_idx"),
            models.Index(fields=["member", "group"], name="gm_member_group_idx"),
            # A group's members in id order with their dates, from the index alone (directory by group).
            models.Index(fields=["group", "member"], include=["starts_on", "ends_on"], name="gm_group_member_idx"),
        ]
        constraints = [
            status_constraint(GroupRole, "gm_role_valid", field="role"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="gm_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.group} ({self.get_role_display()})"

    def clean(self) -> None:
        super().clean()
        # A responsibility is a delegated, time-limited mandate: it needs the date its access stops.
        if self.role in self.OFFICER_ROLES and self.ends_on is None:
            from django.core.exceptions import ValidationError

            raise ValidationError(
                {
                    "ends_on": _(
                        "Indiquez la fin du mandat : un rôle de « %(role)s » est un mandat limité dans le temps."
                    )
                    % {"role": self.get_role_display()}
                }
            )

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)

    def is_current_mandate(self, on=None) -> bool:
        """An officer role that gives delegated access on `on`: started, with an end date not yet passed."""
        on = on or timezone.localdate()
        return self.role in self.OFFICER_ROLES and self.ends_on is not None and self.starts_on <= on <= self.ends_on


def format_promo(campus_code: str, entry_year: int) -> str:
    return f"{campus_code} {entry_year - PROMO_OFFSET}"


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class AssociationSettings(models.Model):
    """Réglages métier que le Secrétariat modifie (une seule ligne)."""

    strike_off_after_years = models.PositiveSmallIntegerField(
        _("radiation après N années sans cotiser"), default=3, validators=[MinValueValidator(1)]
    )
    directory_requires_up_to_date = models.BooleanField(
        _("annuaire réservé aux membres à jour"),
        default=True,
        help_text=_("Si coché, seuls les membres à jour de cotisation consultent l'annuaire et y figurent."),
    )
    dues_tax_deductible = models.BooleanField(
        _("cotisations ouvrant droit à réduction d'impôt"),
        default=True,
        help_text=_("Association reconnue d'utilité publique : cotisations et dons figurent sur le reçu fiscal."),
    )
    legal_name = models.CharField(_("dénomination"), max_length=200, default="Société des ingénieurs Arts et Métiers")
    legal_address = models.CharField(_("adresse du siège"), max_length=250, default="9 bis avenue d'Iéna, 75016 Paris")
    legal_object = models.TextField(
        _("objet"),
        default="Entretenir les liens de fraternité entre ingénieurs Arts et Métiers, développer l'entraide et "
        "promouvoir le métier d'ingénieur, l'École et la technologie.",
    )
    public_utility_decree = models.CharField(
        _("reconnaissance d'utilité publique"), max_length=200, default="Association reconnue d'utilité publique"
    )
    receipt_signatory = models.CharField(_("signataire des reçus"), max_length=150, default="Le trésorier national")
    bank_iban = models.CharField(
        _("IBAN de l'association (virements)"), max_length=40, default="FR76 3000 4000 0100 0000 0000 123"
    )
    bank_bic = models.CharField(_("BIC"), max_length=11, default="BNPAFRPPXXX")
    cheque_address = models.CharField(
        _("adresse d'envoi des chèques"), max_length=250, default="Soce — Cotisations, 9 bis avenue d'Iéna, 75016 Paris"
    )
    renewal_link_days = models.PositiveSmallIntegerField(_("validité des liens de renouvellement (jours)"), default=60)

    class Meta:
        verbose_name = _("réglages de l'association")
        verbose_name_plural = _("réglages de l'association")

    def __str__(self) -> str:
        return str(_("Réglages de l'association"))

    @classmethod
    def load(cls) -> AssociationSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class GridStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publiée")


class RateGrid(models.Model):
    Status = GridStatus
    TRANSITIONS = {GridStatus.DRAFT: {GridStatus.PUBLISHED}, GridStatus.PUBLISHED: set()}

    year = models.PositiveSmallIntegerField(_("année"), unique=True)
    status = models.CharField(_("état"), max_length=16, choices=GridStatus, default=GridStatus.DRAFT)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("grille de cotisation")
        verbose_name_plural = _("grilles de cotisation")
        ordering = ["-year"]
        constraints = [status_constraint(GridStatus, "grid_status_valid")]

    def __str__(self) -> str:
        return f"Grille {self.year} ({self.get_status_display()})"


class RateKind(models.TextChoices):
    STANDARD = "standard", _("Tarif normal")
    JP = "jp", _("Jeunes Promotions (palier)")
    CATEGORY = "category", _("Tarif d'une catégorie")
    REDUCED = "reduced", _("Tarif réduit accordé sur demande")
    COUPLE = "couple", _("Couple de membres")
    LIFETIME = "lifetime", _("Cotisation à vie")


class Reduction(models.TextChoices):
    RETIRED = "retired", _("retraité")
    JOB_SEEKER = "job_seeker", _("en recherche d'emploi")
    HARDSHIP = "hardship", _("difficulté passagère")


class Rate(models.Model):
    Kind = RateKind

    grid = models.ForeignKey(RateGrid, verbose_name=_("grille"), on_delete=models.CASCADE, related_name="rates")
    code = models.CharField(_("code"), max_length=20, help_text=_("Ex. PLEIN, JP1, JP2, ETU, RETRAITE, COUPLE, VIE."))
    label = models.CharField(_("libellé"), max_length=120)
    kind = models.CharField(_("s'applique à"), max_length=16, choices=RateKind)
    amount_eur = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    category = models.ForeignKey(
        Category, verbose_name=_("catégorie"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    jp_tier = models.PositiveSmallIntegerField(
        _("palier JP (années après le diplôme)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    reduction = models.CharField(_("motif de réduction"), max_length=16, choices=Reduction, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["grid", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "code"], name="rate_code_unique_in_grid"),
            models.CheckConstraint(condition=Q(amount_eur__gte=0), name="rate_amount_non_negative"),
            status_constraint(RateKind, "rate_kind_valid", field="kind"),
            models.CheckConstraint(condition=~Q(kind="jp") | Q(jp_tier__isnull=False), name="rate_jp_has_tier"),
            models.CheckConstraint(
                condition=~Q(kind="category") | Q(category__isnull=False), name="rate_category_has_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class ReducedRateGrant(models.Model):
    """A reduced rate granted on request (retired, job seeker…) for a range of years."""

    member = models.ForeignKey(Member, verbose_name=_("membre"), on_delete=models.CASCADE, related_name="reduced_rates")
    reduction = models.CharField(_("motif"), max_length=16, choices=Reduction)
    from_year = models.PositiveSmallIntegerField(_("de l'année"))
    to_year = models.PositiveSmallIntegerField(_("à l'année (incluse)"))
    note = models.CharField(_("commentaire"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accordé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("accordé le"), default=timezone.now)

    class Meta:
        verbose_name = _("tarif réduit accordé")
        verbose_name_plural = _("tarifs réduits accordés")
        constraints = [
            models.CheckConstraint(condition=Q(to_year__gte=models.F("from_year")), name="reduced_years_ordered"),
            status_constraint(Reduction, "reduced_reason_valid", field="reduction"),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_reduction_display()} {self.from_year}-{self.to_year}"


class CotisationStatus(models.TextChoices):
    DUE = "due", _("À régler")
    PARTIAL = "partial", _("Partiellement réglée")
    PAID = "paid", _("Réglée")
    WAIVED = "waived", _("Exonérée")
    CANCELLED = "cancelled", _("Annulée")


class PaymentMethod(models.TextChoices):
    CHEQUE = "cheque", _("Chèque")
    TRANSFER = "transfer", _("Virement")
    CARD = "card", _("Carte bancaire")
    DIRECT_DEBIT = "direct_debit", _("Prélèvement")
    CASH = "cash", _("Espèces")
    ONLINE = "online", _("Paiement en ligne")


class Cotisation(models.Model):
    """The dues of one member for one calendar year (plus an optional gift)."""

    Status = CotisationStatus
    TRANSITIONS = {
        CotisationStatus.DUE: {
            CotisationStatus.PARTIAL,
            CotisationStatus.PAID,
            CotisationStatus.WAIVED,
            CotisationStatus.CANCELLED,
        },
        CotisationStatus.PARTIAL: {CotisationStatus.DUE, CotisationStatus.PAID, CotisationStatus.CANCELLED},
        CotisationStatus.PAID: {CotisationStatus.PARTIAL, CotisationStatus.DUE},
        CotisationStatus.WAIVED: {CotisationStatus.DUE},
        CotisationStatus.CANCELLED: {CotisationStatus.DUE},
    }

    public_id = models.UUIDField(_("référence publique"), default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, verbose_name=_("membre"), on_delete=models.PROTECT, related_name="cotisations")
    year = models.PositiveSmallIntegerField(_("année"))
    rate = models.ForeignKey(
        Rate, verbose_name=_("tarif"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rate_code = models.CharField(_("code du tarif"), max_length=20, blank=True)
    rate_label = models.CharField(_("tarif appliqué"), max_length=200, blank=True)
    amount_due_eur = models.DecimalField(_("montant dû (€)"), max_digits=10, decimal_places=2)
    gift_eur = models.DecimalField(_("don (€)"), max_digits=10, decimal_places=2, default=0)
    paid_eur = models.DecimalField(_("réglé (€)"), max_digits=10, decimal_places=2, default=0)
    override_reason = models.CharField(_("motif de la dérogation au tarif"), max_length=200, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=CotisationStatus, default=CotisationStatus.DUE)
    status_changed_at = models.DateTimeField(_("état changé le"), default=timezone.now)
    declared_method = models.CharField(_("moyen de paiement annoncé"), max_length=16, choices=PaymentMethod, blank=True)
    declared_at = models.DateTimeField(_("paiement annoncé le"), null=True, blank=True)
    transfer_reference = models.CharField(_("référence de virement"), max_length=32, unique=True)
    is_return = models.BooleanField(
        _("retour d'un radié"), default=False, help_text=_("Le membre était radié quand cette cotisation a été réglée.")
    )
    paid_at = models.DateTimeField(_("réglée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["status_changed_at"])

    class Meta:
        verbose_name = _("cotisation")
        verbose_name_plural = _("cotisations")
        ordering = ["-year", "member__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="cotisation_once_per_year"),
            status_constraint(CotisationStatus, "cotisation_status_valid"),
            models.CheckConstraint(condition=Q(amount_due_eur__gte=0), name="cotisation_due_non_negative"),
            models.CheckConstraint(condition=Q(gift_eur__gte=0), name="cotisation_gift_non_negative"),
            models.CheckConstraint(condition=Q(paid_eur__gte=0), name="cotisation_paid_non_negative"),
        ]
        indexes = [
            models.Index(fields=["year", "status"], name="cotisation_year_status_idx"),
            models.Index(fields=["year", "rate_code"], name="cotisation_year_rate_idx"),
            models.Index(fields=["paid_at"], name="cotisation_paid_at_idx"),
        ]

    def __str__(self) -> str:
        return f"Cotisation {self.year} — {self.member}"

    @property
    def total_eur(self):
        return self.amount_due_eur + self.gift_eur

    @property
    def remaining_eur(self):
        remaining = self.total_eur - self.paid_eur
        return remaining if remaining > 0 else 0


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Paiement")
    REVERSAL = "reversal", _("Contre-passation")


class Payment(models.Model):
    """A recorded payment: never edited; corrected by a reversal (counter-entry)."""

    Kind = PaymentKind
    Method = PaymentMethod

    cotisation = models.ForeignKey(
        Cotisation, verbose_name=_("cotisation"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(_("nature"), max_length=16, choices=PaymentKind, default=PaymentKind.PAYMENT)
    amount_eur = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    method = models.CharField(_("moyen de paiement"), max_length=16, choices=PaymentMethod)
    paid_on = models.DateField(_("date du paiement"))
    reference = models.CharField(_("référence (n° de chèque, libellé du virement…)"), max_length=100, blank=True)
    note = models.CharField(_("commentaire"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("contre-passe"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enregistré par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_eur__gt=0), name="payment_amount_positive"),
            status_constraint(PaymentKind, "payment_kind_valid", field="kind"),
            status_constraint(PaymentMethod, "payment_method_valid", field="method"),
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (Q(kind="payment") & Q(reverses__isnull=True)),
                name="payment_reversal_points_to_payment",
            ),
        ]
        indexes = [models.Index(fields=["paid_on"], name="payment_paid_on_idx")]

    def __str__(self) -> str:
        sign = "-" if self.kind == PaymentKind.REVERSAL else ""
        method = self.get_method_display()
        return f"{self.get_kind_display()} {sign}{self.amount_eur} € ({method}, {self.paid_on:%d/%m/%Y})"

    @property
    def signed_amount_eur(self):
        return -self.amount_eur if self.kind == PaymentKind.REVERSAL else self.amount_eur


class ReceiptSequence(models.Model):
    """The last number issued for a year: locked while a receipt is numbered (no gaps)."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    last_number = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("séquence des reçus fiscaux")
        verbose_name_plural = _("séquences des reçus fiscaux")

    def __str__(self) -> str:
        return f"{self.year} : {self.last_number}"


class TaxReceipt(models.Model):
    """Reçu fiscal (Cerfa n° 11580): its number and content never change once issued.

    When the cotisation it covers stops being paid (a payment reversed), the receipt is cancelled, never
    deleted: it keeps its number (the sequence stays unbroken), is marked « annulé » with a date and a reason,
    and leaves the year's declaration. Paying again issues a new receipt with a new number.
    """

    public_id = models.UUIDField(_("référence publique"), default=uuid.uuid4, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("année d'émission"))
    sequence = models.PositiveIntegerField(_("numéro d'ordre"))
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    cotisation = models.ForeignKey(
        Cotisation, verbose_name=_("cotisation"), on_delete=models.PROTECT, related_name="tax_receipts"
    )
    member = models.ForeignKey(
        Member, verbose_name=_("donateur"), on_delete=models.PROTECT, related_name="tax_receipts"
    )
    amount_eur = models.DecimalField(_("montant (€)"), max_digits=10, decimal_places=2)
    dues_eur = models.DecimalField(_("dont cotisation (€)"), max_digits=10, decimal_places=2, default=0)
    gift_eur = models.DecimalField(_("dont don (€)"), max_digits=10, decimal_places=2, default=0)
    payment_date = models.DateField(_("date du versement"))
    payment_method = models.CharField(_("mode de versement"), max_length=16, choices=PaymentMethod)
    donor = models.JSONField(_("donateur (état au jour de l'émission)"), default=dict)
    issuer = models.JSONField(_("bénéficiaire (état au jour de l'émission)"), default=dict)
    issued_at = models.DateTimeField(_("émis le"), default=timezone.now)
    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="receipts/", blank=True)
    pdf_sha256 = models.CharField(_("empreinte SHA-256 du PDF"), max_length=64, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancel_reason = models.CharField(_("motif de l'annulation"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reçu fiscal")
        verbose_name_plural = _("reçus fiscaux")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_sequence_unique"),
            models.CheckConstraint(condition=Q(amount_eur__gt=0), name="receipt_amount_positive"),
            models.UniqueConstraint(
                fields=["cotisation"], condition=Q(cancelled_at__isnull=True), name="receipt_one_valid_per_cotisation"
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""), name="receipt_cancel_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Reçu n° {self.number}" + (" (annulé)" if self.cancelled_at else "")

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None
