"""Indicateurs calculés : lecture du registre `soce.lib.metrics`, empreintes, cache invalidé explicitement.

La stratégie ne lit les chiffres des autres apps qu'à travers ce registre. Un code absent du
registre (app pas encore livrée, indicateur retiré) est « source indisponible », jamais zéro.
Les valeurs en direct sont mises en cache sous une génération : tout service qui change ce que
le tableau de bord montre appelle `invalidate()`, et un délai borne de toute façon leur âge.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.cache import cache

from soce.lib import metrics

from . import rules

logger = logging.getLogger(__name__)
GENERATION_KEY = "strategy:generation"
LIVE_TTL = 15 * 60  # seconds: a live value is at most this old even without invalidation
UNAVAILABLE = "unavailable"
FAILED = "failed"


@dataclass(frozen=True)
class Computation:
    value: Decimal | None
    available: bool
    version: int | None = None
    problem: str = ""  # UNAVAILABLE (code not registered) or FAILED (the function raised)


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def invalidate() -> None:
    """Forgets every cached live value (side effect: bumps the cache generation)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


def metric_or_none(code: str) -> metrics.Metric | None:
    try:
        return metrics.get(code)
    except KeyError:
        return None


def to_decimal(raw) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, float):
        raise TypeError("float interdit pour un indicateur : rendre un Decimal ou un int")
    if isinstance(raw, bool):
        return Decimal(int(raw))
    return Decimal(raw)


def compute(code: str, start: date, end: date) -> Computation:
    """Calls the registered function for [start, end]; a missing code or a failure is not a value."""
    metric = metric_or_none(code)
    if metric is None:
        return Computation(None, False, problem=UNAVAILABLE)
    try:
        value = to_decimal(metric.func(start, end))
    except Exception:  # another app's bug must not take the Bureau's dashboard down
        logger.exception("Indicateur calculé %s en échec pour %s–%s", code, start, end)
        return Computation(None, False, metric.version, FAILED)
    return Computation(value, True, metric.version)


def compute_many(wanted: Iterable[tuple[str, date, date]]) -> dict[tuple[str, date, date], Computation]:
    """Computes many (metric, start, end) at once: one pass per source and period, not one per metric.

    Metrics of the same source (the dues, the loans…) asked for the same period share one call of the
    source; a metric without a source is computed on its own. Same guarantees as `compute()`.
    """
    out: dict[tuple[str, date, date], Computation] = {}
    by_source: dict[tuple[str, date, date], list[metrics.Metric]] = defaultdict(list)
    for code, start, end in dict.fromkeys(wanted):
        metric = metric_or_none(code)
        source = metrics.get_source(metric.source) if metric is not None and metric.source else None
        if source is None:
            out[(code, start, end)] = compute(code, start, end)
        else:
            by_source[(source.code, start, end)].append(metric)
    for (source_code, start, end), members in by_source.items():
        try:
            raw = metrics.get_source(source_code).values(start, end)
            values = {
                m.code: to_decimal(raw[m.code]) if m.code in raw else to_decimal(m.func(start, end)) for m in members
            }
        except Exception:  # same reason as compute()
            logger.exception("Source %s en échec pour %s–%s", source_code, start, end)
            for m in members:
                out[(m.code, start, end)] = Computation(None, False, m.version, FAILED)
            continue
        for m in members:
            out[(m.code, start, end)] = Computation(values[m.code], True, m.version)
    return out


def compute_cached(wanted: Iterable[tuple[str, date, date]]) -> dict[tuple[str, date, date], Computation]:
    """`compute_many()` through the cache: one entry per source (or lone metric) and period.

    The dashboard, an indicator page and the community panel then share what any of them computed,
    and a page that shows one indicator only computes that indicator's source.
    """
    wanted = list(dict.fromkeys(wanted))
    units: dict[str, list[tuple[str, date, date]]] = defaultdict(list)
    for code, start, end in wanted:
        metric = metric_or_none(code)
        unit = f"src:{metric.source}" if metric is not None and metric.source else f"metric:{code}"
        units[f"live:{unit}:{start.isoformat()}:{end.isoformat()}"].append((code, start, end))
    keys = {unit: _full_key(unit) for unit in units}
    hits = cache.get_many(list(keys.values())) if keys else {}
    out: dict[tuple[str, date, date], Computation] = {}
    missing: list[str] = []
    for unit, items in units.items():
        stored = hits.get(keys[unit])
        if stored is not None and all(item in stored for item in items):
            out.update({item: stored[item] for item in items})
        else:
            missing.append(unit)
    if missing:
        fresh = compute_many([item for unit in missing for item in _unit_items(unit, units[unit])])
        to_store = {}
        for unit in missing:
            part = {item: fresh[item] for item in _unit_items(unit, units[unit])}
            to_store[keys[unit]] = part
            out.update({item: part[item] for item in units[unit]})
        cache.set_many(to_store, LIVE_TTL)
    return out


def _unit_items(unit: str, items: list[tuple[str, date, date]]) -> list[tuple[str, date, date]]:
    """A source's entry holds all its metrics for the period, so the next reader finds its own there."""
    if not unit.startswith("live:src:"):
        return items
    _code, start, end = items[0]
    source = unit.split(":")[2]
    siblings = [m.code for m in metrics.all_metrics() if m.source == source]
    return [(code, start, end) for code in dict.fromkeys([*(i[0] for i in items), *siblings])]


KINDS = {"count": rules.CellKind.COUNT, "eur": rules.CellKind.AMOUNT, "percent": rules.CellKind.RATIO}


def _cell(raw, kind: rules.CellKind) -> rules.Cell | None:
    if raw is None:
        return None
    if isinstance(raw, metrics.Group):
        if raw.value is None:
            return None
        return rules.Cell(to_decimal(raw.value), int(raw.people), raw.numerator, raw.denominator)
    # A bare figure (an app not yet giving head counts) is a head count only for a count; otherwise
    # nobody knows how many people it rests on, and it is hidden.
    value = to_decimal(raw)
    return rules.Cell(value, int(value) if kind == rules.CellKind.COUNT else 0)


def suppressed(metric: metrics.Metric, raw: dict) -> tuple[dict[str, Decimal], int]:
    """A breakdown as shown: groups of fewer than 5 people hidden, and those that would give them away."""
    kind = KINDS.get(metric.unit, rules.CellKind.AMOUNT)
    cells = {str(k): c for k, v in raw.items() if (c := _cell(v, kind)) is not None}
    visible, hidden = rules.suppress_cells(cells, kind)
    return {k: c.value for k, c in visible.items()}, hidden


def breakdowns_many(
    wanted: Iterable[tuple[str, str, date, date]],
) -> dict[tuple[str, str, date, date], tuple[dict[str, Decimal], int] | None]:
    """Breakdowns (metric, name, start, end) with small groups suppressed; None when unavailable.

    A source's breakdown gives every metric of the source in one call, made once per period.
    """
    out: dict[tuple[str, str, date, date], tuple[dict[str, Decimal], int] | None] = {}
    source_calls: dict[tuple[str, str, date, date], dict | None] = {}
    for code, name, start, end in dict.fromkeys(wanted):
        metric = metric_or_none(code)
        source = metrics.get_source(metric.source) if metric is not None and metric.source else None
        raw = None
        try:
            if source is not None and name in source.breakdowns:
                key = (source.code, name, start, end)
                if key not in source_calls:
                    source_calls[key] = source.breakdowns[name](start, end)
                raw = (source_calls[key] or {}).get(code)
            elif metric is not None and name in metric.breakdowns:
                raw = metric.breakdowns[name](start, end)
        except Exception:  # same reason as compute()
            logger.exception("Ventilation %s/%s en échec", code, name)
            if source is not None:
                source_calls[(source.code, name, start, end)] = None
            raw = None
        out[(code, name, start, end)] = suppressed(metric, raw) if raw is not None else None
    return out


def breakdown(code: str, name: str, start: date, end: date) -> tuple[dict[str, Decimal], int] | None:
    """A metric's breakdown with small groups hidden; None when unavailable."""
    return breakdowns_many([(code, name, start, end)])[(code, name, start, end)]


def fingerprint(*, indicator_code: str, metric_code: str, start: date, end: date, value: Decimal) -> str:
    """SHA-256 of what an official value rests on: definition (code, version, wording), period, value."""
    metric = metric_or_none(metric_code)
    payload = {
        "indicator": indicator_code,
        "metric": metric_code,
        "version": metric.version if metric else None,
        "label": metric.label if metric else "",
        "description": metric.description if metric else "",
        "aggregation": metric.aggregation if metric else "",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "value": format(value, "f"),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _full_key(key: str) -> str:
    return f"strategy:{generation()}:{key}"


def cached(key: str, build, ttl: int = LIVE_TTL):
    """Returns the cached result of build() under the current generation."""
    full_key = _full_key(key)
    hit = cache.get(full_key)
    if hit is not None:
        return hit
    value = build()
    cache.set(full_key, value, ttl)
    return value


def live_values(indicators: Iterable, today: date) -> dict[str, dict]:
    """The live value of each computed indicator over its current, still open period (cached per source)."""
    wanted = sorted((i.code, i.metric_code, i.frequency) for i in indicators if i.metric_code)
    periods = {code: rules.period_of(frequency, today)[0] for code, _m, frequency in wanted}
    results = compute_cached((metric_code, periods[code], today) for code, metric_code, _f in wanted)
    out = {}
    for code, metric_code, _frequency in wanted:
        result = results[(metric_code, periods[code], today)]
        out[code] = {
            "value": result.value,
            "start": periods[code],
            "end": today,
            "available": result.available,
            "problem": result.problem,
            "version": result.version,
        }
    return out
