"""Periodic reviews: due, reminders to referent and volunteer, done, next one scheduled."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from members.tests.factories import MemberFactory, UserFactory
from soce.lib.exceptions import BusinessError
from volunteers import services
from volunteers.models import Engagement, Review

from .factories import EngagementFactory

pytestmark = pytest.mark.django_db
S = Engagement.Status


@pytest.fixture
def referent_user(db):
    user = UserFactory(email="referente@exemple.fr", first_name="Claire", last_name="Roux")
    MemberFactory(user=user, email=user.email, first_name="Claire", last_name="Roux")
    return user


@pytest.fixture
def review(volunteer_member, referent_user, today):
    engagement = EngagementFactory(volunteer=volunteer_member, referent=referent_user.member, status=S.ACTIVE)
    return Review.objects.create(engagement=engagement, due_on=today + timedelta(days=10))


def test_overdue_review_moves_the_engagement_to_review_due_and_back(review, volunteer_user, referent_user, today):
    assert services.reviews_mark_due(today=today) == 0
    assert services.reviews_mark_due(today=review.due_on) == 1
    engagement = review.engagement
    engagement.refresh_from_db()
    assert engagement.status == S.REVIEW_DUE
    with pytest.raises(BusinessError, match="référent"):
        services.review_complete(
            review=review, by=volunteer_user, achievements="x", difficulties="", needs="", outlook="continue"
        )
    services.review_prepare(review=review, by=volunteer_user, achievements="Deux conférences", outlook="continue")
    review.refresh_from_db()
    assert review.is_prepared and review.prepared_by == volunteer_user and not review.is_done
    done = services.review_complete(
        review=review,
        by=referent_user,
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
    assert done.completed_by == referent_user and done.prepared_by == volunteer_user
    with pytest.raises(BusinessError, match="déjà"):
        services.review_complete(
            review=review, by=referent_user, achievements="x", difficulties="", needs="", outlook="continue"
        )
    with pytest.raises(BusinessError, match="déjà"):
        services.review_prepare(review=review, by=volunteer_user, achievements="x")


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


def test_review_page_for_volunteer_and_referent_only(
    review, volunteer_client, other_member_client, referent_user, today
):
    url = reverse("volunteers:review", args=[review.public_id])
    page = volunteer_client.get(url)
    assert page.status_code == 200 and "Valider et clore" not in page.content.decode()
    assert other_member_client.get(url).status_code == 404
    draft = {"achievements": "Accueil des nouveaux", "difficulties": "", "needs": "", "outlook": "adjust"}
    # The volunteer prepares; even asking to close only saves the draft.
    response = volunteer_client.post(url, {**draft, "next_due_on": "", "close": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.done_on is None and review.is_prepared and review.outlook == "adjust"
    home = volunteer_client.get(reverse("volunteers:home")).content.decode()
    assert "Préparé, en attente du référent" in home

    referent = Client()
    referent.force_login(referent_user)
    assert "Valider le bilan préparé" in referent.get(reverse("volunteers:home")).content.decode()
    page = referent.get(url).content.decode()
    assert "Accueil des nouveaux" in page and "Valider et clore le bilan" in page
    response = referent.post(url, {**draft, "achievements": "Accueil des nouveaux, relu", "close": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.done_on == today and review.completed_by == referent_user
    assert review.achievements == "Accueil des nouveaux, relu"


def test_a_volunteer_named_their_own_referent_still_cannot_close(volunteer_member, volunteer_user, today):
    engagement = EngagementFactory(volunteer=volunteer_member, referent=volunteer_member, status=S.ACTIVE)
    review = Review.objects.create(engagement=engagement, due_on=today)
    with pytest.raises(BusinessError, match="référent"):
        services.review_complete(
            review=review, by=volunteer_user, achievements="x", difficulties="", needs="", outlook="continue"
        )


def test_the_benevolat_team_closes_a_prepared_review_in_the_admin(review, volunteer_user, today):
    from conftest import login_with_mfa, staff_user_with
    from soce.lib import roles

    services.review_prepare(review=review, by=volunteer_user, achievements="Forum des métiers", outlook="continue")
    user = staff_user_with(roles.BENEVOLAT, "equipe-benevolat@exemple.fr")
    client = login_with_mfa(Client(), user)
    client.post(
        reverse("admin:volunteers_review_changelist"), {"action": "close_prepared", "_selected_action": [review.pk]}
    )
    review.refresh_from_db()
    assert review.done_on == today and review.completed_by == user
