"""Registre des règles d'audience des relances."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recipient:
    key: str  # unique within a step: who, and for rolling steps which milestone ("member-42", "review-7:j+7")
    to: str
    context: dict[str, Any] = field(default_factory=dict)
    related: Any = None  # a model instance, optional
    member_id: int | None = None  # a members.Member id: results, conversion, and opting out of reminders
    headers: dict[str, str] = field(default_factory=dict)  # extra headers (List-Unsubscribe is the engine's)


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
    # recheck(step, recipient_key, member_id, today) -> "" while the recipient still belongs to the
    # audience, else why not (French, recorded on the e-mail). The worker asks it just before each
    # planned e-mail leaves (a throttled step can take hours), and cancels the e-mail when it answers.
    # Optional: without it, the audience computed when the step was planned stands.
    recheck: Callable[[Any, str, int | None, Any], str] | None = None


@dataclass(frozen=True)
class OptOut:
    """How members stop reminders (registered once, by the app that owns members).

    The engine uses it for every reminder step (`Step.is_reminder`) and each recipient that has a
    `member_id`: opted-out members are left out (when planned and again when sent), and the e-mail
    carries `List-Unsubscribe` with one-click unsubscribe (RFC 8058) and `unsubscribe_url` in its context.
    """

    opted_out: Callable[[Collection[int]], set[int]]  # which of these member ids stopped reminders
    unsubscribe_urls: Callable[[Collection[int]], dict[int, str]]  # member id -> absolute one-click link


_RULES: dict[str, AudienceRule] = {}
_OPT_OUT: list[OptOut] = []


def register(rule: AudienceRule) -> None:
    _RULES[rule.code] = rule


def get_rule(code: str) -> AudienceRule:
    return _RULES[code]


def find_rule(code: str) -> AudienceRule | None:
    return _RULES.get(code)


def register_opt_out(opt_out: OptOut) -> None:
    _OPT_OUT[:] = [opt_out]


def get_opt_out() -> OptOut | None:
    return _OPT_OUT[0] if _OPT_OUT else None


def rule_choices() -> list[tuple[str, str]]:
    return sorted(((r.code, r.label) for r in _RULES.values()), key=lambda c: c[1])
