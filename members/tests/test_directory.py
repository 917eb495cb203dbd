"""The directory (/annuaire/): who may search, who appears, what each card shows, speed and scraping."""

import re
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from members import views_directory
from members.models import AssociationSettings, Member
from members.tests.factories import MemberFactory, UserFactory

URL = reverse("directory")


def _names(response) -> set[str]:
    return set(
        re.findall(r'<h3 id="fiche-[^"]+" class="h6 card-title mb-1">([^<]+?)\s*(?:<|$)', response.content.decode())
    )


# --- Who may search ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(anon):
    response = anon.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_member_not_up_to_date_is_told_why(member_client, member, association_settings):
    response = member_client.get(URL, {"promo": "Bo 179"})
    assert response.status_code == 403
    assert "réservé aux membres à jour" in response.content.decode()
    assert reverse("dues_renew") in response.content.decode()


def test_staff_switches_the_rule_off(member_client, member, listed_member, association_settings):
    listed_member(first_name="Paul", last_name="Durand", paid_through_year=None)
    AssociationSettings.objects.filter(pk=1).update(directory_requires_up_to_date=False)
    response = member_client.get(URL, {"promo": "Bo 179"})
    assert response.status_code == 200
    assert _names(response) == {"Paul Durand"}


def test_staff_always_may_search(staff_client, listed_member, association_settings):
    listed_member(first_name="Paul", last_name="Durand")
    response = staff_client.get(URL, {"q": "dur"})
    assert response.status_code == 200
    assert _names(response) == {"Paul Durand"}


# --- Who appears ---------------------------------------------------------------------------------


def test_only_listed_up_to_date_active_people_appear(viewer_client, listed_member, this_year):
    listed_member(first_name="Alice", last_name="Listée")
    listed_member(first_name="Lucie", last_name="Avie", paid_through_year=None, lifetime_since=2001)
    listed_member(first_name="Bruno", last_name="Discret", directory_consent_at=None)
    listed_member(first_name="Carl", last_name="Retard", paid_through_year=this_year - 1)
    listed_member(first_name="Denis", last_name="Radié", status=Member.Lifecycle.STRUCK_OFF)
    listed_member(first_name="Eve", last_name="Effacée", anonymised_at=timezone.now())
    response = viewer_client.get(URL, {"promo": "Bo 179"})
    assert _names(response) == {"Alice Listée", "Lucie Avie"}


def test_the_rule_off_lists_people_not_up_to_date(viewer_client, listed_member, this_year):
    listed_member(first_name="Carl", last_name="Retard", paid_through_year=this_year - 1)
    AssociationSettings.objects.filter(pk=1).update(directory_requires_up_to_date=False)
    assert _names(viewer_client.get(URL, {"promo": "Bo 179"})) == {"Carl Retard"}


def test_without_criteria_nobody_is_listed_and_the_page_explains(viewer_client, listed_member):
    listed_member(first_name="Alice", last_name="Listée")
    response = viewer_client.get(URL)
    assert response.status_code == 200
    assert _names(response) == set()
    assert "Cherchez un camarade" in response.content.decode()


def test_no_result_is_a_helpful_empty_state(viewer_client, listed_member):
    response = viewer_client.get(URL, {"q": "Zzyzx"})
    assert "Aucun membre ne correspond" in response.content.decode()


# --- Promo search --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Bo 179", "bo179", "Bo. 179", "BO 179", "  bo 179 "])
def test_promo_search_is_forgiving(viewer_client, listed_member, campus_cl, text):
    listed_member(first_name="Alice", last_name="Bordeaux")
    listed_member(first_name="Bruno", last_name="Suivant", entry_year=1980)
    listed_member(first_name="Chloé", last_name="Cluny", campus=campus_cl)
    response = viewer_client.get(URL, {"promo": text})
    assert response.status_code == 200
    assert _names(response) == {"Alice Bordeaux"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Zz 179", "Campus inconnu : « Zz »"),
        ("Bo 999", "Promotion impossible"),
        ("n'importe quoi", "n&#x27;est pas une promotion"),
    ],
)
def test_bad_promo_is_a_french_message_not_a_crash(viewer_client, listed_member, text, message):
    listed_member(first_name="Alice", last_name="Bordeaux")
    response = viewer_client.get(URL, {"promo": text})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _names(response) == set()


# --- Other criteria ------------------------------------------------------------------------------


def test_name_search_is_a_prefix_on_first_or_last_name(viewer_client, listed_member):
    listed_member(first_name="Jean", last_name="Dupont")
    listed_member(first_name="Jeanne", last_name="Martin")
    listed_member(first_name="Paul", last_name="Dupuis")
    assert _names(viewer_client.get(URL, {"q": "dup"})) == {"Jean Dupont", "Paul Dupuis"}
    assert _names(viewer_client.get(URL, {"q": "jean dup"})) == {"Jean Dupont"}
    assert _names(viewer_client.get(URL, {"q": "upon"})) == set()


def test_city_country_campus_and_years(viewer_client, listed_member, campus_cl):
    listed_member(first_name="Alice", last_name="A", city="Bordeaux", country="FR")
    listed_member(first_name="Boris", last_name="B", city="Genève", country="CH", entry_year=2005)
    listed_member(first_name="Carla", last_name="C", city="Montréal", country="CA", campus=campus_cl, entry_year=2010)
    assert _names(viewer_client.get(URL, {"ville": "bord"})) == {"Alice A"}
    assert _names(viewer_client.get(URL, {"pays": "CH"})) == {"Boris B"}
    assert _names(viewer_client.get(URL, {"campus": "Cl"})) == {"Carla C"}
    assert _names(viewer_client.get(URL, {"de": "2000", "a": "2008"})) == {"Boris B"}
    # Promo numbers are accepted for years: 205 = entry in 2005.
    assert _names(viewer_client.get(URL, {"de": "205"})) == {"Boris B", "Carla C"}
    response = viewer_client.get(URL, {"de": "2010", "a": "2000"})
    assert "L&#x27;année de fin doit suivre" in response.content.decode()


def test_group_filter_counts_current_memberships_only(viewer_client, listed_member, group, membership):
    alice = listed_member(first_name="Alice", last_name="A")
    bruno = listed_member(first_name="Bruno", last_name="B")
    listed_member(first_name="Carla", last_name="C")
    membership(alice, group)
    membership(bruno, group, ends_on=date(2001, 6, 30))
    assert _names(viewer_client.get(URL, {"groupe": group.slug})) == {"Alice A"}


def test_employer_search_never_reveals_a_hidden_employer(viewer_client, listed_member):
    listed_member(first_name="Alice", last_name="A", employer="Airbus", employer_visibility="members")
    listed_member(first_name="Bruno", last_name="B", employer="Airbus Helicopters", employer_visibility="nobody")
    assert _names(viewer_client.get(URL, {"employeur": "airbus"})) == {"Alice A"}


# --- Privacy of the cards ------------------------------------------------------------------------


def test_a_card_shows_only_what_its_person_chose(viewer_client, listed_member):
    listed_member(
        first_name="Alice",
        last_name="Ouverte",
        email="alice@exemple.fr",
        phone="06 11 11 11 11",
        address_line1="1 rue Ouverte",
        postal_code="33000",
        employer="Ouvert SA",
        position="Ingénieure",
        email_visibility="members",
        phone_visibility="members",
        address_visibility="members",
        employer_visibility="members",
    )
    listed_member(
        first_name="Bruno",
        last_name="Secret",
        email="bruno.secret@exemple.fr",
        email_alt="bruno.alt@exemple.fr",
        phone="07 22 22 22 22",
        address_line1="2 rue Cachée",
        postal_code="33800",
        employer="Caché SARL",
        position="Directeur caché",
        sector="Défense",
        birth_date=timezone.localdate().replace(year=1960),
        staff_notes="Note interne sensible",
        email_visibility="nobody",
        phone_visibility="nobody",
        address_visibility="nobody",
        employer_visibility="nobody",
    )
    html = viewer_client.get(URL, {"promo": "Bo 179"}).content.decode()
    for shown in ("alice@exemple.fr", "06 11 11 11 11", "1 rue Ouverte", "Ouvert SA", "Ingénieure"):
        assert shown in html
    for hidden in (
        "bruno.secret",
        "bruno.alt",
        "07 22 22 22 22",
        "0722222222",
        "rue Cachée",
        "33800",
        "Caché SARL",
        "Directeur caché",
        "Défense",
        "1960",
        "Note interne",
    ):
        assert hidden not in html
    assert "Bruno Secret" in html


def test_no_bulk_export_for_members(viewer_client):
    assert viewer_client.get(URL, {"promo": "Bo 179", "format": "csv"})["Content-Type"].startswith("text/html")


# --- Pagination and query budget -----------------------------------------------------------------


def test_pages_of_25_keep_the_filters(viewer_client, listed_member):
    for i in range(30):
        listed_member(first_name=f"Prénom{i:02d}", last_name=f"Nom{i:02d}")
    response = viewer_client.get(URL, {"promo": "Bo 179"})
    assert len(_names(response)) == 25
    html = response.content.decode()
    assert "30 membres trouvés" in html
    assert "?page=2&amp;promo=Bo+179" in html
    assert len(_names(viewer_client.get(URL, {"promo": "Bo 179", "page": "2"}))) == 5
    assert len(_names(viewer_client.get(URL, {"promo": "Bo 179", "page": "99"}))) == 5


@pytest.mark.parametrize("people", [5, 60])
def test_query_count_is_constant(viewer_client, listed_member, group, people, django_assert_num_queries):
    for i in range(people):
        listed_member(first_name=f"P{i}", last_name=f"N{i:03d}", employer_visibility="members", employer="Safran")
    # session, user, viewer member (+campus, category), association settings, campuses, groups,
    # count of results, page of members (+campus), the user's permissions (2, for the navigation)
    with django_assert_num_queries(10):
        response = viewer_client.get(URL, {"promo": "Bo 179", "employeur": "saf"})
    assert len(_names(response)) == min(people, 25)


def test_search_indexes_exist_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("index propres à PostgreSQL (migration 0003)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'members_member'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"member_last_name_prefix_idx", "member_first_name_prefix_idx", "member_city_prefix_idx"} <= names


# --- Scraping ----------------------------------------------------------------------------------


def test_rate_limit_answers_429_in_french(viewer_client, monkeypatch):
    monkeypatch.setattr(views_directory, "RATE_LIMITS", ((3, 60),))
    for _ in range(3):
        assert viewer_client.get(URL, {"q": "a"}).status_code == 200
    response = viewer_client.get(URL, {"q": "a"})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Trop de recherches" in response.content.decode()


def test_rate_limit_is_per_person(viewer_client, listed_member, client_for, monkeypatch, member_user):
    monkeypatch.setattr(views_directory, "RATE_LIMITS", ((2, 60),))
    other = listed_member(user=UserFactory(email="autre@exemple.fr"))
    for _ in range(3):
        viewer_client.get(URL, {"q": "a"})
    assert client_for(other).get(URL, {"q": "a"}).status_code == 200


# --- Journey 3 in a browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_journey_a_member_finds_a_camarade(page, live_server, listed_member, this_year):
    from conftest import browser_login

    AssociationSettings.load()
    me = UserFactory(email="moi@exemple.fr")
    MemberFactory(user=me, first_name="Moi", last_name="Même", paid_through_year=this_year, entry_year=1990)
    listed_member(
        first_name="Gaston",
        last_name="Lagaffe",
        email="gaston@exemple.fr",
        phone="06 12 34 56 78",
        city="Talence",
        email_visibility="members",
        phone_visibility="nobody",
        employer="Éditions Dupuis",
        employer_visibility="nobody",
    )
    listed_member(first_name="Jeanne", last_name="Fonfec", email_visibility="nobody")

    browser_login(page, "moi@exemple.fr", next_url="/annuaire/?promo=Bo 179")
    page.wait_for_url("**/annuaire/**")
    assert page.get_by_role("heading", name="Annuaire des camarades").is_visible()
    assert page.get_by_text("2 membres trouvés").is_visible()
    card = page.get_by_role("article").filter(has_text="Gaston Lagaffe")
    assert card.get_by_text("Bo 179").is_visible()
    assert card.get_by_role("link", name="gaston@exemple.fr").is_visible()
    assert "06 12 34 56 78" not in card.inner_text()
    assert "Dupuis" not in page.content()
    assert page.get_by_role("article").filter(has_text="Jeanne Fonfec").get_by_role("link").count() == 0


def test_directory_count_is_capped_for_very_broad_searches(monkeypatch, viewer_client, listed_member):
    from soce.lib.pagination import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    for i in range(5):
        listed_member(last_name=f"Martinez{i}")
    html = viewer_client.get("/annuaire/?q=Mart").content.decode()
    assert "Plus de 3 membres trouvés" in html
