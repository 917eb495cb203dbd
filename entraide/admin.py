"""Administration : seulement les paramètres du service. Les dossiers, confidentiels, se gèrent dans
les pages « Service entraide » (/entraide/gestion/), qui appliquent le cercle du dossier et journalisent
chaque lecture."""

from django.contrib import admin

from .models import CommitteeSeat, EntraideSettings, Envelope


@admin.register(EntraideSettings)
class EntraideSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "student_loan_cap_eur", "urgent_ceiling_eur", "quorum", "retention_years")

    def has_add_permission(self, request):
        return not EntraideSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Envelope)
class EnvelopeAdmin(admin.ModelAdmin):
    list_display = ("year", "amount_eur", "note")


@admin.register(CommitteeSeat)
class CommitteeSeatAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "starts_on", "ends_on")
    list_filter = ("role",)
    autocomplete_fields = ()
    raw_id_fields = ("user",)
