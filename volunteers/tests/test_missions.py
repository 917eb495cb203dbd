"""A mission's structure and its group agree: a GT mission serves a GT, a GP mission a GP, a campus one a campus."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import login_with_mfa, staff_user_with
from members.models import Group
from members.tests.factories import GroupFactory, MemberFactory
from soce.lib import roles
from volunteers.models import Mission, StructureKind

from .factories import MissionFactory

pytestmark = pytest.mark.django_db


def _mission(structure, group=None):
    return Mission(
        title="Délégué",
        description="…",
        structure_kind=structure,
        group=group,
        expected_time="2 h par mois",
        referent=MemberFactory(),
    )


@pytest.mark.parametrize(
    ("structure", "kind"),
    [
        (StructureKind.TERRITORIAL, Group.Kind.TERRITORIAL),
        (StructureKind.PROFESSIONAL, Group.Kind.PROFESSIONAL),
        (StructureKind.CAMPUS, Group.Kind.CAMPUS),
    ],
)
def test_matching_group_is_accepted(structure, kind):
    _mission(structure, GroupFactory(kind=kind)).full_clean()


@pytest.mark.parametrize(
    ("structure", "kind"),
    [
        (StructureKind.TERRITORIAL, Group.Kind.PROFESSIONAL),
        (StructureKind.PROFESSIONAL, Group.Kind.CAMPUS),
        (StructureKind.CAMPUS, Group.Kind.TERRITORIAL),
        (StructureKind.TERRITORIAL, Group.Kind.PROMOTION),
    ],
)
def test_a_group_of_another_kind_is_refused_in_french(structure, kind):
    with pytest.raises(ValidationError) as error:
        _mission(structure, GroupFactory(kind=kind, name="Groupe X")).full_clean()
    message = error.value.message_dict["group"][0]
    assert "« Groupe X » est de type" in message and "doit servir un groupe de type" in message


def test_a_group_mission_needs_its_group_and_a_national_one_none():
    with pytest.raises(ValidationError, match="Choisissez le groupe servi"):
        _mission(StructureKind.TERRITORIAL).full_clean()
    with pytest.raises(ValidationError, match="laissez le groupe vide"):
        _mission(StructureKind.NATIONAL, GroupFactory()).full_clean()
    _mission(StructureKind.NATIONAL).full_clean()


def test_the_admin_form_refuses_a_mismatch():
    client = login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "equipe-benevolat@exemple.fr"))
    gp = GroupFactory(kind=Group.Kind.PROFESSIONAL, name="GP Aéronautique")
    response = client.post(
        reverse("admin:volunteers_mission_add"),
        {
            "title": "Délégué PMI",
            "description": "Relations avec les écoles",
            "structure_kind": StructureKind.TERRITORIAL,
            "group": gp.pk,
            "national_service": "",
            "skills": "",
            "expected_time": "2 h par mois",
            "referent": MemberFactory().pk,
            "review_every_months": 12,
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "« GP Aéronautique » est de type" in response.content.decode()
    assert not Mission.objects.filter(title="Délégué PMI").exists()


def test_the_factory_and_the_demo_mapping_are_consistent():
    MissionFactory().full_clean()
