"""KeysFirstPaginator: the page's rows, in the queryset's order, loaded with their joins in one more query."""

import pytest

from members.models import Member
from members.tests.factories import MemberFactory
from soce.lib.pagination import KeysFirstPaginator

pytestmark = pytest.mark.django_db


def test_pages_keep_the_order_and_load_the_joins(django_assert_num_queries):
    for name in ["Durand", "Martin", "Bernard", "Petit", "Leroy"]:
        MemberFactory(last_name=name)
    qs = Member.objects.select_related("campus").order_by("-last_name")
    paginator = KeysFirstPaginator(qs, 2)
    # count, the page's keys, the page's rows with their campus
    with django_assert_num_queries(3):
        page = paginator.get_page(2)
        names = [(m.last_name, m.campus.code) for m in page.object_list]
    assert [n for n, _ in names] == ["Leroy", "Durand"]  # Petit, Martin | Leroy, Durand | Bernard
    assert paginator.num_pages == 3
    assert [m.last_name for m in paginator.get_page(3).object_list] == ["Bernard"]
