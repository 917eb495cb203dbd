"""Données de démonstration : chaque app enregistre son semeur dans ready()."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seeder:
    name: str
    order: int
    run: Callable  # run(*, rng, stdout, options) -> None


_SEEDERS: dict[str, Seeder] = {}


def register(name: str, run: Callable, order: int = 50) -> None:
    _SEEDERS[name] = Seeder(name, order, run)


def seeders() -> list[Seeder]:
    return sorted(_SEEDERS.values(), key=lambda s: s.order)
