import pytest
from django.test import Client

from conftest import login_with_mfa, staff_user_with
from soce.lib import roles

pytestmark = pytest.mark.django_db


def test_staff_without_totp_is_sent_to_set_it_up():
    user = staff_user_with(roles.SECRETARIAT, "s1@exemple.fr", mfa=False)
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_staff_with_totp_but_no_second_factor_this_session_must_confirm():
    user = staff_user_with(roles.SECRETARIAT, "s2@exemple.fr")
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_staff_after_second_factor_reaches_the_admin():
    user = staff_user_with(roles.SECRETARIAT, "s3@exemple.fr")
    client = login_with_mfa(Client(), user)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Soce — administration" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_activating_totp_counts_as_second_factor():
    from conftest import totp_now

    user = staff_user_with(roles.SECRETARIAT, "s4@exemple.fr", mfa=False)
    client = login_with_mfa(Client(), user, mfa=False)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_members_can_enable_totp_too(member_client):
    assert member_client.get("/accounts/2fa/").status_code == 200
