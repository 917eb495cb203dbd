"""Who may download a sealed charter: its parties from the portal; staff only behind the second factor."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login_with_mfa, staff_user_with
from soce.lib import roles
from soce.lib.audit import audit_for

from .ceremony import representative_countersigns, volunteer_signs

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(
    volunteer_client,
    volunteer_member,
    engagement,
    v8,
    representative_client,
    representative_user,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        signature = volunteer_signs(volunteer_client, volunteer_member)
        representative_countersigns(representative_client, signature, representative_user.email)
    signature.refresh_from_db()
    assert signature.document.is_sealed
    return signature


def _pdf(client, signature):
    return client.get(reverse("volunteers:charter_pdf", args=[signature.public_id]))


@pytest.mark.parametrize("role", [roles.BENEVOLAT, roles.BUREAU])
def test_staff_without_the_second_factor_cannot_download_from_the_portal(sealed, role):
    user = staff_user_with(role, "equipe@exemple.fr")
    password_only = login_with_mfa(Client(), user, mfa=False)
    assert _pdf(password_only, sealed).status_code == 404
    # The admin's copy asks for the second factor first.
    admin_url = reverse("admin:volunteers_chartersignature_pdf", args=[sealed.pk])
    response = password_only.get(admin_url)
    assert response.status_code == 302 and reverse("mfa_reauthenticate") in response["Location"]
    assert not audit_for(sealed).filter(action="charter.pdf_downloaded").exists()


@pytest.mark.parametrize("role", [roles.BENEVOLAT, roles.BUREAU])
def test_staff_with_the_second_factor_download_and_it_is_audited(sealed, role):
    user = staff_user_with(role, "equipe@exemple.fr")
    verified = login_with_mfa(Client(), user)
    response = _pdf(verified, sealed)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    admin_url = reverse("admin:volunteers_chartersignature_pdf", args=[sealed.pk])
    assert verified.get(admin_url).content == response.content
    assert audit_for(sealed).filter(action="charter.pdf_downloaded", actor=user).count() == 2


def test_the_admin_list_links_to_the_admin_copy(sealed):
    client = login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "equipe@exemple.fr"))
    page = client.get(reverse("admin:volunteers_chartersignature_changelist")).content.decode()
    assert reverse("admin:volunteers_chartersignature_pdf", args=[sealed.pk]) in page
    assert reverse("volunteers:charter_pdf", args=[sealed.public_id]) not in page


def test_the_parties_download_from_the_portal_as_before(
    sealed, volunteer_client, representative_client, other_member_client
):
    assert _pdf(volunteer_client, sealed).status_code == 200
    assert _pdf(representative_client, sealed).status_code == 200
    assert _pdf(other_member_client, sealed).status_code == 404
    assert not audit_for(sealed).filter(action="charter.pdf_downloaded").exists()
