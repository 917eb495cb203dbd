"""Règles d'audience de l'entraide pour le moteur de relances (soce.lib.reminders)."""

from __future__ import annotations

from datetime import date, timedelta

from django.urls import reverse

from soce.lib.reminders.registry import AudienceRule, Recipient, register

from .models import ArrearsBucket, FollowUp, FollowUpStatus, Opinion, OpinionStatus


def _site(path: str) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}{path}"


def opinions_due(step, today: date):
    """Opinions still awaited: three days before the deadline, on it, and a week after."""
    qs = (
        Opinion.objects.filter(status=OpinionStatus.REQUESTED, requested_from__isnull=False)
        .filter(due_on__lte=today + timedelta(days=3))
        .select_related("requested_from__user")
    )
    for opinion in qs:
        late = (today - opinion.due_on).days
        milestone = "j+7" if late >= 7 else ("j0" if late >= 0 else "j-3")
        yield Recipient(
            key=f"opinion-{opinion.pk}:{milestone}",
            to=opinion.requested_from.contact_email,
            context={
                "opinion": opinion,
                "late": late > 0,
                "url": _site(reverse("entraide:opinion", args=[opinion.public_id])),
            },
            related=opinion,
            member_id=opinion.requested_from_id,
        )


def arrears_friendly(step, today: date):
    """Borrowers whose loan opened a « friendly e-mail » follow-up: one message per follow-up."""
    qs = FollowUp.objects.filter(bucket=ArrearsBucket.FRIENDLY, status=FollowUpStatus.OPEN).select_related(
        "loan__beneficiary__member__user"
    )
    for followup in qs:
        beneficiary = followup.loan.beneficiary
        yield Recipient(
            key=f"followup-{followup.pk}",
            to=beneficiary.contact_email,
            context={
                "loan": followup.loan,
                "first_name": beneficiary.member.first_name if beneficiary.member_id else beneficiary.first_name,
                "url": _site(reverse("entraide:loan", args=[followup.loan.public_id])),
            },
            related=followup.loan,
            member_id=beneficiary.member_id,
        )


def register_rules() -> None:
    register(AudienceRule(code="entraide.opinions_due", label="Entraide : avis à rendre", build=opinions_due))
    register(
        AudienceRule(
            code="entraide.arrears_friendly",
            label="Entraide : rappel amical d'une échéance de prêt",
            build=arrears_friendly,
        )
    )
