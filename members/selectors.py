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
    return GroupMembership.objects.filter(member=member).select_related("group").order_by("group__kind", "group__name")
