"""Double authentification obligatoire pour le personnel avant l'administration."""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.utils import is_mfa_enabled


def session_used_mfa(request) -> bool:
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, request.user))


def staff_mfa_missing(request) -> str | None:
    """None when the staff member may enter the admin, else the reason ('setup' or 'verify')."""
    user = request.user
    if not is_mfa_enabled(user):
        return "setup"
    if not session_used_mfa(request):
        return "verify"
    return None


def record_mfa_on_activation(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP proves possession of the device: count it as MFA for this session."""
    if request is not None and getattr(request, "user", None) == user:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True)
