"""Section « entraide » de « mes données » : les dossiers dont la personne est bénéficiaire, et ses prêts.

Les avis, les notes d'instruction et les délibérations du comité n'y figurent pas : ce sont les
documents de travail du comité (secret des délibérations), pas des données fournies par la personne.
"""

from __future__ import annotations


def _iso(value):
    return value.isoformat() if value else None


def member_aid(member) -> dict:
    """The person's own aid cases and loans, as JSON-ready data (no side effect)."""
    from .models import AidCase, Loan

    cases = AidCase.objects.filter(beneficiary__member=member, anonymised_at__isnull=True).order_by("created_at")
    loans = Loan.objects.filter(beneficiary__member=member).order_by("pk")
    return {
        "dossiers": [
            {
                "reference": c.reference,
                "aide_demandee": c.get_kind_requested_display(),
                "objet": c.get_purpose_display(),
                "etat": c.get_status_display(),
                "depose_le": _iso(c.submitted_at),
                "decide_le": _iso(c.decided_at),
                "situation": c.situation,
            }
            for c in cases
        ],
        "prets": [{"reference": str(loan.public_id), "etat": loan.get_status_display()} for loan in loans],
    }
