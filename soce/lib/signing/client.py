"""Ce que les services de signature retiennent de la requête : IP, navigateur, façon de s'être connecté."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from soce.lib.audit import client_ip


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str = ""
    # allauth's record of how this session authenticated: [{"method": "password"|"mfa"|…, "at": …}]
    auth: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_request(cls, request) -> ClientInfo:
        if request is None:
            return cls()
        records = []
        try:
            raw = request.session.get("account_authentication_methods", [])
        except AttributeError:
            raw = []
        for item in raw or []:
            records.append({k: item[k] for k in ("method", "type", "at") if k in item})
        return cls(
            ip=client_ip(request),
            user_agent=(request.META.get("HTTP_USER_AGENT") or "")[:400],
            auth=records,
        )

    def auth_summary(self) -> dict[str, Any]:
        methods = sorted({r.get("method", "") for r in self.auth if r.get("method")})
        return {"session_methods": methods, "mfa": "mfa" in methods}
