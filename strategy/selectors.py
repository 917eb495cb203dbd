"""Lectures du pilotage : les chiffres du tableau de bord, en un nombre constant de requêtes.

`dashboard_figures()` rend un dictionnaire sérialisable en JSON (nombres en chaînes, dates ISO) :
le même dictionnaire nourrit l'écran, le PDF et le dossier du Bureau, qui le garde tel quel.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from . import computed, history, permissions, rules
from .labels import config_error_label, status_label
from .models import (
    Action,
    Ambition,
    Annotation,
    CheckIn,
    Criterion,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    Objective,
    Plan,
    ReviewCycle,
)

HEATMAP_CYCLES = 8
SPARK_POINTS = 12
TILES = 6
APPROVED = IndicatorValue.Status.APPROVED


# --------------------------------------------------------------------------- JSON helpers


def num(value: Decimal | int | None) -> str | None:
    """A Decimal as a plain string (at most 4 decimals, no exponent, no trailing zeros)."""
    if value is None:
        return None
    text = format(Decimal(value).quantize(Decimal("0.0001")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email


# --------------------------------------------------------------------------- plans


def plans() -> list[Plan]:
    return list(Plan.objects.order_by("-is_current", "-starts_on"))


def plan_for(code: str | None = None) -> Plan:
    """The plan asked for by code, else the plan in force, else the latest one."""
    qs = Plan.objects.all()
    plan = qs.filter(code=code).first() if code else qs.order_by("-is_current", "-starts_on").first()
    if plan is None:
        raise Http404("Aucun plan")
    return plan


# --------------------------------------------------------------------------- loading


@dataclass
class Loaded:
    plan: Plan
    all_plans: list[Plan]
    ambitions: list[Ambition]
    objectives: list[Objective]
    criteria: list[Criterion]
    indicators: list[Indicator]
    targets: dict[int, list[IndicatorTarget]] = field(default_factory=dict)
    values: dict[int, list[IndicatorValue]] = field(default_factory=dict)
    cycles: list[ReviewCycle] = field(default_factory=list)
    checkins: dict[tuple[int, int], CheckIn] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    action_indicators: dict[int, set[int]] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    pending: int = 0


def load(plan_code: str | None = None) -> Loaded:
    """Every row the dashboard needs, in a fixed number of queries (see the comments)."""
    all_plans = plans()  # 1: plans
    if not all_plans:
        raise Http404("Aucun plan")
    plan = next((p for p in all_plans if p.code == plan_code), None) if plan_code else all_plans[0]
    if plan is None:
        raise Http404("Plan inconnu")
    data = Loaded(
        plan=plan,
        all_plans=all_plans,
        ambitions=list(plan.ambitions.select_related("pilot")),  # 2: ambitions
        objectives=list(plan.objectives.select_related("pilot").prefetch_related("axes")),  # 3, 4: objectives, axes
        criteria=list(Criterion.objects.filter(objective__plan=plan)),  # 5: criteria
        indicators=list(plan.indicators.select_related("owner")),  # 6: indicators
    )
    for target in IndicatorTarget.objects.filter(indicator__plan=plan, superseded_at__isnull=True):  # 7: targets
        data.targets.setdefault(target.indicator_id, []).append(target)
    values = (
        IndicatorValue.objects.filter(indicator__plan=plan, status=APPROVED)  # 8: approved values
        .only(
            "indicator_id",
            "period_start",
            "period_end",
            "value",
            "numerator",
            "denominator",
            "entered_at",
            "approved_at",
            "source",
        )
        .order_by("period_end")
    )
    for value in values:
        data.values.setdefault(value.indicator_id, []).append(value)
    data.cycles = list(plan.cycles.all())  # 9: review cycles
    for checkin in CheckIn.objects.filter(objective__plan=plan):  # 10: check-ins
        data.checkins[(checkin.objective_id, checkin.cycle_id)] = checkin
    data.actions = list(plan.actions.select_related("owner"))  # 11: actions
    links = Action.indicators.through.objects.filter(action__plan=plan).values_list("action_id", "indicator_id")
    for action_id, indicator_id in links:  # 12: action ↔ indicator links
        data.action_indicators.setdefault(indicator_id, set()).add(action_id)
    data.annotations = list(plan.annotations.all())  # 13: annotations
    data.pending = IndicatorValue.objects.filter(
        indicator__plan=plan, status=IndicatorValue.Status.PENDING
    ).count()  # 14
    return data


def definition_of(indicator: Indicator, targets: list[IndicatorTarget]) -> rules.Definition:
    return rules.Definition(
        target_type=rules.TargetType(indicator.target_type),
        baseline=indicator.baseline_value,
        baseline_on=indicator.baseline_on,
        targets=tuple(rules.Target(t.target_on, t.value, t.value_high) for t in targets),
        frequency=rules.Frequency(indicator.frequency),
        aggregation=rules.Aggregation(indicator.aggregation),
        thresholds=rules.Thresholds(indicator.on_track_threshold, indicator.behind_threshold),
        grace_days=indicator.grace_days,
        weight=indicator.weight,
    )


def points_of(values: list[IndicatorValue]) -> list[rules.Point]:
    return [rules.Point(v.period_start, v.period_end, v.value, v.numerator, v.denominator) for v in values]


# --------------------------------------------------------------------------- evaluation


class Tree:
    """The plan as a tree with each indicator's definition and points, evaluated at any date."""

    def __init__(self, data: Loaded):
        self.data = data
        self.defs = {i.pk: definition_of(i, data.targets.get(i.pk, [])) for i in data.indicators}
        self.points = {i.pk: points_of(data.values.get(i.pk, [])) for i in data.indicators}
        self.by_criterion: dict[int, list[Indicator]] = defaultdict(list)
        for indicator in data.indicators:
            if indicator.criterion_id:
                self.by_criterion[indicator.criterion_id].append(indicator)
        self.by_objective: dict[int, list[Criterion]] = defaultdict(list)
        for criterion in data.criteria:
            self.by_objective[criterion.objective_id].append(criterion)
        self.by_ambition: dict[int, list[Objective]] = defaultdict(list)
        for objective in data.objectives:
            self.by_ambition[objective.ambition_id].append(objective)

    def indicator(self, indicator: Indicator, at: date) -> rules.Evaluation:
        return rules.evaluate(self.defs[indicator.pk], self.points[indicator.pk], at)

    def criterion(self, criterion: Criterion, at: date) -> rules.Rollup:
        kids = [self.indicator(i, at) for i in self.by_criterion[criterion.pk]]
        return rules.rollup(kids, weight=criterion.weight)

    def objective(self, objective: Objective, at: date) -> rules.Rollup:
        kids = [self.criterion(c, at) for c in self.by_objective[objective.pk]]
        return rules.rollup(kids, weight=objective.weight)

    def ambition(self, ambition: Ambition, at: date) -> rules.Rollup:
        kids = [self.objective(o, at) for o in self.by_ambition[ambition.pk]]
        return rules.rollup(kids, weight=ambition.weight)

    def plan(self, at: date) -> rules.Rollup:
        return rules.rollup([self.ambition(a, at) for a in self.data.ambitions])


def rollup_json(r: rules.Rollup) -> dict:
    return {
        "status": r.status.value,
        "status_label": status_label(r.status),
        "progress": num(rules.q2(r.progress)),
        "expected": num(rules.q2(r.expected)),
        "pace": num(rules.q2(r.pace)),
        "with_data": r.with_data,
        "total": r.total,
        "worst": r.worst.value,
        "worst_label": status_label(r.worst),
    }


def indicator_json(
    indicator: Indicator,
    defn: rules.Definition,
    pts: list[rules.Point],
    ev: rules.Evaluation,
    live: dict | None,
    has_action: bool,
) -> dict:
    final = defn.final_target
    source_unavailable = bool(indicator.is_computed and live is not None and not live["available"])
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "decimals": indicator.decimals,
        "kind": indicator.kind,
        "metric_code": indicator.metric_code,
        "source_unavailable": source_unavailable,
        "frequency": indicator.frequency,
        "grace_days": indicator.grace_days,
        "target_type": indicator.target_type,
        "status": ev.status.value,
        "status_label": status_label(ev.status),
        "colour": ev.colour.value if ev.colour else None,
        "error": ev.error.value if ev.error else None,
        "error_label": config_error_label(ev.error.value if ev.error else None),
        "actual": num(ev.actual),
        "actual_start": iso(ev.actual_start),
        "actual_end": iso(ev.actual_end),
        "progress": num(rules.q2(ev.progress.clamped)),
        "progress_raw": num(rules.q2(ev.progress.raw)),
        "overshoot": ev.progress.overshoot,
        "regression": ev.progress.regression,
        "expected": num(rules.q2(ev.expected)),
        "pace": num(rules.q2(ev.pace)),
        "outdated": ev.outdated,
        "trend_warning": ev.trend_warning,
        "forecast": num(rules.q2(ev.forecast)),
        "baseline": {"value": num(defn.baseline), "on": iso(defn.baseline_on)},
        "final_target": (
            {"on": iso(final.on), "value": num(final.value), "high": num(final.high)} if final is not None else None
        ),
        "targets": [[iso(t.on), num(t.value), num(t.high)] for t in sorted(defn.targets, key=lambda t: t.on)],
        "points": [[iso(p.start), iso(p.end), num(p.value)] for p in pts],
        "owner": person(indicator.owner),
        "live": (
            {"value": num(live["value"]), "start": iso(live["start"]), "end": iso(live["end"])}
            if live and live["available"] and live["value"] is not None
            else None
        ),
        "has_action": has_action,
        "criterion_id": indicator.criterion_id,
    }


# --------------------------------------------------------------------------- the one page


def _tile(ind: dict) -> dict:
    points = ind["points"]
    previous = Decimal(points[-2][2]) if len(points) >= 2 else None
    current = Decimal(points[-1][2]) if points else None
    value, as_of, live = current, ind["actual_end"], False
    if ind["live"] and (not points or ind["live"]["start"] > points[-1][1]):
        value, as_of, live = Decimal(ind["live"]["value"]), ind["live"]["end"], True
        previous = current
    delta, delta_pct = rules.change(previous, value)
    spark = [[p[1], p[2]] for p in points[-SPARK_POINTS:]]
    if live:
        spark.append([as_of, num(value)])
    return {
        "code": ind["code"],
        "name": ind["name"],
        "unit": ind["unit"],
        "decimals": ind["decimals"],
        "value": num(value),
        "as_of": as_of,
        "live": live,
        "change": num(rules.q2(delta)),
        "change_pct": num(rules.q2(delta_pct)),
        "spark": spark,
        "final_target": ind["final_target"],
        "status": ind["status"],
        "status_label": ind["status_label"],
        "trend_warning": ind["trend_warning"],
        "source_unavailable": ind["source_unavailable"],
    }


def _curve(ind: dict | None, annotations: list[Annotation], indicator_pk: int | None) -> dict | None:
    if ind is None:
        return None
    points = ind["points"]
    forecast = []
    final = ind["final_target"]
    if final and ind["forecast"] is not None and points:
        pts = [(date.fromisoformat(p[1]), Decimal(p[2])) for p in points]
        start_value = rules.forecast(pts, pts[-1][0])
        if start_value is not None:
            forecast = [[points[-1][1], num(rules.q2(start_value))], [final["on"], ind["forecast"]]]
    return {
        "code": ind["code"],
        "name": ind["name"],
        "unit": ind["unit"],
        "decimals": ind["decimals"],
        "status": ind["status"],
        "status_label": ind["status_label"],
        "actuals": [[p[1], p[2]] for p in points],
        "targets": [[t[0], t[1]] for t in ind["targets"]],
        "baseline": ind["baseline"],
        "forecast": forecast,
        "live": ind["live"],
        "annotations": [
            [iso(a.on), a.label]
            for a in annotations
            if a.indicator_id is None or (indicator_pk is not None and a.indicator_id == indicator_pk)
        ],
    }


def dashboard_figures(*, plan_code: str | None = None, today: date | None = None, curve: str | None = None) -> dict:
    """Everything the one-page dashboard shows, as JSON-ready data: built once per cache generation.

    Any write to a strategy object bumps the generation (services, and signals for admin edits), so a
    Bureau member never sees stale definitions; figures from other apps follow the live-value TTL.
    """
    today = today or timezone.localdate()
    return computed.cached(
        f"dashboard:{plan_code or '-'}:{today.isoformat()}:{curve or '-'}",
        lambda: _dashboard_figures(plan_code=plan_code, today=today, curve=curve),
    )


def _dashboard_figures(*, plan_code: str | None, today: date, curve: str | None) -> dict:
    """Builds the dashboard's data (fixed number of queries)."""
    data = load(plan_code)
    plan = data.plan
    tree = Tree(data)
    live = computed.live_values([i for i in data.indicators if i.is_computed], today)

    open_actions = {a.pk for a in data.actions if a.status in Action.OPEN}
    indicators = {}
    for indicator in data.indicators:
        ev = tree.indicator(indicator, today)
        has_action = bool(data.action_indicators.get(indicator.pk, set()) & open_actions)
        indicators[indicator.code] = indicator_json(
            indicator, tree.defs[indicator.pk], tree.points[indicator.pk], ev, live.get(indicator.code), has_action
        )

    codes_by_criterion = defaultdict(list)
    for indicator in data.indicators:
        if indicator.criterion_id:
            codes_by_criterion[indicator.criterion_id].append(indicator.code)

    ambitions = []
    for ambition in data.ambitions:
        objectives = []
        for objective in tree.by_ambition[ambition.pk]:
            criteria = [
                {
                    "id": criterion.pk,
                    "code": criterion.code,
                    "full_code": f"{objective.code}.{criterion.code}",
                    "statement": criterion.statement,
                    "rollup": rollup_json(tree.criterion(criterion, today)),
                    "indicators": codes_by_criterion[criterion.pk],
                    "to_instrument": not codes_by_criterion[criterion.pk],
                }
                for criterion in tree.by_objective[objective.pk]
            ]
            objectives.append(
                {
                    "code": objective.code,
                    "title": objective.title,
                    "description": objective.description,
                    "pilot": person(objective.pilot),
                    "axes": [axis.number for axis in objective.axes.all()],
                    "rollup": rollup_json(tree.objective(objective, today)),
                    "criteria": criteria,
                }
            )
        ambitions.append(
            {
                "code": ambition.code,
                "title": ambition.title,
                "statement": ambition.statement,
                "pilot": person(ambition.pilot),
                "rollup": rollup_json(tree.ambition(ambition, today)),
                "objectives": objectives,
            }
        )

    # heatmap: the objectives' status at the end of each review cycle that has started
    started = [c for c in data.cycles if c.starts_on <= today][-HEATMAP_CYCLES:]
    heatmap = {
        "cycles": [
            {"id": c.pk, "name": c.name, "ends_on": iso(c.ends_on), "closed": c.ends_on < today} for c in started
        ],
        "rows": [],
    }
    for objective in data.objectives:
        cells = []
        for cycle in started:
            at = min(cycle.ends_on, today)
            r = tree.objective(objective, at)
            checkin = data.checkins.get((objective.pk, cycle.pk))
            cells.append(
                {
                    "status": r.status.value,
                    "status_label": status_label(r.status),
                    "coverage": r.coverage,
                    "checkin": (
                        {
                            "status": checkin.status,
                            "status_label": status_label(checkin.status),
                            "confidence": checkin.confidence,
                        }
                        if checkin
                        else None
                    ),
                }
            )
        heatmap["rows"].append({"code": objective.code, "title": objective.title, "cells": cells})

    # header
    values_all = [v for vs in data.values.values() for v in vs]
    freshness = max((v.approved_at or v.entered_at for v in values_all), default=None)
    overdue = [
        code
        for code, ind in indicators.items()
        if ind["kind"] == Indicator.Kind.MANUAL
        and ind["target_type"] != Indicator.TargetType.TRACK
        and _overdue(ind, today, data)
    ]
    span = (plan.ends_on - plan.starts_on).days or 1
    elapsed = rules.clamp(Decimal((today - plan.starts_on).days) / Decimal(span) * 100)
    header = {
        "elapsed_pct": num(rules.q2(elapsed)),
        "freshness": iso(timezone.localtime(freshness)) if freshness else None,
        "criteria_total": len(data.criteria),
        "criteria_instrumented": sum(1 for c in data.criteria if codes_by_criterion[c.pk]),
        "indicators_total": len(data.indicators),
        "overdue_entries": len(overdue),
        "overdue_codes": overdue,
        "pending_approvals": data.pending,
        "plan_rollup": rollup_json(tree.plan(today)),
    }

    headline = sorted((i for i in data.indicators if i.is_headline), key=lambda i: (i.headline_position, i.code))
    tiles = [_tile(indicators[i.code]) for i in headline[:TILES]]

    chosen = None
    if curve and curve in indicators:
        chosen = curve
    elif plan.featured_indicator_id:
        chosen = next((i.code for i in data.indicators if i.pk == plan.featured_indicator_id), None)
    if chosen is None and headline:
        chosen = headline[0].code
    chosen_pk = next((i.pk for i in data.indicators if i.code == chosen), None)

    action_rows = []
    for action in data.actions:
        late = action.is_late(today)
        if late or action.status == Action.Status.BLOCKED:
            action_rows.append(
                {
                    "id": action.pk,
                    "title": action.title,
                    "owner": person(action.owner),
                    "due_on": iso(action.due_on),
                    "status": action.status,
                    "status_label": str(action.get_status_display()),
                    "late": late,
                }
            )
    red_without_action = [
        {"code": code, "name": ind["name"], "owner": ind["owner"], "pace": ind["pace"]}
        for code, ind in indicators.items()
        if (ind["status"] == rules.Status.OFF_TRACK or ind["colour"] == rules.Status.OFF_TRACK)
        and not ind["has_action"]
    ]

    return {
        "as_of": iso(today),
        "generated_at": iso(timezone.localtime()),
        "plan": {
            "code": plan.code,
            "name": plan.name,
            "vision": plan.vision,
            "starts_on": iso(plan.starts_on),
            "ends_on": iso(plan.ends_on),
            "is_current": plan.is_current,
        },
        "plans": [{"code": p.code, "name": p.name, "is_current": p.is_current} for p in data.all_plans],
        "header": header,
        "tiles": tiles,
        "ambitions": ambitions,
        "heatmap": heatmap,
        "curve": _curve(indicators.get(chosen) if chosen else None, data.annotations, chosen_pk),
        "curve_choices": [[i.code, i.name] for i in data.indicators if i.target_type != Indicator.TargetType.TRACK],
        "actions": action_rows,
        "red_without_action": red_without_action,
        "indicators": indicators,
    }


def _overdue(ind: dict, today: date, data: Loaded) -> bool:
    first = ind["baseline"]["on"] or data.plan.starts_on.isoformat()
    overdue_period = rules.latest_overdue_period(ind["frequency"], today, ind["grace_days"])
    if overdue_period[1].isoformat() < first:
        return False  # nothing was due yet
    last_end = date.fromisoformat(ind["actual_end"]) if ind["actual_end"] else None
    return rules.is_outdated(
        last_period_end=last_end, frequency=ind["frequency"], at=today, grace_days=ind["grace_days"]
    )


# --------------------------------------------------------------------------- community panel


@dataclass(frozen=True)
class Series:
    code: str
    label: str
    unit: str
    history: dict[int, Decimal] = field(default_factory=dict)


PANEL_METRICS = [
    # code, French label (when the registry lacks it), unit
    ("members.payers", "Cotisants", "count"),
    ("members.jp_payers", "Cotisants Jeunes Promotions", "count"),
    ("members.jp_share", "Part des JP parmi les cotisants", "percent"),
    ("members.returning", "Membres revenus après radiation", "count"),
    ("members.jp_uptake", "Diplômés ayant cotisé dans leurs trois premières années", "percent"),
    ("members.jp_to_full", "Anciens JP passés au tarif normal", "percent"),
    ("reminders.conversion", "Cotisations réglées dans les 30 jours après une relance", "percent"),
    ("volunteers.active", "Bénévoles actifs", "count"),
    ("volunteers.charter_signed_current", "Bénévoles ayant signé la charte en vigueur", "count"),
    ("entraide.given_or_lent_eur", "Entraide : montants donnés ou prêtés", "eur"),
    ("entraide.granted_eur", "Entraide : secours accordés", "eur"),
    ("entraide.lent_eur", "Entraide : prêts d'honneur accordés", "eur"),
    ("entraide.outstanding_eur", "Entraide : encours des prêts", "eur"),
    ("entraide.repayment_rate", "Entraide : taux de remboursement", "percent"),
    ("entraide.cases_in_arrears", "Entraide : dossiers en retard de remboursement", "count"),
]
FIRST_YEAR = 2017
# Breakdowns shown year by year (the members' figures) or for the current year only (the others:
# their breakdowns read every loan or engagement, once a year is enough for the Bureau).
BREAKDOWNS_OVER_YEARS = {
    "members.payers": ("campus", "promo_decade"),
    "members.jp_payers": ("jp_tier", "campus", "promo_decade"),
    "members.jp_share": ("campus", "promo_decade"),
    "members.returning": ("campus", "promo_decade"),
}
BREAKDOWNS_THIS_YEAR = ("campus", "promo_decade", "kind", "structure", "promotion")
BREAKDOWN_LABELS = {
    "campus": "Par campus",
    "promo_decade": "Par décennie de promotion",
    "jp_tier": "Par palier JP (années depuis le diplôme)",
    "kind": "Par nature de bénéficiaire",
    "structure": "Par type de structure",
    "promotion": "Par promotion (diplômés trois ans avant l'année)",
}


def _year_period(year: int, today: date) -> tuple[date, date]:
    return date(year, 1, 1), min(date(year, 12, 31), today)


def _breakdown_table(code: str, name: str, years: list[int], found: dict, today: date) -> dict | None:
    """One breakdown as a table: a row per group, a column per year, hidden groups counted per year."""
    columns = []
    for year in years:
        result = found.get((code, name, *_year_period(year, today)))
        if result is not None and (result[0] or result[1]):
            columns.append((year, result))
    if not columns:
        return None
    labels = sorted({label for _y, (groups, _h) in columns for label in groups})
    return {
        "name": name,
        "label": BREAKDOWN_LABELS.get(name, name),
        "years": [year for year, _r in columns],
        "rows": [[label, [num(groups.get(label)) for _y, (groups, _h) in columns]] for label in labels],
        # when every group of a year is hidden, only the total shows: how many groups it spans is not said
        "hidden": [hidden if groups else "all" for _y, (groups, hidden) in columns],
    }


def community_figures(*, today: date | None = None) -> dict:
    """Members, volunteers and entraide per year since 2017, through the metrics registry only.

    Official values stored for an indicator bound to the metric win; the figures of the 2019 annual
    report fill the years before the application; the registry fills the rest (cached). Breakdowns
    hide groups of fewer than 5 people and those that would give them away from the total shown.
    """
    today = today or timezone.localdate()
    stored: dict[str, dict[int, Decimal]] = defaultdict(dict)
    rows = (
        IndicatorValue.objects.filter(  # 1 query: yearly official values of indicators bound to a metric
            status=APPROVED, indicator__metric_code__in=[c for c, *_ in PANEL_METRICS]
        )
        .values_list(
            "indicator__metric_code",
            "indicator__frequency",
            "indicator__aggregation",
            "period_start",
            "period_end",
            "value",
            "numerator",
            "denominator",
        )
        .order_by("period_end")
    )
    grouped: dict[tuple[str, str], list[rules.Point]] = defaultdict(list)
    for code, _freq, how, start, end, value, numerator, denominator in rows:
        grouped[(code, how)].append(rules.Point(start, end, value, numerator, denominator))
    for (code, how), pts in grouped.items():
        stored[code].update(rules.by_year(pts, how))

    years = list(range(FIRST_YEAR, today.year + 1))

    def build() -> dict:
        available = {code: computed.metric_or_none(code) for code, *_ in PANEL_METRICS}
        wanted = [
            (code, *_year_period(year, today))
            for code, *_ in PANEL_METRICS
            if available[code]
            for year in years
            if year not in stored.get(code, {}) and year not in history.ANNUAL_REPORT_2019.get(code, {})
        ]
        results = computed.compute_cached(wanted)  # one pass per source and year
        asked = []
        for code, *_ in PANEL_METRICS:
            metric = available[code]
            if metric is None:
                continue
            names = [n for n in BREAKDOWNS_THIS_YEAR if n in _breakdown_names(metric)]
            asked += [(code, name, *_year_period(today.year, today)) for name in names]
            for name in BREAKDOWNS_OVER_YEARS.get(code, ()):
                asked += [(code, name, *_year_period(year, today)) for year in years]
        found = computed.breakdowns_many(asked)
        out = {}
        for code, label, unit in PANEL_METRICS:
            metric = available[code]
            values, sources = [], []
            for year in years:
                if year in stored.get(code, {}):
                    values.append(num(stored[code][year]))
                    sources.append("official")
                elif year in history.ANNUAL_REPORT_2019.get(code, {}):
                    values.append(num(history.ANNUAL_REPORT_2019[code][year]))
                    sources.append("report")
                elif metric is None:
                    values.append(None)
                    sources.append("")
                else:
                    result = results[(code, *_year_period(year, today))]
                    values.append(num(result.value))
                    if not result.available:
                        sources.append("")
                    else:
                        sources.append("live" if year == today.year else "registry")
            tables = []
            if metric is not None:
                over_years = BREAKDOWNS_OVER_YEARS.get(code, ())
                for name in dict.fromkeys([*over_years, *BREAKDOWNS_THIS_YEAR]):
                    if name not in over_years and name not in _breakdown_names(metric):
                        continue
                    table = _breakdown_table(code, name, years if name in over_years else [today.year], found, today)
                    if table is not None:
                        tables.append(table)
            out[code] = {
                "code": code,
                "label": metric.label if metric else label,
                "unit": unit,
                "available": metric is not None,
                "years": years,
                "values": values,
                "sources": sources,
                "breakdowns": tables,
            }
        return out

    stored_key = hashlib.sha256(repr(sorted((k, sorted(v.items())) for k, v in stored.items())).encode())
    series = computed.cached(f"community:{today.isoformat()}:{stored_key.hexdigest()[:16]}", build)
    return {"as_of": iso(today), "years": years, "series": series, "source_note": history.SOURCE_NOTE}


def _breakdown_names(metric) -> set[str]:
    from soce.lib import metrics

    names = set(metric.breakdowns)
    source = metrics.get_source(metric.source) if metric.source else None
    return names | set(source.breakdowns if source else ())


# --------------------------------------------------------------------------- board pack


def board_pack_figures(*, plan: Plan, today: date) -> dict:
    """The one page, each ambition's detail and the community panel, frozen for a Bureau meeting."""
    return {
        "dashboard": dashboard_figures(plan_code=plan.code, today=today),
        "community": community_figures(today=today),
    }


# --------------------------------------------------------------------------- drill-down and lists


def indicator_for(*, user, code: str) -> Indicator:
    """The indicator if `user` may see it (Bureau, strategy admin, owner, updater), else 404.

    Its updaters and axes are not fetched: the reference sheet that lists them is cached (see
    views.indicator), and an updater's rights are one EXISTS.
    """
    indicator = (
        Indicator.objects.select_related("plan", "owner", "criterion__objective__ambition").filter(code=code).first()
    )
    if indicator is None or not permissions.can_see_indicator(user, indicator):
        raise Http404("Indicateur introuvable")
    return indicator


def indicator_points(*, indicator: Indicator) -> list[rules.Point]:
    """The approved values of one indicator as points, oldest first (one light query)."""
    rows = (
        indicator.values.filter(status=APPROVED)
        .order_by("period_end")
        .values_list("period_start", "period_end", "value", "numerator", "denominator")
    )
    return [rules.Point(*row) for row in rows]


def indicator_figures(
    *,
    indicator: Indicator,
    points: list[rules.Point],
    targets: list[IndicatorTarget],
    actions: list[Action],
    today: date,
) -> tuple[dict, dict | None]:
    """What the indicator page shows of the dashboard (its summary and its curve), for this indicator alone.

    From its approved points and the rows the page reads anyway (its targets, its actions): one more
    query for the annotations, plus the live value of its source for a computed indicator (cached).
    """
    current = [t for t in targets if t.superseded_at is None]
    defn = definition_of(indicator, current)
    pts = points
    live = computed.live_values([indicator], today).get(indicator.code) if indicator.is_computed else None
    has_action = any(a.status in Action.OPEN for a in actions)
    summary = indicator_json(indicator, defn, pts, rules.evaluate(defn, pts, today), live, has_action)
    annotations = list(
        Annotation.objects.filter(plan_id=indicator.plan_id).filter(Q(indicator__isnull=True) | Q(indicator=indicator))
    )
    return summary, _curve(summary, annotations, indicator.pk)


def indicator_history(*, indicator: Indicator):
    """Every value ever entered, with who entered and approved it, corrections included."""
    return indicator.values.select_related("entered_by", "approved_by", "supersedes").order_by(
        "-period_start", "-entered_at"
    )


def indicator_targets_history(*, indicator: Indicator):
    return indicator.targets.select_related("set_by").order_by("target_on", "set_at", "pk")


def objective_for(*, user, code: str, plan: Plan) -> Objective:
    if not permissions.reads_all(user):
        raise Http404("Objectif introuvable")
    objective = Objective.objects.select_related("ambition", "pilot", "plan").filter(plan=plan, code=code).first()
    if objective is None:
        raise Http404("Objectif introuvable")
    return objective


def my_work(*, user, today: date | None = None) -> dict:
    """What a person has to do in the cockpit: values to enter, values to approve, check-ins, actions."""
    today = today or timezone.localdate()
    entering = list(
        Indicator.objects.filter(kind=Indicator.Kind.MANUAL)
        .filter(Q(updaters=user) | Q(owner=user))
        .select_related("plan", "owner")
        .distinct()
        .order_by("plan", "code")
    )
    filled = set(
        IndicatorValue.objects.filter(
            indicator__in=entering, status__in=[IndicatorValue.Status.APPROVED, IndicatorValue.Status.PENDING]
        ).values_list("indicator_id", "period_start")
    )
    due = []
    for indicator in entering:
        first = indicator.baseline_on or indicator.plan.starts_on
        for start, end in rules.periods_between(indicator.frequency, first, today):
            if start > today or (indicator.pk, start) in filled:
                continue
            if end < first:
                continue
            due_date = rules.due_on(end, indicator.grace_days)
            due.append(
                {"indicator": indicator, "start": start, "end": end, "due_on": due_date, "late": today > due_date}
            )
    due.sort(key=lambda d: d["due_on"])
    pending = IndicatorValue.objects.filter(status=IndicatorValue.Status.PENDING).exclude(entered_by=user)
    if not permissions.is_admin(user):
        pending = pending.filter(indicator__owner=user)
    approvals = list(pending.select_related("indicator", "entered_by", "supersedes").order_by("entered_at"))
    pilots = list(
        Objective.objects.filter(Q(pilot=user) | Q(ambition__pilot=user)).select_related("ambition", "plan").distinct()
    )
    actions = list(
        Action.objects.filter(Q(owner=user) | Q(team=user), status__in=Action.OPEN).select_related("plan").distinct()
    )
    return {"due": due, "approvals": approvals, "objectives": pilots, "actions": actions}


def actions_for(*, plan: Plan):
    return (
        plan.actions.select_related("owner")
        .prefetch_related("objectives", "indicators", "axes", "team")
        .annotate(update_count=Count("updates"))
        .order_by("status", "due_on", "title")
    )


def targets_for(*, plan: Plan):
    """Every target of the plan's indicators, superseded ones included (the target history)."""
    return (
        IndicatorTarget.objects.filter(indicator__plan=plan)
        .select_related("indicator", "set_by")
        .order_by("indicator__code", "target_on", "set_at", "pk")
    )


def checkins_for(*, plan: Plan):
    return (
        CheckIn.objects.filter(objective__plan=plan)
        .select_related("objective", "cycle", "by")
        .order_by("cycle__ends_on", "objective__code")
    )


def board_packs_for(*, plan: Plan):
    return plan.board_packs.select_related("created_by").order_by("-meeting_on", "-created_at")


def periods_open_for_entry(
    *, indicator: Indicator, today: date | None = None, limit: int = 24, values: list[IndicatorValue] | None = None
) -> list[tuple[date, date]]:
    """Periods (newest first) without a valid or pending value, from the baseline to today.

    `values`: the indicator's values when the caller has them already (no query then).
    """
    today = today or timezone.localdate()
    first = indicator.baseline_on or indicator.plan.starts_on
    held = [IndicatorValue.Status.APPROVED, IndicatorValue.Status.PENDING]
    if values is not None:
        filled = {v.period_start for v in values if v.status in held}
    else:
        filled = set(indicator.values.filter(status__in=held).values_list("period_start", flat=True))
    periods = [p for p in rules.periods_between(indicator.frequency, first, today) if p[0] not in filled]
    return list(reversed(periods))[:limit]
