"""Transitions d'état : table explicite, compare-and-swap, ligne d'audit."""

from django.db.models import Q
from django.db.models.constraints import CheckConstraint
from django.utils import timezone

from .audit import audit_log
from .exceptions import ConcurrentChange, InvalidTransition


def history_after_update(model, pks, *, by=None, reason: str = "") -> None:
    """Writes the django-simple-history rows that a queryset ``.update()`` skips (it sends no signal).

    For models without history this does nothing. The rows are read back after the UPDATE, so the history
    holds what the database holds (side effects: one SELECT and one bulk INSERT). `by` is the actor (a user,
    or None for a job; inside a request the history middleware's user is used then).
    """
    pks = list(pks)
    if not pks or not hasattr(model._meta, "simple_history_manager_attribute"):
        return
    from simple_history.utils import get_history_manager_for_model

    user = by if getattr(by, "is_authenticated", False) else None
    rows = list(model._default_manager.filter(pk__in=pks).order_by("pk"))
    get_history_manager_for_model(model).bulk_history_create(
        rows, update=True, default_user=user, default_change_reason=(reason or "")[:100]
    )


def status_constraint(choices, name: str, field: str = "status") -> CheckConstraint:
    """CheckConstraint restricting a status column to its enum values."""
    return CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


def can_transition(obj, to) -> bool:
    return to in obj.TRANSITIONS.get(obj.status, set())


def transition(obj, *, to, by, note: str = "", data: dict | None = None, request=None, **fields) -> None:
    """Moves obj.status to `to` if allowed and nobody moved it first; writes an audit row (and a history row
    for models with django-simple-history).

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
    # The compare-and-swap UPDATE bypasses save(): record the change in the model's history, if it has one.
    history_after_update(type(obj), [obj.pk], by=by, reason=note or f"{previous} → {to}")
    audit_log(
        obj,
        action=f"status.{to}",
        by=by,
        note=note,
        data={"from": str(previous), "to": str(to), **(data or {})},
        request=request,
    )
