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
        ]
        constraints = [
            status_constraint(GroupRole, "gm_role_valid", field="role"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="gm_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.group} ({self.get_role_display()})"

    def is_current(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.starts_on <= on and (self.ends_on is None or self.ends_on >= on)


def format_promo(campus_code: str, entry_year: int) -> str:
    return f"{campus_code} {entry_year - PROMO_OFFSET}"
