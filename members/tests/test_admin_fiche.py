"""The member's fiche in the back office: what staff read first, who may read it, and its constant cost."""

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import login_with_mfa, staff_user_with
from members.models import Member, ReducedRateGrant
from members.tests.factories import GroupMembershipFactory, MemberFactory
from soce.lib import roles

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _fiche(member) -> str:
    return f"/admin/members/member/{member.pk}/fiche/"


def test_the_fiche_shows_the_member_grouped_as_in_the_form(staff_client, grids):
    from members import services

    member = MemberFactory(
        first_name="Zoé",
        last_name="Marchal",
        entry_year=2011,
        graduation_year=2014,
        phone="+33 6 12 34 56 78",
        country="BE",
        staff_notes="Appelle le mardi.\nPréfère le courrier.",
    )
    membership = GroupMembershipFactory(member=member)
    ReducedRateGrant.objects.create(member=member, reduction="job_seeker", from_year=2026, to_year=2027, note="<b>")
    services.cotisation_open(member=member, year=2026, by=None)
    response = staff_client.get(_fiche(member))
    assert response.status_code == 200
    page = _text(response)
    for title in (
        "Identité",
        "École",
        "Coordonnées",
        "Consentements et confidentialité",
        "Situation",
        "Notes internes",
    ):
        assert f">{title}</h2>" in page
    assert "Zoé" in page and "Marchal" in page and member.promo_label in page
    assert "Belgique (BE)" in page
    assert 'href="tel:+33612345678"' in page
    assert "Appelle le mardi.<br>Préfère le courrier." in page  # notes keep their lines, escaped
    assert membership.group.name in page
    assert "&lt;b&gt;" in response.content.decode()  # a grant's note is escaped
    assert "dues-history" in page and "2026" in page  # the dues history, for who may see dues
    assert f'href="/admin/members/member/{member.pk}/change/"' in page  # "Modifier"
    assert f'href="/admin/members/member/{member.pk}/history/"' in page
    assert "<main" in page and 'aria-labelledby="fiche-groupes"' in page


def test_the_fiche_has_a_constant_query_count(staff_client, grids):
    from members import services

    def queries(member):
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(_fiche(member)).status_code == 200
        return len(ctx)

    small = MemberFactory(entry_year=1990, graduation_year=1993)
    big = MemberFactory(entry_year=1990, graduation_year=1993, partner=small)
    for _ in range(5):
        GroupMembershipFactory(member=big)
    for year in (2025, 2026, 2027):
        services.cotisation_open(member=big, year=year, by=None)
    ReducedRateGrant.objects.create(member=big, reduction="job_seeker", from_year=2026, to_year=2026)
    queries(small)  # warm the per-process caches (content types)
    assert queries(small) == queries(big) <= 12


def test_an_unknown_or_malformed_id_is_a_404(staff_client):
    assert staff_client.get("/admin/members/member/999999/fiche/").status_code == 404
    assert staff_client.get("/admin/members/member/abc/fiche/").status_code == 404


def test_who_may_read_the_fiche(db, grids):
    from members import services

    member = MemberFactory()
    services.cotisation_open(member=member, year=2026, by=None)
    # Anonymous people and members are sent to the admin's login, staff without the second factor too.
    assert Client().get(_fiche(member)).status_code == 302
    no_mfa = login_with_mfa(Client(), staff_user_with(roles.SECRETARIAT, "sans2fa@exemple.fr", mfa=False), mfa=False)
    assert no_mfa.get(_fiche(member)).status_code != 200
    # Staff who may see members but not dues: the fiche without the dues history.
    volunteers = login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "benevolat@exemple.fr"))
    page = _text(volunteers.get(_fiche(member)))
    assert member.last_name in page and "dues-history" not in page
    # The Bureau reads, without the "Modifier" button.
    bureau = login_with_mfa(Client(), staff_user_with(roles.BUREAU, "bureau@exemple.fr"))
    page = _text(bureau.get(_fiche(member)))
    assert member.last_name in page and f"/admin/members/member/{member.pk}/change/" not in page
    # Staff with no permission on members: refused.
    nobody = login_with_mfa(Client(), staff_user_with(None, "sansrole@exemple.fr"))
    assert nobody.get(_fiche(member)).status_code == 403


def test_the_list_opens_the_fiche_and_saving_the_form_returns_to_it(staff_client):
    member = MemberFactory(last_name="Fichier")
    listing = staff_client.get("/admin/members/member/?q=Fichier").content.decode()
    assert f'href="/admin/members/member/{member.pk}/fiche/' in listing
    form = staff_client.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert f'href="/admin/members/member/{member.pk}/fiche/"' in form
    data = _form_data(form)
    data["city"] = "Cluny"
    response = staff_client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 302, _form_errors(response)
    assert response["Location"] == _fiche(member)
    assert Member.objects.get(pk=member.pk).city == "Cluny"
    data["_continue"] = "1"
    response = staff_client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response["Location"].endswith(f"/admin/members/member/{member.pk}/change/")


def _form_data(page: str) -> dict:
    """The change form's fields as a browser would post them (inputs, selected options, textareas)."""
    data = {}
    form = page[page.index('id="member_form"') :]
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = html.unescape(selected.group(1)) if selected else ""
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = html.unescape(body.lstrip("\n"))
    return data


def _form_errors(response) -> str:
    return " | ".join(re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S))[:2000]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_go_from_the_list_to_the_fiche_edit_and_come_back_in_the_browser(page):
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    from conftest import browser_login

    user = staff_user_with(roles.SECRETARIAT, "secretariat@exemple.fr")
    secret = decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"])
    member = MemberFactory(first_name="Léa", last_name="Navigatrice", city="Metz")
    browser_login(page, user.email, totp_secret=secret, next_url="/admin/members/member/?q=Navigatrice")
    page.wait_for_url("**/admin/members/member/?q=Navigatrice")
    page.get_by_role("link", name="Navigatrice").click()
    fiche = re.compile(rf"/admin/members/member/{member.pk}/fiche/(\?.*)?$")  # the list's filters may follow
    page.wait_for_url(fiche)
    assert page.get_by_role("heading", name="Coordonnées").is_visible()
    assert page.locator("main").get_by_text("Metz", exact=True).is_visible()
    page.get_by_role("link", name="Modifier", exact=True).click()
    page.wait_for_url(f"**/admin/members/member/{member.pk}/change/")
    page.get_by_label("Ville").fill("Cluny")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url(fiche)
    assert page.locator("main").get_by_text("Cluny", exact=True).is_visible()
    assert Member.objects.get(pk=member.pk).city == "Cluny"
