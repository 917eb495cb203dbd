"""Fixtures du bénévolat : charte publiée, bénévole à jour avec une mission, représentant mandaté."""

import pytest
from django.test import Client
from django.utils import timezone

from members.tests.factories import MemberFactory, UserFactory
from soce.lib.signing.client import ClientInfo
from volunteers import services

from .factories import V7_TEXT, V8_TEXT, CharterVersionFactory, EngagementFactory, MandateFactory, MissionFactory

CLIENT = ClientInfo(ip="198.51.100.4", user_agent="pytest", auth=[{"method": "password", "at": 1}])


@pytest.fixture(scope="session", autouse=True)
def _dev_pki():
    """The local root CA and seal certificate, created once (var/pki, git-ignored)."""
    from soce.lib.signing import pki

    pki.ensure_dev_pki()


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def v7(db, today):
    version = CharterVersionFactory(label="V7", body_html=V7_TEXT)
    return services.charter_version_publish(version=version, by=None, today=today)


@pytest.fixture
def v8(db, today):
    version = CharterVersionFactory(label="V8", body_html=V8_TEXT)
    return services.charter_version_publish(version=version, by=None, today=today)


@pytest.fixture
def volunteer_member(volunteer_user, today):
    member = volunteer_user.member
    member.paid_through_year = today.year
    member.last_name = "Marchand"
    member.first_name = "Étienne"
    member.save()
    return member


@pytest.fixture
def engagement(volunteer_member):
    return EngagementFactory(volunteer=volunteer_member)


def _member_with_user(email: str, **kwargs):
    user = UserFactory(
        email=email, first_name=kwargs.get("first_name", "Sophie"), last_name=kwargs.get("last_name", "Lemaire")
    )
    member = MemberFactory(user=user, email=email, **kwargs)
    return user, member


@pytest.fixture
def representative_user(db, today):
    user, member = _member_with_user("representant@exemple.fr", first_name="Sophie", last_name="Lemaire")
    MandateFactory(member=member, capacity="Responsable du bénévolat")
    return user


@pytest.fixture
def representative_client(representative_user):
    client = Client()
    client.force_login(representative_user)
    return client


@pytest.fixture
def other_member_client(db):
    user, _member = _member_with_user("autre@exemple.fr", first_name="Paul", last_name="Durand")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mission():
    return MissionFactory()


@pytest.fixture
def referent_member():
    return MemberFactory()
