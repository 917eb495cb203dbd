"""Back-office du bénévolat (groupe « Bénévolat ») : les états ne se modifient que par les services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.models import Member
from soce.lib.admin_utils import action_form, reason_action
from soce.lib.exceptions import BusinessError
from soce.lib.signing import services as signing
from soce.lib.signing.services import sanitise_html

from . import selectors, services
from .models import (
    CharterSignature,
    CharterVersion,
    CountersigningMandate,
    EndProposal,
    Engagement,
    EngagementStatus,
    Mission,
    NoticeChannel,
    ResigningCampaign,
    Review,
)


@admin.register(Mission)
class MissionAdmin(admin.ModelAdmin):
    list_display = ("title", "structure_kind", "structure", "referent", "expected_time", "successor_sought", "active")
    list_filter = ("structure_kind", "active", "successor_sought")
    search_fields = ("title", "description", "national_service", "group__name")
    autocomplete_fields = ("referent",)
    list_select_related = ("group", "referent__campus")

    @admin.display(description=_("structure"))
    def structure(self, obj):
        return obj.structure_label


class ReviewInline(admin.TabularInline):
    model = Review
    fields = ("due_on", "prepared_at", "done_on", "outlook", "next_due_on", "completed_by")
    readonly_fields = ("prepared_at", "done_on", "outlook", "next_due_on", "completed_by")
    extra = 0
    can_delete = False


def _successor_field():
    return forms.ModelChoiceField(
        label=_("Successeur"),
        queryset=Member.objects.all(),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("identifiant du membre")}),
    )


class CloseForm(forms.Form):
    """Second step of any ending: the reason, and the successor or « none found »."""

    reason = forms.ChoiceField(label=_("Raison de la fin"), choices=[("", "—"), *Engagement.EndReason.choices])
    successor = _successor_field()
    none_found = forms.BooleanField(label=_("Aucun successeur trouvé"), required=False)
    ended_on = forms.DateField(label=_("Terminé le"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class NoticeReceivedForm(forms.Form):
    """A notice the volunteer gave outside the portal (phone, letter…), recorded by staff."""

    given_on = forms.DateField(
        label=_("Préavis donné le"), initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(
        label=_("Reçu"), choices=[c for c in NoticeChannel.choices if c[0] != NoticeChannel.PORTAL]
    )
    note = forms.CharField(
        label=_("Ce que le bénévole a dit"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TermForm(forms.Form):
    successor = _successor_field()
    none_found = forms.BooleanField(label=_("Aucun successeur trouvé"), required=False)


class ProposeEndForm(forms.Form):
    note = forms.CharField(label=_("Motif de la décision"), widget=forms.Textarea(attrs={"rows": 3}))


END_STEPS = {"notice": NoticeReceivedForm, "term": TermForm, "propose": ProposeEndForm, "close": CloseForm}


class EndingFilter(admin.SimpleListFilter):
    title = _("fin")
    parameter_name = "fin"

    def lookups(self, request, model_admin):
        return [
            ("terme", _("Terme atteint, à clôturer")),
            ("bureau", _("Fin proposée, en attente du Bureau")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "terme":
            return queryset.filter(status__in=services.ENDABLE, ends_on__lte=timezone.localdate())
        if self.value() == "bureau":
            return queryset.filter(end_proposals__status=EndProposal.Status.PENDING)
        return queryset


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ("volunteer", "mission", "referent", "status", "starts_on", "ends_on", "status_since", "end_link")
    list_filter = (EndingFilter, "status", "mission__structure_kind", "suspended_for_dues", "suspended_for_charter")
    search_fields = ("volunteer__last_name", "volunteer__first_name", "mission__title")
    autocomplete_fields = ("volunteer", "referent")
    list_select_related = ("volunteer__campus", "mission__group", "referent__campus")
    date_hierarchy = "starts_on"
    inlines = [ReviewInline]
    actions = ["request_signature"]
    readonly_fields = (
        "status",
        "status_changed_at",
        "suspended_for_dues",
        "suspended_for_charter",
        "end_kind",
        "end_note",
        "notice_given_on",
        "notice_channel",
        "bureau_validated_on",
        "end_reason",
        "ended_on",
        "successor",
        "successor_none_found",
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != EngagementStatus.PROPOSED:
            return (*self.readonly_fields, "volunteer", "mission", "starts_on")
        return self.readonly_fields

    @admin.display(description=_("depuis"))
    def status_since(self, obj):
        return timezone.localtime(obj.status_changed_at).strftime("%d/%m/%Y")

    @admin.display(description=_("fin"))
    def end_link(self, obj):
        if obj.status == EngagementStatus.ENDED:
            return obj.get_end_reason_display()
        return format_html('<a href="{}">{}</a>', reverse("admin:volunteers_engagement_end", args=[obj.pk]), _("Fin…"))

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.engagement_propose(
            volunteer=obj.volunteer,
            mission=obj.mission,
            starts_on=obj.starts_on,
            ends_on=obj.ends_on,
            referent=obj.referent,
            by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description=_("Demander la signature de la charte (mission acceptée)"))
    def request_signature(self, request, queryset):
        done = 0
        for engagement in queryset.filter(status=EngagementStatus.PROPOSED).select_related("volunteer", "mission"):
            try:
                services.engagement_accept(engagement=engagement, by=request.user)
                done += 1
            except BusinessError as error:
                messages.error(request, f"{engagement} : {error}")
        messages.success(request, _("%d engagement(s) mis à jour.") % done)

    def get_urls(self):
        return [
            path("<int:pk>/fin/", self.admin_site.admin_view(self.end_view), name="volunteers_engagement_end"),
            *super().get_urls(),
        ]

    def end_view(self, request, pk: int):
        engagement = get_object_or_404(Engagement.objects.select_related("volunteer", "mission"), pk=pk)
        if not self.has_change_permission(request, engagement):
            raise PermissionDenied
        step = request.POST.get("step", "")
        forms_by_step = {
            name: form_class(request.POST if step == name else None, prefix=name)
            for name, form_class in END_STEPS.items()
        }
        pending = engagement.end_proposals.filter(status=EndProposal.Status.PENDING).first()
        if request.method == "POST":
            form = forms_by_step.get(step)
            try:
                if step == "withdraw" and pending is not None:
                    services.engagement_end_withdraw(proposal=pending, by=request.user, note=_("retirée par l'équipe"))
                    messages.success(request, _("Proposition de fin retirée."))
                    return redirect("admin:volunteers_engagement_change", engagement.pk)
                if form is not None and form.is_valid():
                    self._end_step(request, engagement, step, form.cleaned_data)
                    return redirect("admin:volunteers_engagement_change", engagement.pk)
            except BusinessError as error:
                messages.error(request, str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "engagement": engagement,
            "forms": forms_by_step,
            "pending": pending,
            "title": _("Fin de l'engagement"),
            "closing": engagement.status == EngagementStatus.ENDING,
            "endable": engagement.status in services.ENDABLE,
            "term_reached": engagement.ends_on is not None and engagement.ends_on <= timezone.localdate(),
        }
        return TemplateResponse(request, "volunteers/admin/engagement_end.html", context)

    def _end_step(self, request, engagement: Engagement, step: str, data: dict) -> None:
        if step == "close":
            services.engagement_close(
                engagement=engagement,
                by=request.user,
                reason=data["reason"],
                successor=data["successor"],
                none_found=data["none_found"],
                ended_on=data["ended_on"],
            )
            messages.success(request, _("Engagement terminé."))
        elif step == "notice":
            services.engagement_give_notice(
                engagement=engagement, by=request.user, note=data["note"], on=data["given_on"], channel=data["channel"]
            )
            messages.success(request, _("Préavis enregistré : l'engagement est en fin (préavis)."))
        elif step == "term":
            services.engagement_end_at_term(
                engagement=engagement, by=request.user, successor=data["successor"], none_found=data["none_found"]
            )
            messages.success(request, _("Engagement terminé à son terme."))
        elif step == "propose":
            services.engagement_end_propose(engagement=engagement, by=request.user, note=data["note"])
            messages.success(request, _("Fin proposée : elle prendra effet quand un membre du Bureau l'aura validée."))


class ProposalDecisionForm(forms.Form):
    note = forms.CharField(label=_("Observation du Bureau"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


@admin.register(EndProposal)
class EndProposalAdmin(admin.ModelAdmin):
    """The Bureau validates (or refuses) the ends the Bénévolat team proposes: four eyes."""

    list_display = ("engagement", "status", "proposed_by", "proposed_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("engagement__volunteer__last_name", "engagement__mission__title", "note")
    list_select_related = ("engagement__volunteer", "engagement__mission", "proposed_by", "decided_by")
    readonly_fields = (
        "engagement",
        "note",
        "proposed_by",
        "proposed_at",
        "status",
        "status_changed_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    actions = ["validate", "reject"]

    def has_add_permission(self, request):
        return False  # proposed from the engagement's « Fin… » page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_validate_permission(self, request):
        return services.can_validate_end(request.user)

    @admin.action(description=_("Valider la fin (Bureau)"), permissions=["validate"])
    def validate(self, request, queryset):
        def handle(form, qs):
            done = 0
            for proposal in qs.select_related("engagement"):
                try:
                    services.engagement_end_validate(proposal=proposal, by=request.user, note=form.cleaned_data["note"])
                    done += 1
                except BusinessError as error:
                    messages.error(request, f"{proposal} : {error}")
            if done:
                messages.success(request, _("%d fin(s) validée(s) : les engagements sont en fin (préavis).") % done)

        return action_form(
            self,
            request,
            queryset.filter(status=EndProposal.Status.PENDING),
            form_class=ProposalDecisionForm,
            title=_("Valider la fin décidée par l'association"),
            action="validate",
            handler=handle,
            help_text=_("Vous ne pouvez pas valider une fin que vous avez vous-même proposée."),
        )

    @admin.action(description=_("Refuser la fin (Bureau)"), permissions=["validate"])
    def reject(self, request, queryset):
        return reason_action(
            self,
            request,
            queryset.filter(status=EndProposal.Status.PENDING),
            action="reject",
            title=_("Refuser la fin proposée"),
            apply=lambda proposal, reason: services.engagement_end_reject(
                proposal=proposal, by=request.user, note=reason
            ),
            success=_("%(n)d proposition(s) refusée(s)."),
        )


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("engagement", "due_on", "prepared_at", "done_on", "outlook")
    list_filter = ("outlook", ("done_on", admin.EmptyFieldListFilter), ("prepared_at", admin.EmptyFieldListFilter))
    search_fields = ("engagement__volunteer__last_name", "engagement__mission__title")
    list_select_related = ("engagement__volunteer__campus", "engagement__mission__group")
    readonly_fields = ("engagement", "prepared_by", "prepared_at", "done_on", "completed_by")
    date_hierarchy = "due_on"
    actions = ["close_prepared"]

    @admin.action(description=_("Valider et clore les bilans préparés"), permissions=["change"])
    def close_prepared(self, request, queryset):
        done = 0
        for review in queryset.filter(done_on__isnull=True).select_related("engagement"):
            try:
                services.review_complete(
                    review=review,
                    by=request.user,
                    achievements=review.achievements,
                    difficulties=review.difficulties,
                    needs=review.needs,
                    outlook=review.outlook,
                    next_due_on=review.next_due_on,
                )
                done += 1
            except BusinessError as error:
                messages.error(request, f"{review} : {error}")
        if done:
            messages.success(request, _("%d bilan(s) validé(s) et clos.") % done)


class CharterVersionForm(forms.ModelForm):
    class Meta:
        model = CharterVersion
        fields = ("label", "title", "body_html", "kind", "resign_within_days")

    def clean_body_html(self):
        return sanitise_html(self.cleaned_data["body_html"])


@admin.register(CharterVersion)
class CharterVersionAdmin(admin.ModelAdmin):
    form = CharterVersionForm
    list_display = ("label", "title", "kind", "status", "effective_on", "signed_count", "short_hash")
    list_filter = ("status", "kind")
    actions = ["publish"]
    change_list_template = "volunteers/admin/charterversion_changelist.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_signed=Count("signatures", filter=Q(signatures__volunteer_signed_at__isnull=False)))
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_published:  # frozen: the text is what people signed
            return ("label", "title", "body_html", "kind", "resign_within_days", "text_sha256", "published_at")
        return ()

    @admin.display(description=_("signatures"), ordering="n_signed")
    def signed_count(self, obj):
        return obj.n_signed

    @admin.display(description=_("SHA-256"))
    def short_hash(self, obj):
        return obj.text_sha256[:12] + "…" if obj.text_sha256 else "—"

    @admin.action(description=_("Publier (figer le texte et le mettre en vigueur)"))
    def publish(self, request, queryset):
        for version in queryset.order_by("created_at"):
            try:
                services.charter_version_publish(version=version, by=request.user)
                messages.success(request, _("%s publiée.") % version)
            except BusinessError as error:
                messages.error(request, f"{version} : {error}")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "adoption": selectors.versions_adoption(),
            "still_older": selectors.still_on_older_version(),
            "current": selectors.charter_current(),
            "published": CharterVersion.objects.filter(status="published").order_by("-published_at"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def get_urls(self):
        return [
            path("diff/", self.admin_site.admin_view(self.diff_view), name="volunteers_charterversion_diff"),
            *super().get_urls(),
        ]

    def diff_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        versions = CharterVersion.objects.order_by("-created_at")
        old = versions.filter(pk=request.GET.get("a")).first()
        new = versions.filter(pk=request.GET.get("b")).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Différences entre deux versions de la charte"),
            "versions": versions,
            "old": old,
            "new": new,
            "table": selectors.charter_diff(old=old, new=new) if old and new else "",
        }
        return TemplateResponse(request, "volunteers/admin/charter_diff.html", context)


@admin.register(CharterSignature)
class CharterSignatureAdmin(admin.ModelAdmin):
    list_display = (
        "volunteer",
        "version",
        "state",
        "created_at",
        "volunteer_signed_at",
        "countersigned_at",
        "pending_for",
        "pdf",
    )
    list_filter = (
        "version",
        ("countersigned_at", admin.EmptyFieldListFilter),
        ("declined_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("volunteer__last_name", "volunteer__first_name", "document__reference")
    list_select_related = ("volunteer__campus", "version", "document")
    date_hierarchy = "created_at"

    # Adding records a charter signed on paper; online signatures only come from the ceremony.
    fields = ("volunteer", "version", "volunteer_signed_at", "countersigned_at")
    autocomplete_fields = ("volunteer",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "version" in form.base_fields:
            form.base_fields["version"].queryset = CharterVersion.objects.filter(status="published")
            form.base_fields["volunteer_signed_at"].required = True
            form.base_fields["volunteer_signed_at"].label = _("signée sur papier le")
        return form

    def save_model(self, request, obj, form, change):
        created = services.charter_paper_record(
            volunteer=obj.volunteer,
            version=obj.version,
            signed_at=obj.volunteer_signed_at,
            countersigned_at=obj.countersigned_at,
            by=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.display(description=_("état"))
    def state(self, obj):
        return obj.state_label

    @admin.display(description=_("en attente depuis"))
    def pending_for(self, obj):
        if obj.countersigned_at or obj.declined_at:
            return "—"
        since = obj.volunteer_signed_at or obj.created_at
        return f"{(timezone.now() - since).days} j"

    @admin.display(description=_("PDF scellé"))
    def pdf(self, obj):
        if obj.document_id is None or obj.document.status != "sealed":
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:volunteers_chartersignature_pdf", args=[obj.pk]), _("Télécharger")
        )

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.download), name="volunteers_chartersignature_pdf"),
            *super().get_urls(),
        ]

    def download(self, request, pk: int):
        """The sealed charter, behind the admin's second factor; each download is audited."""
        signature = get_object_or_404(
            CharterSignature.objects.select_related("document"), pk=pk, document__status="sealed"
        )
        if not self.has_view_permission(request, signature):
            raise PermissionDenied
        services.charter_pdf_downloaded(signature=signature, by=request.user, request=request)
        response = HttpResponse(
            signing.document_sealed_pdf(document=signature.document), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{signature.document.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


@admin.register(CountersigningMandate)
class CountersigningMandateAdmin(admin.ModelAdmin):
    list_display = ("member", "capacity", "group", "starts_on", "ends_on")
    list_filter = (("group", admin.EmptyFieldListFilter),)
    search_fields = ("member__last_name", "capacity")
    autocomplete_fields = ("member",)
    list_select_related = ("member__campus", "group")


class ExtendCampaignForm(forms.Form):
    deadline = forms.DateField(
        label=_("Nouvelle date limite (incluse)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Motif"), max_length=500)


@admin.register(ResigningCampaign)
class ResigningCampaignAdmin(admin.ModelAdmin):
    list_display = ("version", "starts_on", "deadline", "suspensions_done_on")
    readonly_fields = ("version", "starts_on", "deadline", "suspensions_done_on", "created_at")
    actions = ["extend"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Prolonger la date limite"), permissions=["change"])
    def extend(self, request, queryset):
        def handle(form, qs):
            for campaign in qs.select_related("version"):
                try:
                    services.campaign_extend(
                        campaign=campaign,
                        deadline=form.cleaned_data["deadline"],
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(
                        request,
                        _("%(campaign)s : date limite portée au %(date)s.")
                        % {"campaign": campaign.version, "date": f"{form.cleaned_data['deadline']:%d/%m/%Y}"},
                    )
                except BusinessError as error:
                    messages.error(request, f"{campaign} : {error}")

        return action_form(
            self,
            request,
            queryset,
            form_class=ExtendCampaignForm,
            title=_("Prolonger la date limite de la nouvelle signature"),
            action="extend",
            handler=handle,
            help_text=_(
                "Le délai court de nouveau : les engagements suspendus faute d'avoir signé sont rétablis, "
                "puis suspendus à la nouvelle date limite si la charte n'est toujours pas signée."
            ),
        )
