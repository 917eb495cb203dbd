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


def breakdown(code: str, name: str, start: date, end: date) -> tuple[dict[str, Decimal], int] | None:
    """A metric's breakdown with small groups hidden; None when unavailable."""
    metric = metric_or_none(code)
    if metric is None or name not in metric.breakdowns:
        return None
    try:
        raw = metric.breakdowns[name](start, end)
    except Exception:  # same reason as compute()
        logger.exception("Ventilation %s/%s en échec", code, name)
        return None
    groups = {str(k): to_decimal(v) for k, v in raw.items() if v is not None}
    if metric.unit == "count":
        visible, hidden = rules.suppress_small_groups(groups)
        return {k: Decimal(v) for k, v in visible.items()}, hidden
    return {k: v for k, v in groups.items() if v is not None}, 0


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


def cached(key: str, build, ttl: int = LIVE_TTL):
    """Returns the cached result of build() under the current generation."""
    full_key = f"strategy:{generation()}:{key}"
    hit = cache.get(full_key)
    if hit is not None:
        return hit
    value = build()
    cache.set(full_key, value, ttl)
    return value


def live_values(indicators: Iterable, today: date) -> dict[str, dict]:
    """The live value of each computed indicator over its current, still open period (cached)."""
    wanted = sorted((i.code, i.metric_code, i.frequency) for i in indicators if i.metric_code)
    digest = hashlib.sha256(repr(wanted).encode()).hexdigest()[:16]

    def build() -> dict[str, dict]:
        out = {}
        for code, metric_code, frequency in wanted:
            start, _end = rules.period_of(frequency, today)
            result = compute(metric_code, start, today)
            out[code] = {
                "value": result.value,
                "start": start,
                "end": today,
                "available": result.available,
                "problem": result.problem,
                "version": result.version,
            }
        return out

    return cached(f"live:{today.isoformat()}:{digest}", build)
