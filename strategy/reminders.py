"""Règles d'audience des relances du pilotage : un seul e-mail récapitulatif par personne.

- `strategy.values_due` : les contributeurs, avant et après l'échéance d'une valeur ;
- `strategy.owners_attention` : les responsables, quand un indicateur passe hors trajectoire ou
  qu'une valeur attend leur validation ;
- `strategy.cycle_closing` : les pilotes, avant la fin d'un cycle de revue sans point d'étape.

Chaque règle regroupe les éléments par personne. La clé du destinataire contient l'empreinte de
la liste des éléments : la même liste n'est envoyée qu'une fois, une liste qui change donne un
nouveau récapitulatif (étapes quotidiennes, `rolling=True`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.urls import reverse

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


def values_due(step, today: date):
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
    for user_id, entry in per_person.items():
        user = entry["user"]
        if not user.email or not user.is_active:
            continue
        items = sorted(entry["items"], key=lambda i: i["due_on"])
        keys = [f"{i['code']}@{i['period'][0]}:{'late' if i['late'] else 'soon'}" for i in items]
        yield Recipient(
            key=_key("updater", user_id, keys),
            to=user.email,
            context={"person": user, "items": items, "today": today},
        )


def owners_attention(step, today: date):
    """Owners of indicators off track with no open action, or with values awaiting their approval."""
    from django.http import Http404

    from .models import IndicatorValue
    from .selectors import dashboard_figures, plan_for

    try:
        plan = plan_for(None)
    except Http404:  # no plan yet: nobody to remind
        return
    figures = dashboard_figures(plan_code=plan.code, today=today)
    by_code = {i.code: i for i in plan.indicators.select_related("owner")}
    per_person: dict[int, dict] = defaultdict(lambda: {"user": None, "red": [], "pending": []})
    for code, ind in figures["indicators"].items():
        owner = by_code[code].owner
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
    for user_id, entry in per_person.items():
        user = entry["user"]
        if not user.email or not user.is_active:
            continue
        keys = [f"red:{r['code']}" for r in entry["red"]] + [f"pending:{p['id']}" for p in entry["pending"]]
        yield Recipient(
            key=_key("owner", user_id, keys),
            to=user.email,
            context={
                "person": user,
                "red": entry["red"],
                "pending": entry["pending"],
                "my_work_url": settings.SITE_URL + reverse("strategy:my_work"),
            },
        )


def cycle_closing(step, today: date):
    """Pilots of objectives without a check-in for a review cycle ending within `days` days."""
    from .models import CheckIn, Objective, ReviewCycle

    days = _param(step, "days", CYCLE_DAYS)
    cycles = list(
        ReviewCycle.objects.filter(
            plan__is_current=True, ends_on__gte=today, ends_on__lte=today + timedelta(days=days)
        ).select_related("plan")
    )
    if not cycles:
        return
    done = set(CheckIn.objects.filter(cycle__in=cycles).values_list("objective_id", "cycle_id"))
    per_person: dict[int, dict] = defaultdict(lambda: {"user": None, "items": []})
    for cycle in cycles:
        for objective in Objective.objects.filter(plan_id=cycle.plan_id).select_related("pilot", "ambition__pilot"):
            if (objective.pk, cycle.pk) in done:
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
    for user_id, entry in per_person.items():
        user = entry["user"]
        if not user.email or not user.is_active:
            continue
        keys = [f"{i['objective'].pk}@{i['cycle'].pk}" for i in entry["items"]]
        yield Recipient(
            key=_key("pilot", user_id, keys), to=user.email, context={"person": user, "items": entry["items"]}
        )


def register_rules() -> None:
    register(
        AudienceRule(
            code="strategy.values_due",
            label="Pilotage : valeurs d'indicateurs à saisir (récapitulatif par contributeur)",
            build=values_due,
            params_help="before : jours avant l'échéance (7) ; after : jours de retard avant la relance (7).",
        )
    )
    register(
        AudienceRule(
            code="strategy.owners_attention",
            label="Pilotage : indicateurs hors trajectoire et valeurs à valider (récapitulatif par responsable)",
            build=owners_attention,
        )
    )
    register(
        AudienceRule(
            code="strategy.cycle_closing",
            label="Pilotage : points d'étape avant la fin d'un cycle de revue (récapitulatif par pilote)",
            build=cycle_closing,
            params_help="days : jours avant la fin du cycle (10).",
        )
    )
