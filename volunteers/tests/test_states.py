"""Engagement state machine: exactly the issue's table, every allowed and every forbidden move."""

from datetime import timedelta

import pytest
from django.db import IntegrityError

from conftest import staff_user_with
from soce.lib import roles
from soce.lib.audit import audit_for
from soce.lib.exceptions import BusinessError, ConcurrentChange, InvalidTransition
from soce.lib.states import transition
from volunteers import services
from volunteers.models import CharterVersion, EndProposal, Engagement, EngagementStatus

from .factories import EngagementFactory

pytestmark = pytest.mark.django_db
S = EngagementStatus

EXPECTED = {
    S.PROPOSED: {S.AWAITING_SIGNATURE},
    S.AWAITING_SIGNATURE: {S.ACTIVE},
    S.ACTIVE: {S.REVIEW_DUE, S.SUSPENDED, S.ENDING},
    S.REVIEW_DUE: {S.ACTIVE},
    S.SUSPENDED: {S.ACTIVE},
    S.ENDING: {S.ENDED},
    S.ENDED: set(),
}
ALLOWED = [(a, b) for a in S for b in sorted(EXPECTED[a])]
FORBIDDEN = [(a, b) for a in S for b in S if b not in EXPECTED[a]]
ENDED_FIELDS = {"end_reason": Engagement.EndReason.TERM, "successor_none_found": True}


def _engagement(status):
    return EngagementFactory(status=status, **(ENDED_FIELDS if status == S.ENDED else {}))


def test_table_is_the_issues():
    assert Engagement.TRANSITIONS == EXPECTED


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_allowed_transition_is_made_and_logged(source, target):
    engagement = _engagement(source)
    transition(engagement, to=target, by=None, **(ENDED_FIELDS if target == S.ENDED else {}))
    engagement.refresh_from_db()
    assert engagement.status == target
    assert audit_for(engagement).filter(action=f"status.{target}").exists()


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_forbidden_transition_is_refused(source, target):
    engagement = _engagement(source)
    with pytest.raises(InvalidTransition):
        transition(engagement, to=target, by=None)
    engagement.refresh_from_db()
    assert engagement.status == source


def test_concurrent_move_is_detected():
    engagement = _engagement(S.ACTIVE)
    stale = Engagement.objects.get(pk=engagement.pk)
    transition(engagement, to=S.REVIEW_DUE, by=None)
    with pytest.raises(ConcurrentChange):
        transition(stale, to=S.SUSPENDED, by=None)


def test_ended_requires_a_reason_and_a_successor_in_the_database():
    engagement = _engagement(S.ENDING)
    with pytest.raises(IntegrityError):
        Engagement.objects.filter(pk=engagement.pk).update(status=S.ENDED)


def test_suspension_from_review_due_passes_through_active_and_keeps_the_review():
    engagement = _engagement(S.REVIEW_DUE)
    services.engagement_suspend(engagement=engagement, cause="dues")
    assert engagement.status == S.SUSPENDED
    actions = list(audit_for(engagement).order_by("at", "id").values_list("action", flat=True))
    assert actions[-2:] == ["status.active", "status.suspended"]


def test_suspension_is_lifted_only_when_every_cause_is_cleared():
    engagement = _engagement(S.ACTIVE)
    services.engagement_suspend(engagement=engagement, cause="dues")
    services.engagement_suspend(engagement=engagement, cause="charter")
    services.engagement_lift(engagement=engagement, cause="dues")
    assert engagement.status == S.SUSPENDED
    services.engagement_lift(engagement=engagement, cause="charter")
    assert engagement.status == S.ACTIVE


def test_notice_then_close_with_successor_or_none_found(member):
    engagement = _engagement(S.SUSPENDED)
    services.engagement_give_notice(engagement=engagement, by=None, note="Déménagement")
    assert engagement.status == S.ENDING and engagement.end_kind == Engagement.EndKind.NOTICE
    with pytest.raises(BusinessError, match="successeur"):
        services.engagement_close(engagement=engagement, by=None, reason="resigned")
    services.engagement_close(engagement=engagement, by=None, reason="replaced", successor=member)
    engagement.refresh_from_db()
    assert engagement.status == S.ENDED and engagement.successor == member and engagement.ended_on


@pytest.fixture
def proposer(db):
    return staff_user_with(roles.BENEVOLAT, "equipe-benevolat@exemple.fr")


@pytest.fixture
def bureau_user(db):
    return staff_user_with(roles.BUREAU, "bureau@exemple.fr")


def test_association_decision_is_proposed_then_validated_by_another_member_of_the_bureau(proposer, bureau_user, today):
    engagement = _engagement(S.REVIEW_DUE)
    with pytest.raises(BusinessError, match="motivée"):
        services.engagement_end_propose(engagement=engagement, by=proposer, note=" ")
    proposal = services.engagement_end_propose(engagement=engagement, by=proposer, note="Manquements répétés")
    engagement.refresh_from_db()
    assert engagement.status == S.REVIEW_DUE  # nothing changes until the Bureau validates
    with pytest.raises(BusinessError, match="déjà proposée"):
        services.engagement_end_propose(engagement=engagement, by=proposer, note="Encore")
    with pytest.raises(BusinessError, match="Seul un membre du Bureau"):
        services.engagement_end_validate(proposal=proposal, by=proposer)
    services.engagement_end_validate(proposal=proposal, by=bureau_user, note="Vu en réunion du Bureau")
    engagement.refresh_from_db()
    proposal.refresh_from_db()
    assert engagement.status == S.ENDING and engagement.end_kind == Engagement.EndKind.DECISION
    assert engagement.bureau_validated_on == today and engagement.end_note == "Manquements répétés"
    assert proposal.status == EndProposal.Status.VALIDATED and proposal.decided_by == bureau_user
    assert audit_for(proposal).filter(action="status.validated", actor=bureau_user).exists()
    assert audit_for(engagement).filter(action="engagement.end_proposed", actor=proposer).exists()
    assert audit_for(engagement).filter(action="status.ending", actor=bureau_user).exists()
    with pytest.raises(BusinessError, match="déjà été traitée"):
        services.engagement_end_validate(proposal=proposal, by=bureau_user)


def test_the_member_of_the_bureau_who_proposed_cannot_validate(bureau_user):
    engagement = _engagement(S.ACTIVE)
    proposal = services.engagement_end_propose(engagement=engagement, by=bureau_user, note="Conflit d'intérêts")
    with pytest.raises(BusinessError, match="autre membre du Bureau"):
        services.engagement_end_validate(proposal=proposal, by=bureau_user)
    with pytest.raises(IntegrityError):
        EndProposal.objects.filter(pk=proposal.pk).update(decided_by=bureau_user)


def test_the_bureau_may_refuse_and_the_engagement_goes_on(proposer, bureau_user):
    engagement = _engagement(S.ACTIVE)
    proposal = services.engagement_end_propose(engagement=engagement, by=proposer, note="Absences")
    with pytest.raises(BusinessError, match="pourquoi"):
        services.engagement_end_reject(proposal=proposal, by=bureau_user, note="")
    services.engagement_end_reject(proposal=proposal, by=bureau_user, note="Motif insuffisant")
    engagement.refresh_from_db()
    assert engagement.status == S.ACTIVE
    assert proposal.status == EndProposal.Status.REJECTED and proposal.decision_note == "Motif insuffisant"
    services.engagement_end_propose(engagement=engagement, by=proposer, note="Absences, après entretien")


def test_the_old_typed_bureau_date_path_is_gone():
    assert not hasattr(services, "engagement_decide_end")


def test_notice_received_by_phone_is_recorded_with_its_channel_and_date(proposer, today):
    engagement = _engagement(S.ACTIVE)
    proposal = services.engagement_end_propose(engagement=engagement, by=proposer, note="Absences")
    with pytest.raises(BusinessError, match="futur"):
        services.engagement_give_notice(
            engagement=engagement, by=proposer, on=today + timedelta(days=1), channel="phone"
        )
    given = today - timedelta(days=3)
    services.engagement_give_notice(
        engagement=engagement, by=proposer, note="Appel : déménage à Lille", on=given, channel="phone"
    )
    engagement.refresh_from_db()
    assert engagement.status == S.ENDING and engagement.end_kind == Engagement.EndKind.NOTICE
    assert engagement.notice_given_on == given and engagement.notice_channel == "phone"
    event = audit_for(engagement).get(action="status.ending")
    assert event.data["channel"] == "phone" and event.actor == proposer
    proposal.refresh_from_db()
    assert proposal.status == EndProposal.Status.WITHDRAWN  # the volunteer left first


def test_end_at_term_records_the_term_reason_and_the_successor(proposer, member, today):
    engagement = _engagement(S.SUSPENDED)
    with pytest.raises(BusinessError, match="pas de fin prévue"):
        services.engagement_end_at_term(engagement=engagement, by=proposer, none_found=True)
    Engagement.objects.filter(pk=engagement.pk).update(ends_on=today + timedelta(days=5))
    engagement.refresh_from_db()
    with pytest.raises(BusinessError, match="pas encore atteint"):
        services.engagement_end_at_term(engagement=engagement, by=proposer, none_found=True)
    with pytest.raises(BusinessError, match="successeur"):
        services.engagement_end_at_term(engagement=engagement, by=proposer, today=today + timedelta(days=5))
    services.engagement_end_at_term(
        engagement=engagement, by=proposer, successor=member, today=today + timedelta(days=6)
    )
    engagement.refresh_from_db()
    assert engagement.status == S.ENDED
    assert engagement.end_kind == Engagement.EndKind.TERM and engagement.end_reason == Engagement.EndReason.TERM
    assert engagement.successor == member and engagement.ended_on == today + timedelta(days=5)
    actions = list(audit_for(engagement).order_by("at", "id").values_list("action", flat=True))
    assert actions[-3:] == ["status.active", "status.ending", "status.ended"]


def test_charter_version_moves_only_from_draft_to_published():
    assert {
        CharterVersion.Status.DRAFT: {CharterVersion.Status.PUBLISHED},
        CharterVersion.Status.PUBLISHED: set(),
    } == CharterVersion.TRANSITIONS
