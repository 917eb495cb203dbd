"""Back-office de la signature : lecture seule, téléchargement du PDF scellé, contrôle de la chaîne."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from soce.lib.exceptions import BusinessError

from . import services
from .models import DocumentStatus, EvidenceEvent, Party, SignableDocument


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PartyInline(ReadOnlyMixin, admin.TabularInline):
    model = Party
    fields = ("label", "role", "display_name", "capacity", "status", "signed_at", "signature_method", "place")
    readonly_fields = fields
    extra = 0

    @admin.display(description=_("nom"))
    def display_name(self, obj):
        return obj.display_name


class EventInline(ReadOnlyMixin, admin.TabularInline):
    model = EvidenceEvent
    fields = ("seq", "at", "action", "party", "ip", "hash")
    readonly_fields = fields
    extra = 0
    ordering = ("seq",)


class SealOverdueFilter(admin.SimpleListFilter):
    title = _("scellement")
    parameter_name = "scellement"

    def lookups(self, request, model_admin):
        return [("retard", _("Signés par tous, non scellés depuis plus de 10 minutes")), ("erreur", _("En erreur"))]

    def queryset(self, request, queryset):
        if self.value() == "retard":
            return queryset.filter(
                status=DocumentStatus.SIGNED, completed_at__lte=timezone.now() - services.SEAL_OVERDUE_AFTER
            )
        if self.value() == "erreur":
            return queryset.filter(status=DocumentStatus.SIGNED).exclude(seal_error="")
        return queryset


@admin.register(SignableDocument)
class SignableDocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "version_label",
        "kind",
        "status",
        "created_at",
        "sealed_at",
        "seal_state",
        "pdf_link",
    )
    list_filter = (SealOverdueFilter, "kind", "status")
    search_fields = ("reference", "title", "parties__identity")
    date_hierarchy = "created_at"
    readonly_fields = (
        "reference",
        "kind",
        "title",
        "version_label",
        "status",
        "created_at",
        "completed_at",
        "sealed_at",
        "text_sha256",
        "sealed_sha256",
        "evidence_sha256",
        "seal_certificate_sha256",
        "timestamped",
        "seal_attempts",
        "seal_attempted_at",
        "seal_error",
        "pdf_link",
    )
    exclude = ("text_html", "content_type", "object_id", "sealed_pdf_path", "status_changed_at")
    inlines = [PartyInline, EventInline]
    actions = ["check_chain", "reseal"]

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.download), name="signing_signabledocument_pdf"),
            *super().get_urls(),
        ]

    @admin.display(description=_("PDF scellé"))
    def pdf_link(self, obj):
        if not obj.sealed_pdf_path:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:signing_signabledocument_pdf", args=[obj.pk]), _("Télécharger")
        )

    @admin.display(description=_("scellement"))
    def seal_state(self, obj):
        if obj.status != DocumentStatus.SIGNED:
            return "—"
        if obj.seal_error:
            return format_html(
                '<span style="color:#ba2121" title="{}">{}</span>',
                obj.seal_error,
                _("Erreur (%(n)d essai(s)) : %(error)s") % {"n": obj.seal_attempts, "error": obj.seal_error[:120]},
            )
        return _("En attente (%d essai(s))") % obj.seal_attempts

    def download(self, request, pk: int):
        document = get_object_or_404(SignableDocument, pk=pk)
        if not self.has_view_permission(request, document) or not document.sealed_pdf_path:
            raise Http404
        response = HttpResponse(services.document_sealed_pdf(document=document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
        return response

    @admin.action(description=_("Contrôler la chaîne de preuve"))
    def check_chain(self, request, queryset):
        broken = [d.reference for d in queryset if not services.evidence_verify_chain(document=d)]
        if broken:
            messages.error(request, _("Chaîne rompue pour : %s") % ", ".join(broken))
        else:
            messages.success(request, _("Chaîne de preuve intacte pour les %d documents.") % queryset.count())

    @admin.action(description=_("Sceller de nouveau (ou renvoyer les exemplaires manquants)"))
    def reseal(self, request, queryset):
        done = 0
        for document in queryset:
            try:
                services.document_reseal(document=document, by=request.user)
                done += 1
            except BusinessError as error:
                messages.error(request, f"{document.reference} : {error}")
        if done:
            messages.success(
                request,
                _("%d document(s) relancé(s) : le scellement et l'envoi se font en arrière-plan.") % done,
            )
