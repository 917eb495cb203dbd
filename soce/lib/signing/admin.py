"""Back-office de la signature : lecture seule, téléchargement du PDF scellé, contrôle de la chaîne."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import services
from .models import EvidenceEvent, Party, SignableDocument


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


@admin.register(SignableDocument)
class SignableDocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("reference", "title", "version_label", "kind", "status", "created_at", "sealed_at", "pdf_link")
    list_filter = ("kind", "status")
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
        "pdf_link",
    )
    exclude = ("text_html", "content_type", "object_id", "sealed_pdf_path", "status_changed_at")
    inlines = [PartyInline, EventInline]
    actions = ["check_chain"]

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
