"""Section « bénévolat » de « mes données » (droit d'accès, RGPD)."""

from __future__ import annotations


def _iso(value):
    return value.isoformat() if value else None


def member_volunteering(member) -> dict:
    """The person's engagements, charters and reviews, as JSON-ready data (no side effect)."""
    from .models import CharterSignature, Engagement, Review

    engagements = Engagement.objects.filter(volunteer=member).select_related("mission").order_by("starts_on")
    signatures = CharterSignature.objects.filter(volunteer=member).select_related("version").order_by("created_at")
    reviews = Review.objects.filter(engagement__volunteer=member).order_by("due_on")
    return {
        "engagements": [
            {
                "reference": str(e.public_id),
                "mission": e.mission.title,
                "etat": e.get_status_display(),
                "debut": _iso(e.starts_on),
                "fin": _iso(e.ends_on),
            }
            for e in engagements
        ],
        "chartes": [
            {
                "reference": str(s.public_id),
                "version": s.version.label,
                "sur_papier": s.on_paper,
                "signee_le": _iso(s.volunteer_signed_at),
                "contresignee_le": _iso(s.countersigned_at),
                "refusee_le": _iso(s.declined_at),
            }
            for s in signatures
        ],
        "bilans": [
            {
                "reference": str(r.public_id),
                "prevu_le": _iso(r.due_on),
                "prepare_le": _iso(r.prepared_at),
                "fait_le": _iso(r.done_on),
                "realisations": r.achievements,
                "difficultes": r.difficulties,
                "besoins": r.needs,
            }
            for r in reviews
        ],
    }
