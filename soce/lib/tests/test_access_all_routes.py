"""Deny by default, proven on every route: only the listed public pages open without a login.

The walk covers every URL pattern of the project, so a view added later without a login check, or
marked public by mistake, makes this test fail.
"""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# (URL name, module of the view): the pages that answer without a login, and why.
EXPECTED_PUBLIC = {
    ("login", "django.contrib.admin.sites"),  # redirects to allauth's login (tested in test_access)
    ("account_login", "allauth.account.views"),
    ("account_logout", "allauth.account.views"),
    ("account_inactive", "allauth.account.views"),
    ("account_signup", "allauth.account.views"),
    ("account_email_verification_sent", "allauth.account.views"),
    ("account_reset_password", "allauth.account.views"),
    ("account_confirm_login_code", "allauth.account.views"),
    ("account_confirm_email", "allauth.account.views"),
    ("account_reset_password_from_key_done", "allauth.account.views"),
    ("account_reset_password_from_key", "allauth.account.views"),
    ("account_reset_password_done", "allauth.account.views"),
    ("mfa_authenticate", "allauth.mfa.base.views"),  # the second step of a login
    ("healthz", "soce.lib.views"),
    ("verify", "soce.lib.signing.views"),  # /verifier/: anyone checks a charter PDF
    ("result", "soce.lib.signing.views"),  # /verifier/<reference>/: the QR code's target
    ("root_pem", "soce.lib.signing.views"),  # /verifier/racine.pem: the published root certificate
    ("renew_token", "members.views"),  # signed link of the reminder e-mails
    ("unsubscribe", "members.views"),  # RFC 8058 one-click unsubscribe
}

CONVERTERS = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": str(uuid.uuid4())}


def _routes(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _is_public(pattern) -> bool:
    # What django.contrib.auth.middleware.LoginRequiredMiddleware reads.
    return not getattr(pattern.callback, "login_required", True)


def _sample_url(route: str) -> str | None:
    if "^" in route or "(?P" in route:  # a regular expression (allauth's keys): covered by the name check
        return None
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTERS.get(m.group(1) or "str", "x"), route)
    return "/" + url


def test_the_public_routes_are_exactly_the_expected_ones():
    public = {(p.name, p.callback.__module__) for _route, p in _routes() if _is_public(p)}
    assert public == EXPECTED_PUBLIC


def test_every_other_route_sends_anonymous_visitors_to_login(anon):
    checked = 0
    for route, pattern in _routes():
        if _is_public(pattern):
            continue
        url = _sample_url(route)
        if url is None:
            continue
        response = anon.get(url)
        assert response.status_code == 302, (url, response.status_code)
        location = response["Location"]
        assert location.startswith("/accounts/login/") or location.startswith("/admin/login/"), (url, location)
        checked += 1
    assert checked > 50  # the walk really walked
