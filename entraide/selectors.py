"""Lectures de l'entraide et règles de confidentialité.

Un dossier n'est visible que du groupe Entraide, et dans ce groupe seulement de son cercle :
l'instructeur, le rapporteur, les membres convoqués à la séance qui l'examine (sauf récusés) et,
pour une aide d'urgence, le président et le trésorier. Tous les autres reçoivent un 404, comme
pour un identifiant qui n'existe pas. Le demandeur ne voit que ses propres dossiers, au portail.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from soce.lib.audit import audit_for

from .models import (
    AgendaLoan,
    AidCase,
    CaseStatus,
    CommitteeSession,
    Disbursement,
    DisbursementStatus,
    Document,
    FollowUp,
    FollowUpStatus,
    Grant,
    Guarantee,
    GuaranteeStatus,
    Instalment,
    Loan,
    LoanStatus,
    Opinion,
    OpinionStatus,
    PaymentStatus,
    Recusal,
    SessionMember,
    SessionStatus,
    UrgentAid,
)
from .services import agenda_waiting_cases, agenda_waiting_loans, urgent_role_of

ENTRAIDE_PERM = "entraide.view_aidcase"


def is_entraide(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(ENTRAIDE_PERM))


def _urgent_role(user) -> str | None:
    """The user's national office (president/treasurer), looked up once per request."""
    if not hasattr(user, "_entraide_urgent_role"):
        user._entraide_urgent_role = urgent_role_of(user)
    return user._entraide_urgent_role


def _circle_q(user) -> Q:
    in_session = Exists(SessionMember.objects.filter(session_id=OuterRef("session_id"), user_id=user.pk))
    recused = Exists(Recusal.objects.filter(session_id=OuterRef("session_id"), case_id=OuterRef("pk"), user_id=user.pk))
    # A loan put on a session's agenda opens its case to that session's members (not the recused).
    loan_on_agenda = Exists(
        AgendaLoan.objects.filter(loan__case_id=OuterRef("pk"))
        .filter(Exists(SessionMember.objects.filter(session_id=OuterRef("session_id"), user_id=user.pk)))
        .exclude(
            Exists(
                Recusal.objects.filter(
                    session_id=OuterRef("session_id"), case_id=OuterRef("loan__case_id"), user_id=user.pk
                )
            )
        )
    )
    q = Q(instructor_id=user.pk) | Q(rapporteur_id=user.pk) | (Q(in_session) & ~Q(recused)) | Q(loan_on_agenda)
    if _urgent_role(user):
        q |= Q(Exists(UrgentAid.objects.filter(case_id=OuterRef("pk"))))
    return q


def cases_for(*, user) -> QuerySet[AidCase]:
    """The cases in this person's circle (none outside the Entraide group)."""
    if not is_entraide(user):
        return AidCase.objects.none()
    return AidCase.objects.filter(_circle_q(user))


def case_get_for(*, user, public_id) -> AidCase:
    """One case of the circle, with what its page shows; 404 otherwise."""
    case = (
        cases_for(user=user)
        .select_related(
            "beneficiary__member__campus",
            "beneficiary__member__user",
            "instructor",
            "rapporteur",
            "session",
            "filed_by",
        )
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise Http404("Dossier introuvable.")
    return case


def case_list(*, user, status: str | None = None) -> QuerySet[AidCase]:
    qs = cases_for(user=user).select_related("beneficiary__member__campus", "instructor", "session")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def case_counts(*, user) -> dict[str, int]:
    from django.db.models import Count

    rows = cases_for(user=user).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def triage_cases(*, user) -> QuerySet[AidCase]:
    """New cases waiting for an instructor: shown without any name to the Entraide group."""
    if not is_entraide(user):
        return AidCase.objects.none()
    return AidCase.objects.filter(status=CaseStatus.SUBMITTED, instructor__isnull=True).order_by("submitted_at", "id")


def triage_get(*, user, public_id) -> AidCase:
    case = triage_cases(user=user).filter(public_id=public_id).first()
    if case is None:
        raise Http404("Dossier introuvable.")
    return case


def ready_cases(*, user) -> QuerySet[AidCase]:
    """Cases ready for committee and on no coming session's agenda (no names: references only)."""
    if not user.has_perm("entraide.manage_session"):
        return AidCase.objects.none()
    return agenda_waiting_cases().order_by("status_changed_at", "id")


def ready_get(*, user, public_id) -> AidCase:
    case = ready_cases(user=user).filter(public_id=public_id).first()
    if case is None:
        raise Http404("Dossier introuvable.")
    return case


def case_detail_data(*, case: AidCase) -> dict:
    """Everything the staff page of a case shows, loaded in a fixed number of queries."""
    loans = list(
        case.loans.prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("version", "seq")), "disbursements"
        )
    )
    return {
        "opinions": list(case.opinions.select_related("requested_from", "waived_by")),
        "documents": list(case.documents.select_related("uploaded_by")),
        "decisions": list(case.decisions.select_related("session", "recorded_by")),
        "grants": list(case.grants.select_related("prepared_by", "validated_by")),
        "loans": loans,
        "guarantees": list(case.guarantees.all()),
        "urgent": UrgentAid.objects.filter(case=case).select_related("first_by", "second_by", "requested_by").first(),
        "history": list(audit_for(case).exclude(action="case.read")[:50]),
    }


def access_log(*, case: AidCase):
    """Who opened this case (pages and documents), newest first."""
    return audit_for(case).filter(action="case.read")


# --- Séances -----------------------------------------------------------------------------------


def sessions_for(*, user) -> QuerySet[CommitteeSession]:
    if not is_entraide(user):
        return CommitteeSession.objects.none()
    convened = Exists(SessionMember.objects.filter(session_id=OuterRef("pk"), user_id=user.pk))
    if user.has_perm("entraide.manage_session"):
        return CommitteeSession.objects.all()
    return CommitteeSession.objects.filter(convened)


def session_get_for(*, user, public_id) -> CommitteeSession:
    session = sessions_for(user=user).filter(public_id=public_id).first()
    if session is None:
        raise Http404("Séance introuvable.")
    return session


def session_detail_data(*, session: CommitteeSession, user) -> dict:
    members = list(session.members.select_related("user"))
    me = next((m for m in members if m.user_id == user.pk), None)
    recusals = list(session.recusals.select_related("user", "case"))
    recused_cases = {r.case_id for r in recusals if r.user_id == user.pk}
    cases = list(
        AidCase.objects.filter(session=session, urgent=False)
        .select_related("beneficiary__member__campus", "instructor")
        .prefetch_related("opinions", "decisions")
        .order_by("status_changed_at", "id")
    )
    for case in cases:
        case.visible = me is not None and case.pk not in recused_cases
        case.recusals_here = [r for r in recusals if r.case_id == case.pk]
        case.present_count = sum(
            1 for m in members if m.present and all(r.user_id != m.user_id for r in case.recusals_here)
        )
        case.decision_here = next((d for d in case.decisions.all() if d.session_id == session.pk), None)
    urgents = list(session.urgent_aids.select_related("case", "first_by", "second_by"))
    agenda_loans = list(session.agenda_loans.select_related("loan__beneficiary__member", "loan__case"))
    measures = list(session.loan_measures.all())
    for item in agenda_loans:
        item.visible = me is not None and item.loan.case_id not in recused_cases
        item.measures_here = [m for m in measures if m.loan_id == item.loan_id]
    return {
        "members": members,
        "me": me,
        "cases": cases,
        "recusals": recusals,
        "urgents": urgents,
        "agenda_loans": agenda_loans,
    }


def loans_for_committee(*, user) -> QuerySet[Loan]:
    """Loans whose arrears reached « committee review » and not on a coming session's agenda (references only)."""
    if not user.has_perm("entraide.manage_session"):
        return Loan.objects.none()
    return agenda_waiting_loans().order_by("-days_past_due", "id")


def planned_sessions_for(*, user) -> QuerySet[CommitteeSession]:
    """Coming sessions this person may prepare (convened, with the right)."""
    if not user.has_perm("entraide.manage_session"):
        return CommitteeSession.objects.none()
    return CommitteeSession.objects.filter(status=SessionStatus.PLANNED, members__user_id=user.pk).order_by("held_on")


# --- Paiements, prêts, cautions ----------------------------------------------------------------


def grants_for(*, user) -> QuerySet[Grant]:
    return Grant.objects.filter(case__in=cases_for(user=user))


def disbursements_for(*, user) -> QuerySet[Disbursement]:
    return Disbursement.objects.filter(loan__case__in=cases_for(user=user))


def payments_to_validate(*, user) -> dict:
    """Grants and loan tranches awaiting validation or payment, within the circle."""
    waiting = [PaymentStatus.PREPARED, PaymentStatus.VALIDATED]
    return {
        "grants": list(
            grants_for(user=user)
            .filter(status__in=waiting)
            .select_related("case__beneficiary__member", "prepared_by", "validated_by")
            .order_by("created_at")
        ),
        "disbursements": list(
            disbursements_for(user=user)
            .filter(status__in=[DisbursementStatus.PREPARED, DisbursementStatus.VALIDATED])
            .select_related("loan__case", "loan__beneficiary__member", "prepared_by", "validated_by")
            .order_by("created_at")
        ),
        "proofs": list(
            grants_for(user=user)
            .filter(status=PaymentStatus.AWAITING_PROOF)
            .select_related("case__beneficiary__member")
            .order_by("paid_on")
        ),
    }


def grant_get_for(*, user, public_id) -> Grant:
    grant = grants_for(user=user).select_related("case").filter(public_id=public_id).first()
    if grant is None:
        raise Http404("Paiement introuvable.")
    return grant


def disbursement_get_for(*, user, public_id) -> Disbursement:
    item = disbursements_for(user=user).select_related("loan__case").filter(public_id=public_id).first()
    if item is None:
        raise Http404("Versement introuvable.")
    return item


def loans_for(*, user) -> QuerySet[Loan]:
    return Loan.objects.filter(case__in=cases_for(user=user))


def loan_list(*, user, arrears_only: bool = False) -> QuerySet[Loan]:
    qs = loans_for(user=user).select_related("beneficiary__member__campus", "case")
    if arrears_only:
        qs = qs.filter(days_past_due__gt=0, status=LoanStatus.REPAYING).order_by("-days_past_due", "id")
    else:
        qs = qs.order_by("-created_at", "-id")
    return qs


def loan_get_for(*, user, public_id) -> Loan:
    loan = (
        loans_for(user=user)
        .select_related("beneficiary__member__campus", "beneficiary__member__user", "case")
        .filter(public_id=public_id)
        .first()
    )
    if loan is None:
        raise Http404("Prêt introuvable.")
    return loan


def loan_detail_data(*, loan: Loan) -> dict:
    from . import services

    instalments = list(loan.instalments.filter(version=loan.schedule_version).order_by("seq"))
    repayments = list(loan.repayments.select_related("recorded_by", "reverses").order_by("received_on", "id"))
    reversed_ids = {r.reverses_id for r in repayments if r.reverses_id}
    for r in repayments:
        r.is_reversed = r.pk in reversed_ids
    repaid = sum((r.signed_amount_eur for r in repayments), services.ZERO)
    _mark_paid_instalments(instalments, base=loan.schedule_base_eur, repaid=repaid)
    return {
        "instalments": instalments,
        "repayments": repayments,
        "repaid": repaid,
        "balance": services.loan_balance(loan, repaid=repaid),
        "disbursements": list(loan.disbursements.select_related("prepared_by", "validated_by")),
        "measures": list(loan.measures.select_related("session", "proposed_by", "validated_by")),
        "follow_ups": list(loan.follow_ups.select_related("done_by")),
        "contract": getattr(loan, "contract", None) if hasattr(loan, "contract") else None,
    }


def _mark_paid_instalments(instalments: list[Instalment], *, base, repaid) -> None:
    covered = base
    for inst in instalments:
        covered += inst.amount_eur
        inst.is_paid = covered <= repaid


def followups_open(*, user) -> QuerySet[FollowUp]:
    return (
        FollowUp.objects.filter(loan__in=loans_for(user=user), status=FollowUpStatus.OPEN)
        .select_related("loan__beneficiary__member")
        .order_by("opened_on")
    )


def followup_get_for(*, user, pk: int) -> FollowUp:
    item = FollowUp.objects.filter(loan__in=loans_for(user=user), pk=pk).select_related("loan").first()
    if item is None:
        raise Http404("Suivi introuvable.")
    return item


def guarantees_for(*, user) -> QuerySet[Guarantee]:
    return Guarantee.objects.filter(case__in=cases_for(user=user))


def guarantees_outstanding(*, user) -> QuerySet[Guarantee]:
    return (
        guarantees_for(user=user)
        .filter(status__in=[GuaranteeStatus.ACTIVE, GuaranteeStatus.CALLED])
        .select_related("case__beneficiary__member")
        .order_by("ends_on", "id")
    )


def guarantee_get_for(*, user, public_id) -> Guarantee:
    item = (
        guarantees_for(user=user)
        .select_related("case__beneficiary__member", "receivable", "called_by", "paid_by")
        .filter(public_id=public_id)
        .first()
    )
    if item is None:
        raise Http404("Caution introuvable.")
    return item


def urgent_get_for(*, user, pk: int) -> UrgentAid:
    item = UrgentAid.objects.filter(case__in=cases_for(user=user), pk=pk).select_related("case").first()
    if item is None:
        raise Http404("Demande introuvable.")
    return item


def urgent_pending(*, user) -> QuerySet[UrgentAid]:
    if not _urgent_role(user):
        return UrgentAid.objects.none()
    return UrgentAid.objects.filter(status="pending").select_related("case", "first_by", "requested_by")


# --- Portail du membre -------------------------------------------------------------------------


PORTAL_OWNER = "owner"
PORTAL_RELAY = "relay"


def _own_q(user) -> Q:
    # A relay (a delegate who filed for someone else) keeps a window on the request they filed; a
    # volunteer of the service who entered a case for someone does not see it in their own portal.
    return Q(beneficiary__member__user_id=user.pk) | Q(filed_by_id=user.pk, filed_as=AidCase.FiledAs.RELAY)


def portal_role(*, case: AidCase, user) -> str:
    """'owner': the person helped (or the member asking for their relative); 'relay': the one who filed it.

    Needs `beneficiary__member` loaded (my_cases does). The relay sees that the request was filed and its
    broad status, and the pieces they sent themselves: never the decision, the amounts, the loans or the
    service's pieces.
    """
    beneficiary = case.beneficiary
    if beneficiary.member_id is not None and beneficiary.member.user_id == user.pk:
        return PORTAL_OWNER
    return PORTAL_RELAY


def portal_documents(*, case: AidCase, user) -> QuerySet[Document]:
    """The pieces this person may see in the portal: the shared ones for the owner, their own for a relay."""
    if portal_role(case=case, user=user) == PORTAL_OWNER:
        return case.documents.filter(shared_with_requester=True)
    return case.documents.filter(uploaded_by_id=user.pk)


def my_cases(*, user) -> QuerySet[AidCase]:
    """The requests that concern this person, or that they filed as a relay (never anonymised ones)."""
    if not user.is_authenticated:
        return AidCase.objects.none()
    return (
        AidCase.objects.filter(_own_q(user), anonymised_at__isnull=True)
        .select_related("beneficiary__member")
        .order_by("-created_at", "-id")
    )


def my_case_get(*, user, public_id) -> AidCase:
    case = my_cases(user=user).filter(public_id=public_id).first()
    if case is None:
        raise Http404("Demande introuvable.")
    return case


def my_loans(*, user) -> QuerySet[Loan]:
    """Loans where this person is the borrower."""
    if not user.is_authenticated:
        return Loan.objects.none()
    return (
        Loan.objects.filter(beneficiary__member__user_id=user.pk)
        .exclude(status=LoanStatus.CANCELLED)
        .order_by("-created_at", "-id")
    )


def my_loan_get(*, user, public_id) -> Loan:
    loan = my_loans(user=user).select_related("beneficiary__member__campus", "case").filter(public_id=public_id).first()
    if loan is None:
        raise Http404("Prêt introuvable.")
    return loan


def my_opinions(*, user) -> QuerySet[Opinion]:
    if not user.is_authenticated:
        return Opinion.objects.none()
    return Opinion.objects.filter(requested_from__user_id=user.pk, status=OpinionStatus.REQUESTED).order_by("due_on")


def opinion_get_for(*, user, public_id) -> Opinion:
    """An opinion asked from this person (and only them)."""
    opinion = (
        Opinion.objects.filter(requested_from__user_id=user.pk, public_id=public_id, case__anonymised_at__isnull=True)
        .select_related("case__beneficiary__member__campus")
        .first()
    )
    if opinion is None:
        raise Http404("Avis introuvable.")
    return opinion


def document_get_for(*, user, public_id) -> Document:
    """A document of a case in the circle, or of one's own request; 404 otherwise."""
    document = Document.objects.select_related("case").filter(public_id=public_id).first()
    if document is None:
        raise Http404("Pièce introuvable.")
    if cases_for(user=user).filter(pk=document.case_id).exists():
        return document
    case = my_cases(user=user).filter(pk=document.case_id).first()
    if case is not None and portal_documents(case=case, user=user).filter(pk=document.pk).exists():
        return document
    raise Http404("Pièce introuvable.")
