"""Charter versions and the signing ceremony through the portal."""

import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader

from soce.lib.exceptions import BusinessError
from soce.lib.signing import services as signing
from soce.lib.signing.models import Party
from soce.lib.signing.testing import last_otp_code
from volunteers import selectors, services
from volunteers.models import CharterVersion, Engagement, ResigningCampaign

from .ceremony import CONFIRM, representative_countersigns, volunteer_signs
from .conftest import CLIENT
from .factories import CharterVersionFactory, EngagementFactory, MandateFactory

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------- versions


def test_publication_sanitises_freezes_and_hashes(today):
    version = CharterVersionFactory(label="V1", body_html='<p onclick="x()">Texte</p><script>alert(1)</script>')
    services.charter_version_publish(version=version, by=None, today=today)
    version.refresh_from_db()
    assert version.body_html == "<p>Texte</p>"
    assert version.text_sha256 == signing.sha256_hex("<p>Texte</p>")
    assert version.is_published and version.baseline == version and version.effective_on == today
    with pytest.raises(BusinessError):
        services.charter_version_publish(version=version, by=None)


def test_minor_version_keeps_signatures_valid_major_opens_a_campaign(v8, volunteer_member, engagement, today):
    services.charter_paper_record(volunteer=volunteer_member, version=v8, signed_at=v8.published_at, by=None)
    minor = CharterVersionFactory(label="V8.1", kind=CharterVersion.Kind.MINOR)
    services.charter_version_publish(version=minor, by=None, today=today)
    assert selectors.charter_current() == minor and minor.baseline == v8
    assert selectors.has_signed_current(member=volunteer_member)
    assert not ResigningCampaign.objects.exists()
    major = CharterVersionFactory(label="V9", kind=CharterVersion.Kind.MAJOR, resign_within_days=30)
    services.charter_version_publish(version=major, by=None, today=today)
    assert not selectors.has_signed_current(member=volunteer_member)
    campaign = ResigningCampaign.objects.get(version=major)
    assert campaign.deadline == today + timedelta(days=30)
    from soce.lib.reminders.models import Step

    assert set(Step.objects.values_list("code", flat=True)) >= {
        f"volunteers-charter-{major.pk}-announce",
        f"volunteers-charter-{major.pk}-reminders",
    }
    assert selectors.still_on_older_version() == 1


def test_diff_between_versions(v7, v8):
    table = selectors.charter_diff(old=v7, new=v8)
    assert "successeur" in table and "diff_add" in table


def test_admin_diff_and_adoption_pages(v7, v8, db):
    from django.test import Client

    from conftest import login_with_mfa, staff_user_with
    from soce.lib import roles

    client = login_with_mfa(Client(), staff_user_with(roles.BENEVOLAT, "benevolat@exemple.fr"))
    changelist = client.get(reverse("admin:volunteers_charterversion_changelist"))
    assert changelist.status_code == 200 and "Version en vigueur" in changelist.content.decode()
    diff = client.get(reverse("admin:volunteers_charterversion_diff") + f"?a={v7.pk}&b={v8.pk}")
    assert diff.status_code == 200 and "diff_add" in diff.content.decode()


# ---------------------------------------------------------------------------------------------- preconditions


def test_without_a_published_version_the_page_says_so(volunteer_client, engagement):
    html = volunteer_client.get(reverse("volunteers:charter")).content.decode()
    assert 'data-problem="no_version"' in html


def test_without_an_engagement_the_page_says_so(volunteer_client, volunteer_member, v8):
    html = volunteer_client.get(reverse("volunteers:charter")).content.decode()
    assert 'data-problem="no_engagement"' in html


def test_unpaid_dues_block_signing_with_the_reason_and_a_renewal_link(
    volunteer_client, volunteer_member, engagement, v8, today
):
    volunteer_member.paid_through_year = today.year - 2
    volunteer_member.save()
    response = volunteer_client.get(reverse("volunteers:charter"))
    html = response.content.decode()
    assert 'data-problem="dues"' in html
    assert "premier devoir du bénévole" in html
    assert "/cotisation/renouveler/" in html
    refused = volunteer_client.post(reverse("volunteers:charter"), CONFIRM)
    assert refused.status_code == 200 and 'data-problem="dues"' in refused.content.decode()


def test_consents_are_required(volunteer_client, engagement, v8):
    response = volunteer_client.post(reverse("volunteers:charter"), {"identity_ok": "on"})
    assert response.status_code == 200
    assert "Acceptez la convention de preuve" in response.content.decode()


# ---------------------------------------------------------------------------------------------- ceremony


def test_whole_ceremony_with_the_test_client(
    volunteer_client,
    volunteer_member,
    engagement,
    v8,
    representative_client,
    representative_user,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        signature = volunteer_signs(volunteer_client, volunteer_member)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE  # the volunteer's signature starts the engagement
    assert engagement.reviews.filter(done_on__isnull=True).exists()
    queue = representative_client.get(reverse("volunteers:countersign_queue")).content.decode()
    assert volunteer_member.full_name in queue

    with django_capture_on_commit_callbacks(execute=True):
        response = representative_countersigns(representative_client, signature, representative_user.email)
    assert "Charte contresignée" in response.content.decode()  # sealing runs after the commit
    page = representative_client.get(reverse("volunteers:countersign", args=[signature.public_id]))
    assert "Charte signée, contresignée et scellée" in page.content.decode()
    signature.refresh_from_db()
    document = signature.document
    assert document.is_sealed and signature.countersigned_at

    data = volunteer_client.get(reverse("volunteers:charter_pdf", args=[signature.public_id])).content
    assert data == signing.document_sealed_pdf(document=document)
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "MARCHAND" in text and "Responsable du bénévolat" in text and "Fait en deux exemplaires" in text
    evidence = json.loads(reader.attachments["preuves.json"][0])
    assert evidence["document"]["version"] == "V8"
    assert {e["action"] for e in evidence["events"]} >= {"opened", "otp_sent", "otp_verified", "signed"}
    copies = [m for m in mailoutbox if m.attachments]
    assert sorted(m.to[0] for m in copies) == sorted([volunteer_member.email, representative_user.email])
    assert signing.verify_pdf(data=data).status == "valid"


def test_typed_name_is_accepted_for_keyboard_users(volunteer_client, volunteer_member, engagement, v8):
    signature = volunteer_signs(volunteer_client, volunteer_member, typed_name="Étienne Marchand")
    party = signature.document.parties.get(role=Party.Role.SIGNER)
    assert party.signature_method == "typed" and party.typed_name == "Étienne Marchand"


def test_wrong_code_shows_the_attempts_left(volunteer_client, volunteer_member, engagement, v8):
    volunteer_client.post(reverse("volunteers:charter"), CONFIRM)
    signature = volunteer_member.charter_signatures.get()
    good = last_otp_code()
    response = volunteer_client.post(
        reverse("volunteers:charter_code", args=[signature.public_id]),
        {"code": "999999" if good != "999999" else "888888"},
        follow=True,
    )
    assert "Il vous reste 4 essais" in response.content.decode()
    refused = volunteer_client.post(
        reverse("volunteers:charter_sign", args=[signature.public_id]),
        {"place": "Angers", "typed_name": "Étienne Marchand"},
        follow=True,
    )
    assert "Saisissez d&#x27;abord le code" in refused.content.decode()


def test_decline_with_a_reason(volunteer_client, volunteer_member, engagement, v8):
    volunteer_client.post(reverse("volunteers:charter"), CONFIRM)
    signature = volunteer_member.charter_signatures.get()
    response = volunteer_client.post(
        reverse("volunteers:charter_decline", args=[signature.public_id]), {"reason": "Je veux en parler."}, follow=True
    )
    assert "Votre refus est enregistré" in response.content.decode()
    signature.refresh_from_db()
    assert signature.declined_at and signature.document.status == "declined"
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.AWAITING_SIGNATURE


def test_signer_cannot_countersign_their_own_charter(
    volunteer_client, volunteer_user, volunteer_member, engagement, v8
):
    MandateFactory(member=volunteer_member, capacity="Président du GT")
    signature = volunteer_signs(volunteer_client, volunteer_member)
    assert (
        volunteer_member.full_name not in volunteer_client.get(reverse("volunteers:countersign_queue")).content.decode()
    )
    assert volunteer_client.get(reverse("volunteers:countersign", args=[signature.public_id])).status_code == 404
    mandate = volunteer_member.countersigning_mandates.get()
    with pytest.raises(BusinessError, match="propre charte"):
        services.countersign_confirm(signature=signature, user=volunteer_user, mandate=mandate, client=CLIENT)
    counter = signature.document.parties.get(role=Party.Role.COUNTERSIGNER)
    with pytest.raises(BusinessError, match="vous signez vous-même"):
        signing.party_claim(party=counter, user=volunteer_user, identity={}, client=CLIENT)


def test_group_mandate_sees_only_its_group(volunteer_client, volunteer_member, engagement, v8, db):
    from members.tests.factories import GroupFactory

    signature = volunteer_signs(volunteer_client, volunteer_member)
    own = MandateFactory(group=engagement.mission.group, capacity="Président du GT")
    other = MandateFactory(group=GroupFactory(), capacity="Président d'un autre GT")
    assert list(selectors.countersign_queue(member=own.member)) == [signature]
    assert list(selectors.countersign_queue(member=other.member)) == []


def test_another_member_gets_404_everywhere(
    volunteer_client, volunteer_member, engagement, v8, other_member_client, representative_client, representative_user
):
    signature = volunteer_signs(volunteer_client, volunteer_member)
    ref = signature.public_id
    for name in ("charter_step", "charter_pdf", "countersign"):
        assert other_member_client.get(reverse(f"volunteers:{name}", args=[ref])).status_code == 404
    for name in ("charter_code", "charter_sign", "charter_decline", "countersign_take", "countersign_sign"):
        assert other_member_client.post(reverse(f"volunteers:{name}", args=[ref]), {}).status_code == 404
    assert other_member_client.get(reverse("volunteers:countersign_queue")).status_code == 404
    # The representative sees it in the queue but not as the signer.
    assert representative_client.get(reverse("volunteers:charter_step", args=[ref])).status_code == 404


def test_paper_signature_activates_the_engagement(volunteer_member, engagement, v8):
    services.charter_paper_record(volunteer=volunteer_member, version=v8, signed_at=v8.published_at, by=None)
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.ACTIVE


def test_accepting_a_proposed_mission_leads_to_the_charter(volunteer_client, volunteer_member, v8, mission):
    proposed = EngagementFactory(volunteer=volunteer_member, mission=mission, status=Engagement.Status.PROPOSED)
    response = volunteer_client.post(reverse("volunteers:engagement_accept", args=[proposed.public_id]))
    assert response["Location"] == reverse("volunteers:charter")
    proposed.refresh_from_db()
    assert proposed.status == Engagement.Status.AWAITING_SIGNATURE


def test_paper_signer_is_told_there_is_nothing_more_to_do(volunteer_client, volunteer_member, engagement, v8):
    signature = services.charter_paper_record(
        volunteer=volunteer_member, version=v8, signed_at=v8.published_at, by=None
    )
    response = volunteer_client.get(reverse("volunteers:charter"), follow=True)
    assert "sur papier" in response.content.decode()
    assert volunteer_client.get(reverse("volunteers:charter_step", args=[signature.public_id])).status_code == 404
    assert "archivée au siège" in volunteer_client.get(reverse("volunteers:home")).content.decode()


def test_the_chosen_mandate_must_cover_the_charters_group(
    volunteer_client, volunteer_member, engagement, v8, representative_client, representative_user, today
):
    from members.tests.factories import GroupFactory

    signature = volunteer_signs(volunteer_client, volunteer_member)
    national = representative_user.member.countersigning_mandates.get()
    national.delete()
    own = MandateFactory(member=representative_user.member, group=engagement.mission.group, capacity="Président GT")
    other = MandateFactory(member=representative_user.member, group=GroupFactory(), capacity="Président autre GT")
    page = representative_client.get(reverse("volunteers:countersign", args=[signature.public_id])).content.decode()
    assert "Président GT" in page and "Président autre GT" not in page  # only the covering mandate is offered
    with pytest.raises(BusinessError, match="ne couvre pas cette charte"):
        services.countersign_confirm(signature=signature, user=representative_user, mandate=other, client=CLIENT)
    response = representative_client.post(
        reverse("volunteers:countersign_take", args=[signature.public_id]),
        {**CONFIRM, "mandate": other.pk},
        follow=True,
    )
    counter = signature.document.parties.get(role=Party.Role.COUNTERSIGNER)
    assert counter.user_id is None and counter.capacity == ""  # nothing taken with the wrong mandate
    assert response.status_code == 200
    expired = MandateFactory(
        member=representative_user.member,
        capacity="Ancien mandat national",
        starts_on=today - timedelta(days=400),
        ends_on=today - timedelta(days=1),
    )
    with pytest.raises(BusinessError, match="pas en vigueur"):
        services.countersign_confirm(signature=signature, user=representative_user, mandate=expired, client=CLIENT)
    services.countersign_confirm(signature=signature, user=representative_user, mandate=own, client=CLIENT)
    counter.refresh_from_db()
    assert counter.user == representative_user and counter.capacity == "Président GT"
