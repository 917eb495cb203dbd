"""Back office for the Bénévolat group, metrics, demo seeder."""

import io
import random

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login_with_mfa, staff_user_with
from soce.lib import metrics, roles
from volunteers import services
from volunteers.models import CharterSignature, CharterVersion, EndProposal, Engagement

from .factories import EngagementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def benevolat_client(db):
    return login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "equipe-benevolat@exemple.fr"))


@pytest.mark.parametrize(
    "model",
    ["mission", "engagement", "review", "charterversion", "chartersignature", "countersigningmandate", "endproposal"],
)
def test_benevolat_group_reads_every_list(benevolat_client, model, engagement, v8):
    assert benevolat_client.get(reverse(f"admin:volunteers_{model}_changelist")).status_code == 200


def test_secretariat_does_not_manage_volunteers(staff_client):
    assert staff_client.get(reverse("admin:volunteers_engagement_changelist")).status_code == 403


def test_publish_action_and_frozen_text(benevolat_client):
    version = CharterVersion.objects.create(label="V1", body_html="<p>Texte <b>gras</b></p><img src=x>")
    benevolat_client.post(
        reverse("admin:volunteers_charterversion_changelist"),
        {"action": "publish", "_selected_action": [version.pk]},
    )
    version.refresh_from_db()
    assert version.is_published and version.text_sha256
    page = benevolat_client.get(reverse("admin:volunteers_charterversion_change", args=[version.pk]))
    assert 'name="body_html"' not in page.content.decode()  # read-only once published


@pytest.fixture
def bureau_client(db):
    return login_with_mfa(Client(), staff_user_with(roles.BUREAU, "bureau@exemple.fr"))


def test_reasoned_end_proposed_by_the_team_validated_by_the_bureau_in_the_admin(benevolat_client, bureau_client, today):
    engagement = EngagementFactory(status=Engagement.Status.ACTIVE)
    url = reverse("admin:volunteers_engagement_end", args=[engagement.pk])
    assert benevolat_client.get(url).status_code == 200
    benevolat_client.post(url, {"step": "propose", "propose-note": "Décision motivée"})
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE
    proposal = EndProposal.objects.get(engagement=engagement, status="pending")
    changelist = reverse("admin:volunteers_endproposal_changelist")
    # The team cannot validate its own proposal: the action is not even offered.
    response = benevolat_client.get(changelist)
    assert response.status_code == 200 and 'value="validate"' not in response.content.decode()
    benevolat_client.post(changelist, {"action": "validate", "_selected_action": [proposal.pk], "apply": "1"})
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE
    page = bureau_client.get(changelist).content.decode()
    assert 'value="validate"' in page
    confirm = bureau_client.post(changelist, {"action": "validate", "_selected_action": [proposal.pk]})
    assert "Valider la fin" in confirm.content.decode()
    bureau_client.post(
        changelist, {"action": "validate", "_selected_action": [proposal.pk], "apply": "1", "note": "Réunion du 3"}
    )
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ENDING and engagement.bureau_validated_on == today
    benevolat_client.post(url, {"step": "close", "close-reason": "revoked", "close-none_found": "on"})
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ENDED and engagement.successor_none_found


def test_notice_by_letter_and_end_at_term_from_the_admin(benevolat_client, member, today):
    engagement = EngagementFactory(status=Engagement.Status.ACTIVE)
    url = reverse("admin:volunteers_engagement_end", args=[engagement.pk])
    benevolat_client.post(
        url,
        {
            "step": "notice",
            "notice-given_on": today.isoformat(),
            "notice-channel": "letter",
            "notice-note": "Lettre reçue au siège",
        },
    )
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ENDING and engagement.notice_channel == "letter"
    at_term = EngagementFactory(status=Engagement.Status.ACTIVE, ends_on=today)
    listed = benevolat_client.get(reverse("admin:volunteers_engagement_changelist"), {"fin": "terme"})
    assert listed.context["cl"].result_count == 1
    url = reverse("admin:volunteers_engagement_end", args=[at_term.pk])
    assert "Terminer au terme" in benevolat_client.get(url).content.decode()
    benevolat_client.post(url, {"step": "term", "term-successor": member.pk})
    at_term.refresh_from_db()
    assert at_term.status == Engagement.Status.ENDED and at_term.end_reason == "term"
    assert at_term.successor == member


def test_metrics(volunteer_member, engagement, v8, today):
    assert metrics.get("volunteers.active").func(today, today) == 0
    services.charter_paper_record(volunteer=volunteer_member, version=v8, signed_at=v8.published_at, by=None)
    assert metrics.get("volunteers.active").func(today, today) == 1
    assert metrics.get("volunteers.charter_signed_current").func(today, today) == 1
    # every group with its head count: the Bureau's dashboard hides those under 5
    assert metrics.get("volunteers.active").breakdowns["structure"](today, today) == {
        "Groupe territorial (GT)": metrics.Group(1, 1)
    }


def test_demo_seeder_builds_every_state_and_sealed_charters(today):
    from members import demo as members_demo
    from volunteers import demo

    out = io.StringIO()
    members_demo.seed(rng=random.Random(1), stdout=out, options={"members": 120})
    from members.models import Member

    Member.objects.filter(category__code="gadzarts").update(paid_through_year=today.year)
    demo.seed(rng=random.Random(2), stdout=out, options={})
    assert set(Engagement.objects.values_list("status", flat=True)) == set(Engagement.Status.values)
    assert set(CharterVersion.objects.filter(status="published").values_list("label", flat=True)) == {"V7", "V8"}
    sealed = CharterSignature.objects.filter(document__status="sealed")
    assert 1 <= sealed.count() <= 6
    assert CharterSignature.objects.filter(on_paper=True).exists()
    assert EndProposal.objects.filter(status="pending").count() == 1  # waiting for the Bureau
    from volunteers.models import Review

    assert Review.objects.filter(done_on__isnull=True, prepared_at__isnull=False).exists()  # awaiting the referent
    demo.seed(rng=random.Random(2), stdout=out, options={})  # idempotent
    assert "déjà présent" in out.getvalue()


def test_paper_charter_recorded_in_the_admin(benevolat_client, volunteer_member, engagement, v8):
    response = benevolat_client.post(
        reverse("admin:volunteers_chartersignature_add"),
        {
            "volunteer": volunteer_member.pk,
            "version": v8.pk,
            "volunteer_signed_at_0": "19/09/2019",
            "volunteer_signed_at_1": "18:00:00",
            "countersigned_at_0": "",
            "countersigned_at_1": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    signature = CharterSignature.objects.get(volunteer=volunteer_member)
    assert signature.on_paper and signature.document is None
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE
