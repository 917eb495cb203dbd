"""Règles d'audience des relances du bénévolat (enregistrées dans apps.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.urls import reverse

from soce.lib.reminders.registry import AudienceRule, Recipient

from . import selectors
from .models import CharterSignature, CharterVersion, Engagement, EngagementStatus, ResigningCampaign, Review


def _charter_milestone(days_left: int, milestones: list[str]) -> str | None:
    """Which milestone of a re-signing campaign applies today: the smallest "j-N" reached, else "annonce"."""
    reached = [int(m[2:]) for m in milestones if m.startswith("j-") and days_left <= int(m[2:])]
    if reached:
        return f"j-{min(reached)}"
    return "annonce" if "annonce" in milestones else None


def charter_resign(step, today: date) -> Iterator[Recipient]:
    """Bound volunteers not yet on the version in force, before the campaign's deadline."""
    version = CharterVersion.objects.filter(pk=step.params.get("version_id")).first()
    campaign = ResigningCampaign.objects.filter(version=version).first() if version else None
    current = selectors.charter_current()
    if campaign is None or current is None or current.baseline_id != version.baseline_id:
        return
    days_left = (campaign.deadline - today).days
    if days_left < 0:
        return
    milestone = _charter_milestone(days_left, step.params.get("milestones", ["annonce"]))
    if milestone is None:
        return
    seen: set[int] = set()
    for engagement in selectors.engagements_missing_current_charter():
        member = engagement.volunteer
        if member.pk in seen or not member.contact_email:
            continue
        if step.is_reminder and member.reminders_opt_out:
            continue
        seen.add(member.pk)
        yield Recipient(
            key=f"member-{member.pk}:{milestone}",
            to=member.contact_email,
            context={
                "member": member,
                "version": version,
                "deadline": campaign.deadline,
                "days_left": days_left,
                "milestone": milestone,
                "sign_path": reverse("volunteers:charter"),
            },
            member_id=member.pk,
        )


def charter_resign_conversion(step) -> int:
    """How many people the step's e-mail reached signed that version within 30 days after it left."""
    from soce.lib.reminders.services import delivered_and_done_within

    return delivered_and_done_within(
        step=step,
        done=CharterSignature.objects.filter(version_id=step.params.get("version_id")),
        member_field="volunteer_id",
        at_field="volunteer_signed_at",
    )


def _review_milestone(days_to_due: int, before: int, late: int) -> str | None:
    if days_to_due > before:
        return None
    if days_to_due > 0:
        return "avant"
    if days_to_due > -late:
        return "echeance"
    return "retard"


def reviews_due(step, today: date) -> Iterator[Recipient]:
    """Each pending review: its referent and its volunteer, before the due date, on it, and when late."""
    before = int(step.params.get("before_days", 14))
    late = int(step.params.get("late_days", 14))
    reviews = (
        Review.objects.filter(done_on__isnull=True, engagement__status__in=Engagement.BOUND)
        .exclude(engagement__status=EngagementStatus.ENDING)
        .select_related("engagement__mission", "engagement__volunteer__user", "engagement__referent__user")
        .order_by("due_on", "id")
    )
    for review in reviews:
        milestone = _review_milestone((review.due_on - today).days, before, late)
        if milestone is None:
            continue
        engagement = review.engagement
        path = reverse("volunteers:review", args=[review.public_id])
        for role, person in (("referent", engagement.referent), ("volunteer", engagement.volunteer)):
            if not person.contact_email:
                continue
            yield Recipient(
                key=f"review-{review.pk}:{role}:{milestone}",
                to=person.contact_email,
                context={
                    "review": review,
                    "engagement": engagement,
                    "person": person,
                    "role": role,
                    "milestone": milestone,
                    "review_path": path,
                },
                related=review,
                member_id=person.pk,
            )


RULES = [
    AudienceRule(
        code="volunteers.charter_resign",
        label="Bénévoles à signer de nouveau la charte en vigueur",
        build=charter_resign,
        params_help="version_id : la version majeure ; milestones : « annonce », « j-14 », « j-3 »…",
        conversion=charter_resign_conversion,
    ),
    AudienceRule(
        code="volunteers.reviews_due",
        label="Bilans de mission à faire (référent et bénévole)",
        build=reviews_due,
        params_help="before_days : jours avant l'échéance ; late_days : jours après lesquels le bilan est en retard.",
    ),
]
