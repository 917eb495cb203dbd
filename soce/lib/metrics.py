"""Registre des indicateurs calculés : chaque app déclare ses fonctions, la stratégie les lit.

Une fonction d'indicateur reçoit une période (dates incluses) et rend une valeur (Decimal ou int)
ou None quand il n'y a pas de donnée. Elle ne doit jamais révéler une personne : les ventilations
sur moins de `MIN_GROUP_SIZE` personnes sont masquées par l'appelant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class Metric:
    code: str  # e.g. "members.payers"
    label: str  # French
    unit: str  # "count", "percent", "eur", "ratio", "bool"
    func: Callable[[date, date], Decimal | int | None]
    aggregation: str = "last"  # "sum" for flows, "last" for stocks, "ratio" for percentages
    version: int = 1  # bump when the definition changes
    description: str = ""
    # Optional breakdowns: name ("campus", "promo_decade", "kind"…) -> func(start, end) -> {label: value}.
    # Each returns counts or amounts per group; groups of fewer than MIN_GROUP_SIZE people must be
    # left out by the function itself (it knows the head counts).
    breakdowns: dict[str, Callable[[date, date], dict[str, Decimal | int]]] = field(default_factory=dict)


_METRICS: dict[str, Metric] = {}


def register(metric: Metric) -> None:
    _METRICS[metric.code] = metric


def get(code: str) -> Metric:
    return _METRICS[code]


def all_metrics() -> list[Metric]:
    return sorted(_METRICS.values(), key=lambda m: m.code)
