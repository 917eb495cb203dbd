"""The directory by group after its speed-up (migration 0007, keys-first pages): the same people, in the same order,
page after page, with a constant number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members import directory
from members.models import GroupMembership, Member
from members.tests.factories import GroupFactory
from soce.lib.pagination import CappedCountPaginator, CappedKeysFirstPaginator

URL = reverse("directory")


def _reference(*, slug: str, requires_up_to_date: bool, on: date) -> list[int]:
    """The search by group as written before the speed-up: an EXISTS on the group's slug, in name order."""
    current = GroupMembership.objects.filter(member=OuterRef("pk"), group__slug=slug).filter(directory._current_q(on))
    qs = directory.directory_listed(requires_up_to_date=requires_up_to_date, on=on).filter(Exists(current))
    return list(qs.order_by("last_name", "first_name", "pk").values_list("pk", flat=True))


@pytest.fixture
def crowd(db, listed_member, group, membership, this_year):
    """A group whose members are listed or not for every reason, with namesakes, two roles, past and future
    memberships, and members of another group."""
    other = GroupFactory(slug="gt-ailleurs")
    today = timezone.localdate()
    for i in range(20):
        m = listed_member(first_name=f"Prénom{i % 3}", last_name=f"Nom{i % 5}")
        membership(m, group)
        if i % 4 == 0:
            membership(m, group, role="treasurer")  # two current rows for one person: listed once
        if i % 3 == 0:
            membership(m, other)
    hidden = [
        listed_member(last_name="Discret", directory_consent_at=None),
        listed_member(last_name="Retard", paid_through_year=this_year - 1),
        listed_member(last_name="Jamais", paid_through_year=None),
        listed_member(last_name="Radié", status=Member.Lifecycle.STRUCK_OFF),
        listed_member(last_name="Effacé", anonymised_at=timezone.now()),
    ]
    for m in hidden:
        membership(m, group)
    membership(listed_member(last_name="Avie", paid_through_year=None, lifetime_since=2001), group)
    membership(listed_member(last_name="Parti"), group, ends_on=today - timedelta(days=1))
    membership(listed_member(last_name="Futur"), group, starts_on=today + timedelta(days=1))
    listed_member(last_name="Ailleurs")  # in no group
    return group


@pytest.mark.parametrize("requires_up_to_date", [True, False])
@pytest.mark.parametrize("per_page", [4, 25])
def test_every_page_lists_the_same_people_in_the_same_order(crowd, requires_up_to_date, per_page):
    on = timezone.localdate()
    expected = _reference(slug=crowd.slug, requires_up_to_date=requires_up_to_date, on=on)
    assert len(expected) > 4
    results = directory.directory_search(
        filters=directory.DirectoryFilters(group=crowd.slug), requires_up_to_date=requires_up_to_date, on=on
    )
    paginator = CappedKeysFirstPaginator(results, per_page)
    assert paginator.count == len(expected)
    pages = [[m.pk for m in paginator.get_page(n).object_list] for n in paginator.page_range]
    assert [pk for page in pages for pk in page] == expected
    assert pages == [expected[i : i + per_page] for i in range(0, len(expected), per_page)]


def test_the_page_shows_the_same_cards(viewer_client, crowd):
    on = timezone.localdate()
    expected = list(Member.objects.filter(pk__in=_reference(slug=crowd.slug, requires_up_to_date=True, on=on)))
    html = viewer_client.get(URL, {"groupe": crowd.slug}).content.decode()
    assert f"{len(expected)} membres trouvés" in html
    positions = [html.index(f"{m.first_name} {m.last_name}") for m in expected]
    assert positions == sorted(positions)


def test_an_unknown_group_finds_nobody(crowd):
    results = directory.directory_search(
        filters=directory.DirectoryFilters(group="gt-inconnu"), requires_up_to_date=True
    )
    with CaptureQueriesContext(connection) as ctx:
        page = CappedKeysFirstPaginator(results, 25).get_page(1)
        assert list(page.object_list) == []
    assert len(ctx) == 0


@pytest.mark.parametrize("people", [5, 60])
def test_query_count_is_constant(viewer_client, listed_member, group, membership, people, django_assert_num_queries):
    for i in range(people):
        membership(listed_member(first_name=f"P{i}", last_name=f"N{i:03d}"), group)
    # session, user, viewer member, association settings, campuses, groups, the searched group's id,
    # count of results, page of members (+campus), the user's permissions (2, for the navigation)
    with django_assert_num_queries(11):
        viewer_client.get(URL, {"groupe": group.slug})
    with django_assert_num_queries(11):
        viewer_client.get(URL, {"groupe": group.slug, "page": "2"})


def test_capped_count_ignores_the_order_but_not_the_cap(monkeypatch, crowd):
    monkeypatch.setattr(CappedCountPaginator, "cap", 3)
    qs = directory.directory_search(filters=directory.DirectoryFilters(group=crowd.slug), requires_up_to_date=True)
    with CaptureQueriesContext(connection) as ctx:
        paginator = CappedKeysFirstPaginator(qs, 2)
        assert paginator.count == 4
        assert paginator.capped
    assert "ORDER BY" not in ctx.captured_queries[-1]["sql"]
    expected = _reference(slug=crowd.slug, requires_up_to_date=True, on=timezone.localdate())
    assert [m.pk for m in paginator.get_page(2).object_list] == expected[2:4]


def test_a_distinct_queryset_is_counted_with_its_order(crowd):
    qs = Member.objects.filter(group_memberships__group=crowd).distinct().order_by("last_name", "pk")
    with CaptureQueriesContext(connection) as ctx:
        count = CappedCountPaginator(qs, 5).count
    assert count == qs.count()
    assert "ORDER BY" in ctx.captured_queries[-1]["sql"]


def test_the_listed_indexes_cover_exactly_the_directory_listed_members(crowd):
    """The partial indexes' condition copies directory_listed(); they must not drift apart."""
    listed = set(directory.directory_listed(requires_up_to_date=False).values_list("pk", flat=True))
    indexes = {index.name: index for index in Member._meta.indexes}
    name_index = indexes["member_listed_name_idx"]
    assert set(Member.objects.filter(name_index.condition).values_list("pk", flat=True)) == listed
    up_to_date = set(directory.directory_listed(requires_up_to_date=True).values_list("pk", flat=True))
    payers = set(Member.objects.filter(indexes["member_listed_payer_idx"].condition).values_list("pk", flat=True))
    assert up_to_date <= payers <= listed


def test_group_search_indexes_exist_on_postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("index propres à PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('members_member', 'members_groupmembership')"
        )
        names = {row[0] for row in cursor.fetchall()}
    assert {"member_listed_name_idx", "member_listed_payer_idx", "gm_group_member_idx"} <= names
