"""Back-office des membres et des cotisations. Les actions passent par les services."""

import io
import zipfile

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionMixin, ExportMixin, ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from soce.lib.admin_utils import action_form, reason_action
from soce.lib.audit import audit_log
from soce.lib.emails import email_queue
from soce.lib.exceptions import BusinessError
from soce.lib.pagination import EstimatedCountPaginator

from . import admin_fiche, services, tokens
from .forms import DeceasedForm, OverrideRateForm, RecordPaymentForm
from .models import (
    AssociationSettings,
    Campus,
    Category,
    Cotisation,
    CotisationStatus,
    Group,
    GroupMembership,
    Lifecycle,
    Member,
    Payment,
    PaymentKind,
    Rate,
    RateGrid,
    ReducedRateGrant,
    TaxReceipt,
    User,
)
from .pdf import certificate_render
from .promo import parse_promo
from .resources import MemberResource, PaymentResource, TaxReceiptResource


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "first_name", "last_name")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (_("Droits"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Campus)
class CampusAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "first_year", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("label", "code", "is_alumni", "active", "position")
    list_editable = ("position",)
    search_fields = ("label", "code")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "campus", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("campus",)
    list_select_related = ("campus",)
    show_full_result_count = False


@admin.register(AssociationSettings)
class AssociationSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not AssociationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect(reverse("admin:members_associationsettings_change", args=[AssociationSettings.load().pk]))


# --- Members --------------------------------------------------------------------------------------


class PaidThisYearFilter(admin.SimpleListFilter):
    title = _("cotisation de l'année")
    parameter_name = "a_jour"

    def lookups(self, request, model_admin):
        return [
            ("oui", _("À jour cette année")),
            ("non", _("Pas encore réglée")),
            ("avance", _("Déjà réglée l'an prochain")),
        ]

    def queryset(self, request, queryset):
        year = timezone.localdate().year
        up = Q(paid_through_year__gte=year) | Q(lifetime_since__isnull=False)
        if self.value() == "oui":
            return queryset.filter(up, status=Lifecycle.ACTIVE)
        if self.value() == "non":
            return queryset.filter(status=Lifecycle.ACTIVE).exclude(up)
        if self.value() == "avance":
            return queryset.filter(paid_through_year__gt=year)
        return queryset


class DecadeFilter(admin.SimpleListFilter):
    title = _("décennie d'entrée")
    parameter_name = "decennie"

    def lookups(self, request, model_admin):
        return [(str(d), f"{d}–{d + 9}") for d in range(2020, 1940, -10)]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            start = int(self.value())
            return queryset.filter(entry_year__gte=start, entry_year__lte=start + 9)
        return queryset


class GroupFilter(admin.SimpleListFilter):
    """GT and GP in the sidebar; any group by its id in the URL (?groupe=<id>)."""

    title = _("groupe")
    parameter_name = "groupe"

    def lookups(self, request, model_admin):
        return [
            (str(g.pk), g.name)
            for g in Group.objects.filter(kind__in=["gt", "gp"], active=True).order_by("kind", "name")
        ]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(
                pk__in=GroupMembership.objects.filter(group_id=int(self.value())).values("member_id")
            )
        return queryset


class GroupMembershipInline(admin.TabularInline):
    """The member's groups: the group is shown, not re-chosen (no per-row lookup); role and dates stay editable."""

    model = GroupMembership
    extra = 0
    fields = ("group", "role", "starts_on", "ends_on")
    readonly_fields = ("group",)

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member__campus", "group")


class NewGroupMembershipInline(admin.TabularInline):
    """Adding the member to a group, with the group autocomplete (empty rows: nothing to look up)."""

    model = GroupMembership
    extra = 0
    fields = ("group", "role", "starts_on", "ends_on")
    autocomplete_fields = ("group",)
    verbose_name_plural = _("ajouter à un groupe")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReducedRateGrantInline(admin.TabularInline):
    model = ReducedRateGrant
    extra = 0
    fields = ("reduction", "from_year", "to_year", "note")


class MemberChangeList(ChangeList):
    """The member list opens a member's fiche (reading); "Modifier" on the fiche opens the change form."""

    def url_for_result(self, result):
        if self.is_popup:
            return super().url_for_result(result)
        return admin_fiche.fiche_url(result.pk)


@admin.register(Member)
class MemberAdmin(ImportExportMixin, ExportActionMixin, SimpleHistoryAdmin):
    resource_classes = [MemberResource]
    list_display = ("last_name", "first_name", "promo", "category", "status", "paid_through_year", "city")
    list_select_related = ("campus", "category")
    list_filter = ("status", PaidThisYearFilter, "campus", DecadeFilter, "category", GroupFilter)
    search_fields = ("^last_name", "^first_name", "=email")
    search_help_text = _("Nom, prénom, e-mail, ou promo (« Bo 179 »).")
    autocomplete_fields = ("user", "campus", "partner")
    inlines = [GroupMembershipInline, NewGroupMembershipInline, ReducedRateGrantInline]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = (
        "dues_history",
        "status",
        "struck_off_on",
        "struck_off_reason",
        "paid_through_year",
        "lifetime_since",
        "anonymised_at",
        "created_at",
        "public_id",
    )
    fieldsets = (
        (_("Identité"), {"fields": ("civility", "first_name", "last_name", "birth_name", "birth_date", "user")}),
        (_("École"), {"fields": ("category", "campus", "entry_year", "graduation_year", "partner")}),
        (
            _("Coordonnées"),
            {
                "fields": (
                    "email",
                    "email_alt",
                    "phone",
                    "address_line1",
                    "address_line2",
                    "postal_code",
                    "city",
                    "country",
                )
            },
        ),
        (_("Vie professionnelle"), {"fields": ("employer", "position", "sector")}),
        (
            _("Consentements et confidentialité"),
            {
                "fields": (
                    "directory_consent_at",
                    "newsletter_consent_at",
                    "email_visibility",
                    "phone_visibility",
                    "address_visibility",
                    "employer_visibility",
                    "reminders_opt_out",
                )
            },
        ),
        (
            _("Situation"),
            {
                "fields": (
                    "status",
                    "struck_off_on",
                    "struck_off_reason",
                    "paid_through_year",
                    "lifetime_since",
                    "anonymised_at",
                    "created_at",
                    "public_id",
                )
            },
        ),
        (_("Notes internes"), {"fields": ("staff_notes",)}),
    )
    actions = [
        "record_payment",
        "strike_off",
        "reinstate",
        "resign",
        "mark_deceased",
        "send_renewal",
        "download_receipts",
        "export_csv_stream",
        "anonymise",
    ]

    change_list_template = "admin/members/member/change_list.html"
    change_form_template = "admin/members/member/change_form.html"

    @admin.display(description=_("promo"), ordering="entry_year")
    def promo(self, obj):
        return obj.promo_label

    @admin.display(description=_("historique des cotisations"))
    def dues_history(self, obj):
        return admin_fiche.dues_history_table(obj) if obj and obj.pk else "—"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and request.user.has_perm("members.view_cotisation"):
            # Where the cotisations inline stood, for those who may see dues.
            fieldsets = [*fieldsets, (_("Cotisations"), {"fields": ("dues_history",)})]
        return fieldsets

    def get_urls(self):
        return [
            path(
                "<path:object_id>/fiche/",
                self.admin_site.admin_view(self.fiche_view),
                name="members_member_fiche",
            ),
            path(
                "radiation-annuelle/",
                self.admin_site.admin_view(self.strike_off_unpaid_view),
                name="members_member_strike_off_unpaid",
            ),
            *super().get_urls(),
        ]

    def fiche_view(self, request, object_id):
        return admin_fiche.fiche_view(self, request, object_id)

    def get_changelist(self, request, **kwargs):
        return MemberChangeList

    def response_post_save_change(self, request, obj):
        """After "Enregistrer", back to the member's fiche (where staff came from), not to the list."""
        return redirect(admin_fiche.fiche_url(obj.pk))

    def strike_off_unpaid_view(self, request):
        """The yearly striking-off, on demand: shows how many members it would strike off, then does it."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        conf = AssociationSettings.load()
        year = timezone.localdate().year
        candidates = Member.objects.filter(
            status=Lifecycle.ACTIVE,
            lifetime_since__isnull=True,
            paid_through_year__isnull=False,
            paid_through_year__lte=year - 1 - conf.strike_off_after_years,
        )
        if request.method == "POST":
            count = services.members_strike_off_unpaid(by=request.user)
            messages.success(request, _("%(n)d membre(s) radié(s).") % {"n": count})
            return redirect(reverse("admin:members_member_changelist") + "?status__exact=struck_off")
        context = {
            **self.admin_site.each_context(request),
            "opts": Member._meta,
            "count": candidates.count(),
            "years": conf.strike_off_after_years,
            "last_year": year - 1 - conf.strike_off_after_years,
            "sample": candidates.select_related("campus")[:20],
            "title": _("Radiation des membres sans cotisation"),
        }
        return render(request, "admin/members/member/strike_off_unpaid.html", context)

    def get_ordering(self, request):
        if request.GET.get("q", "").strip():
            # With a search, sort the few matching rows instead of walking the (last_name, first_name)
            # index from « A » until enough of them turn up: PostgreSQL cannot see that a name prefix
            # sits in one stretch of that index. Lower() is served by no index, so the prefix indexes win.
            return [Lower("last_name"), Lower("first_name")]
        return super().get_ordering(request)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term:
            try:
                promo = parse_promo(term)
            except ValidationError:
                pass
            else:
                return queryset.filter(campus__code=promo.campus_code, entry_year=promo.entry_year), False
        return super().get_search_results(request, queryset, search_term)

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).select_related("campus", "category")

    @admin.action(description=_("Enregistrer un paiement (cotisation de l'année à régler)"), permissions=["change"])
    def record_payment(self, request, queryset):
        if not _has_perms(
            request,
            ["members.add_payment", "members.add_cotisation"],
            _("Vous n'avez pas le droit d'enregistrer un paiement."),
        ):
            return None

        def handle(form, qs):
            done, errors = 0, []
            for member in qs:
                # The cotisation to settle: never fall back on a year already paid (that made overpayments).
                year = services.renewal_year_for(member)
                if year is None:
                    reason = _("aucune cotisation à régler (déjà à jour, ou grille de l'année pas encore publiée).")
                    errors.append(f"{member} : {reason}")
                    continue
                try:
                    cotisation = member.cotisations.filter(year=year).first() or services.cotisation_open(
                        member=member, year=year, by=request.user
                    )
                    services.payment_record(cotisation=cotisation, by=request.user, **form.cleaned_data)
                    done += 1
                except BusinessError as exc:
                    errors.append(f"{member} : {exc}")
            messages.success(request, _("%(n)d paiement(s) enregistré(s).") % {"n": done})
            for error in errors:
                messages.error(request, error)
            return None

        return action_form(
            self,
            request,
            queryset,
            form_class=RecordPaymentForm,
            action="record_payment",
            title=_("Enregistrer un paiement"),
            handler=handle,
        )

    @admin.action(description=_("Radier"), permissions=["change"])
    def strike_off(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=Lifecycle.ACTIVE),
            action="strike_off",
            title=_("Radier les membres sélectionnés"),
            success=_("%(n)d radiation(s) enregistrée(s)."),
            apply=lambda m, reason: services.member_strike_off(member=m, reason=reason, by=request.user),
        )

    @admin.action(description=_("Réintégrer"), permissions=["change"])
    def reinstate(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status__in=[Lifecycle.STRUCK_OFF, Lifecycle.RESIGNED]),
            action="reinstate",
            title=_("Réintégrer les membres sélectionnés"),
            success=_("%(n)d réintégration(s) enregistrée(s)."),
            apply=lambda m, reason: services.member_reinstate(member=m, reason=reason, by=request.user),
        )

    @admin.action(description=_("Enregistrer une démission"), permissions=["change"])
    def resign(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=Lifecycle.ACTIVE),
            action="resign",
            title=_("Enregistrer la démission des membres sélectionnés"),
            success=_("%(n)d démission(s) enregistrée(s)."),
            apply=lambda m, reason: services.member_resign(member=m, reason=reason, by=request.user),
            help_text=_("Ils ne recevront plus d'appel à cotisation ; un nouveau règlement les réintègre."),
        )

    @admin.action(description=_("Enregistrer un décès"), permissions=["change"])
    def mark_deceased(self, request, queryset):
        def handle(form, qs):
            done = 0
            for member in qs:
                try:
                    services.member_mark_deceased(
                        member=member,
                        on=form.cleaned_data["deceased_on"],
                        note=form.cleaned_data["note"],
                        by=request.user,
                    )
                    done += 1
                except BusinessError as exc:
                    messages.error(request, f"{member} : {exc}")
            messages.success(request, _("%(n)d décès enregistré(s).") % {"n": done})

        return action_form(
            self,
            request,
            queryset.exclude(status=Lifecycle.DECEASED),
            form_class=DeceasedForm,
            action="mark_deceased",
            title=_("Enregistrer le décès des membres sélectionnés"),
            handler=handle,
            help_text=_(
                "Plus aucun appel à cotisation ni relance ; les cotisations encore dues sans règlement sont annulées."
            ),
        )

    @admin.action(description=_("Envoyer l'e-mail de renouvellement"), permissions=["change"])
    def send_renewal(self, request, queryset):
        sent = 0
        for member in queryset.filter(status__in=[Lifecycle.ACTIVE, Lifecycle.STRUCK_OFF]).select_related(
            "campus", "category"
        ):
            year = services.renewal_year_for(member)
            if year is None or not member.contact_email:
                continue
            choice = services.rate_choice_for(member, year)
            email_queue(
                template="members/renewal",
                to=member.contact_email,
                context={
                    "member": member,
                    "year": year,
                    "choice": choice,
                    "renew_path": reverse("renew_token", args=[tokens.renewal_token(member, year)]),
                },
                key=f"renewal:{year}:member-{member.pk}:{timezone.now():%Y%m%d}",
                related=member,
            )
            sent += 1
        messages.success(request, _("%(n)d e-mail(s) de renouvellement mis en file.") % {"n": sent})

    @admin.action(description=_("Anonymiser à la demande de la personne (RGPD, irréversible)"), permissions=["change"])
    def anonymise(self, request, queryset):
        from . import gdpr

        return reason_action(
            self,
            request,
            queryset,
            action="anonymise",
            title=_("Anonymiser les personnes sélectionnées"),
            success=_("%(n)d personne(s) anonymisée(s) ; la comptabilité est conservée."),
            apply=lambda m, reason: gdpr.member_anonymise(member=m, by=request.user, reason=reason),
            help_text=_(
                "Noms, coordonnées et historique sont effacés ; cotisations, paiements et reçus fiscaux sont "
                "conservés comme la loi l'exige. Cette opération est irréversible."
            ),
        )

    @admin.action(description=_("Exporter la sélection en CSV (en flux, pour de gros volumes)"), permissions=["view"])
    def export_csv_stream(self, request, queryset):
        from .exports import members_csv_response

        audit_log(
            None, action="members.export", by=request.user, request=request, data={"filters": request.GET.urlencode()}
        )
        return members_csv_response(queryset, filename=f"membres-{timezone.localdate():%Y%m%d}.csv")

    @admin.action(description=_("Télécharger les reçus fiscaux (ZIP)"), permissions=["view"])
    def download_receipts(self, request, queryset):
        # Seeing members (Bénévolat, Entraide) is not seeing their donations: the receipts need their own right.
        if not _has_perms(
            request, ["members.view_taxreceipt"], _("Vous n'avez pas le droit de consulter les reçus fiscaux.")
        ):
            return None
        receipts = TaxReceipt.objects.filter(member__in=queryset).order_by("year", "sequence")
        return _zip_receipts(receipts)


def _has_perms(request, perms: list[str], message) -> bool:
    """True when the user holds every permission; otherwise says why (in French) and returns False.

    Django filters an action by the permissions on its own model only: an action that reveals or writes
    another model's data (dues, payments, receipts) checks that model's permission here.
    """
    if request.user.has_perms(perms):
        return True
    messages.error(request, message)
    return False


def _zip_receipts(receipts) -> HttpResponse:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for receipt in receipts[:2000]:
            suffix = "-annule" if receipt.cancelled_at else ""
            archive.writestr(f"recu-{receipt.number}{suffix}.pdf", services.tax_receipt_pdf(receipt=receipt))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="recus-fiscaux.zip"'
    return response


# --- Dues -----------------------------------------------------------------------------------------


class RateInline(admin.TabularInline):
    model = Rate
    extra = 0
    fields = ("position", "code", "label", "kind", "amount_eur", "category", "jp_tier", "reduction")

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == RateGrid.Status.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(RateGrid)
class RateGridAdmin(SimpleHistoryAdmin):
    list_display = ("year", "status", "notes")
    readonly_fields = ("status", "status_changed_at")
    inlines = [RateInline]
    actions = ["publish", "prepare_next"]
    change_form_template = "admin/members/rategrid/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # A published grid is what members were charged: its year, notes and rates (RateInline) stay as published.
        if obj is not None and obj.status == RateGrid.Status.PUBLISHED:
            return ("year", "status", "status_changed_at", "notes")
        return super().get_readonly_fields(request, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/simulation/", self.admin_site.admin_view(self.simulate_view), name="members_rategrid_simulate"
            ),
            *super().get_urls(),
        ]

    def simulate_view(self, request, pk):
        grid = get_object_or_404(RateGrid, pk=pk)
        if not self.has_view_permission(request, grid):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "grid": grid,
            "sim": services.grid_simulate(grid=grid),
            "opts": RateGrid._meta,
            "title": _("Simulation de la campagne %(y)d") % {"y": grid.year},
        }
        return render(request, "admin/members/rategrid/simulation.html", context)

    @admin.action(description=_("Publier la grille"), permissions=["change"])
    def publish(self, request, queryset):
        for grid in queryset.filter(status=RateGrid.Status.DRAFT):
            try:
                services.grid_publish(grid=grid, by=request.user)
                messages.success(request, _("Grille %(y)d publiée.") % {"y": grid.year})
            except BusinessError as exc:
                messages.error(request, str(exc))

    @admin.action(description=_("Préparer la grille de l'année suivante"), permissions=["add"])
    def prepare_next(self, request, queryset):
        for grid in queryset:
            try:
                new = services.grid_prepare_next(grid=grid, by=request.user)
                messages.success(request, _("Grille %(y)d préparée en brouillon.") % {"y": new.year})
            except BusinessError as exc:
                messages.error(request, str(exc))


def _year_settled(cotisation: Cotisation) -> bool:
    """As selectors.member_paid_year, from the cotisation of that year itself (no query): paid, waived or lifetime."""
    lifetime = cotisation.member.lifetime_since
    return cotisation.status in (CotisationStatus.PAID, CotisationStatus.WAIVED) or bool(
        lifetime and lifetime <= cotisation.year
    )


class PaymentInline(admin.TabularInline):
    model = Payment
    fk_name = "cotisation"
    extra = 0
    fields = ("kind", "amount_eur", "method", "paid_on", "reference", "note", "recorded_by", "recorded_at")
    readonly_fields = fields
    can_delete = False
    max_num = 0


@admin.register(Cotisation)
class CotisationAdmin(SimpleHistoryAdmin):
    list_display = (
        "member",
        "year",
        "rate_code",
        "amount_due_eur",
        "gift_eur",
        "paid_eur",
        "status",
        "declared_method",
        "is_return",
    )
    list_filter = ("year", "status", "rate_code", "declared_method", "is_return")
    search_fields = ("=transfer_reference", "^member__last_name", "=member__email")
    list_select_related = ("member", "member__campus")
    autocomplete_fields = ("member",)
    readonly_fields = (
        "member",
        "year",
        "rate",
        "rate_code",
        "rate_label",
        "amount_due_eur",
        "gift_eur",
        "paid_eur",
        "override_reason",
        "status",
        "declared_method",
        "declared_at",
        "transfer_reference",
        "is_return",
        "paid_at",
        "created_at",
        "public_id",
        "certificate",
    )
    inlines = [PaymentInline]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["record_payment", "override_rate", "waive", "cancel", "issue_receipts", "download_certificates"]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/attestation/",
                self.admin_site.admin_view(self.certificate_view),
                name="members_cotisation_certificate",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("attestation d'adhésion"))
    def certificate(self, obj):
        if obj.pk is None or not _year_settled(obj):
            return _("aucune : l'année n'est pas réglée")
        url = reverse("admin:members_cotisation_certificate", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Télécharger l'attestation %(y)d (PDF)") % {"y": obj.year})

    def certificate_view(self, request, pk):
        """The member's membership certificate for the cotisation's year, as the member downloads it."""
        cotisation = get_object_or_404(Cotisation.objects.select_related("member__campus"), pk=pk)
        if not self.has_view_permission(request, cotisation):
            raise PermissionDenied
        if not _year_settled(cotisation):
            messages.error(request, _("Pas d'attestation : l'année %(y)d n'est pas réglée.") % {"y": cotisation.year})
            return redirect(reverse("admin:members_cotisation_change", args=[pk]))
        audit_log(cotisation.member, action="certificate.download", by=request.user, request=request)
        response = HttpResponse(certificate_render(cotisation.member, cotisation.year), content_type="application/pdf")
        filename = f"attestation-adhesion-{cotisation.year}-{cotisation.member.public_id}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.action(description=_("Télécharger les attestations d'adhésion (ZIP)"), permissions=["view"])
    def download_certificates(self, request, queryset):
        settled = [c for c in queryset.select_related("member__campus")[:2000] if _year_settled(c)]
        if not settled:
            messages.error(request, _("Aucune des cotisations choisies n'est réglée : pas d'attestation."))
            return None
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for c in settled:
                name = f"attestation-{c.year}-{c.member.last_name}-{c.member.public_id}.pdf"
                archive.writestr(name, certificate_render(c.member, c.year))
        audit_log(None, action="certificate.download", by=request.user, request=request, data={"count": len(settled)})
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="attestations.zip"'
        return response

    @admin.action(description=_("Enregistrer un paiement"), permissions=["change"])
    def record_payment(self, request, queryset):
        if not _has_perms(request, ["members.add_payment"], _("Vous n'avez pas le droit d'enregistrer un paiement.")):
            return None

        def handle(form, qs):
            done = 0
            for cotisation in qs:
                try:
                    services.payment_record(cotisation=cotisation, by=request.user, **form.cleaned_data)
                    done += 1
                except BusinessError as exc:
                    messages.error(request, f"{cotisation} : {exc}")
            messages.success(request, _("%(n)d paiement(s) enregistré(s).") % {"n": done})

        return action_form(
            self,
            request,
            queryset,
            form_class=RecordPaymentForm,
            action="record_payment",
            title=_("Enregistrer un paiement"),
            handler=handle,
        )

    @admin.action(description=_("Déroger au tarif (avec motif)"), permissions=["change"])
    def override_rate(self, request, queryset):
        def handle(form, qs):
            for cotisation in qs:
                services.cotisation_override_rate(
                    cotisation=cotisation,
                    by=request.user,
                    amount_eur=form.cleaned_data["amount_eur"],
                    reason=form.cleaned_data["reason"],
                )
            messages.success(request, _("Tarif modifié."))

        return action_form(
            self,
            request,
            queryset,
            form_class=OverrideRateForm,
            action="override_rate",
            title=_("Déroger au tarif calculé"),
            handler=handle,
        )

    @admin.action(description=_("Exonérer"), permissions=["change"])
    def waive(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            action="waive",
            title=_("Exonérer les cotisations sélectionnées"),
            success=_("%(n)d cotisation(s) exonérée(s)."),
            apply=lambda c, reason: services.cotisation_waive(cotisation=c, reason=reason, by=request.user),
        )

    @admin.action(description=_("Annuler"), permissions=["change"])
    def cancel(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset,
            action="cancel",
            title=_("Annuler les cotisations sélectionnées"),
            success=_("%(n)d cotisation(s) annulée(s)."),
            apply=lambda c, reason: services.cotisation_cancel(cotisation=c, reason=reason, by=request.user),
        )

    @admin.action(description=_("Émettre les reçus fiscaux manquants"), permissions=["change"])
    def issue_receipts(self, request, queryset):
        if not _has_perms(
            request, ["members.add_taxreceipt"], _("Vous n'avez pas le droit d'émettre des reçus fiscaux.")
        ):
            return None
        issued = sum(
            1 for c in queryset.filter(status=CotisationStatus.PAID) if services.tax_receipt_issue(cotisation=c)
        )
        messages.success(request, _("%(n)d reçu(s) disponible(s).") % {"n": issued})


@admin.register(Payment)
class PaymentAdmin(ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [PaymentResource]
    list_display = ("paid_on", "cotisation", "kind", "amount_eur", "method", "reference", "recorded_by")
    list_filter = ("kind", "method", "paid_on")
    search_fields = ("=reference", "=cotisation__transfer_reference", "^cotisation__member__last_name")
    list_select_related = ("cotisation__member", "recorded_by")
    date_hierarchy = "paid_on"
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = ["reverse"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request):
        return request.user.has_perm("members.add_payment")

    @admin.action(description=_("Contre-passer (annuler par une écriture inverse)"), permissions=["view"])
    def reverse(self, request, queryset):
        if not request.user.has_perm("members.add_payment"):
            messages.error(request, _("Vous n'avez pas le droit de contre-passer un paiement."))
            return None
        return reason_action(
            self,
            request,
            queryset.filter(kind=PaymentKind.PAYMENT),
            action="reverse",
            title=_("Contre-passer les paiements sélectionnés"),
            success=_("%(n)d contre-passation(s) enregistrée(s)."),
            apply=lambda p, reason: services.payment_reverse(payment=p, reason=reason, by=request.user),
        )


class ReceiptValidityFilter(admin.SimpleListFilter):
    title = _("validité")
    parameter_name = "validite"

    def lookups(self, request, model_admin):
        return [("valides", _("Valides")), ("annules", _("Annulés"))]

    def queryset(self, request, queryset):
        if self.value() == "valides":
            return queryset.filter(cancelled_at__isnull=True)
        if self.value() == "annules":
            return queryset.filter(cancelled_at__isnull=False)
        return queryset


@admin.register(TaxReceipt)
class TaxReceiptAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [TaxReceiptResource]
    change_list_template = "admin/members/taxreceipt/change_list.html"

    def get_export_queryset(self, request):
        # The year-end declaration lists the receipts that hold: cancelled ones keep their number but are not
        # declared, whatever the filters of the list.
        return super().get_export_queryset(request).filter(cancelled_at__isnull=True).select_related("cotisation")

    def get_urls(self):
        return [
            path("generer/", self.admin_site.admin_view(self.generate_view), name="members_taxreceipt_generate"),
            *super().get_urls(),
        ]

    def generate_view(self, request):
        """Numbers and renders a year's receipts as a background job; its progress shows in the jobs list."""
        from soce.lib.jobs import job_start

        from .forms import YearForm
        from .tasks import tax_receipts_generate_year

        if not request.user.has_perm("members.add_taxreceipt"):
            raise PermissionDenied
        form = YearForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["year"]
            job = job_start(
                kind="members.tax_receipts",
                label=f"Reçus fiscaux {year}",
                task=tax_receipts_generate_year,
                params={"year": year},
                by=request.user,
            )
            messages.success(request, _("Génération lancée : suivez son avancement ici."))
            return redirect(reverse("admin:core_backgroundjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": TaxReceipt._meta,
            "title": _("Émettre et générer les reçus fiscaux d'une année"),
        }
        return render(request, "admin/members/taxreceipt/generate.html", context)

    list_display = ("number", "year", "member", "amount_eur", "payment_date", "issued_at", "cancelled")
    list_filter = ("year", ReceiptValidityFilter)
    search_fields = ("=number", "^member__last_name")
    list_select_related = ("member",)
    readonly_fields = [f.name for f in TaxReceipt._meta.fields]
    actions = ["download"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("annulé"))
    def cancelled(self, obj):
        if obj.cancelled_at is None:
            return ""
        return format_html(
            "{} {} : {}", _("annulé le"), timezone.localtime(obj.cancelled_at).strftime("%d/%m/%Y"), obj.cancel_reason
        )

    @admin.action(description=_("Télécharger les PDF (ZIP)"), permissions=["view"])
    def download(self, request, queryset):
        return _zip_receipts(queryset.order_by("year", "sequence"))
