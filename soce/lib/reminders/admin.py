from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from soce.lib.models import EmailStatus

from . import services
from .models import Campaign, Step
from .registry import rule_choices


class StepForm(forms.ModelForm):
    rule = forms.ChoiceField(label=_("règle d'audience"), choices=rule_choices)

    class Meta:
        model = Step
        fields = (
            "campaign",
            "code",
            "name",
            "rule",
            "params",
            "template",
            "send_on",
            "rolling",
            "is_reminder",
            "paused",
        )


class StepInline(admin.TabularInline):
    model = Step
    form = StepForm
    extra = 0
    fields = ("code", "name", "rule", "params", "template", "send_on", "rolling", "is_reminder", "paused")
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "rate_per_minute", "paused")
    list_filter = ("paused", "year")
    search_fields = ("name", "code")
    inlines = [StepInline]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    form = StepForm
    list_display = ("name", "campaign", "send_on", "rolling", "status", "paused", "total", "sent", "failed")
    list_filter = ("campaign", "status", "paused", "rolling")
    search_fields = ("name", "code")
    list_select_related = ("campaign",)
    readonly_fields = ("status", "last_run_at", "finished_at", "results")
    actions = ["pause", "resume", "run_now"]
    change_form_template = "admin/reminders/step/change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_total=Count("deliveries"),
                n_sent=Count("deliveries", filter=Q(deliveries__email__status=EmailStatus.SENT)),
                n_failed=Count("deliveries", filter=Q(deliveries__email__status=EmailStatus.FAILED)),
            )
        )

    @admin.display(description=_("destinataires"), ordering="n_total")
    def total(self, obj):
        return obj.n_total

    @admin.display(description=_("envoyés"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("échecs"), ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description=_("résultats"))
    def results(self, obj):
        if obj.pk is None:
            return "—"
        r = services.step_results(step=obj)
        text = _("%(total)d destinataires, %(sent)d envoyés, %(failed)d échecs, %(pending)d en attente") % r
        if r["converted"] is not None:
            rate = f"{r['conversion_rate'] * 100:.1f} %" if r["conversion_rate"] is not None else "—"
            text += _(" ; %(converted)d ont payé dans les 30 jours (%(rate)s)") % {
                "converted": r["converted"],
                "rate": rate,
            }
        return text

    def get_urls(self):
        return [
            path("<int:pk>/apercu/", self.admin_site.admin_view(self.preview_view), name="reminders_step_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        step = get_object_or_404(Step, pk=pk)
        if not self.has_view_permission(request, step):
            return self.admin_site.login(request)
        member_id = request.GET.get("membre")
        preview = services.step_preview(
            step=step, member_id=int(member_id) if member_id and member_id.isdigit() else None
        )
        context = {
            **self.admin_site.each_context(request),
            "step": step,
            "preview": preview,
            "opts": Step._meta,
            "title": _("Aperçu de l'étape « %(name)s »") % {"name": step.name},
            "member_id": member_id or "",
        }
        return render(request, "admin/reminders/step/preview.html", context)

    @admin.action(description=_("Mettre en pause"), permissions=["change"])
    def pause(self, request, queryset):
        for step in queryset:
            services.step_set_paused(step=step, paused=True, by=request.user)
        messages.success(request, _("Étapes mises en pause."))

    @admin.action(description=_("Reprendre"), permissions=["change"])
    def resume(self, request, queryset):
        for step in queryset:
            services.step_set_paused(step=step, paused=False, by=request.user)
        messages.success(request, _("Étapes reprises."))

    @admin.action(description=_("Envoyer maintenant les étapes dues"), permissions=["change"])
    def run_now(self, request, queryset):
        from .tasks import step_run

        for step in queryset:
            step_run.delay(step.pk)
        messages.success(request, _("Envoi lancé ; les résultats s'affichent au fil des envois."))
