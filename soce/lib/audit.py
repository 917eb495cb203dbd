"""Journal d'audit : une ligne par action sensible, jamais modifiée."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEvent


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_log(
    obj: models.Model | None,
    *,
    action: str,
    by=None,
    note: str = "",
    data: dict[str, Any] | None = None,
    request=None,
) -> AuditEvent:
    """Writes one AuditEvent row (side effect: one INSERT)."""
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_repr=(str(actor) if actor else (str(by) if by else "système"))[:255],
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        note=note,
        data=data or {},
        ip=client_ip(request),
    )


def audit_for(obj: models.Model):
    """The audit trail of one object, newest first."""
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
