"""Entrées de navigation du portail : chaque app enregistre les siennes dans ready()."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    icon: str
    order: int = 50
    visible: Callable = field(default=lambda user: True)


_ITEMS: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _ITEMS[item.key] = item


def items_for(user) -> list[NavItem]:
    return sorted((i for i in _ITEMS.values() if i.visible(user)), key=lambda i: i.order)
