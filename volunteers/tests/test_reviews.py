"""Periodic reviews: due, reminders to referent and volunteer, done, next one scheduled."""

from datetime import timedelta

import pytest
from django.urls import reverse

from soce.lib.exceptions import BusinessError
from volunteers import services
from volunteers.models import Engagement, Review

from .factories import EngagementFactory

pytestmark = pytest.mark.django_db
S = Engagement.Status


@pytest.fixture
def review(volunteer_member, today):
    engagement = EngagementFactory(volunteer=volunteer_member, status=S.ACTIVE)
    return Review.objects.create(engagement=engagement, due_on=today + timedelta(days=10))


def test_overdue_review_moves_the_engagement_to_review_due_and_back(review, volunteer_user, today):
    assert services.reviews_mark_due(today=today) == 0
    assert services.reviews_mark_due(today=review.due_on) == 1
    engagement = review.engagement
    engagement.refresh_from_db()
    assert engagement.status == S.REVIEW_DUE
    done = services.review_complete(
        review=review,
        by=volunteer_user,
        achievements="Deux conférences",
        difficulties="",
        needs="",
        outlook=Review.Outlook.CONTINUE,
        today=review.due_on,
    )
    engagement.refresh_from_db()
    assert done.done_on == review.due_on and engagement.status == S.ACTIVE
    following = engagement.reviews.get(done_on__isnull=True)
    assert following.due_on == done.next_due_on > review.due_on
    with pytest.raises(BusinessError, match="déjà"):
        services.review_complete(
            review=review, by=volunteer_user, achievements="x", difficulties="", needs="", outlook="continue"
        )


def test_reminders_before_on_and_after_the_due_date_to_both(review, volunteer_member, today):
    from soce.lib.reminders import services as reminders

    services.reviews_reminders_ensure()
    from soce.lib.reminders.models import Step

    step = Step.objects.get(code=services.REVIEWS_STEP)
    assert list(reminders.step_audience(step=step, today=review.due_on - timedelta(days=20))) == []
    before = list(reminders.step_audience(step=step, today=review.due_on - timedelta(days=3)))
    assert sorted(r.key for r in before) == [
        f"review-{review.pk}:referent:avant",
        f"review-{review.pk}:volunteer:avant",
    ]
    assert {r.to for r in before} == {volunteer_member.email, review.engagement.referent.email}
    late = list(reminders.step_audience(step=step, today=review.due_on + timedelta(days=20)))
    assert {r.key.split(":")[-1] for r in late} == {"retard"}
    preview = reminders.step_preview(step=step, today=review.due_on)
    assert "/benevolat/bilans/" in preview["sample"]["text"]


def test_review_page_for_volunteer_and_referent_only(review, volunteer_client, other_member_client, today):
    url = reverse("volunteers:review", args=[review.public_id])
    assert volunteer_client.get(url).status_code == 200
    assert other_member_client.get(url).status_code == 404
    response = volunteer_client.post(
        url,
        {
            "achievements": "Accueil des nouveaux",
            "difficulties": "",
            "needs": "",
            "outlook": "adjust",
            "next_due_on": "",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.done_on == today and review.outlook == "adjust"
