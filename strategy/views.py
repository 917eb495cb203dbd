"""Vues du pilotage : lire la requête, appeler un sélecteur ou un service, afficher."""

from __future__ import annotations

import hashlib
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import computed, exports, permissions, selectors, services
from .forms import ActionUpdateForm, BoardPackForm, CheckInForm, CorrectionForm, RejectForm, TargetForm, ValueEntryForm
from .models import Action, BoardPack, IndicatorValue, Objective

view_dashboard = permission_required(permissions.VIEW_DASHBOARD, raise_exception=True)


def _errors(request, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(exc) or _("Action non autorisée."))


def _today(request) -> date:
    return timezone.localdate()


def _next_or(request, fallback: str) -> str:
    """The `next` page posted by the form if it is on this site, else `fallback` (no open redirect)."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@view_dashboard
def dashboard(request):
    figures = selectors.dashboard_figures(
        plan_code=request.GET.get("plan"), today=_today(request), curve=request.GET.get("courbe")
    )
    return render(
        request,
        "strategy/dashboard.html",
        {
            "figures": figures,
            "can_admin": permissions.is_admin(request.user),
            "can_pack": request.user.has_perm(permissions.ADD_BOARD_PACK),
        },
    )


@view_dashboard
def dashboard_pdf(request):
    from .pdf import dashboard_pdf as render_dashboard

    figures = selectors.dashboard_figures(
        plan_code=request.GET.get("plan"), today=_today(request), curve=request.GET.get("courbe")
    )
    response = HttpResponse(render_dashboard(figures), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pilotage-{figures["as_of"]}.pdf"'
    return response


@view_dashboard
def community(request):
    data = selectors.community_figures(today=_today(request))
    return render(request, "strategy/community.html", {"community": data})


@view_dashboard
def ambition(request, code: str):
    figures = selectors.dashboard_figures(plan_code=request.GET.get("plan"), today=_today(request))
    found = next((a for a in figures["ambitions"] if a["code"] == code), None)
    if found is None:
        raise Http404("Ambition introuvable")
    return render(request, "strategy/ambition.html", {"figures": figures, "ambition": found})


@view_dashboard
def objective(request, code: str):
    figures = selectors.dashboard_figures(plan_code=request.GET.get("plan"), today=_today(request))
    for amb in figures["ambitions"]:
        for obj in amb["objectives"]:
            if obj["code"] == code:
                plan = selectors.plan_for(figures["plan"]["code"])
                instance = selectors.objective_for(user=request.user, code=code, plan=plan)
                checkins = instance.checkins.select_related("cycle", "by").order_by("-cycle__ends_on")
                actions = instance.actions.select_related("owner").order_by("due_on")
                return render(
                    request,
                    "strategy/objective.html",
                    {
                        "figures": figures,
                        "ambition": amb,
                        "objective": obj,
                        "instance": instance,
                        "checkins": checkins,
                        "actions": actions,
                        "can_checkin": permissions.can_checkin(request.user, instance),
                    },
                )
    raise Http404("Objectif introuvable")


BODY_TTL = 15 * 60  # seconds; any strategy write makes a new key before that anyway


def indicator(request, code: str):
    ind = selectors.indicator_for(user=request.user, code=code)
    today = _today(request)
    targets = list(selectors.indicator_targets_history(indicator=ind))
    actions = list(ind.actions.select_related("owner").order_by("due_on"))
    # this indicator only, from its own rows: not the whole plan's figures
    summary, curve = selectors.indicator_figures(
        indicator=ind, points=selectors.indicator_points(indicator=ind), targets=targets, actions=actions, today=today
    )
    can_enter = permissions.can_enter(request.user, ind) and not ind.is_computed
    can_admin, is_owner = permissions.is_admin(request.user), permissions.is_owner(request.user, ind)
    path = None
    if ind.criterion_id:
        crit = ind.criterion
        path = {"ambition": crit.objective.ambition, "objective": crit.objective, "criterion": crit}
    context = {
        "ind": ind,
        "summary": summary,
        "curve": curve,
        "targets": targets,
        "actions": actions,
        "path": path,
        "can_enter": can_enter,
        "can_admin": can_admin,
        "is_owner": is_owner,
        "reads_all": permissions.reads_all(request.user),
        "user_id": request.user.pk,
    }
    # The body (history with who entered and approved, forms, reference sheet) only changes with a
    # strategy write, which bumps the generation; it is kept per person, rights, day and CSRF secret
    # (its forms carry a token masked from that secret).
    key = (
        "indicator-body:"
        + hashlib.sha256(
            "|".join(
                str(part)
                for part in (
                    ind.pk,
                    request.user.pk,
                    can_admin,
                    is_owner,
                    can_enter,
                    today,
                    summary["status"],
                    request.META.get("CSRF_COOKIE", ""),
                )
            ).encode()
        ).hexdigest()
    )
    context["body"] = computed.cached(key, lambda: _indicator_body(request, ind, context, today), BODY_TTL)
    return render(request, "strategy/indicator.html", context)


def _indicator_body(request, ind, context: dict, today: date):
    history = list(selectors.indicator_history(indicator=ind))
    periods = (
        selectors.periods_open_for_entry(indicator=ind, today=today, values=history) if context["can_enter"] else []
    )
    entry_form = (
        ValueEntryForm(
            periods=periods,
            percent=ind.unit == ind.Unit.PERCENT,
            today=today,
            grace_days=ind.grace_days,
        )
        if periods
        else None
    )
    return render_to_string(
        "strategy/_indicator_body.html",
        {
            **context,
            "history": history,
            "entry_form": entry_form,
            "target_form": TargetForm() if context["can_admin"] else None,
            "reject_form": RejectForm(),
        },
        request=request,
    )


@require_POST
def value_enter(request, code: str):
    ind = selectors.indicator_for(user=request.user, code=code)
    today = _today(request)
    form = ValueEntryForm(
        request.POST,
        request.FILES,
        periods=selectors.periods_open_for_entry(indicator=ind, today=today),
        percent=ind.unit == ind.Unit.PERCENT,
        today=today,
        grace_days=ind.grace_days,
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.value_enter(
                indicator=ind,
                period_start=data["period"],
                value=data["value"],
                numerator=data.get("numerator"),
                denominator=data.get("denominator"),
                comment=data.get("comment") or "",
                evidence=data.get("evidence"),
                evidence_url=data.get("evidence_url") or "",
                by=request.user,
                today=today,
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Valeur enregistrée : elle attend la validation du responsable."))
    else:
        for field, errors in form.errors.items():
            for error in errors:
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label} : {error}" if label else error)
    return redirect("strategy:indicator", code=ind.code)


def _value_for(request, public_id) -> IndicatorValue:
    value = get_object_or_404(
        IndicatorValue.objects.select_related("indicator", "indicator__plan"), public_id=public_id
    )
    if not permissions.can_see_indicator(request.user, value.indicator):
        raise Http404("Valeur introuvable")
    return value


def value_correct(request, public_id):
    value = _value_for(request, public_id)
    form = CorrectionForm(request.POST or None, request.FILES or None, initial={"value": value.value})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.value_correct(
                original=value,
                value=data["value"],
                reason=data["reason"],
                comment=data.get("comment") or "",
                evidence=data.get("evidence"),
                evidence_url=data.get("evidence_url") or "",
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Correction enregistrée : elle remplacera la valeur une fois validée."))
            return redirect("strategy:indicator", code=value.indicator.code)
    return render(request, "strategy/value_correct.html", {"value": value, "form": form})


@require_POST
def value_approve(request, public_id):
    value = _value_for(request, public_id)
    try:
        services.value_approve(value=value, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Valeur validée."))
    return redirect(_next_or(request, reverse("strategy:indicator", args=[value.indicator.code])))


@require_POST
def value_reject(request, public_id):
    value = _value_for(request, public_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.value_reject(value=value, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Valeur refusée : son auteur peut en saisir une autre."))
    else:
        messages.error(request, _("Le motif du refus est obligatoire."))
    return redirect(_next_or(request, reverse("strategy:indicator", args=[value.indicator.code])))


def value_evidence(request, public_id):
    value = _value_for(request, public_id)
    if not value.evidence:
        raise Http404("Pas de justificatif")
    return FileResponse(value.evidence.open("rb"), as_attachment=True, filename=value.evidence.name.rsplit("/", 1)[-1])


@require_POST
def target_set(request, code: str):
    ind = selectors.indicator_for(user=request.user, code=code)
    form = TargetForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.target_set(
                indicator=ind,
                target_on=data["target_on"],
                value=data["value"],
                value_high=data.get("value_high"),
                reason=data.get("reason") or "",
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Cible enregistrée ; l'ancienne reste dans l'historique."))
    else:
        messages.error(request, _("Vérifiez l'échéance et la cible."))
    return redirect(reverse("strategy:indicator", args=[ind.code]) + "#cibles")


def checkin(request, code: str):
    plan = selectors.plan_for(request.GET.get("plan"))
    obj = get_object_or_404(Objective.objects.select_related("ambition", "plan"), plan=plan, code=code)
    if not permissions.can_checkin(request.user, obj):
        raise PermissionDenied(_("Seuls les pilotes de l'objectif ou de son ambition font le point."))
    today = _today(request)
    cycles = plan.cycles.filter(starts_on__lte=today).order_by("-ends_on")
    form = CheckInForm(request.POST or None, cycles=cycles, initial={"cycle": cycles.first()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.checkin_record(
                objective=obj,
                cycle=data["cycle"],
                by=request.user,
                status=data["status"],
                confidence=data["confidence"],
                what_changed=data["what_changed"],
                blockers=data["blockers"],
                next_steps=data["next_steps"],
                decisions_requested=data["decisions_requested"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Point d'étape enregistré."))
            return redirect("strategy:my_work")
    return render(request, "strategy/checkin.html", {"objective": obj, "form": form})


@view_dashboard
def actions(request):
    plan = selectors.plan_for(request.GET.get("plan"))
    today = _today(request)
    rows = list(selectors.actions_for(plan=plan))
    for row in rows:
        row.late = row.is_late(today)
    return render(request, "strategy/actions.html", {"plan": plan, "actions": rows})


def action(request, pk: int):
    act = get_object_or_404(Action.objects.select_related("owner", "plan"), pk=pk)
    if not (permissions.reads_all(request.user) or permissions.can_update_action(request.user, act)):
        raise Http404("Action introuvable")
    can_update = permissions.can_update_action(request.user, act)
    form = ActionUpdateForm(request.POST or None, action=act) if can_update else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.action_post_update(
                    action=act, by=request.user, note=form.cleaned_data["note"], status=form.cleaned_data["status"]
                )
            except (ValidationError, PermissionDenied) as exc:
                _errors(request, exc)
            else:
                messages.success(request, _("Point d'avancement ajouté."))
                return redirect("strategy:action", pk=act.pk)
    return render(
        request,
        "strategy/action.html",
        {
            "action": act,
            "updates": act.updates.select_related("by"),
            "form": form,
            "late": act.is_late(_today(request)),
        },
    )


def my_work(request):
    return render(
        request, "strategy/my_work.html", {"work": selectors.my_work(user=request.user, today=_today(request))}
    )


@view_dashboard
def board_packs(request):
    plan = selectors.plan_for(request.GET.get("plan"))
    can_pack = request.user.has_perm(permissions.ADD_BOARD_PACK)
    form = BoardPackForm(request.POST or None) if can_pack else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            pack = services.boardpack_request(
                plan=plan, by=request.user, title=form.cleaned_data["title"], meeting_on=form.cleaned_data["meeting_on"]
            )
            messages.success(request, _("Dossier figé : son PDF est en préparation."))
            return redirect(reverse("strategy:board_packs") + f"#dossier-{pack.reference}")
    packs = BoardPack.objects.filter(plan=plan).select_related("created_by")
    return render(request, "strategy/board_packs.html", {"plan": plan, "packs": packs, "form": form})


def _pack(reference) -> BoardPack:
    return get_object_or_404(BoardPack, reference=reference)


@view_dashboard
def board_pack_pdf(request, reference):
    pack = _pack(reference)
    if not pack.pdf:
        raise Http404("PDF en préparation")
    return FileResponse(pack.pdf.open("rb"), content_type="application/pdf", filename=f"dossier-{pack.meeting_on}.pdf")


@view_dashboard
def board_pack_figures(request, reference):
    pack = _pack(reference)
    response = JsonResponse(
        {
            "reference": str(pack.reference),
            "figures_sha256": pack.figures_sha256,
            "pdf_sha256": pack.pdf_sha256,
            "figures": pack.figures,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Content-Disposition"] = f'attachment; filename="dossier-{pack.meeting_on}.json"'
    return response


@view_dashboard
def board_pack_verify(request, reference):
    pack = _pack(reference)
    return render(
        request, "strategy/board_pack_verify.html", {"pack": pack, "check": services.boardpack_integrity(pack=pack)}
    )


def _bureau_table(request, table: str, today: date):
    """The plan-wide tables: the Bureau's (strategy.view_dashboard)."""
    if not request.user.has_perm(permissions.VIEW_DASHBOARD):
        raise PermissionDenied
    if table == "communaute":
        return exports.community_table(selectors.community_figures(today=today))
    if table in exports.DASHBOARD_TABLES:
        return exports.DASHBOARD_TABLES[table](
            selectors.dashboard_figures(plan_code=request.GET.get("plan"), today=today)
        )
    plan = selectors.plan_for(request.GET.get("plan"))
    if table == "plan-d-action":
        return exports.action_plan_table(plan, selectors.actions_for(plan=plan))
    if table == "cibles":
        return exports.targets_table("cibles", f"Cibles : {plan.name}", selectors.targets_for(plan=plan))
    if table == "points-d-etape":
        return exports.checkins_table(plan, selectors.checkins_for(plan=plan))
    if table == "dossiers":
        return exports.board_packs_table(plan, selectors.board_packs_for(plan=plan))
    raise Http404("Tableau inconnu")


def export(request, table: str, fmt: str):
    """CSV or XLSX of a table shown in the cockpit, to whoever may see that table."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    today = _today(request)
    if table == "mon-suivi":
        built = exports.my_work_table(selectors.my_work(user=request.user, today=today))
    elif table.startswith("valeurs-"):
        ind = selectors.indicator_for(user=request.user, code=table.removeprefix("valeurs-"))
        built = exports.history_table(ind, selectors.indicator_history(indicator=ind))
    elif table.startswith("cibles-"):
        ind = selectors.indicator_for(user=request.user, code=table.removeprefix("cibles-"))
        built = exports.targets_table(
            f"cibles-{ind.code}", f"Cibles : {ind.name}", selectors.indicator_targets_history(indicator=ind)
        )
    else:
        built = _bureau_table(request, table, today)
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(built), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx(built), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{built.slug}-{today.isoformat()}.{fmt}"'
    return response


@require_POST
def live_refresh(request):
    if not permissions.is_admin(request.user):
        raise PermissionDenied
    services.live_refresh(by=request.user)
    messages.success(request, _("Les valeurs en direct seront recalculées."))
    return redirect("strategy:dashboard")
