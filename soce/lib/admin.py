from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import roles
from .emails import outgoing_email_resend
from .models import AuditEvent, BackgroundJob, EmailStatus, OutgoingEmail, PeriodicRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "to", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to", "subject", "=idempotency_key")
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = [f.name for f in OutgoingEmail._meta.fields]
    actions = ["resend"]

    # E-mails of the confidential circles (amounts, decisions, reasons of a refusal): only the circle
    # itself (and superusers) reads them, as with the audit trail below.
    CONFIDENTIAL_TEMPLATES = {"entraide/": roles.ENTRAIDE}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser:
            return qs
        groups = set(user.groups.values_list("name", flat=True))
        for prefix, role in self.CONFIDENTIAL_TEMPLATES.items():
            if role not in groups:
                qs = qs.exclude(template__startswith=prefix)
        return qs

    def lookup_allowed(self, lookup, value, request=None):
        # The reminders' step page links to its e-mails by key prefix ("reminder:<step>:").
        if lookup == "idempotency_key__startswith":
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.action(description=_("Renvoyer les e-mails en échec sélectionnés"), permissions=["view"])
    def resend(self, request, queryset):
        count = 0
        for email in queryset.filter(status__in=[EmailStatus.FAILED, EmailStatus.CANCELLED]):
            outgoing_email_resend(email=email, by=request.user)
            count += 1
        messages.success(request, _("%(n)d e-mail(s) remis en file.") % {"n": count})


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_repr", "action", "content_type", "object_repr", "note")
    list_filter = ("action", "content_type")
    search_fields = ("actor_repr", "object_repr", "=object_id", "note")
    date_hierarchy = "at"
    show_full_result_count = False
    list_select_related = ("content_type",)
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    # Apps whose audit trail is confidential and shown in their own, circle-checked pages.
    CONFIDENTIAL_APPS = ("entraide",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not request.user.is_superuser:
            qs = qs.exclude(content_type__app_label__in=self.CONFIDENTIAL_APPS)
        return qs


@admin.register(BackgroundJob)
class BackgroundJobAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "label", "status", "progress", "created_by", "finished_at")
    list_filter = ("status", "kind")
    readonly_fields = [f.name for f in BackgroundJob._meta.fields]

    @admin.display(description=_("avancement"))
    def progress(self, obj):
        return format_html(
            '<progress max="100" value="{}" aria-label="{}"></progress> {} / {}',
            obj.percent,
            _("avancement"),
            obj.done,
            obj.total,
        )


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnlyAdmin):
    """When each periodic job last ran under `run_periodic_tasks --due` (cron without a broker)."""

    list_display = ("name", "last_run_at", "running_since", "runs", "last_error")
    readonly_fields = [f.name for f in PeriodicRun._meta.fields]
