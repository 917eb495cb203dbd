"""Lectures des membres : requêtes et règles de visibilité."""

from __future__ import annotations

from django.http import Http404

from .models import GroupMembership, Member


def member_for_user(*, user) -> Member | None:
    """The Member record linked to this login, or None."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("campus", "category").filter(user=user).first()


def member_get_for(*, user) -> Member:
    member = member_for_user(user=user)
    if member is None:
        raise Http404("Aucune fiche de membre n'est liée à ce compte.")
    return member


def group_memberships_of(*, member: Member):
    """The member's current group memberships (mandates and memberships not ended)."""
    from django.db.models import Q
    from django.utils import timezone

    today = timezone.localdate()
    return (
        GroupMembership.objects.filter(member=member, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("group")
        .order_by("group__kind", "group__name")
    )


def cotisations_of(*, member: Member):
    """A member's cotisations, newest first, with payments and receipts, cancelled ones included (3 queries)."""
    from django.db.models import Prefetch

    from .models import Cotisation, Payment, TaxReceipt

    return (
        Cotisation.objects.filter(member=member)
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.order_by("paid_on", "id")),
            Prefetch("tax_receipts", queryset=TaxReceipt.objects.order_by("-year", "-sequence")),
        )
        .order_by("-year")
    )


def receipt_get_for(*, user, public_id):
    """The tax receipt with this public id, if it belongs to the user's member record; else 404."""
    from .models import TaxReceipt

    member = member_get_for(user=user)
    receipt = TaxReceipt.objects.select_related("cotisation").filter(public_id=public_id, member=member).first()
    if receipt is None:
        raise Http404("Reçu introuvable.")
    return receipt


def member_paid_year(*, member: Member, year: int) -> bool:
    """Whether this very year is settled (paid, waived, or covered by a lifetime membership)."""
    from .models import Cotisation, CotisationStatus

    if member.lifetime_since and member.lifetime_since <= year:
        return True
    return Cotisation.objects.filter(
        member=member, year=year, status__in=[CotisationStatus.PAID, CotisationStatus.WAIVED]
    ).exists()
