"""Liens signés des e-mails : renouvellement (durée limitée) et désabonnement des relances.

Ils ne contiennent que la référence publique opaque du membre (et l'année), signée : rien de sensible.
"""

from __future__ import annotations

from django.core import signing

from .models import AssociationSettings, Member

RENEW_SALT = "soce.members.renew"
UNSUBSCRIBE_SALT = "soce.members.unsubscribe"


def renewal_token(member: Member, year: int) -> str:
    return signing.dumps({"m": str(member.public_id), "y": year}, salt=RENEW_SALT, compress=True)


def renewal_from_token(token: str) -> tuple[Member, int] | None:
    """The member and year of a valid, unexpired renewal token, else None."""
    max_age = AssociationSettings.load().renewal_link_days * 86400
    try:
        data = signing.loads(token, salt=RENEW_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    member = Member.objects.select_related("campus", "category").filter(public_id=data.get("m")).first()
    if member is None:
        return None
    return member, int(data["y"])


def unsubscribe_token(member: Member) -> str:
    return signing.dumps(str(member.public_id), salt=UNSUBSCRIBE_SALT)


def member_from_unsubscribe_token(token: str) -> Member | None:
    try:
        public_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Member.objects.filter(public_id=public_id).first()
