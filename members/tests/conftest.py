"""Fixtures of the portal's directory, profile, groups and GDPR tests."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from members.models import AssociationSettings, Cotisation, GroupMembership, Member, Payment, TaxReceipt
from members.tests.factories import CampusFactory, GroupFactory, GroupMembershipFactory, MemberFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The rate limiter counts in the cache; primary keys repeat between tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def this_year() -> int:
    return timezone.localdate().year


@pytest.fixture
def association_settings(db):
    return AssociationSettings.load()


@pytest.fixture
def campus_bo(db):
    return CampusFactory(code="Bo", name="Bordeaux-Talence")


@pytest.fixture
def campus_cl(db):
    return CampusFactory(code="Cl", name="Cluny")


@pytest.fixture
def listed_member(db, campus_bo, this_year):
    """Factory: a member listed in the directory and up to date, Bo 179 unless told otherwise."""

    def make(**kwargs) -> Member:
        kwargs.setdefault("campus", campus_bo)
        kwargs.setdefault("entry_year", 1979)
        kwargs.setdefault("graduation_year", kwargs["entry_year"] + 3)
        kwargs.setdefault("paid_through_year", this_year)
        kwargs.setdefault("directory_consent_at", timezone.now())
        return MemberFactory(**kwargs)

    return make


@pytest.fixture
def viewer(member, campus_bo, this_year, association_settings):
    """The root `member`, up to date: allowed to search the directory (fixed name, out of the searched promos)."""
    member.first_name, member.last_name, member.city, member.employer = "Victor", "Lecteur", "Lyon", ""
    member.campus = campus_bo
    member.entry_year = 1990
    member.graduation_year = 1993
    member.paid_through_year = this_year
    member.save()
    return member


@pytest.fixture
def viewer_client(viewer, member_client):
    return member_client


@pytest.fixture
def client_for():
    """Factory: a logged-in client for a member's user."""

    def make(member: Member) -> Client:
        client = Client()
        client.force_login(member.user)
        return client

    return make


@pytest.fixture
def group(db):
    return GroupFactory(name="GT Gironde", slug="gt-gironde", description="Le groupe des camarades de Gironde.")


_MANDATE = object()


@pytest.fixture
def membership(db):
    """Factory: adds a member to a group with a role and mandate dates.

    An officer role gets a mandate ending in a year unless `ends_on` is given (`ends_on=None`: no end date).
    """

    def make(member: Member, group, role: str = "member", starts_on: date | None = None, ends_on=_MANDATE):
        if ends_on is _MANDATE:
            officer = role in GroupMembership.OFFICER_ROLES
            ends_on = timezone.localdate() + timedelta(days=365) if officer else None
        return GroupMembershipFactory(
            member=member,
            group=group,
            role=role,
            starts_on=starts_on or date(2000, 1, 1),
            ends_on=ends_on,
        )

    return make


@pytest.fixture
def paid_dues(db, this_year):
    """Factory: a paid cotisation with its payment and tax receipt (written directly: accounting fixtures)."""

    def make(member: Member, year: int | None = None) -> Cotisation:
        year = year or this_year
        cotisation = Cotisation.objects.create(
            member=member,
            year=year,
            rate_code="PLEIN",
            rate_label="Tarif normal",
            amount_due_eur=Decimal("90.00"),
            gift_eur=Decimal("20.00"),
            paid_eur=Decimal("110.00"),
            status=Cotisation.Status.PAID,
            transfer_reference=f"SOCE-{year}-T{member.pk:05d}",
            paid_at=timezone.now(),
        )
        Payment.objects.create(
            cotisation=cotisation,
            amount_eur=Decimal("110.00"),
            method=Payment.Method.TRANSFER,
            paid_on=date(year, 3, 2),
            reference=f"VIR {member.last_name}",
        )
        TaxReceipt.objects.create(
            year=year,
            sequence=member.pk,
            number=f"{year}-{member.pk:06d}",
            cotisation=cotisation,
            member=member,
            amount_eur=Decimal("110.00"),
            dues_eur=Decimal("90.00"),
            gift_eur=Decimal("20.00"),
            payment_date=date(year, 3, 2),
            payment_method=Payment.Method.TRANSFER,
            donor={"first_name": member.first_name, "last_name": member.last_name},
        )
        return cotisation

    return make
