"""Journal d'audit : une ligne par action sensible, jamais modifiée."""

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEvent


def _ip_or_none(value: str | None) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.9:51234"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The visitor's address, for the audit and evidence logs and the rate limits.

    REMOTE_ADDR by default. Behind N reverse proxies that each append the address they saw to
    X-Forwarded-For (settings.SOCE_TRUSTED_PROXY_COUNT = N), the visitor is the N-th entry from the
    right: whatever lies further left was written by the client and is not trusted.
    """
    if request is None:
        return None
    remote = _ip_or_none(request.META.get("REMOTE_ADDR"))
    trusted = int(getattr(settings, "SOCE_TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < trusted:  # the header did not come through all our proxies
        return remote
    return _ip_or_none(hops[-trusted]) or remote


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
