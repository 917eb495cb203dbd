"""Transitions d'état : table explicite, compare-and-swap, ligne d'audit."""

from django.db.models import Q
from django.db.models.constraints import CheckConstraint
from django.utils import timezone

from .audit import audit_log
from .exceptions import ConcurrentChange, InvalidTransition


def status_constraint(choices, name: str, field: str = "status") -> CheckConstraint:
    """CheckConstraint restricting a status column to its enum values."""
    return CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


def can_transition(obj, to) -> bool:
    return to in obj.TRANSITIONS.get(obj.status, set())


def transition(obj, *, to, by, note: str = "", data: dict | None = None, request=None, **fields) -> None:
    """Moves obj.status to `to` if allowed and nobody moved it first; writes an audit row.

    Extra keyword fields are written in the same UPDATE (e.g. decided_at=...).
    """
    if not can_transition(obj, to):
        raise InvalidTransition(obj, to)
    now = timezone.now()
    values = {"status": to, **fields}
    if hasattr(obj, "status_changed_at"):
        values["status_changed_at"] = now
    changed = type(obj).objects.filter(pk=obj.pk, status=obj.status).update(**values)
    if changed != 1:  # someone else moved it first
        raise ConcurrentChange(obj)
    previous = obj.status
    for key, value in values.items():
        setattr(obj, key, value)
    audit_log(
        obj,
        action=f"status.{to}",
        by=by,
        note=note,
        data={"from": str(previous), "to": str(to), **(data or {})},
        request=request,
    )
