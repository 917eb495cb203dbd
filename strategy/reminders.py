"""Relances du pilotage : un seul e-mail récapitulatif par personne et par jour.

La règle `strategy.digest` (étape quotidienne « strategy-digest », créée par `reminders_ensure`)
réunit pour chaque personne :
- les valeurs qu'elle renseigne, avant et après leur échéance (contributeurs) ;
- les indicateurs dont elle est responsable passés hors trajectoire, et les valeurs qui attendent
  sa validation (responsables) ;
- les objectifs qu'elle pilote sans point d'étape à l'approche de la fin d'un cycle (pilotes).

La clé du destinataire contient l'empreinte de la liste : la même liste n'est envoyée qu'une fois,
une liste qui change donne un nouveau récapitulatif, et jamais deux le même jour. Les anciennes
règles par élément restent enregistrées pour que leurs étapes ne cassent pas, mais ne visent plus
personne (`reminders_ensure` les met en pause).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from soce.lib.reminders.registry import AudienceRule, Recipient, register

from . import rules

BEFORE_DAYS = 7  # contributors hear about a value a week before it is due…
AFTER_DAYS = 7  # …and again a week after, if it is still missing
CYCLE_DAYS = 10  # pilots hear about a review cycle ten days before it ends


def _key(prefix: str, user_id: int, items: list[str]) -> str:
    digest = hashlib.sha256("|".join(sorted(items)).encode()).hexdigest()[:16]
    return f"{prefix}-{user_id}:{digest}"


def _param(step, name: str, default: int) -> int:
    params = getattr(step, "params", None) or {}
    try:
        return int(params.get(name, default))
    except (TypeError, ValueError):
        return default


def values_due_items(step, today: date) -> dict[int, dict]:
    """Contributors with a value due within `before` days or overdue by `after` days or more."""
    from .models import Indicator, IndicatorValue

    before = _param(step, "before", BEFORE_DAYS)
    after = _param(step, "after", AFTER_DAYS)
    indicators = list(
        Indicator.objects.filter(kind=Indicator.Kind.MANUAL, plan__is_current=True)
        .exclude(target_type=Indicator.TargetType.TRACK)
        .select_related("plan", "owner")
        .prefetch_related("updaters")
    )
    filled = set(
        IndicatorValue.objects.filter(
            indicator__in=indicators, status__in=[IndicatorValue.Status.APPROVED, IndicatorValue.Status.PENDING]
        ).values_list("indicator_id", "period_start")
    )
    per_person: dict[int, dict] = defaultdict(lambda: {"user": None, "items": []})
    for indicator in indicators:
        first = indicator.baseline_on or indicator.plan.starts_on
        for start, end in rules.periods_between(indicator.frequency, first, today + timedelta(days=before)):
            if (indicator.pk, start) in filled or end < first:
                continue
            due = rules.due_on(end, indicator.grace_days)
            soon = today <= due <= today + timedelta(days=before)
            late = today - due >= timedelta(days=after)
            if not (soon or late):
                continue
            people = list(indicator.updaters.all()) or ([indicator.owner] if indicator.owner else [])
            for user in people:
                entry = per_person[user.pk]
                entry["user"] = user
                entry["items"].append(
                    {
                        "indicator": indicator.name,
                        "code": indicator.code,
                        "period": (start, end),
                        "due_on": due,
                        "late": late,
                        "url": settings.SITE_URL + reverse("strategy:indicator", args=[indicator.code]),
                    }
                )
    for entry in per_person.values():
        entry["items"].sort(key=lambda i: i["due_on"])
    return dict(per_person)


def owner_items(today: date) -> dict[int, dict]:
    """Owners of indicators off track, or with values awaiting their approval."""
    from django.http import Http404

    from .models import IndicatorValue
    from .selectors import dashboard_figures, plan_for

    per_person: dict[int, dict] = defaultdict(lambda: {"user": None, "red": [], "pending": []})
    try:
        plan = plan_for(None)
    except Http404:  # no plan yet: no indicator to be red
        plan = None
    if plan is not None:
        figures = dashboard_figures(plan_code=plan.code, today=today)
        by_code = {i.code: i for i in plan.indicators.select_related("owner")}
        for code, ind in figures["indicators"].items():
            owner = by_code[code].owner if code in by_code else None
            if owner and rules.Status.OFF_TRACK in (ind["status"], ind["colour"]):
                entry = per_person[owner.pk]
                entry["user"] = owner
                entry["red"].append(
                    {"name": ind["name"], "code": code, "pace": ind["pace"], "has_action": ind["has_action"]}
                )
    pending = IndicatorValue.objects.filter(
        status=IndicatorValue.Status.PENDING, indicator__owner__isnull=False
    ).select_related("indicator__owner", "entered_by")
    for value in pending:
        owner = value.indicator.owner
        if value.entered_by_id == owner.pk:
            continue
        entry = per_person[owner.pk]
        entry["user"] = owner
        entry["pending"].append(
            {"name": value.indicator.name, "code": value.indicator.code, "id": str(value.public_id)}
        )
    return dict(per_person)


def cycle_items(step, today: date) -> dict[int, dict]:
    """Pilots of objectives without a check-in for a review cycle ending within `days` days."""
    from .models import CheckIn, Objective, ReviewCycle

    days = _param(step, "days", CYCLE_DAYS)
    cycles = list(
        ReviewCycle.objects.filter(
            plan__is_current=True, ends_on__gte=today, ends_on__lte=today + timedelta(days=days)
        ).select_related("plan")
    )
    per_person: dict[int, dict] = defaultdict(lambda: {"user": None, "items": []})
    if not cycles:
        return {}
    done = set(CheckIn.objects.filter(cycle__in=cycles).values_list("objective_id", "cycle_id"))
    objectives = list(
        Objective.objects.filter(plan_id__in={c.plan_id for c in cycles}).select_related("pilot", "ambition__pilot")
    )
    for cycle in cycles:
        for objective in objectives:
            if objective.plan_id != cycle.plan_id or (objective.pk, cycle.pk) in done:
                continue
            pilot = objective.pilot or objective.ambition.pilot
            if pilot is None:
                continue
            entry = per_person[pilot.pk]
            entry["user"] = pilot
            entry["items"].append(
                {
                    "objective": objective,
                    "cycle": cycle,
                    "url": settings.SITE_URL
                    + reverse("strategy:checkin", args=[objective.code])
                    + f"?plan={cycle.plan.code}",
                }
            )
    return dict(per_person)


def _reached_today(step, today: date) -> set[int]:
    """People this step already wrote to today: they get nothing more before tomorrow."""
    from soce.lib.reminders.models import Delivery

    if getattr(step, "pk", None) is None:
        return set()
    start = timezone.make_aware(datetime.combine(today, time.min))
    keys = Delivery.objects.filter(step_id=step.pk, created_at__gte=start).values_list("recipient_key", flat=True)
    return {int(k.split(":")[0].removeprefix("digest-")) for k in keys if k.startswith("digest-")}


def digest(step, today: date):
    """One e-mail per person: values to enter, red indicators and approvals, check-ins before a cycle ends."""
    due, owned, cycles = values_due_items(step, today), owner_items(today), cycle_items(step, today)
    already = _reached_today(step, today)
    my_work_url = settings.SITE_URL + reverse("strategy:my_work")
    for user_id in sorted({*due, *owned, *cycles}):
        user = (due.get(user_id) or owned.get(user_id) or cycles.get(user_id))["user"]
        if not user.email or not user.is_active or user_id in already:
            continue
        items = due.get(user_id, {}).get("items", [])
        red = owned.get(user_id, {}).get("red", [])
        pending = owned.get(user_id, {}).get("pending", [])
        closing = cycles.get(user_id, {}).get("items", [])
        keys = (
            [f"due:{i['code']}@{i['period'][0]}:{'late' if i['late'] else 'soon'}" for i in items]
            + [f"red:{r['code']}" for r in red]
            + [f"pending:{p['id']}" for p in pending]
            + [f"cycle:{i['objective'].pk}@{i['cycle'].pk}" for i in closing]
        )
        yield Recipient(
            key=_key("digest", user_id, keys),
            to=user.email,
            context={
                "person": user,
                "today": today,
                "items": items,
                "red": red,
                "pending": pending,
                "cycles": closing,
                "count": len(keys),
                "my_work_url": my_work_url,
            },
        )


def _retired(step, today: date):
    """The rules of the three per-topic e-mails, folded into the digest: kept so that old steps do not fail."""
    return iter(())


DIGEST_STEP = ("strategy-digest", "Pilotage : récapitulatif du jour", "strategy.digest", "strategy/digest")
RETIRED_RULES = ("strategy.values_due", "strategy.owners_attention", "strategy.cycle_closing")


def register_rules() -> None:
    register(
        AudienceRule(
            code="strategy.digest",
            label="Pilotage : récapitulatif quotidien par personne (valeurs à saisir, indicateurs hors "
            "trajectoire et validations, points d'étape)",
            build=digest,
            params_help="before : jours avant l'échéance (7) ; after : jours de retard avant la relance (7) ; "
            "days : jours avant la fin du cycle (10).",
        )
    )
    for code in RETIRED_RULES:
        register(
            AudienceRule(
                code=code,
                label=f"Pilotage : règle remplacée par le récapitulatif quotidien ({code})",
                build=_retired,
            )
        )
