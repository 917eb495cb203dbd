"""PDF de l'entraide : procès-verbal de séance (le contrat de prêt est scellé par le moteur de signature)."""

from __future__ import annotations

from soce.lib.pdf import render_pdf

from .models import CommitteeSession


def session_minutes_pdf(session: CommitteeSession) -> bytes:
    """The minutes: attendance, quorum, recusals, each decision, urgent aids ratified."""
    from .services import settings_get

    members = list(session.members.select_related("user"))
    decisions = list(
        session.decisions.select_related("case__beneficiary__member", "recorded_by").order_by("decided_at", "id")
    )
    recusals = list(session.recusals.select_related("user", "case"))
    for decision in decisions:
        decision.recused = [r for r in recusals if r.case_id == decision.case_id]
    return render_pdf(
        "pdf/entraide/minutes.html",
        {
            "session": session,
            "members": members,
            "present": [m for m in members if m.present],
            "absent": [m for m in members if not m.present],
            "decisions": decisions,
            "urgents": list(session.urgent_aids.select_related("case", "first_by", "second_by")),
            "quorum": settings_get().quorum,
            "measures": list(session.loan_measures.select_related("loan")),
        },
    )
