"""Registre des indicateurs calculés : chaque app déclare ses fonctions, la stratégie les lit.

Une fonction d'indicateur reçoit une période (dates incluses) et rend une valeur (Decimal ou int)
ou None quand il n'y a pas de donnée. Elle ne doit jamais révéler une personne.

Ventilations : l'app rend TOUS les groupes, chacun avec son effectif (`Group`), et c'est le
lecteur (le pilotage) qui masque les groupes de moins de `MIN_GROUP_SIZE` personnes, plus ceux
qu'il faut masquer pour qu'aucun groupe masqué ne se déduise du total (masquage secondaire) :
seul le lecteur sait ce qui est affiché à côté.

Sources : plusieurs indicateurs lus dans les mêmes lignes (cotisations, prêts…) se calculent en
un passage. Une `Source` rend d'un coup les valeurs de tous ses indicateurs pour une période ;
un indicateur la désigne par `Metric.source`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

MIN_GROUP_SIZE = 5


class Group(NamedTuple):
    """One group of a breakdown: its figure and how many distinct people it rests on."""

    value: Decimal | int | None
    people: int
    numerator: int | None = None  # for a percentage: the people counted…
    denominator: int | None = None  # …out of these


Breakdown = Callable[[date, date], Mapping[str, Group]]


@dataclass(frozen=True)
class Metric:
    code: str  # e.g. "members.payers"
    label: str  # French
    unit: str  # "count", "percent", "eur", "ratio", "bool"
    func: Callable[[date, date], Decimal | int | None]
    aggregation: str = "last"  # "sum" for flows, "last" for stocks, "ratio" for percentages
    version: int = 1  # bump when the definition changes
    description: str = ""
    # Optional breakdowns: name ("campus", "promo_decade", "kind"…) -> func(start, end) -> {label: Group}.
    # Every group is returned with its head count, small ones included: the reader suppresses.
    breakdowns: dict[str, Breakdown] = field(default_factory=dict)
    source: str = ""  # code of the Source that computes it with its siblings in one pass


@dataclass(frozen=True)
class Source:
    code: str  # e.g. "members.dues"
    # values(start, end) -> {metric code: value} for every metric of the source, in a fixed number of queries
    values: Callable[[date, date], Mapping[str, Decimal | int | None]]
    # name -> func(start, end) -> {metric code: {label: Group}}: a breakdown of every metric of the source at once
    breakdowns: dict[str, Callable[[date, date], Mapping[str, Mapping[str, Group]]]] = field(default_factory=dict)


_METRICS: dict[str, Metric] = {}
_SOURCES: dict[str, Source] = {}


def register(metric: Metric) -> None:
    _METRICS[metric.code] = metric


def get(code: str) -> Metric:
    return _METRICS[code]


def all_metrics() -> list[Metric]:
    return sorted(_METRICS.values(), key=lambda m: m.code)


def register_source(source: Source) -> None:
    _SOURCES[source.code] = source


def get_source(code: str) -> Source | None:
    return _SOURCES.get(code)
