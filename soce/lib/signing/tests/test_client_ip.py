"""The visitor's address behind reverse proxies: one helper for the evidence log, the audit and the rate limit."""

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from soce.lib.audit import client_ip
from soce.lib.signing.client import ClientInfo

XFF = "192.0.2.66, 203.0.113.9, 198.51.100.7"  # forged by the client, then the visitor, then a CDN


def _request(xff: str | None = XFF, remote: str = "10.0.0.1"):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("trusted", "expected"),
    [(0, "10.0.0.1"), (1, "198.51.100.7"), (2, "203.0.113.9"), (3, "192.0.2.66"), (4, "10.0.0.1")],
)
def test_only_the_trusted_hops_of_x_forwarded_for_are_believed(settings, trusted, expected):
    settings.SOCE_TRUSTED_PROXY_COUNT = trusted
    assert client_ip(_request()) == expected


def test_default_is_the_direct_peer_whatever_the_header_says(settings):
    del settings.SOCE_TRUSTED_PROXY_COUNT
    assert client_ip(_request()) == "10.0.0.1"


def test_garbage_and_ports_are_handled(settings):
    settings.SOCE_TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("203.0.113.9:51234")) == "203.0.113.9"
    assert client_ip(_request("[2001:db8::1]:443")) == "2001:db8::1"
    assert client_ip(_request("not-an-ip")) == "10.0.0.1"
    assert client_ip(_request(None)) == "10.0.0.1"
    assert client_ip(_request(None, remote="")) is None
    assert client_ip(None) is None


def test_the_evidence_log_records_the_visitor_not_the_proxy(settings):
    settings.SOCE_TRUSTED_PROXY_COUNT = 1
    assert ClientInfo.from_request(_request("203.0.113.9")).ip == "203.0.113.9"


@pytest.mark.django_db
def test_the_verification_rate_limit_counts_each_visitor_behind_the_proxy(settings, client):
    settings.SOCE_TRUSTED_PROXY_COUNT = 1
    cache.clear()

    def post(visitor):
        return client.post("/verifier/", {"reference": "nope"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=visitor)

    for _ in range(30):
        post("203.0.113.9")
    limited = client.get(post("203.0.113.9")["Location"]).content.decode()
    assert "Trop de vérifications" in limited
    other = post("198.51.100.7")
    assert "Trop de vérifications" not in client.get(other.get("Location", "/verifier/")).content.decode()
