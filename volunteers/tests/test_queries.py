"""Constant query counts on the list pages, whatever the number of rows."""

import pytest
from django.urls import reverse

from members.tests.factories import MemberFactory
from soce.lib.signing.client import ClientInfo
from volunteers import services
from volunteers.models import Engagement, Review

from .factories import EngagementFactory

pytestmark = pytest.mark.django_db


def _volunteer_space_rows(member, n, today):
    for _ in range(n):
        engagement = EngagementFactory(volunteer=member, status=Engagement.Status.ACTIVE)
        Review.objects.create(engagement=engagement, due_on=today)


def test_volunteer_space_is_constant(volunteer_client, volunteer_member, v8, today, django_assert_num_queries):
    _volunteer_space_rows(volunteer_member, 1, today)
    services.charter_paper_record(volunteer=volunteer_member, version=v8, signed_at=v8.published_at, by=None)
    # session, user, member, current version, latest signature (+version, document), engagements (+mission,
    # group, referent), reviews to do (+engagement, mission, volunteer, referent), reviews done, signatures
    # (+version, document), signed the current version?, mandates; then the portal navigation: the user's
    # and their groups' permissions
    with django_assert_num_queries(13):
        volunteer_client.get(reverse("volunteers:home"))
    _volunteer_space_rows(volunteer_member, 4, today)
    with django_assert_num_queries(13):
        assert volunteer_client.get(reverse("volunteers:home")).status_code == 200


def _signed_charters(n, v8, today):
    from members.tests.factories import UserFactory
    from soce.lib.signing import services as signing
    from soce.lib.signing.testing import last_otp_code

    for i in range(n):
        user = UserFactory(email=f"b{i}-{Engagement.objects.count()}@exemple.fr")
        member = MemberFactory(user=user, email=user.email, paid_through_year=today.year)
        EngagementFactory(volunteer=member)
        client = ClientInfo()
        signature = services.charter_signature_start(member=member, user=user, client=client)
        services.charter_signer_confirm(signature=signature, user=user, client=client)
        party = signature.document.parties.get(role="signer")
        signing.otp_verify(party=party, user=user, code=last_otp_code(to=user.email), client=client)
        signing.party_sign(party=party, user=user, typed_name=member.full_name, place="Lyon", client=client)


def test_countersignature_queue_is_constant(representative_client, v8, today, django_assert_num_queries):
    _signed_charters(1, v8, today)
    # session, user, member, mandates, charters awaiting countersignature (+volunteer, campus, version,
    # engagement, mission, group); then the portal navigation: the user's and their groups' permissions
    with django_assert_num_queries(7):
        response = representative_client.get(reverse("volunteers:countersign_queue"))
    assert response.content.decode().count("Contresigner<span") == 1
    _signed_charters(4, v8, today)
    with django_assert_num_queries(7):
        response = representative_client.get(reverse("volunteers:countersign_queue"))
    assert response.content.decode().count("Contresigner<span") == 5
