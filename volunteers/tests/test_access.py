"""Access matrix of the volunteers' pages: URL × (anonymous, member, volunteer, staff)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["/benevolat/", "/benevolat/charte/", "/benevolat/contresignature/", "/verifier/"]
EXPECTED = {
    # page: (anonymous, member, volunteer, staff)
    "/benevolat/": (302, 200, 200, 200),
    "/benevolat/charte/": (302, 200, 200, 200),
    "/benevolat/contresignature/": (302, 404, 404, 404),
    "/verifier/": (200, 200, 200, 200),
}


@pytest.mark.parametrize("url", PAGES)
def test_access_matrix(url, anon, member_client, volunteer_client, staff_client, engagement, v8):
    statuses = tuple(c.get(url).status_code for c in (anon, member_client, volunteer_client, staff_client))
    assert statuses == EXPECTED[url]


def test_anonymous_is_sent_to_login(anon):
    response = anon.get("/benevolat/charte/")
    assert response["Location"].startswith(reverse("account_login"))


def test_representative_reaches_the_queue(representative_client):
    assert representative_client.get("/benevolat/contresignature/").status_code == 200
