from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from soce.lib.models import EmailStatus

from . import services
from .models import Campaign, Step, StepStatus
from .registry import rule_choices


def missing_email_templates(name: str) -> list[str]:
    """The parts of an e-mail template that do not exist (subject and text are required, HTML is optional)."""
    missing = []
    for part in ("subject.txt", "body.txt"):
        try:
            get_template(f"emails/{name}_{part}")
        except TemplateDoesNotExist:
            missing.append(f"emails/{name}_{part}")
    return missing


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

    def clean_template(self):
        name = self.cleaned_data["template"].strip().strip("/")
        if name.startswith("emails/"):
            name = name.removeprefix("emails/")
        missing = missing_email_templates(name)
        if missing:
            raise forms.ValidationError(
                _(
                    "Gabarit d'e-mail introuvable : « %(name)s ». Il faut au moins les fichiers %(files)s "
                    "sous templates/ (par exemple « members/dues_reminder »)."
                ),
                code="missing_template",
                params={"name": name, "files": ", ".join(missing)},
            )
        return name


class StepInline(admin.TabularInline):
    model = Step
    form = StepForm
    extra = 0
    fields = ("code", "name", "rule", "params", "template", "send_on", "rolling", "is_reminder", "paused")
    readonly_fields = ("paused",)  # pausing goes through the step's actions (it holds the e-mails)
    show_change_link = True


def _outbox_url(step: Step, status: str | None = None) -> str:
    query = {"idempotency_key__startswith": f"reminder:{step.code}:"}
    if status:
        query["status__exact"] = status
    return f"{reverse('admin:core_outgoingemail_changelist')}?{urlencode(query)}"


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "rate_per_minute", "paused")
    list_filter = ("paused", "year")
    search_fields = ("name", "code")
    inlines = [StepInline]
    actions = ["pause", "resume"]

    def save_model(self, request, obj, form, change):
        if change and "paused" in form.changed_data:
            paused, obj.paused = obj.paused, not obj.paused
            super().save_model(request, obj, form, change)
            services.campaign_set_paused(campaign=obj, paused=paused, by=request.user)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Mettre en pause"), permissions=["change"])
    def pause(self, request, queryset):
        for campaign in queryset:
            services.campaign_set_paused(campaign=campaign, paused=True, by=request.user)
        messages.success(request, _("Campagnes mises en pause : leurs e-mails pas encore partis attendent la reprise."))

    @admin.action(description=_("Reprendre"), permissions=["change"])
    def resume(self, request, queryset):
        for campaign in queryset:
            services.campaign_set_paused(campaign=campaign, paused=False, by=request.user)
        messages.success(request, _("Campagnes reprises."))


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

    def save_model(self, request, obj, form, change):
        if change and "paused" in form.changed_data:
            paused, obj.paused = obj.paused, not obj.paused
            super().save_model(request, obj, form, change)
            services.step_set_paused(step=obj, paused=paused, by=request.user)
            return
        super().save_model(request, obj, form, change)

    @admin.display(description=_("destinataires"), ordering="n_total")
    def total(self, obj):
        return obj.n_total

    @admin.display(description=_("envoyés"), ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description=_("échecs"), ordering="n_failed")
    def failed(self, obj):
        if not obj.n_failed:
            return 0
        return format_html(
            '<a href="{}" title="{}">{}</a>',
            _outbox_url(obj, EmailStatus.FAILED),
            _("Voir les e-mails en échec"),
            obj.n_failed,
        )

    @admin.display(description=_("résultats"))
    def results(self, obj):
        if obj.pk is None:
            return "—"
        r = services.step_results(step=obj)
        text = (
            _(
                "%(total)d destinataires, %(sent)d envoyés, %(failed)d échecs, "
                "%(skipped)d écartés juste avant l'envoi, %(held)d suspendus, %(pending)d en attente"
            )
            % r
        )
        if r["converted"] is not None:
            rate = f"{r['conversion_rate'] * 100:.1f} %" if r["conversion_rate"] is not None else "—"
            text += _(" ; %(converted)d ont payé dans les 30 jours après l'envoi (%(rate)s des e-mails remis)") % {
                "converted": r["converted"],
                "rate": rate,
            }
        links = format_html('<a href="{}">{}</a>', _outbox_url(obj), _("tous les e-mails de l'étape"))
        if r["failed"]:
            links = format_html(
                '<a href="{}">{}</a> · {}',
                _outbox_url(obj, EmailStatus.FAILED),
                _("voir les échecs et les renvoyer"),
                links,
            )
        return format_html("{}<br>{}", text, links)

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
        messages.success(request, _("Étapes mises en pause : leurs e-mails pas encore partis attendent la reprise."))

    @admin.action(description=_("Reprendre"), permissions=["change"])
    def resume(self, request, queryset):
        for step in queryset:
            services.step_set_paused(step=step, paused=False, by=request.user)
        messages.success(request, _("Étapes reprises."))

    @admin.action(description=_("Envoyer maintenant les étapes dues"), permissions=["change"])
    def run_now(self, request, queryset):
        from .tasks import step_run

        today = timezone.localdate()
        started = []
        for step in queryset.select_related("campaign"):
            if step.is_due(today):
                step_run.delay(step.pk)
                started.append(step.name)
            else:
                messages.warning(
                    request,
                    _("« %(name)s » n'est pas due : %(why)s Rien n'est envoyé.")
                    % {
                        "name": step.name,
                        "why": _not_due_reason(step, today),
                    },
                )
        if started:
            messages.success(
                request,
                _("Envoi lancé pour %(names)s ; les résultats s'affichent au fil des envois.")
                % {"names": ", ".join(f"« {n} »" for n in started)},
            )


def _not_due_reason(step: Step, today) -> str:
    if step.paused:
        return _("l'étape est en pause.")
    if step.campaign.paused:
        return _("sa campagne est en pause.")
    if step.status == StepStatus.DONE:
        return _("elle a déjà été envoyée le %(date)s.") % {
            "date": timezone.localtime(step.finished_at).strftime("%d/%m/%Y") if step.finished_at else "—"
        }
    return _("elle est prévue le %(date)s.") % {"date": step.send_on.strftime("%d/%m/%Y") if step.send_on else "—"}
