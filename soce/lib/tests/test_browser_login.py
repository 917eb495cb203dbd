import pytest

from conftest import browser_login, staff_user_with
from soce.lib import roles


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_signs_in_with_totp_through_the_real_pages_and_reaches_the_admin(page):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    user = staff_user_with(roles.SECRETARIAT, "secretariat@exemple.fr")
    secret = decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"])
    page.goto("/admin/")
    assert "/accounts/login/" in page.url
    browser_login(page, user.email, totp_secret=secret, next_url="/admin/")
    page.wait_for_url("**/admin/")
    assert "Soce — administration" in page.locator("#site-name").inner_text()
    assert "Back-office" in page.content()
