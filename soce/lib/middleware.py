from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .mfa import staff_mfa_missing


class StaffMFARequiredMiddleware:
    """Staff reach /admin/ only after TOTP is set up and used in this session."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None

    def __call__(self, request):
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        user = getattr(request, "user", None)
        if request.path.startswith(self._admin_prefix) and user is not None and user.is_authenticated and user.is_staff:
            missing = staff_mfa_missing(request)
            if missing == "setup":
                messages.warning(
                    request,
                    _("L'accès à l'administration exige la double authentification : activez-la pour continuer."),
                )
                return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
            if missing == "verify":
                messages.info(request, _("Confirmez votre identité avec votre code de double authentification."))
                return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
