"""Engagement state machine: exactly the issue's table, every allowed and every forbidden move."""

import pytest
from django.db import IntegrityError

from soce.lib.audit import audit_for
from soce.lib.exceptions import BusinessError, ConcurrentChange, InvalidTransition
from soce.lib.states import transition
from volunteers import services
from volunteers.models import CharterVersion, Engagement, EngagementStatus

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


def test_association_decision_needs_a_reason_and_the_bureau(today):
    engagement = _engagement(S.ACTIVE)
    with pytest.raises(BusinessError, match="motivée"):
        services.engagement_decide_end(engagement=engagement, by=None, note="", bureau_validated_on=today)
    with pytest.raises(BusinessError, match="Bureau"):
        services.engagement_decide_end(engagement=engagement, by=None, note="Manquements", bureau_validated_on=None)
    services.engagement_decide_end(
        engagement=engagement, by=None, note="Manquements répétés", bureau_validated_on=today
    )
    assert engagement.status == S.ENDING and engagement.end_kind == Engagement.EndKind.DECISION


def test_charter_version_moves_only_from_draft_to_published():
    assert {
        CharterVersion.Status.DRAFT: {CharterVersion.Status.PUBLISHED},
        CharterVersion.Status.PUBLISHED: set(),
    } == CharterVersion.TRANSITIONS
