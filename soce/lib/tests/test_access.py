"""Deny by default: everything needs a login except the public pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/healthz",
]
PRIVATE = ["/", "/accounts/email/", "/accounts/password/change/", "/accounts/2fa/"]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_open_to_anonymous(anon, url):
    assert anon.get(url).status_code == 200


@pytest.mark.parametrize("url", PRIVATE)
def test_private_pages_send_anonymous_to_login(anon, url):
    response = anon.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_login_goes_through_allauth(anon):
    response = anon.get("/admin/")
    assert response.status_code == 302
    follow = anon.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith("/accounts/login/")


def test_member_is_refused_the_admin(member_client):
    assert member_client.get("/admin/").status_code in (302, 403)
    assert member_client.get("/admin/login/").status_code == 403


def test_unknown_page_is_a_french_404(member_client):
    response = member_client.get("/nexiste-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_home_shows_the_navigation_of_a_member(member_client, member):
    html = member_client.get("/").content.decode()
    assert "Mon espace" in html
    assert 'href="#contenu"' in html  # skip link
    assert "<main" in html and "<nav" in html
    assert "Pilotage" not in html
    assert "Administration" not in html
    assert member.promo_label in html


def test_audit_admin_hides_the_confidential_entraide_trail(staff_client):
    from django.contrib.contenttypes.models import ContentType

    from soce.lib.models import AuditEvent

    entraide_type = ContentType.objects.filter(app_label="entraide").first()
    AuditEvent.objects.create(
        action="status.rejected", content_type=entraide_type, object_id="1", note="Motif confidentiel"
    )
    AuditEvent.objects.create(action="payment.record", note="Visible")
    html = staff_client.get("/admin/core/auditevent/").content.decode()
    assert "Visible" in html and "Motif confidentiel" not in html
