"""Suspensions: dues (signal and daily sweep), re-signing campaigns after their grace period."""

from datetime import date, timedelta

import pytest
import time_machine

from members.models import Member
from members.signals import dues_status_changed
from volunteers import services
from volunteers.models import CharterVersion, Engagement

from .factories import CharterVersionFactory, EngagementFactory

pytestmark = pytest.mark.django_db
S = Engagement.Status


@pytest.fixture
def active(volunteer_member, v8):
    services.charter_paper_record(volunteer=volunteer_member, version=v8, signed_at=v8.published_at, by=None)
    engagement = EngagementFactory(volunteer=volunteer_member, status=S.ACTIVE)
    return engagement


def test_dues_signal_suspends_then_payment_resumes(active, volunteer_member, today, django_capture_on_commit_callbacks):
    Member.objects.filter(pk=volunteer_member.pk).update(paid_through_year=today.year - 2)
    with django_capture_on_commit_callbacks(execute=True):
        dues_status_changed.send(sender=Member, member_id=volunteer_member.pk, up_to_date=False)
    active.refresh_from_db()
    assert active.status == S.SUSPENDED and active.suspended_for_dues
    Member.objects.filter(pk=volunteer_member.pk).update(paid_through_year=today.year)
    with django_capture_on_commit_callbacks(execute=True):
        dues_status_changed.send(sender=Member, member_id=volunteer_member.pk, up_to_date=True)
    active.refresh_from_db()
    assert active.status == S.ACTIVE and not active.suspended_for_dues


def test_daily_sweep_catches_a_missed_signal(active, volunteer_member, today):
    Member.objects.filter(pk=volunteer_member.pk).update(paid_through_year=today.year - 2)
    assert services.volunteers_daily(today=today)["dues"] == 1
    active.refresh_from_db()
    assert active.status == S.SUSPENDED
    assert services.volunteers_daily(today=today)["dues"] == 0  # nothing more to do: idempotent


def test_last_years_dues_are_enough_until_the_end_of_march(volunteer_member):
    volunteer_member.paid_through_year = 2026
    assert services.dues_ok(volunteer_member, date(2027, 3, 31))
    assert not services.dues_ok(volunteer_member, date(2027, 4, 1))


def test_major_version_suspends_after_the_grace_period_and_signing_lifts_it(
    active, volunteer_member, volunteer_user, volunteer_client, today
):
    v9 = CharterVersionFactory(label="V9", kind=CharterVersion.Kind.MAJOR, resign_within_days=30)
    services.charter_version_publish(version=v9, by=None, today=today)
    assert services.campaigns_enforce(today=today + timedelta(days=30)) == 0  # deadline day: still in time
    assert services.campaigns_enforce(today=today + timedelta(days=31)) == 1
    active.refresh_from_db()
    assert active.status == S.SUSPENDED and active.suspended_for_charter
    assert services.campaigns_enforce(today=today + timedelta(days=32)) == 0

    from .ceremony import volunteer_signs

    with time_machine.travel(today + timedelta(days=32, hours=12)):
        volunteer_client.force_login(volunteer_user)  # a month later: a new session
        volunteer_signs(volunteer_client, volunteer_member)
    active.refresh_from_db()
    assert active.status == S.ACTIVE and not active.suspended_for_charter


def test_resign_reminders_reach_those_not_on_the_current_version(active, volunteer_member, today):
    from soce.lib.reminders import services as reminders
    from soce.lib.reminders.models import Step

    v9 = CharterVersionFactory(label="V9", kind=CharterVersion.Kind.MAJOR, resign_within_days=30)
    services.charter_version_publish(version=v9, by=None, today=today)
    announce = Step.objects.get(code=f"volunteers-charter-{v9.pk}-announce")
    recipients = list(reminders.step_audience(step=announce, today=today))
    assert [r.to for r in recipients] == [volunteer_member.email]
    assert recipients[0].key == f"member-{volunteer_member.pk}:annonce"
    rolling = Step.objects.get(code=f"volunteers-charter-{v9.pk}-reminders")
    assert list(reminders.step_audience(step=rolling, today=today)) == []  # nothing before J-14
    later = list(reminders.step_audience(step=rolling, today=today + timedelta(days=28)))
    assert [r.key for r in later] == [f"member-{volunteer_member.pk}:j-3"]
    preview = reminders.step_preview(step=rolling, today=today + timedelta(days=20))
    assert "V9" in preview["sample"]["subject"] and "/benevolat/charte/" in preview["sample"]["text"]


def test_staff_extend_a_campaign_in_the_admin_which_lifts_its_suspensions(active, volunteer_member, today):
    from django.test import Client
    from django.urls import reverse

    from conftest import login_with_mfa, staff_user_with
    from soce.lib import roles
    from soce.lib.audit import audit_for
    from soce.lib.exceptions import BusinessError
    from volunteers.models import ResigningCampaign

    v9 = CharterVersionFactory(label="V9", kind=CharterVersion.Kind.MAJOR, resign_within_days=30)
    services.charter_version_publish(version=v9, by=None, today=today - timedelta(days=40))
    campaign = ResigningCampaign.objects.get(version=v9)
    assert services.campaigns_enforce(today=today) == 1
    active.refresh_from_db()
    assert active.status == S.SUSPENDED and active.suspended_for_charter

    user = staff_user_with(roles.BENEVOLAT, "equipe-benevolat@exemple.fr")
    client = login_with_mfa(Client(), user)
    changelist = reverse("admin:volunteers_resigningcampaign_changelist")
    assert 'value="extend"' in client.get(changelist).content.decode()
    new_deadline = today + timedelta(days=15)
    response = client.post(
        changelist,
        {
            "action": "extend",
            "_selected_action": [campaign.pk],
            "apply": "1",
            "deadline": new_deadline.isoformat(),
            "reason": "Assemblée générale reportée",
        },
        follow=True,
    )
    assert response.status_code == 200
    campaign.refresh_from_db()
    assert campaign.deadline == new_deadline and campaign.suspensions_done_on is None
    event = audit_for(campaign).get(action="charter.campaign_extended")
    assert event.actor == user and event.note == "Assemblée générale reportée"
    assert event.data["from"] == (today - timedelta(days=10)).isoformat()
    assert event.data["to"] == new_deadline.isoformat() and event.data["suspensions_lifted"] == 1
    active.refresh_from_db()
    assert active.status == S.ACTIVE and not active.suspended_for_charter
    assert services.campaigns_enforce(today=new_deadline) == 0  # in time again until the new deadline
    assert services.campaigns_enforce(today=new_deadline + timedelta(days=1)) == 1
    with pytest.raises(BusinessError, match="postérieure"):
        services.campaign_extend(campaign=campaign, deadline=new_deadline, by=user, reason="encore")
    with pytest.raises(BusinessError, match="motif"):
        services.campaign_extend(campaign=campaign, deadline=new_deadline + timedelta(days=9), by=user, reason=" ")
