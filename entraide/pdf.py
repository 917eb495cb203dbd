"""PDF de l'entraide : procès-verbal de séance (le contrat de prêt est scellé par le moteur de signature)."""

from __future__ import annotations

from soce.lib.pdf import render_pdf

from .models import CommitteeSession


def session_minutes_pdf(session: CommitteeSession, *, recused_case_ids: frozenset[int] = frozenset()) -> bytes:
    """The minutes: attendance, quorum, recusals, each decision, urgent aids ratified.

    `recused_case_ids`: the copy of a member recused from those cases. Their lines keep only the case's
    reference (no beneficiary, decision, amount, conditions, reasons or recusal motives): a recused member
    takes no part in the case and learns nothing more about it from the minutes.
    """
    from .services import settings_get

    members = list(session.members.select_related("user"))
    decisions = list(
        session.decisions.select_related("case__beneficiary__member", "recorded_by").order_by("decided_at", "id")
    )
    recusals = list(session.recusals.select_related("user", "case"))
    for decision in decisions:
        decision.recused = [r for r in recusals if r.case_id == decision.case_id]
        decision.redacted = decision.case_id in recused_case_ids
    urgents = list(session.urgent_aids.select_related("case", "first_by", "second_by"))
    for urgent in urgents:
        urgent.redacted = urgent.case_id in recused_case_ids
    measures = list(session.loan_measures.select_related("loan"))
    for measure in measures:
        measure.redacted = measure.loan.case_id in recused_case_ids
    return render_pdf(
        "pdf/entraide/minutes.html",
        {
            "session": session,
            "members": members,
            "present": [m for m in members if m.present],
            "absent": [m for m in members if not m.present],
            "decisions": decisions,
            "urgents": urgents,
            "quorum": settings_get().quorum,
            "measures": measures,
            "redacted_copy": bool(recused_case_ids),
        },
    )
