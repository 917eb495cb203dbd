"""Group pages (/groupes/<slug>/): members see the page, officers with a current mandate see and export members."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from members.tests.factories import GroupFactory
from soce.lib.models import AuditEvent


def _page(slug: str) -> str:
    return reverse("group_detail", args=[slug])


def _export(slug: str) -> str:
    return reverse("group_export", args=[slug])


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


@pytest.fixture
def people(listed_member, group, membership):
    """Two members of the group: one shows everything, one hides everything but is in the directory."""
    open_ = listed_member(
        first_name="Alice",
        last_name="Ouverte",
        email="alice@exemple.fr",
        phone="06 11 11 11 11",
        employer="=HYPERLINK(1)",
        email_visibility="members",
        phone_visibility="members",
        employer_visibility="members",
    )
    hidden = listed_member(
        first_name="Bruno",
        last_name="Secret",
        email="bruno@exemple.fr",
        phone="07 22 22 22 22",
        address_line1="2 rue Cachée",
        employer="Caché SARL",
        employer_visibility="nobody",
    )
    unlisted = listed_member(
        first_name="Chloé", last_name="Horsannuaire", email="chloe@exemple.fr", directory_consent_at=None
    )
    for person in (open_, hidden, unlisted):
        membership(person, group)
    return open_, hidden, unlisted


def test_unknown_group_is_404(member_client):
    assert member_client.get(_page("nexiste-pas")).status_code == 404


def test_non_member_of_the_group_gets_404(member_client, group, people):
    assert member_client.get(_page(group.slug)).status_code == 404
    assert member_client.get(_export(group.slug)).status_code == 404


def test_staff_without_membership_get_404_too(staff_client, group):
    assert staff_client.get(_page(group.slug)).status_code == 404


def test_a_member_sees_the_page_and_officers_but_not_the_list(member_client, member, group, people, membership):
    president = people[0]
    membership(member, group)
    membership(president, group, role="president")
    response = member_client.get(_page(group.slug))
    html = response.content.decode()
    assert response.status_code == 200
    assert "GT Gironde" in html and "Le groupe des camarades de Gironde." in html
    assert "Président" in html and "Alice Ouverte" in html
    assert "Bruno Secret" not in html
    assert _export(group.slug) not in html
    assert member_client.get(_export(group.slug)).status_code == 404


def test_officer_sees_members_with_their_own_privacy_choices(member_client, member, group, people, membership):
    membership(member, group, role="president", ends_on=timezone.localdate() + timedelta(days=30))
    html = member_client.get(_page(group.slug)).content.decode()
    assert "Alice Ouverte" in html and "alice@exemple.fr" in html and "06 11 11 11 11" in html
    # Bruno is in the directory but shows nothing to anybody: his name only, not even to the officer.
    assert "Bruno Secret" in html
    for hidden in ("bruno@exemple.fr", "07 22 22 22 22", "rue Cachée", "Caché SARL"):
        assert hidden not in html
    # Chloé is not in the directory and hides her e-mail: her name only.
    assert "Chloé Horsannuaire" in html and "chloe@exemple.fr" not in html
    assert _export(group.slug) in html


def test_export_is_streamed_filtered_and_audited(member_client, member, group, people, membership):
    membership(member, group, role="treasurer")
    response = member_client.get(_export(group.slug))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    rows = _csv(response)
    assert rows[0][:2] == ["Nom", "Promotion"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"Alice Ouverte", "Bruno Secret", "Chloé Horsannuaire", member.full_name}
    # Hidden fields are blank in the export too (e-mail, phone, address, employer)
    assert by_name["Bruno Secret"][4:10] == ["", "", "", "", "", ""]
    for hidden in ("bruno@exemple.fr", "07 22 22 22 22", "rue Cachée", "Caché SARL"):
        assert hidden not in str(rows)
    assert by_name["Alice Ouverte"][4:6] == ["alice@exemple.fr", "06 11 11 11 11"]
    assert by_name["Chloé Horsannuaire"][4] == ""
    assert by_name["Alice Ouverte"][7] == "'=HYPERLINK(1)"  # no formula injection in spreadsheets
    event = AuditEvent.objects.get(action="group.export")
    assert event.data["rows"] == 4
    assert event.data["group"] == group.slug
    assert event.actor == member.user
    assert event.object_id == str(group.pk)


def test_an_expired_mandate_loses_access(member_client, member, group, people, membership):
    yesterday = timezone.localdate() - timedelta(days=1)
    membership(member, group, role="president", starts_on=yesterday - timedelta(days=365), ends_on=yesterday)
    assert member_client.get(_page(group.slug)).status_code == 404
    assert member_client.get(_export(group.slug)).status_code == 404
    # Still an ordinary member of the group: the page, but neither the list nor the export.
    membership(member, group)
    assert "Bruno Secret" not in member_client.get(_page(group.slug)).content.decode()
    assert member_client.get(_export(group.slug)).status_code == 404
    assert not AuditEvent.objects.filter(action="group.export").exists()


def test_a_mandate_not_started_gives_no_access(member_client, member, group, people, membership):
    membership(member, group, role="president", starts_on=timezone.localdate() + timedelta(days=1))
    assert member_client.get(_export(group.slug)).status_code == 404


def test_an_officer_sees_only_their_own_group(member_client, member, group, people, membership):
    other = GroupFactory(name="GP Aéronautique", slug="gp-aero")
    membership(member, group, role="president")
    membership(member, other)
    assert member_client.get(_export(other.slug)).status_code == 404
    assert "Bruno Secret" not in member_client.get(_page(other.slug)).content.decode()


def test_former_members_and_the_deceased_are_not_listed(member_client, member, group, people, membership):
    alice, bruno, _chloe = people
    membership(member, group, role="president")
    bruno.group_memberships.update(ends_on=timezone.localdate() - timedelta(days=1))
    Member.objects.filter(pk=alice.pk).update(status=Member.Lifecycle.DECEASED)
    names = {row[0] for row in _csv(member_client.get(_export(group.slug)))[1:]}
    assert names == {"Chloé Horsannuaire", member.full_name}


@pytest.mark.parametrize("extra", [3, 40])
def test_officer_page_query_count_is_constant(
    member_client, member, group, membership, listed_member, extra, django_assert_num_queries
):
    membership(member, group, role="president")
    for i in range(extra):
        membership(listed_member(first_name=f"P{i}", last_name=f"N{i:03d}"), group)
    # session, user, viewer, viewer's memberships (+group), officers (+member, campus),
    # count of members, page of members (+campus), the user's permissions (2, for the navigation)
    with django_assert_num_queries(9):
        response = member_client.get(_page(group.slug))
    assert response.status_code == 200


def test_an_officer_role_without_an_end_date_gives_no_access(member_client, member, group, people, membership):
    membership(member, group, role="president", ends_on=None)
    html = member_client.get(_page(group.slug)).content.decode()
    assert "Bruno Secret" not in html and _export(group.slug) not in html
    assert "Ce groupe n'a pas de responsable en fonction" in html.replace("&#x27;", "'")
    assert member_client.get(_export(group.slug)).status_code == 404
    assert not AuditEvent.objects.filter(action="group.export").exists()


def test_an_officer_role_requires_an_end_date(member, group):
    from django.core.exceptions import ValidationError

    from members.models import GroupMembership

    gm = GroupMembership(member=member, group=group, role="treasurer")
    with pytest.raises(ValidationError) as exc:
        gm.full_clean()
    assert exc.value.message_dict["ends_on"] == [
        "Indiquez la fin du mandat : un rôle de « Trésorier » est un mandat limité dans le temps."
    ]
    GroupMembership(member=member, group=group, role="member").full_clean()  # plain membership: no end needed
    gm.ends_on = timezone.localdate() + timedelta(days=365)
    gm.full_clean()
