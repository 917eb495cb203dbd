"""Back-office du pilotage : définitions éditables par les administrateurs de la stratégie, le reste en lecture."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import permissions, services
from .models import (
    Action,
    ActionUpdate,
    Ambition,
    Annotation,
    Axis,
    BoardPack,
    CheckIn,
    Criterion,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Objective,
    Plan,
    ReviewCycle,
)


class DefinitionAdmin(admin.ModelAdmin):
    """Only strategy admins add, change or delete definitions; the Bureau reads them."""

    def has_view_permission(self, request, obj=None):
        return permissions.is_admin(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return permissions.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_module_permission(self, request):
        return permissions.is_admin(request.user) or super().has_module_permission(request)


class DefinitionInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return True


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by services only (values, targets, check-ins, board packs)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AxisInline(DefinitionInline):
    model = Axis


class AmbitionInline(DefinitionInline):
    model = Ambition
    fields = ["code", "title", "pilot", "weight", "position"]
    raw_id_fields = ["pilot"]


@admin.register(Plan)
class PlanAdmin(DefinitionAdmin):
    list_display = ["name", "code", "starts_on", "ends_on", "is_current"]
    readonly_fields = ["is_current"]
    inlines = [AxisInline, AmbitionInline]
    actions = ["make_current"]

    @admin.action(description=_("Faire de ce plan le plan en vigueur"))
    def make_current(self, request, queryset):
        plan = queryset.first()
        if plan:
            services.plan_set_current(plan=plan, by=request.user)
            self.message_user(request, _("« %(p)s » est le plan en vigueur.") % {"p": plan})


class ObjectiveInline(DefinitionInline):
    model = Objective
    fields = ["code", "title", "pilot", "weight", "position"]
    readonly_fields = ["code"]
    raw_id_fields = ["pilot"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ambition)
class AmbitionAdmin(DefinitionAdmin):
    list_display = ["code", "title", "plan", "pilot", "weight"]
    list_filter = ["plan"]
    raw_id_fields = ["pilot"]
    inlines = [ObjectiveInline]


class CriterionInline(DefinitionInline):
    model = Criterion
    fields = ["code", "statement", "weight", "position"]
    show_change_link = True


class MoveForm(forms.Form):
    ambition = forms.ModelChoiceField(label=_("Nouvelle ambition"), queryset=Ambition.objects.none())


@admin.register(Objective)
class ObjectiveAdmin(DefinitionAdmin):
    list_display = ["code", "title", "ambition", "pilot", "weight"]
    list_filter = ["plan", "ambition", "axes"]
    search_fields = ["code", "title"]
    raw_id_fields = ["pilot"]
    filter_horizontal = ["axes"]
    inlines = [CriterionInline]
    actions = ["move"]

    def get_readonly_fields(self, request, obj=None):
        # Moving an objective renames it and leaves an audit row: it goes through the "move" action.
        return ["plan", "ambition", "code"] if obj else []

    @admin.action(description=_("Déplacer vers une autre ambition"))
    def move(self, request, queryset):
        plans = set(queryset.values_list("plan_id", flat=True))
        if len(plans) != 1:
            self.message_user(request, _("Choisissez des objectifs d'un même plan."), messages.ERROR)
            return None
        form = MoveForm(request.POST if "apply" in request.POST else None)
        form.fields["ambition"].queryset = Ambition.objects.filter(plan_id=plans.pop())
        if "apply" in request.POST and form.is_valid():
            for objective in queryset:
                try:
                    services.objective_move(objective=objective, to=form.cleaned_data["ambition"], by=request.user)
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                    return None
            self.message_user(request, _("Objectifs déplacés ; leurs anciens codes sont dans le journal d'audit."))
            return None
        return TemplateResponse(
            request,
            "strategy/admin/objective_move.html",
            {**self.admin_site.each_context(request), "objectives": queryset, "form": form, "opts": self.model._meta},
        )


@admin.register(Criterion)
class CriterionAdmin(DefinitionAdmin):
    list_display = ["__str__", "objective", "weight"]
    list_filter = ["objective__plan", "objective__ambition"]
    search_fields = ["statement", "objective__code"]


class TargetInline(ReadOnlyInline):
    model = IndicatorTarget
    fk_name = "indicator"
    fields = ["target_on", "value", "value_high", "reason", "set_by", "set_at", "superseded_at"]
    readonly_fields = fields


@admin.register(Indicator)
class IndicatorAdmin(DefinitionAdmin):
    list_display = ["code", "name", "kind", "metric_code", "unit", "target_type", "frequency", "owner", "is_headline"]
    list_filter = ["plan", "kind", "unit", "target_type", "frequency", "is_headline"]
    search_fields = ["code", "name", "metric_code"]
    raw_id_fields = ["owner", "criterion"]
    filter_horizontal = ["updaters", "axes"]
    inlines = [TargetInline]
    actions = ["close_periods"]
    fieldsets = [
        (None, {"fields": ["plan", "criterion", "code", "name", "kind", "metric_code", "position"]}),
        (
            _("Fiche de référence"),
            {"fields": ["definition", "data_source", "collection_method", "limitations", "axes"]},
        ),
        (
            _("Mesure"),
            {
                "fields": [
                    "unit",
                    "decimals",
                    "target_type",
                    "aggregation",
                    "frequency",
                    "grace_days",
                    "baseline_value",
                    "baseline_on",
                    "weight",
                    "on_track_threshold",
                    "behind_threshold",
                ]
            },
        ),
        (_("Personnes"), {"fields": ["owner", "updaters"]}),
        (_("Tableau de bord"), {"fields": ["is_headline", "headline_position"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.indicator_definition_changed(indicator=obj, by=request.user, changed=list(form.changed_data))

    @admin.action(description=_("Écrire les valeurs officielles des périodes closes (indicateurs calculés)"))
    def close_periods(self, request, queryset):
        result = services.periods_close()
        self.message_user(
            request,
            _("%(w)d valeurs officielles écrites ; %(u)d indicateurs à la source indisponible.")
            % {"w": result["written"], "u": result["unavailable"]},
        )


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "target_on", "value", "value_high", "set_by", "set_at", "superseded_at"]
    list_filter = ["indicator__plan"]
    search_fields = ["indicator__code", "reason"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "period_start", "period_end", "value", "status", "source", "entered_by", "approved_by"]
    list_filter = ["status", "source", "late", "indicator__plan"]
    search_fields = ["indicator__code", "indicator__name", "comment"]
    date_hierarchy = "period_end"


class ActionUpdateInline(ReadOnlyInline):
    model = ActionUpdate
    fields = ["at", "by", "status", "note"]
    readonly_fields = fields


@admin.register(Action)
class ActionAdmin(DefinitionAdmin):
    list_display = ["title", "plan", "owner", "due_on", "status"]
    list_filter = ["plan", "status", "axes"]
    search_fields = ["title", "description"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["team", "objectives", "axes", "indicators"]
    readonly_fields = ["status", "status_changed_at"]
    inlines = [ActionUpdateInline]


@admin.register(ReviewCycle)
class ReviewCycleAdmin(DefinitionAdmin):
    list_display = ["name", "plan", "starts_on", "ends_on"]
    list_filter = ["plan"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["objective", "cycle", "status", "confidence", "by", "at"]
    list_filter = ["cycle", "status"]


@admin.register(Annotation)
class AnnotationAdmin(DefinitionAdmin):
    list_display = ["on", "label", "kind", "plan", "indicator"]
    list_filter = ["plan", "kind"]


@admin.register(BoardPack)
class BoardPackAdmin(ReadOnlyAdmin):
    list_display = ["title", "meeting_on", "status", "created_by", "created_at", "pdf_sha256"]
    list_filter = ["plan", "status"]
    exclude = ["figures"]
