"""Profile (/profil/) and privacy (/profil/confidentialite/): one's own record only, French errors, history, audit."""

import pytest
from django.urls import reverse

from members.models import Member
from soce.lib.models import AuditEvent

PROFILE = reverse("profile")
PRIVACY = reverse("privacy")

VALID = {
    "email": "nouvelle@exemple.fr",
    "email_alt": "",
    "phone": "+41 22 123 45 67",
    "address_line1": "12 rue du Rhône",
    "address_line2": "",
    "postal_code": "1204",
    "city": "Genève",
    "country": "CH",
    "employer": "CERN",
    "position": "Ingénieur",
    "sector": "Recherche",
}


@pytest.mark.parametrize("url", [PROFILE, PRIVACY, reverse("my_data")])
def test_anonymous_is_sent_to_login(anon, url):
    assert anon.get(url).status_code == 302


@pytest.mark.parametrize("url", [PROFILE, PRIVACY, reverse("my_data")])
def test_a_login_without_member_record_gets_an_explanation(staff_client, url):
    response = staff_client.get(url)
    assert response.status_code == 404
    assert "pas encore relié à une fiche" in response.content.decode()


def test_profile_shows_ones_own_details_with_a_french_country_list(member_client, member):
    member.phone = "05 56 00 00 00"
    member.save()
    html = member_client.get(PROFILE).content.decode()
    assert "05 56 00 00 00" in html
    assert '<option value="DE">Allemagne</option>' in html
    assert '<option value="FR" selected>France</option>' in html
    assert "<legend" in html  # fieldsets group the fields for screen readers


def test_saving_the_profile_historises_and_audits_the_email(member_client, member):
    before = member.history.count()
    response = member_client.post(PROFILE, VALID, follow=True)
    assert "Votre profil est enregistré." in response.content.decode()
    member.refresh_from_db()
    assert (member.email, member.country, member.city, member.employer) == (
        "nouvelle@exemple.fr",
        "CH",
        "Genève",
        "CERN",
    )
    assert member.history.count() == before + 1
    assert member.history.first().history_user == member.user
    event = AuditEvent.objects.get(action="member.email_change")
    assert event.data == {"field": "email", "from": "membre@exemple.fr", "to": "nouvelle@exemple.fr"}
    assert event.actor == member.user


def test_saving_without_email_change_writes_no_audit_row(member_client, member):
    member_client.post(PROFILE, {**VALID, "email": member.email})
    assert not AuditEvent.objects.filter(action="member.email_change").exists()


def test_errors_are_french_and_nothing_is_saved(member_client, member):
    response = member_client.post(
        PROFILE,
        {**VALID, "email": "pas-un-email", "phone": "appelez-moi", "country": "FR", "postal_code": "12", "city": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide." in html
    assert "Numéro de téléphone non valide" in html
    assert "cinq chiffres" in html
    assert "Indiquez la ville" in html
    assert "corrigez les champs signalés" in html
    member.refresh_from_db()
    assert member.email == "membre@exemple.fr"


def test_unknown_country_is_refused(member_client, member):
    response = member_client.post(PROFILE, {**VALID, "country": "XX"})
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_a_member_cannot_change_what_staff_own(member_client, member):
    member_client.post(
        PROFILE,
        {**VALID, "first_name": "Usurpé", "last_name": "Usurpé", "staff_notes": "x", "paid_through_year": "2099"},
    )
    member.refresh_from_db()
    assert member.first_name != "Usurpé"
    assert member.staff_notes == ""
    assert member.paid_through_year is None


def test_privacy_choices_and_dated_consents(member_client, member):
    Member.objects.filter(pk=member.pk).update(directory_consent_at=None, newsletter_consent_at=None)
    response = member_client.post(
        PRIVACY,
        {
            "directory_listed": "on",
            "newsletter": "on",
            "reminders_opt_out": "on",
            "email_visibility": "members",
            "phone_visibility": "nobody",
            "address_visibility": "nobody",
            "employer_visibility": "members",
        },
        follow=True,
    )
    assert "Vos choix de confidentialité sont enregistrés." in response.content.decode()
    member.refresh_from_db()
    assert member.directory_consent_at is not None
    assert member.newsletter_consent_at is not None
    assert member.reminders_opt_out is True
    assert member.email_visibility == "members"
    event = AuditEvent.objects.get(action="member.privacy")
    assert event.data["directory_consent_at"] == "given"
    assert "l'appel annuel vous parvient toujours" in response.content.decode()

    # Unticking withdraws the consent; the date disappears with it.
    member_client.post(
        PRIVACY,
        {
            "email_visibility": "members",
            "phone_visibility": "nobody",
            "address_visibility": "nobody",
            "employer_visibility": "members",
        },
    )
    member.refresh_from_db()
    assert member.directory_consent_at is None
    assert member.newsletter_consent_at is None
    assert member.reminders_opt_out is False
    assert AuditEvent.objects.filter(action="member.privacy").count() == 2


def test_privacy_rejects_an_unknown_choice(member_client, member):
    response = member_client.post(
        PRIVACY,
        {
            "email_visibility": "everyone",
            "phone_visibility": "nobody",
            "address_visibility": "nobody",
            "employer_visibility": "members",
        },
    )
    assert "Sélectionnez un choix valide" in response.content.decode()
    member.refresh_from_db()
    assert member.email_visibility == "nobody"


def test_privacy_page_explains_what_the_directory_shows(member_client):
    html = member_client.get(PRIVACY).content.decode()
    assert "Votre nom, votre promotion, votre ville et votre pays" in html
    assert "Visible de personne" in html


# --- Access matrix of the portal pages built here --------------------------------------------------

MATRIX = {
    # url: (anonymous, member not up to date, member up to date, staff without member record)
    PROFILE: (302, 200, 200, 404),
    PRIVACY: (302, 200, 200, 404),
    reverse("my_data"): (302, 200, 200, 404),
    reverse("directory"): (302, 403, 200, 200),
    reverse("group_detail", args=["gt-gironde"]): (302, 404, 404, 404),
    reverse("group_export", args=["gt-gironde"]): (302, 404, 404, 404),
}


@pytest.mark.parametrize("url", list(MATRIX))
def test_access_matrix(url, anon, member_client, member, staff_client, group, this_year, association_settings):
    expected = MATRIX[url]
    assert anon.get(url).status_code == expected[0]
    assert member_client.get(url).status_code == expected[1]
    Member.objects.filter(pk=member.pk).update(paid_through_year=this_year)
    assert member_client.get(url).status_code == expected[2]
    assert staff_client.get(url).status_code == expected[3]


def _signup_and_confirm(client, email: str, django_capture_on_commit_callbacks):
    """Signs up through allauth's pages, then follows the confirmation link of the e-mail it sent."""
    import re

    from soce.lib.models import OutgoingEmail

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            {"email": email, "password1": "Un-mot-de-passe-long-42", "password2": "Un-mot-de-passe-long-42"},
        )
    assert response.status_code == 302
    body = OutgoingEmail.objects.filter(to=email).latest("pk").body_text
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", body).group(1)
    return client.post(link, follow=True)


def test_confirming_the_email_of_one_member_record_links_it(db, client, django_capture_on_commit_callbacks):
    from members.tests.factories import MemberFactory

    record = MemberFactory(first_name="Jeanne", email="Jeanne.Martin@exemple.fr")
    response = _signup_and_confirm(client, "jeanne.martin@exemple.fr", django_capture_on_commit_callbacks)
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.user is not None and record.user.email == "jeanne.martin@exemple.fr"
    assert record.history.first().history_change_reason == "Compte relié : e-mail confirmé"
    assert AuditEvent.objects.filter(action="member.link_account", object_id=str(record.pk)).exists()
    assert "Jeanne" in client.get(PROFILE).content.decode()


@pytest.mark.parametrize("case", ["two_records", "record_taken", "deceased", "no_record"])
def test_no_automatic_link_when_the_email_is_ambiguous_or_taken(case, db, client, django_capture_on_commit_callbacks):
    from members.tests.factories import MemberFactory, UserFactory

    email = "paul.durand@exemple.fr"
    records = []
    if case == "two_records":
        records = [MemberFactory(email=email), MemberFactory(email=email.upper())]
    elif case == "record_taken":
        records = [MemberFactory(email=email, user=UserFactory(email="autre@exemple.fr"))]
    elif case == "deceased":
        records = [MemberFactory(email=email, status=Member.Lifecycle.DECEASED)]
    owners = [r.user_id for r in records]
    _signup_and_confirm(client, email, django_capture_on_commit_callbacks)
    assert [Member.objects.get(pk=r.pk).user_id for r in records] == owners
    response = client.get(PROFILE)
    assert response.status_code == 404
    assert "le secrétariat fera le lien" in response.content.decode().replace("&#x27;", "'")
