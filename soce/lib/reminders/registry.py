"""Registre des règles d'audience des relances."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recipient:
    key: str  # unique within a step: who, and for rolling steps which milestone ("member-42", "review-7:j+7")
    to: str
    context: dict[str, Any] = field(default_factory=dict)
    related: Any = None  # a model instance, optional
    member_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


@dataclass(frozen=True)
class AudienceRule:
    code: str  # "<app>.<rule>"
    label: str  # French, shown in the admin
    build: Callable[[Any, Any], Iterable[Recipient]]  # build(step, today) -> recipients
    params_help: str = ""  # which keys of Step.params the rule reads, in French
    # conversion(step) -> how many recipients did what the e-mail asked within 30 days (optional)
    conversion: Callable[[Any], int] | None = None
    # count(step, today) -> audience size without building e-mails (optional, for previews)
    count: Callable[[Any, Any], int] | None = None


_RULES: dict[str, AudienceRule] = {}


def register(rule: AudienceRule) -> None:
    _RULES[rule.code] = rule


def get_rule(code: str) -> AudienceRule:
    return _RULES[code]


def rule_choices() -> list[tuple[str, str]]:
    return sorted(((r.code, r.label) for r in _RULES.values()), key=lambda c: c[1])
