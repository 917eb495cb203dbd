"""Écritures de l'entraide : chaque changement d'état passe par ici (transition + audit).

Conventions : arguments nommés, `by` = la personne qui agit (None = le système, p. ex. la tâche de
nuit), erreurs métier en `BusinessError` avec un message en français à montrer tel quel.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Group, GroupMembership, Member
from soce.lib.audit import audit_log
from soce.lib.emails import email_queue
from soce.lib.exceptions import BusinessError
from soce.lib.money import ZERO, eur, format_eur
from soce.lib.states import transition

from . import ledger
from .checks import check_upload, iban_validate
from .models import (
    AgendaLoan,
    AidCase,
    AidKind,
    ArrearsBucket,
    Beneficiary,
    BeneficiaryKind,
    CaseStatus,
    CommitteeSeat,
    CommitteeSession,
    Decision,
    Disbursement,
    DisbursementStatus,
    Document,
    EntraideSettings,
    FollowUp,
    FollowUpStatus,
    Grant,
    Guarantee,
    GuaranteeStatement,
    GuaranteeStatus,
    Instalment,
    Loan,
    LoanContract,
    LoanMeasure,
    LoanOrigin,
    LoanStatus,
    MeasureKind,
    MeasureStatus,
    Opinion,
    OpinionRole,
    OpinionStatus,
    Outcome,
    PaymentStatus,
    Recusal,
    Repayment,
    RepaymentKind,
    SeatRole,
    SessionMember,
    SessionStatus,
    UrgentAid,
    UrgentStatus,
)
from .words import figures_match, words_match

logger = logging.getLogger(__name__)

URGENT_ROLES = {GroupMembership.Role.PRESIDENT: "president", GroupMembership.Role.TREASURER: "treasurer"}


# ---------------------------------------------------------------------------------------------
# Paramètres et petites aides
# ---------------------------------------------------------------------------------------------


def settings_get() -> EntraideSettings:
    """The parameters row (created with the defaults the first time: one INSERT)."""
    obj, _created = EntraideSettings.objects.get_or_create(pk=1)
    return obj


def _site(path: str) -> str:
    from django.conf import settings

    return f"{settings.SITE_URL}{path}"


def _notify(*, template: str, to: str, context: dict, key: str, related=None) -> None:
    if to:
        email_queue(template=f"entraide/{template}", to=to, context=context, key=f"entraide:{key}", related=related)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BusinessError(message)


def _as_business_error(exc: ValidationError) -> BusinessError:
    return BusinessError(" ".join(exc.messages))


def member_of(user) -> Member | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user=user).select_related("campus").first()


def current_chair_ids(on: date | None = None) -> set[int]:
    on = on or timezone.localdate()
    return set(
        CommitteeSeat.objects.filter(role=SeatRole.CHAIR, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .values_list("user_id", flat=True)
    )


def urgent_role_of(user, on: date | None = None) -> str | None:
    """'president' or 'treasurer' when the user currently holds that office in a national body."""
    member = member_of(user)
    if member is None:
        return None
    on = on or timezone.localdate()
    role = (
        GroupMembership.objects.filter(
            member=member, group__kind=Group.Kind.NATIONAL, role__in=list(URGENT_ROLES), starts_on__lte=on
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .values_list("role", flat=True)
        .first()
    )
    return URGENT_ROLES.get(role) if role else None


def graduation_date_for(member: Member | None) -> date | None:
    """The graduation date used for loans: the graduation year (or entry + 3) on the usual day."""
    if member is None:
        return None
    year = member.graduation_year or (member.entry_year + 3 if member.entry_year else None)
    if year is None:
        return None
    params = settings_get()
    return ledger.safe_date(year, params.graduation_month, params.graduation_day)


# ---------------------------------------------------------------------------------------------
# Dossiers : dépôt
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def beneficiary_ensure(
    *,
    kind: str,
    member: Member,
    relation: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
) -> Beneficiary:
    """The beneficiary record for a member or student (reused), or a new one for a relative (INSERT)."""
    if kind == BeneficiaryKind.FAMILY:
        _require(bool(last_name.strip()), "Indiquez le nom du proche aidé.")
        return Beneficiary.objects.create(
            kind=kind,
            member=member,
            relation=relation or Beneficiary.Relation.OTHER,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=email,
            phone=phone,
        )
    beneficiary = Beneficiary.objects.filter(kind=kind, member=member, anonymised_at__isnull=True).first()
    return beneficiary or Beneficiary.objects.create(kind=kind, member=member)


def student_kind_for(member: Member) -> str:
    """A member still at school (« élève » category, or a recent entry not yet graduated) is a student."""
    today = timezone.localdate()
    if member.category.code == "eleve":
        return BeneficiaryKind.STUDENT
    studying = member.graduation_year is None or member.graduation_year >= today.year
    if member.entry_year and member.entry_year >= today.year - 4 and studying:
        return BeneficiaryKind.STUDENT
    return BeneficiaryKind.MEMBER


@transaction.atomic
def case_create(
    *,
    beneficiary: Beneficiary,
    by,
    kind_requested: str,
    purpose: str,
    amount_requested_eur: Decimal,
    situation: str = "",
    filed_as: str = AidCase.FiledAs.SELF,
) -> AidCase:
    """Creates a draft case (side effects: INSERT, audit row)."""
    _require(eur(amount_requested_eur) >= 0, "Le montant demandé ne peut pas être négatif.")
    member = beneficiary.member
    decade = (member.entry_year // 10 * 10) if member and member.entry_year else None
    case = AidCase.objects.create(
        beneficiary=beneficiary,
        filed_by=by if getattr(by, "is_authenticated", False) else None,
        filed_as=filed_as,
        kind_requested=kind_requested,
        purpose=purpose,
        amount_requested_eur=eur(amount_requested_eur),
        situation=situation,
        beneficiary_kind=beneficiary.kind,
        campus_code=member.campus.code if member and member.campus_id else "",
        promo_decade=decade,
    )
    audit_log(case, action="case.created", by=by, data={"filed_as": filed_as})
    return case


@transaction.atomic
def document_add(*, case: AidCase, uploaded, by, label: str = "", shared: bool = False) -> Document:
    """Checks the file by its content and stores it privately (side effects: file write, INSERT, audit).

    `shared`: shown to the requester in the portal (always for what they upload there; for the service's
    own pieces, only when staff choose to).
    """
    _require(case.anonymised_at is None, "Ce dossier est anonymisé.")
    params = settings_get()
    try:
        checked = check_upload(uploaded, max_bytes=params.max_document_mb * 1024 * 1024)
    except ValidationError as exc:
        raise _as_business_error(exc) from exc
    document = Document(
        case=case,
        label=label[:150],
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=by,
        shared_with_requester=shared,
    )
    document.file.save("piece", uploaded, save=False)
    document.save()
    audit_log(case, action="case.document_added", by=by, data={"document": str(document.public_id), "shared": shared})
    return document


@transaction.atomic
def document_share(*, document: Document, by, shared: bool) -> Document:
    """Shows a piece to the requester in the portal, or stops showing it (side effects: UPDATE, audit)."""
    _require(document.case.anonymised_at is None, "Ce dossier est anonymisé.")
    Document.objects.filter(pk=document.pk).update(shared_with_requester=shared)
    document.shared_with_requester = shared
    audit_log(
        document.case,
        action="case.document_shared" if shared else "case.document_unshared",
        by=by,
        data={"document": str(document.public_id)},
    )
    return document


@transaction.atomic
def case_submit(*, case: AidCase, by, request=None) -> AidCase:
    """Sends the request to the entraide service (side effects: transition, acknowledgement e-mail)."""
    _require(case.amount_requested_eur >= 0, "Indiquez un montant.")
    first = case.submitted_at is None
    transition(case, to=CaseStatus.SUBMITTED, by=by, request=request, submitted_at=case.submitted_at or timezone.now())
    if first:
        _notify(
            template="case_submitted",
            to=_case_contact(case),
            context={"case": case, "url": _site(reverse("entraide:case", args=[case.public_id]))},
            key=f"case-{case.pk}:submitted",
            related=case,
        )
    return case


def _case_contact(case: AidCase) -> str:
    beneficiary = Beneficiary.objects.select_related("member__user").get(pk=case.beneficiary_id)
    if case.filed_as == AidCase.FiledAs.SELF and case.filed_by_id and case.filed_by.email:
        return case.filed_by.email
    return beneficiary.contact_email


@transaction.atomic
def case_mark_incomplete(*, case: AidCase, by, message: str) -> AidCase:
    """Asks the requester for what is missing (side effects: transition, e-mail)."""
    _require(bool(message.strip()), "Dites au demandeur ce qui manque.")
    transition(case, to=CaseStatus.INCOMPLETE, by=by, note=message, member_message=message.strip())
    _notify(
        template="case_incomplete",
        to=_case_contact(case),
        context={"case": case, "message": message, "url": _site(reverse("entraide:case", args=[case.public_id]))},
        key=f"case-{case.pk}:incomplete:{timezone.now():%Y%m%d%H%M%S}",
        related=case,
    )
    return case


@transaction.atomic
def case_withdraw(*, case: AidCase, by, reason: str = "") -> AidCase:
    """Withdraws a case before its decision (side effect: transition)."""
    _require(case.status in AidCase.BEFORE_DECISION, "Ce dossier est déjà décidé : il ne peut plus être retiré.")
    transition(case, to=CaseStatus.WITHDRAWN, by=by, note=reason, closed_at=timezone.now())
    return case


# ---------------------------------------------------------------------------------------------
# Instruction et avis
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, case: AidCase, instructor, by, rapporteur=None) -> AidCase:
    """Gives the case an instructor (side effects: transition, opinions asked for a student)."""
    _require(instructor.has_perm("entraide.view_aidcase"), "L'instructeur doit faire partie du groupe Entraide.")
    _require(
        instructor == by or by.has_perm("entraide.assign_aidcase"),
        "Vous pouvez prendre un dossier pour vous-même ; l'attribuer à quelqu'un d'autre demande le droit d'attribuer.",
    )
    if case.status == CaseStatus.SUBMITTED:
        transition(case, to=CaseStatus.INSTRUCTION, by=by, data={"instructor": instructor.pk}, instructor=instructor)
    else:
        _require(case.status not in AidCase.TERMINAL, "Ce dossier est clos.")
        AidCase.objects.filter(pk=case.pk).update(instructor=instructor)
        case.instructor = instructor
        audit_log(case, action="case.instructor", by=by, data={"instructor": instructor.pk})
    if rapporteur is not None:
        case_set_rapporteur(case=case, rapporteur=rapporteur, by=by)
    if case.status == CaseStatus.INSTRUCTION and case.is_student_case:
        opinions_request(case=case, by=by)
    return case


@transaction.atomic
def case_set_rapporteur(*, case: AidCase, rapporteur, by) -> AidCase:
    """Names the rapporteur who investigates and reports (side effects: UPDATE, audit)."""
    _require(rapporteur.has_perm("entraide.view_aidcase"), "Le rapporteur doit faire partie du groupe Entraide.")
    AidCase.objects.filter(pk=case.pk).update(rapporteur=rapporteur)
    case.rapporteur = rapporteur
    audit_log(case, action="case.rapporteur", by=by, data={"rapporteur": rapporteur.pk})
    return case


def opinion_holders(member: Member | None, on: date | None = None) -> dict[str, Member | None]:
    """Who holds each opinion role for this student today (from the members' groups)."""
    out: dict[str, Member | None] = dict.fromkeys(OpinionRole.values)
    if member is None or not member.campus_id:
        return out
    on = on or timezone.localdate()
    current = (
        GroupMembership.objects.filter(starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .exclude(member=member)
        .select_related("member__user")
        .order_by("starts_on", "pk")
    )
    if member.entry_year:
        promo = current.filter(
            role=GroupMembership.Role.PROMO_DELEGATE,
            group__kind=Group.Kind.PROMOTION,
            group__campus_id=member.campus_id,
            group__entry_year=member.entry_year,
        ).first()
        out[OpinionRole.PROMO_DELEGATE] = promo.member if promo else None
    for role in (OpinionRole.CAMPUS_DELEGATE, OpinionRole.CAMPUS_DIRECTOR):
        gm = current.filter(role=role, group__kind=Group.Kind.CAMPUS, group__campus_id=member.campus_id).first()
        out[role] = gm.member if gm else None
    return out


@transaction.atomic
def opinions_request(*, case: AidCase, by) -> list[Opinion]:
    """Asks the promo delegate, the DSC and the campus director (side effects: transition, INSERTs, e-mails)."""
    params = settings_get()
    member = Beneficiary.objects.select_related("member").get(pk=case.beneficiary_id).member
    holders = opinion_holders(member)
    transition(case, to=CaseStatus.OPINIONS, by=by)
    due_on = timezone.localdate() + timedelta(days=params.opinion_delay_days)
    opinions = []
    for role, holder in holders.items():
        opinion, created = Opinion.objects.get_or_create(
            case=case, role=role, defaults={"requested_from": holder, "due_on": due_on}
        )
        opinions.append(opinion)
        if created and holder is not None:
            _notify(
                template="opinion_requested",
                to=holder.contact_email,
                context={
                    "opinion": opinion,
                    "holder": holder,
                    "url": _site(reverse("entraide:opinion", args=[opinion.public_id])),
                },
                key=f"opinion-{opinion.pk}:requested",
                related=opinion,
            )
        elif created:
            audit_log(case, action="opinion.no_holder", by=by, data={"role": role})
    return opinions


@transaction.atomic
def opinion_give(*, opinion: Opinion, by, verdict: str, text: str = "") -> Opinion:
    """Records the opinion of the person asked (side effect: transition)."""
    holder = opinion.requested_from
    _require(holder is not None and holder.user_id == by.pk, "Cet avis a été demandé à une autre personne.")
    _require(verdict in Opinion.Verdict.values, "Choisissez un avis.")
    transition(opinion, to=OpinionStatus.GIVEN, by=by, verdict=verdict, text=text.strip(), given_at=timezone.now())
    audit_log(opinion.case, action="case.opinion_given", by=by, data={"role": opinion.role})
    return opinion


@transaction.atomic
def opinion_waive(*, opinion: Opinion, by, reason: str) -> Opinion:
    """The committee chair goes without a missing opinion, with a logged reason (side effect: transition)."""
    _require(by.pk in current_chair_ids(), "Seul le président du comité peut lever un avis manquant.")
    _require(bool(reason.strip()), "Indiquez pourquoi l'avis est levé.")
    transition(opinion, to=OpinionStatus.WAIVED, by=by, note=reason, waived_by=by, waive_reason=reason.strip())
    audit_log(opinion.case, action="case.opinion_waived", by=by, note=reason, data={"role": opinion.role})
    return opinion


@transaction.atomic
def case_mark_ready(*, case: AidCase, by, note: str = "") -> AidCase:
    """Puts the case on the list for the next committee (side effect: transition)."""
    pending = case.opinions.filter(status=OpinionStatus.REQUESTED).count()
    _require(
        pending == 0,
        "Des avis sont encore attendus : attendez-les, ou demandez au président du comité de les lever.",
    )
    transition(case, to=CaseStatus.READY, by=by, note=note)
    return case


@transaction.atomic
def case_back_to_instruction(*, case: AidCase, by, note: str = "") -> AidCase:
    """Sends the case back to its instructor (side effect: transition)."""
    transition(case, to=CaseStatus.INSTRUCTION, by=by, note=note)
    return case


# ---------------------------------------------------------------------------------------------
# Séances du comité
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def session_create(*, held_on: date, by, place: str = "", members: list | None = None) -> CommitteeSession:
    """Creates a session, convenes the committee and lists the urgent aids to ratify (INSERTs, audit)."""
    session = CommitteeSession.objects.create(held_on=held_on, place=place or "Hôtel d'Iéna, Paris", created_by=by)
    if members is None:
        seats = CommitteeSeat.objects.filter(starts_on__lte=held_on).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=held_on)
        )
        roles = {seat.user_id: seat.role for seat in seats}
    else:
        chairs = current_chair_ids(held_on)
        roles = {user.pk: (SeatRole.CHAIR if user.pk in chairs else SeatRole.MEMBER) for user in members}
    SessionMember.objects.bulk_create(
        [SessionMember(session=session, user_id=user_id, role=role) for user_id, role in roles.items()]
    )
    for urgent in UrgentAid.objects.filter(status=UrgentStatus.CONFIRMED, ratified__isnull=True):
        if urgent.ratified_session_id is None or urgent.ratified_session.status == SessionStatus.CANCELLED:
            UrgentAid.objects.filter(pk=urgent.pk).update(ratified_session=session)
            AidCase.objects.filter(pk=urgent.case_id).update(session=session)
    audit_log(session, action="session.created", by=by)
    _agenda_compose(session, by=by)
    return session


COMING = (SessionStatus.PLANNED, SessionStatus.OPEN)


def agenda_waiting_cases():
    """Cases ready for committee that no coming session has on its agenda (an adjourned case put back
    « ready » still points at the closed session that adjourned it)."""
    return AidCase.objects.filter(status=CaseStatus.READY).exclude(session__status__in=COMING)


def agenda_waiting_loans():
    """Running loans whose arrears reached « committee review », on no coming session's agenda."""
    return Loan.objects.filter(
        status__in=[LoanStatus.DEFERRED, LoanStatus.REPAYING], arrears_bucket=ArrearsBucket.COMMITTEE
    ).exclude(agenda_items__session__status__in=COMING)


def _agenda_compose(session: CommitteeSession, *, by) -> tuple[int, int]:
    cases = list(agenda_waiting_cases().order_by("status_changed_at", "id"))
    for case in cases:
        AidCase.objects.filter(pk=case.pk).update(session=session)
        case.session = session
        _recusals_compute(session, case)
        audit_log(case, action="case.on_agenda", by=by, data={"session": str(session.public_id), "auto": True})
    loans = list(agenda_waiting_loans().select_related("case").order_by("-days_past_due", "id"))
    for loan in loans:
        AgendaLoan.objects.get_or_create(session=session, loan=loan, defaults={"added_by": by})
        _recusals_compute(session, loan.case)
        audit_log(loan, action="loan.on_agenda", by=by, data={"session": str(session.public_id), "auto": True})
    return len(cases), len(loans)


@transaction.atomic
def session_compose_agenda(*, session: CommitteeSession, by) -> tuple[int, int]:
    """« Composer l'ordre du jour » : every case ready for committee and every loan awaiting committee review
    that no coming session has yet goes on this planned session's agenda (UPDATEs, INSERTs, recusals, audit).
    Returns (cases added, loans added); staff may still take some off or add others by hand."""
    _require_session_manager(session, by)
    _require(session.status == SessionStatus.PLANNED, "L'ordre du jour ne se modifie plus une fois la séance ouverte.")
    return _agenda_compose(session, by=by)


def _require_session_manager(session: CommitteeSession, by) -> None:
    _require(
        by.has_perm("entraide.manage_session") and session.members.filter(user=by).exists(),
        "Seuls les membres convoqués à cette séance peuvent la préparer et la tenir.",
    )


def beneficiary_links(*, case: AidCase, user) -> list[str]:
    """Why this committee member is linked to the case's beneficiary (empty: no link)."""
    reasons = []
    if case.filed_by_id == user.pk:
        reasons.append("a déposé ou relayé la demande")
    committee_member = member_of(user)
    beneficiary = Beneficiary.objects.select_related("member").get(pk=case.beneficiary_id)
    person = beneficiary.member
    if committee_member is None or person is None:
        return reasons
    if person.pk == committee_member.pk:
        family = beneficiary.kind == BeneficiaryKind.FAMILY
        reasons.append("famille : le bénéficiaire est son proche" if family else "est le bénéficiaire")
    if committee_member.partner_id == person.pk or person.partner_id == committee_member.pk:
        reasons.append("famille : conjoint")
    if (
        person.campus_id
        and person.entry_year
        and (person.campus_id, person.entry_year) == (committee_member.campus_id, committee_member.entry_year)
    ):
        reasons.append("même promotion")
    today = timezone.localdate()
    current = Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    theirs = set(
        GroupMembership.objects.filter(current, member=person)
        .exclude(group__kind__in=[Group.Kind.NATIONAL, Group.Kind.PROMOTION])
        .values_list("group_id", flat=True)
    )
    shared = (
        GroupMembership.objects.filter(current, member=committee_member, group_id__in=theirs)
        .select_related("group")
        .first()
    )
    if shared is not None:
        reasons.append(f"même groupe ({shared.group.name})")
    return reasons


def _recusals_compute(session: CommitteeSession, case: AidCase) -> None:
    for sm in session.members.select_related("user"):
        reasons = beneficiary_links(case=case, user=sm.user)
        if reasons:
            Recusal.objects.get_or_create(
                session=session, case=case, user=sm.user, defaults={"reason": "; ".join(reasons)[:200]}
            )


@transaction.atomic
def session_add_case(*, session: CommitteeSession, case: AidCase, by) -> AidCase:
    """Puts a ready case on the agenda and flags the linked members as recused (UPDATE, INSERTs, audit)."""
    _require_session_manager(session, by)
    _require(session.status == SessionStatus.PLANNED, "L'ordre du jour ne se modifie plus une fois la séance ouverte.")
    _require(case.status == CaseStatus.READY, "Seuls les dossiers prêts pour le comité vont à l'ordre du jour.")
    _require(
        not AidCase.objects.filter(pk=case.pk, session__status__in=COMING).exclude(session=session).exists(),
        "Ce dossier est déjà à l'ordre du jour d'une autre séance : retirez-le d'abord.",
    )
    AidCase.objects.filter(pk=case.pk).update(session=session)
    case.session = session
    _recusals_compute(session, case)
    audit_log(case, action="case.on_agenda", by=by, data={"session": str(session.public_id)})
    return case


@transaction.atomic
def session_remove_case(*, session: CommitteeSession, case: AidCase, by) -> AidCase:
    """Takes a case off a planned session's agenda (side effects: UPDATE, audit)."""
    _require_session_manager(session, by)
    _require(session.status == SessionStatus.PLANNED and case.session_id == session.pk, "Impossible ici.")
    AidCase.objects.filter(pk=case.pk).update(session=None)
    Recusal.objects.filter(session=session, case=case, automatic=True).delete()
    case.session = None
    audit_log(case, action="case.off_agenda", by=by, data={"session": str(session.public_id)})
    return case


@transaction.atomic
def session_add_loan(*, session: CommitteeSession, loan: Loan, by) -> AgendaLoan:
    """Puts a running loan on a planned session's agenda for a measure, flags linked members (INSERTs, audit)."""
    _require_session_manager(session, by)
    _require(session.status == SessionStatus.PLANNED, "L'ordre du jour ne se modifie plus une fois la séance ouverte.")
    _require(
        loan.status in {LoanStatus.DEFERRED, LoanStatus.REPAYING},
        "Seul un prêt en cours de remboursement passe devant le comité.",
    )
    item, created = AgendaLoan.objects.get_or_create(session=session, loan=loan, defaults={"added_by": by})
    if created:
        _recusals_compute(session, loan.case)
        audit_log(loan, action="loan.on_agenda", by=by, data={"session": str(session.public_id)})
    return item


@transaction.atomic
def session_remove_loan(*, session: CommitteeSession, loan: Loan, by) -> None:
    """Takes a loan off a planned session's agenda (side effects: DELETE, audit)."""
    _require_session_manager(session, by)
    _require(session.status == SessionStatus.PLANNED, "L'ordre du jour ne se modifie plus une fois la séance ouverte.")
    deleted, _rows = AgendaLoan.objects.filter(session=session, loan=loan).delete()
    _require(deleted > 0, "Ce prêt n'est pas à l'ordre du jour de cette séance.")
    if not AidCase.objects.filter(pk=loan.case_id, session=session).exists():
        Recusal.objects.filter(session=session, case_id=loan.case_id, automatic=True).delete()
    audit_log(loan, action="loan.off_agenda", by=by, data={"session": str(session.public_id)})


@transaction.atomic
def recusal_add(*, session: CommitteeSession, case: AidCase, user, by, reason: str) -> Recusal:
    """Records a recusal declared in session (side effects: INSERT, audit)."""
    _require_session_manager(session, by)
    _require(bool(reason.strip()), "Indiquez le motif de la récusation.")
    recusal, _created = Recusal.objects.get_or_create(
        session=session, case=case, user=user, defaults={"reason": reason[:200], "automatic": False}
    )
    audit_log(case, action="case.recusal", by=by, note=reason, data={"user": user.pk})
    return recusal


@transaction.atomic
def session_set_attendance(*, session: CommitteeSession, present_ids: set[int], by) -> CommitteeSession:
    """Records who is present (side effects: UPDATEs, audit)."""
    _require_session_manager(session, by)
    _require(session.status != SessionStatus.CLOSED, "La séance est close.")
    session.members.update(present=False)
    session.members.filter(user_id__in=present_ids).update(present=True)
    audit_log(session, action="session.attendance", by=by, data={"present": sorted(present_ids)})
    return session


@transaction.atomic
def session_open(*, session: CommitteeSession, by) -> CommitteeSession:
    """Opens the session: its agenda's cases go « en séance » (side effects: transitions)."""
    _require_session_manager(session, by)
    transition(session, to=SessionStatus.OPEN, by=by)
    for case in AidCase.objects.filter(session=session, status=CaseStatus.READY):
        transition(case, to=CaseStatus.IN_SESSION, by=by, data={"session": str(session.public_id)})
    return session


def quorum_for(*, session: CommitteeSession, case: AidCase) -> tuple[int, int]:
    """(present and not recused, quorum needed)."""
    recused = Recusal.objects.filter(session=session, case=case).values("user_id")
    present = session.members.filter(present=True).exclude(user_id__in=recused).count()
    return present, settings_get().quorum


def loan_cap_left(*, member: Member | None) -> Decimal | None:
    """What a student may still borrow as honour loans over their schooling (None: not a member)."""
    if member is None:
        return None
    used = (
        Loan.objects.filter(beneficiary__member=member, origin=LoanOrigin.HONOUR_LOAN, for_student=True)
        .exclude(status=LoanStatus.CANCELLED)
        .aggregate(total=Coalesce(Sum("principal_eur"), ZERO))["total"]
    )
    return max(settings_get().student_loan_cap_eur - used, ZERO)


def envelope_summary(*, year: int) -> dict:
    """The year's envelope: voted, committed by decisions, left."""
    from .models import Envelope

    envelope = Envelope.objects.filter(year=year).first()
    committed = Decision.objects.filter(outcome=Outcome.APPROVED, decided_at__year=year).aggregate(
        total=Coalesce(Sum("amount_eur"), ZERO)
    )["total"]
    amount = envelope.amount_eur if envelope else None
    return {
        "year": year,
        "amount": amount,
        "committed": committed,
        "left": (amount - committed) if amount is not None else None,
    }


@transaction.atomic
def case_decide(
    *,
    case: AidCase,
    by,
    outcome: str,
    kind: str = "",
    amount_eur: Decimal | None = None,
    conditions: str = "",
    reason: str = "",
    instalments_count: int | None = None,
    deferral_months: int | None = None,
) -> Decision:
    """Records the committee's decision; an approved loan is offered (transition, INSERTs, e-mail)."""
    session = case.session
    _require(session is not None and session.status == SessionStatus.OPEN, "La séance n'est pas ouverte.")
    _require(case.status == CaseStatus.IN_SESSION, "Ce dossier n'est pas en séance.")
    member_row = session.members.filter(user=by, present=True).first()
    _require(member_row is not None, "Seul un membre présent à la séance enregistre une décision.")
    _require(
        not Recusal.objects.filter(session=session, case=case, user=by).exists(),
        "Vous êtes récusé pour ce dossier : un autre membre enregistre la décision.",
    )
    present, quorum = quorum_for(session=session, case=case)
    _require(present >= quorum, f"Quorum non atteint pour ce dossier : {present} présents non récusés sur {quorum}.")
    amount = eur(amount_eur) if amount_eur is not None else None
    if outcome == Outcome.APPROVED:
        _require(kind in AidKind.values, "Choisissez la forme de l'aide accordée.")
        _require(amount is not None and amount > 0, "Indiquez le montant accordé.")
        if kind == AidKind.LOAN and case.is_student_case:
            member = case.beneficiary.member
            left = loan_cap_left(member=member)
            cap = settings_get().student_loan_cap_eur
            _require(
                left is None or amount <= left,
                f"Plafond des prêts d'honneur d'un élève dépassé : {format_eur(cap)} sur toute la scolarité, "
                f"il reste {format_eur(left or ZERO)}.",
            )
    elif outcome == Outcome.REJECTED:
        _require(bool(reason.strip()), "Indiquez le motif du refus.")
    else:
        _require(outcome == Outcome.ADJOURNED, "Décision inconnue.")
    now = timezone.now()
    decision = Decision.objects.create(
        case=case,
        session=session,
        outcome=outcome,
        kind=kind if outcome == Outcome.APPROVED else "",
        amount_eur=amount if outcome == Outcome.APPROVED else None,
        instalments_count=instalments_count if kind == AidKind.LOAN else None,
        deferral_months=deferral_months if kind == AidKind.LOAN else None,
        conditions=conditions.strip(),
        reason=reason.strip(),
        recorded_by=by,
        decided_at=now,
    )
    if outcome == Outcome.APPROVED:
        transition(
            case,
            to=CaseStatus.APPROVED,
            by=by,
            note=reason,
            decided_kind=kind,
            amount_granted_eur=amount,
            decided_at=now,
        )
        if kind == AidKind.LOAN:
            loan_offer(case=case, decision=decision, by=by)
    elif outcome == Outcome.REJECTED:
        transition(case, to=CaseStatus.REJECTED, by=by, note=reason, decided_at=now, closed_at=now)
    else:
        transition(case, to=CaseStatus.ADJOURNED, by=by, note=reason)
    if outcome != Outcome.ADJOURNED:
        _notify(
            template="case_decided",
            to=_case_contact(case),
            context={"case": case, "decision": decision, "url": _site(reverse("entraide:case", args=[case.public_id]))},
            key=f"case-{case.pk}:decided:{decision.pk}",
            related=case,
        )
    return decision


@transaction.atomic
def session_close(*, session: CommitteeSession, by) -> CommitteeSession:
    """Closes the session: undecided cases are adjourned, the minutes PDF is written (transitions, file)."""
    _require_session_manager(session, by)
    for case in AidCase.objects.filter(session=session, status=CaseStatus.IN_SESSION):
        transition(case, to=CaseStatus.ADJOURNED, by=by, note="Non examiné en séance : reporté.")
    transition(session, to=SessionStatus.CLOSED, by=by)
    session_minutes_write(session=session)
    return session


@transaction.atomic
def session_cancel(*, session: CommitteeSession, by) -> CommitteeSession:
    """Cancels a planned session; its agenda goes back to the waiting list (transition, UPDATEs)."""
    _require_session_manager(session, by)
    transition(session, to=SessionStatus.CANCELLED, by=by)
    AidCase.objects.filter(session=session, status=CaseStatus.READY).update(session=None)
    return session


def session_minutes_write(*, session: CommitteeSession) -> CommitteeSession:
    """Renders the minutes and stores them in the private storage (side effect: file overwritten)."""
    from .pdf import session_minutes_pdf

    data = session_minutes_pdf(session)
    if session.minutes_pdf:
        session.minutes_pdf.delete(save=False)
    session.minutes_pdf.save("pv.pdf", ContentFile(data), save=False)
    CommitteeSession.objects.filter(pk=session.pk).update(minutes_pdf=session.minutes_pdf.name)
    return session


# ---------------------------------------------------------------------------------------------
# Aide d'urgence
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def urgent_request(*, case: AidCase, by, amount_eur: Decimal, reason: str) -> UrgentAid:
    """The instructor asks the president and the treasurer for an urgent grant (INSERT, audit)."""
    _require(case.instructor_id == by.pk, "Seul l'instructeur du dossier demande une aide d'urgence.")
    _require(
        case.status in {CaseStatus.INSTRUCTION, CaseStatus.OPINIONS, CaseStatus.READY},
        "Une aide d'urgence se demande pendant l'instruction.",
    )
    amount = eur(amount_eur)
    ceiling = settings_get().urgent_ceiling_eur
    _require(0 < amount <= ceiling, f"Une aide d'urgence ne dépasse pas {format_eur(ceiling)}.")
    _require(bool(reason.strip()), "Expliquez l'urgence.")
    _require(not hasattr(case, "urgent_aid") or case.urgent_aid is None, "Une aide d'urgence est déjà demandée.")
    urgent = UrgentAid.objects.create(case=case, amount_eur=amount, reason=reason.strip(), requested_by=by)
    audit_log(case, action="case.urgent_requested", by=by, data={"amount": str(amount)})
    return urgent


@transaction.atomic
def urgent_approve(*, urgent: UrgentAid, by) -> UrgentAid:
    """President or treasurer agrees; the second agreement grants the aid (UPDATE; then transitions)."""
    role = urgent_role_of(by)
    _require(role is not None, "Seuls le président et le trésorier de la Soce accordent une aide d'urgence.")
    _require(urgent.status == UrgentStatus.PENDING, "Cette demande n'est plus en attente.")
    ceiling = settings_get().urgent_ceiling_eur
    _require(urgent.amount_eur <= ceiling, f"Le plafond de l'aide d'urgence est de {format_eur(ceiling)}.")
    now = timezone.now()
    if urgent.first_by_id is None:
        UrgentAid.objects.filter(pk=urgent.pk, first_by__isnull=True).update(first_by=by, first_role=role, first_at=now)
        urgent.refresh_from_db()
        audit_log(urgent.case, action="case.urgent_first_agreement", by=by, data={"role": role})
        return urgent
    _require(urgent.first_by_id != by.pk, "Le second accord doit venir d'une autre personne.")
    _require(urgent.first_role != role, "Il faut l'accord du président et celui du trésorier.")
    transition(urgent, to=UrgentStatus.CONFIRMED, by=by, second_by=by, second_role=role, second_at=now)
    case = urgent.case
    transition(
        case,
        to=CaseStatus.APPROVED,
        by=by,
        note="Aide d'urgence",
        urgent=True,
        decided_kind=AidKind.GRANT,
        amount_granted_eur=urgent.amount_eur,
        decided_at=now,
    )
    decision = Decision.objects.create(
        case=case,
        outcome=Outcome.APPROVED,
        kind=AidKind.GRANT,
        amount_eur=urgent.amount_eur,
        reason=urgent.reason,
        urgent=True,
        recorded_by=by,
        decided_at=now,
    )
    _notify(
        template="case_decided",
        to=_case_contact(case),
        context={"case": case, "decision": decision, "url": _site(reverse("entraide:case", args=[case.public_id]))},
        key=f"case-{case.pk}:decided:{decision.pk}",
        related=case,
    )
    return urgent


@transaction.atomic
def urgent_ratify(*, urgent: UrgentAid, by, ratified: bool, note: str = "") -> UrgentAid:
    """The next session ratifies (or not) an urgent aid (side effects: UPDATE, audit)."""
    session = CommitteeSession.objects.filter(pk=urgent.ratified_session_id).first()
    _require(
        session is not None and session.status == SessionStatus.OPEN, "La séance de ratification n'est pas ouverte."
    )
    _require(session.members.filter(user=by, present=True).exists(), "Seul un membre présent ratifie.")
    _require(urgent.ratified is None, "Déjà examinée.")
    UrgentAid.objects.filter(pk=urgent.pk).update(ratified=ratified, ratified_at=timezone.now(), ratification_note=note)
    urgent.refresh_from_db()
    audit_log(urgent.case, action="case.urgent_ratified" if ratified else "case.urgent_not_ratified", by=by, note=note)
    return urgent


# ---------------------------------------------------------------------------------------------
# Secours
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def grant_prepare(
    *, case: AidCase, by, amount_eur: Decimal, account_holder: str, iban: str, proof_required: bool = False
) -> Grant:
    """Prepares the payment of an approved gift; the IBAN is checked (INSERT, audit)."""
    _require(case.status == CaseStatus.APPROVED, "Le dossier n'est pas accordé.")
    _require(case.decided_kind in {AidKind.GRANT, AidKind.SCHOLARSHIP}, "L'aide accordée n'est pas un don.")
    try:
        clean_iban = iban_validate(iban)
    except ValidationError as exc:
        raise _as_business_error(exc) from exc
    amount = eur(amount_eur)
    already = case.grants.exclude(status=PaymentStatus.CANCELLED).aggregate(t=Coalesce(Sum("amount_eur"), ZERO))["t"]
    _require(
        0 < amount <= (case.amount_granted_eur or ZERO) - already,
        f"Le montant dépasse ce qui reste à verser ({format_eur((case.amount_granted_eur or ZERO) - already)}).",
    )
    _require(bool(account_holder.strip()), "Indiquez le titulaire du compte.")
    grant = Grant.objects.create(
        case=case,
        kind=case.decided_kind,
        amount_eur=amount,
        account_holder=account_holder.strip(),
        iban=clean_iban,
        proof_required=proof_required,
        prepared_by=by,
    )
    audit_log(grant, action="grant.prepared", by=by, data={"amount": str(amount)})
    return grant


def _four_eyes(maker_id: int | None, checker) -> None:
    _require(
        maker_id != checker.pk,
        "Validation refusée : la personne qui valide doit être différente de celle qui a préparé.",
    )


@transaction.atomic
def grant_validate(*, grant: Grant, by) -> Grant:
    """A second person validates the payment (side effect: transition)."""
    _four_eyes(grant.prepared_by_id, by)
    transition(grant, to=PaymentStatus.VALIDATED, by=by, validated_by=by)
    return grant


@transaction.atomic
def grant_mark_paid(*, grant: Grant, by, paid_on: date, reference: str) -> Grant:
    """Records the transfer; closes the grant unless a proof is awaited (transitions, maybe case closed)."""
    _require(bool(reference.strip()), "Indiquez la référence du virement.")
    transition(grant, to=PaymentStatus.PAID, by=by, paid_on=paid_on, payment_reference=reference.strip())
    if grant.proof_required:
        transition(grant, to=PaymentStatus.AWAITING_PROOF, by=by)
    else:
        transition(grant, to=PaymentStatus.CLOSED, by=by)
        _case_close_if_done(grant.case, by=by)
    return grant


@transaction.atomic
def grant_receive_proof(*, grant: Grant, by, document: Document | None = None) -> Grant:
    """Records the proof of use and closes the grant (transition, maybe case closed)."""
    transition(grant, to=PaymentStatus.CLOSED, by=by, proof_document=document)
    _case_close_if_done(grant.case, by=by)
    return grant


@transaction.atomic
def grant_cancel(*, grant: Grant, by, reason: str) -> Grant:
    """Cancels a payment not yet made (side effect: transition)."""
    _require(bool(reason.strip()), "Indiquez le motif de l'annulation.")
    transition(grant, to=PaymentStatus.CANCELLED, by=by, note=reason)
    return grant


def _case_close_if_done(case: AidCase, *, by) -> None:
    case.refresh_from_db()
    if case.status != CaseStatus.APPROVED:
        return
    if case.decided_kind in {AidKind.GRANT, AidKind.SCHOLARSHIP}:
        grants = list(case.grants.values_list("status", "amount_eur"))
        closed = sum((amount for status, amount in grants if status == PaymentStatus.CLOSED), ZERO)
        done = closed >= (case.amount_granted_eur or ZERO) and all(
            status in {PaymentStatus.CLOSED, PaymentStatus.CANCELLED} for status, _amount in grants
        )
    elif case.decided_kind == AidKind.LOAN:
        ended = {LoanStatus.REPAID, LoanStatus.FORGIVEN, LoanStatus.WRITTEN_OFF, LoanStatus.CANCELLED}
        done = case.loans.exists() and not case.loans.exclude(status__in=ended).exists()
    else:
        guarantees = list(case.guarantees.all())
        done = bool(guarantees) and all(
            g.status == GuaranteeStatus.RELEASED
            or (g.status == GuaranteeStatus.PAID and g.receivable and g.receivable.status not in Loan.OUTSTANDING)
            for g in guarantees
        )
    if done:
        transition(case, to=CaseStatus.CLOSED, by=by, closed_at=timezone.now())


# ---------------------------------------------------------------------------------------------
# Prêts d'honneur
# ---------------------------------------------------------------------------------------------


def _schedule_write(loan: Loan, *, version: int, principal: Decimal, first_due_on: date, count: int) -> None:
    lines = ledger.build_schedule(principal=principal, count=count, first_due_on=first_due_on)
    Instalment.objects.bulk_create(
        [Instalment(loan=loan, version=version, seq=ln.seq, due_on=ln.due_on, amount_eur=ln.amount_eur) for ln in lines]
    )


@transaction.atomic
def loan_offer(*, case: AidCase, decision: Decision, by) -> Loan:
    """Creates the offered loan and its schedule; the borrower is asked to sign (INSERTs, e-mail)."""
    params = settings_get()
    beneficiary = Beneficiary.objects.select_related("member").get(pk=case.beneficiary_id)
    count = decision.instalments_count or params.default_instalments
    for_student = case.is_student_case
    graduation_on = graduation_date_for(beneficiary.member) if for_student else None
    deferral = decision.deferral_months if decision.deferral_months is not None else params.default_deferral_months
    if graduation_on is not None:
        first_due_on = ledger.student_first_due_on(graduation_on)
    else:
        first_due_on = ledger.add_months(timezone.localdate(decision.decided_at), max(deferral, 1))
    loan = Loan.objects.create(
        case=case,
        beneficiary=beneficiary,
        for_student=for_student,
        principal_eur=decision.amount_eur,
        instalments_count=count,
        deferral_months=deferral if graduation_on is None else 0,
        graduation_on=graduation_on,
        first_due_on=first_due_on,
    )
    _schedule_write(loan, version=1, principal=loan.principal_eur, first_due_on=first_due_on, count=count)
    audit_log(loan, action="loan.offered", by=by, data={"principal": str(loan.principal_eur)})
    _notify(
        template="loan_offered",
        to=_case_contact(case),
        context={"loan": loan, "url": _site(reverse("entraide:contract", args=[loan.public_id]))},
        key=f"loan-{loan.pk}:offered",
        related=loan,
    )
    return loan


CONTRACT_KIND = "entraide.loan_contract"
CONSENT_VERSION = "PH-2026-1"
CONSENT_TEXT = (
    "Je confirme mon identité. J'ai lu le contrat et son échéancier, et j'ai recopié moi-même le montant "
    "du prêt en chiffres et en lettres. Je m'engage sur l'honneur à rembourser ce prêt. J'accepte que ma "
    "signature électronique (code reçu par e-mail, signature tracée ou nom saisi, journal de preuve scellé "
    "par la Soce) ait la même valeur qu'une signature manuscrite."
)


def contract_html(loan: Loan) -> str:
    """The contract's wording (French HTML for the signing engine, which sanitises and freezes it)."""
    from .words import amount_in_words

    beneficiary = Beneficiary.objects.select_related("member__campus").get(pk=loan.beneficiary_id)
    with translation.override("fr"):
        return render_to_string(
            "entraide/contract_text.html",
            {
                "loan": loan,
                "borrower": beneficiary.display_name,
                "promo": beneficiary.member.promo_label if beneficiary.member_id else "",
                "amount_words": amount_in_words(loan.principal_eur),
                "instalments": list(loan.instalments.filter(version=loan.schedule_version).order_by("seq")),
            },
        ).strip()


def contract_check_amounts(*, loan: Loan, amount_words: str, amount_figures: str) -> list[str]:
    """French error messages when what the borrower typed does not say the loan's amount."""
    errors = []
    if not figures_match(amount_figures, loan.principal_eur):
        errors.append(
            f"Le montant en chiffres ne correspond pas au montant du prêt ({format_eur(loan.principal_eur)})."
        )
    if not words_match(amount_words, loan.principal_eur):
        errors.append("Le montant en lettres ne correspond pas au montant du prêt : écrivez-le en toutes lettres.")
    return errors


def borrower_identity(loan: Loan, *, amount_words: str = "", amount_figures: str = "") -> dict:
    member = Beneficiary.objects.select_related("member__campus", "member__user").get(pk=loan.beneficiary_id).member
    identity = {
        "last_name": member.last_name,
        "first_name": member.first_name,
        "promo": member.promo_label,
        "email": member.contact_email,
    }
    if amount_words or amount_figures:
        identity["statement"] = f"Montant recopié par l'emprunteur : {amount_figures} — « {amount_words} »"
    return identity


@transaction.atomic
def contract_start(
    *,
    loan: Loan,
    user,
    amount_words: str,
    amount_figures: str,
    accepted: bool,
    client=None,
) -> LoanContract:
    """The borrower typed the amount in words and figures and commits on their honour: the signing
    engine's document is created, identity and consent recorded, a code e-mailed (rows, evidence, outbox).

    The signature then follows the engine's ceremony; `on_contract_signed` moves the loan to « signed ».
    """
    from soce.lib.signing import services as signing
    from soce.lib.signing.models import DocumentStatus, Party

    loan = Loan.objects.select_for_update(of=("self",)).select_related("beneficiary__member").get(pk=loan.pk)
    _require(loan.status == LoanStatus.OFFERED, "Ce contrat n'est plus à signer.")
    _require(
        loan.beneficiary.member_id is not None and loan.beneficiary.member.user_id == user.pk,
        "Seul l'emprunteur signe son contrat.",
    )
    existing = LoanContract.objects.filter(loan=loan).select_related("document").first()
    if existing is not None:
        if existing.document is not None and existing.document.status == DocumentStatus.PENDING:
            return existing  # the ceremony is under way
        existing.delete()  # a declined or cancelled attempt: the engine keeps its evidence
    _require(accepted, "Cochez l'engagement sur l'honneur pour signer.")
    errors = contract_check_amounts(loan=loan, amount_words=amount_words, amount_figures=amount_figures)
    _require(not errors, " ".join(errors))
    identity = borrower_identity(loan, amount_words=amount_words, amount_figures=amount_figures)
    _require(bool(identity["email"]), "Aucune adresse e-mail n'est connue pour vous envoyer le code de signature.")
    document = signing.document_create(
        kind=CONTRACT_KIND,
        title=f"Prêt d'honneur {loan.reference}",
        version_label=CONSENT_VERSION,
        text_html=contract_html(loan),
        parties=[signing.PartySpec(role=Party.Role.SIGNER, label="L'emprunteur", user=user, identity=identity)],
        related=loan,
        by=user,
    )
    now = timezone.now()
    typed = {"amount_words": amount_words, "amount_figures": amount_figures, "user": user.pk, "at": now.isoformat()}
    contract = LoanContract.objects.create(
        loan=loan,
        document=document,
        text=document.text_html,
        text_sha256=document.text_sha256,
        amount_words=amount_words[:300],
        amount_figures=amount_figures[:40],
        accepted_by=user,
        accepted_at=now,
        ip=getattr(client, "ip", None),
        user_agent=(getattr(client, "user_agent", "") or "")[:300],
        evidence_sha256=hashlib.sha256(
            json.dumps({**typed, "text": document.text_sha256}, sort_keys=True).encode()
        ).hexdigest(),
    )
    party = document.parties.get()
    signing.party_open(party=party, user=user, client=client)
    signing.party_confirm(
        party=party,
        user=user,
        identity=identity,
        consent_text=CONSENT_TEXT,
        consent_version=CONSENT_VERSION,
        client=client,
    )
    signing.otp_send(party=party, user=user, to=identity["email"], client=client)
    audit_log(loan, action="loan.contract_started", by=user, data={"document": document.reference, **typed})
    return contract


def on_contract_signed(document, party) -> None:
    """Signing engine hook (inside its transaction): the borrower signed, the loan is « signed »."""
    contract = LoanContract.objects.select_related("loan").get(document=document)
    LoanContract.objects.filter(pk=contract.pk).update(signed_at=party.signed_at)
    transition(contract.loan, to=LoanStatus.SIGNED, by=party.user, data={"document": document.reference})


def on_contract_declined(document, party) -> None:
    """Signing engine hook: the borrower declined; the offer stays open for the service to follow up."""
    contract = LoanContract.objects.select_related("loan").get(document=document)
    audit_log(contract.loan, action="loan.contract_declined", by=party.user, note=party.decline_reason)


def contract_pdf_context(document) -> dict:
    contract = LoanContract.objects.select_related("loan").filter(document=document).first()
    return {"loan": contract.loan if contract else None}


def contract_portal_url(document, party) -> str:
    contract = LoanContract.objects.select_related("loan").filter(document=document).first()
    return reverse("entraide:contract_step", args=[contract.loan.public_id]) if contract else ""


@transaction.atomic
def loan_cancel(*, loan: Loan, by, reason: str) -> Loan:
    """Cancels an offer not taken up (side effect: transition, maybe case closed)."""
    _require(bool(reason.strip()), "Indiquez le motif.")
    _require(not loan.disbursements.filter(status=DisbursementStatus.PAID).exists(), "Des fonds ont déjà été versés.")
    transition(loan, to=LoanStatus.CANCELLED, by=by, note=reason)
    _case_close_if_done(loan.case, by=by)
    return loan


def _disbursed(loan: Loan, *, statuses=(DisbursementStatus.PAID,)) -> Decimal:
    return loan.disbursements.filter(status__in=statuses).aggregate(t=Coalesce(Sum("amount_eur"), ZERO))["t"]


@transaction.atomic
def disbursement_prepare(*, loan: Loan, by, amount_eur: Decimal, account_holder: str, iban: str) -> Disbursement:
    """Prepares one tranche; the IBAN is checked (INSERT, audit)."""
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _require(
        loan.status in {LoanStatus.SIGNED, LoanStatus.DISBURSING}, "Le contrat doit être signé avant tout versement."
    )
    try:
        clean_iban = iban_validate(iban)
    except ValidationError as exc:
        raise _as_business_error(exc) from exc
    amount = eur(amount_eur)
    engaged = _disbursed(
        loan, statuses=(DisbursementStatus.PREPARED, DisbursementStatus.VALIDATED, DisbursementStatus.PAID)
    )
    _require(
        0 < amount <= loan.principal_eur - engaged,
        f"La tranche dépasse ce qui reste à verser ({format_eur(loan.principal_eur - engaged)}).",
    )
    disbursement = Disbursement.objects.create(
        loan=loan, amount_eur=amount, account_holder=account_holder.strip(), iban=clean_iban, prepared_by=by
    )
    audit_log(disbursement, action="disbursement.prepared", by=by, data={"amount": str(amount)})
    return disbursement


@transaction.atomic
def disbursement_validate(*, disbursement: Disbursement, by) -> Disbursement:
    """A second person validates the tranche (side effect: transition)."""
    _four_eyes(disbursement.prepared_by_id, by)
    transition(disbursement, to=DisbursementStatus.VALIDATED, by=by, validated_by=by)
    return disbursement


@transaction.atomic
def disbursement_mark_paid(*, disbursement: Disbursement, by, paid_on: date, reference: str) -> Disbursement:
    """Records the transfer; the loan moves on when the principal is fully paid out (transitions)."""
    _require(bool(reference.strip()), "Indiquez la référence du virement.")
    transition(disbursement, to=DisbursementStatus.PAID, by=by, paid_on=paid_on, payment_reference=reference.strip())
    loan = Loan.objects.get(pk=disbursement.loan_id)
    if _disbursed(loan) >= loan.principal_eur:
        today = timezone.localdate()
        transition(loan, to=LoanStatus.REPAYING if loan.first_due_on <= today else LoanStatus.DEFERRED, by=by)
    elif loan.status == LoanStatus.SIGNED:
        transition(loan, to=LoanStatus.DISBURSING, by=by)
    return disbursement


@transaction.atomic
def disbursement_cancel(*, disbursement: Disbursement, by, reason: str) -> Disbursement:
    """Cancels a tranche not yet paid (side effect: transition)."""
    _require(bool(reason.strip()), "Indiquez le motif de l'annulation.")
    transition(disbursement, to=DisbursementStatus.CANCELLED, by=by, note=reason)
    return disbursement


@transaction.atomic
def loan_graduation_recompute(*, loan: Loan, by=None, today: date | None = None) -> bool:
    """Moves a student's first due date when their graduation date changed (new schedule, audit).

    Only honour loans follow the graduation date: a debt left by a called guarantee keeps its own schedule.
    """
    today = today or timezone.localdate()
    if (
        not loan.for_student
        or loan.origin != LoanOrigin.HONOUR_LOAN
        or loan.status
        not in {
            LoanStatus.OFFERED,
            LoanStatus.SIGNED,
            LoanStatus.DISBURSING,
            LoanStatus.DEFERRED,
        }
    ):
        return False
    if loan.first_due_on <= today or loan.schedule_base_eur > 0:
        return False  # already repaying: a committee reschedules it
    graduation_on = graduation_date_for(Beneficiary.objects.select_related("member").get(pk=loan.beneficiary_id).member)
    if graduation_on is None or graduation_on == loan.graduation_on:
        return False
    first_due_on = max(ledger.student_first_due_on(graduation_on), today + timedelta(days=1))
    version = loan.schedule_version + 1
    _schedule_write(
        loan, version=version, principal=loan.principal_eur, first_due_on=first_due_on, count=loan.instalments_count
    )
    old = (loan.graduation_on, loan.first_due_on)
    Loan.objects.filter(pk=loan.pk).update(
        graduation_on=graduation_on, first_due_on=first_due_on, schedule_version=version
    )
    loan.graduation_on, loan.first_due_on, loan.schedule_version = graduation_on, first_due_on, version
    audit_log(
        loan,
        action="loan.first_due_recomputed",
        by=by,
        data={"graduation": [str(old[0]), str(graduation_on)], "first_due": [str(old[1]), str(first_due_on)]},
    )
    return True


def repaid_net(loan: Loan, *, until: date | None = None) -> Decimal:
    qs = loan.repayments.all()
    if until is not None:
        qs = qs.filter(received_on__lte=until)
    sums = qs.aggregate(
        paid=Coalesce(Sum("amount_eur", filter=Q(kind=RepaymentKind.PAYMENT)), ZERO),
        reversed=Coalesce(Sum("amount_eur", filter=Q(kind=RepaymentKind.REVERSAL)), ZERO),
    )
    return sums["paid"] - sums["reversed"]


def loan_balance(loan: Loan, *, repaid: Decimal | None = None) -> Decimal:
    """Principal still owed (principal − repaid − forgiven − written off), never below zero."""
    repaid = repaid_net(loan) if repaid is None else repaid
    return max(loan.principal_eur - repaid - loan.forgiven_eur - loan.written_off_eur, ZERO)


REPAYMENT_PERM = "entraide.record_repayment"


def _require_repayment_right(by) -> None:
    _require(
        by is not None and getattr(by, "is_authenticated", False) and by.has_perm(REPAYMENT_PERM),
        "Vous n'avez pas le droit d'enregistrer les remboursements.",
    )


@transaction.atomic
def repayment_record(
    *, loan: Loan, by, amount_eur: Decimal, received_on: date, method: str, reference: str = "", note: str = ""
) -> Repayment:
    """Records money received from the borrower (INSERT, audit, arrears recomputed, maybe repaid)."""
    _require_repayment_right(by)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    _require(
        loan.status in {LoanStatus.DISBURSING, LoanStatus.DEFERRED, LoanStatus.REPAYING, LoanStatus.WRITTEN_OFF},
        "Ce prêt n'attend pas de remboursement.",
    )
    amount = eur(amount_eur)
    _require(amount > 0, "Le montant doit être positif.")
    recovery = loan.status == LoanStatus.WRITTEN_OFF
    owed = loan.principal_eur - repaid_net(loan) - loan.forgiven_eur
    _require(amount <= owed, f"Le montant dépasse ce qui reste dû ({format_eur(owed)}).")
    repayment = Repayment.objects.create(
        loan=loan,
        kind=RepaymentKind.PAYMENT,
        amount_eur=amount,
        received_on=received_on,
        method=method,
        reference=reference.strip(),
        note=note.strip(),
        is_recovery=recovery,
        recorded_by=by,
    )
    audit_log(loan, action="loan.repayment", by=by, data={"amount": str(amount), "recovery": recovery})
    loan_refresh(loan=loan, by=by)
    return repayment


@transaction.atomic
def repayment_reverse(*, repayment: Repayment, by, reason: str) -> Repayment:
    """Cancels a repayment by a counter-entry; the original is never edited (INSERT, audit, recompute)."""
    _require_repayment_right(by)
    repayment = Repayment.objects.select_for_update(of=("self",)).select_related("loan").get(pk=repayment.pk)
    _require(repayment.kind == RepaymentKind.PAYMENT, "Une contre-passation ne se contre-passe pas.")
    _require(not Repayment.objects.filter(reverses=repayment).exists(), "Ce remboursement est déjà contre-passé.")
    _require(bool(reason.strip()), "Indiquez le motif de la contre-passation.")
    reversal = Repayment.objects.create(
        loan=repayment.loan,
        kind=RepaymentKind.REVERSAL,
        amount_eur=repayment.amount_eur,
        received_on=timezone.localdate(),
        method=repayment.method,
        reference=repayment.reference,
        note=reason.strip()[:255],
        is_recovery=repayment.is_recovery,
        reverses=repayment,
        recorded_by=by,
    )
    loan = repayment.loan
    audit_log(loan, action="loan.repayment_reversed", by=by, note=reason, data={"repayment": str(repayment.public_id)})
    if loan.status == LoanStatus.REPAID and loan_balance(loan) > 0:
        transition(loan, to=LoanStatus.REPAYING, by=by, note="Remboursement contre-passé")
    loan_refresh(loan=loan, by=by)
    return reversal


def _current_lines(loan: Loan) -> list[tuple[date, Decimal]]:
    return list(loan.instalments.filter(version=loan.schedule_version).values_list("due_on", "amount_eur"))


@transaction.atomic
def loan_refresh(*, loan: Loan, by=None, today: date | None = None) -> Loan:
    """Moves the loan along its dates and recomputes its arrears and follow-ups (UPDATEs, transitions)."""
    today = today or timezone.localdate()
    loan.refresh_from_db()
    started = loan.first_due_on <= today and (loan.status == LoanStatus.DEFERRED or _disbursed(loan) > 0)
    if loan.status in {LoanStatus.DEFERRED, LoanStatus.DISBURSING} and started:
        transition(loan, to=LoanStatus.REPAYING, by=by, note="Première échéance atteinte")
    repaid = repaid_net(loan)
    # A written-off loan becomes repaid only if recoveries bring back the whole principal.
    if (
        loan.status in {LoanStatus.REPAYING, LoanStatus.WRITTEN_OFF}
        and repaid >= loan.principal_eur - loan.forgiven_eur
    ):
        transition(loan, to=LoanStatus.REPAID, by=by)
        _case_close_if_done(loan.case, by=by)
    if loan.status == LoanStatus.REPAYING:
        arrears = ledger.compute_arrears(
            lines=_current_lines(loan), base_eur=loan.schedule_base_eur, repaid_eur=repaid, today=today
        )
    else:
        arrears = ledger.Arrears(0, ZERO, ZERO, ArrearsBucket.NONE)
    Loan.objects.filter(pk=loan.pk).update(
        days_past_due=arrears.days_past_due,
        arrears_eur=arrears.arrears_eur,
        arrears_bucket=arrears.bucket,
        arrears_computed_on=today,
    )
    previous_bucket = loan.arrears_bucket
    loan.days_past_due, loan.arrears_eur, loan.arrears_bucket = (
        arrears.days_past_due,
        arrears.arrears_eur,
        arrears.bucket,
    )
    _follow_ups_sync(loan, arrears, today=today, previous_bucket=previous_bucket)
    return loan


def _follow_ups_sync(loan: Loan, arrears: ledger.Arrears, *, today: date, previous_bucket: str) -> None:
    if arrears.bucket == ArrearsBucket.NONE:
        closed = FollowUp.objects.filter(loan=loan, status=FollowUpStatus.OPEN).update(
            status=FollowUpStatus.RESOLVED, done_at=timezone.now(), outcome="Retard régularisé."
        )
        if closed:
            audit_log(loan, action="loan.arrears_resolved")
        return
    _followup, created = FollowUp.objects.get_or_create(
        loan=loan,
        bucket=arrears.bucket,
        status=FollowUpStatus.OPEN,
        defaults={"opened_on": today, "days_past_due": arrears.days_past_due},
    )
    if created:
        audit_log(loan, action="loan.follow_up_opened", data={"bucket": arrears.bucket, "days": arrears.days_past_due})


@transaction.atomic
def followup_done(*, followup: FollowUp, by, outcome: str) -> FollowUp:
    """Records what the camarade, the letter or the committee did (side effects: UPDATE, audit)."""
    _require(bool(outcome.strip()), "Dites ce qui a été fait.")
    changed = FollowUp.objects.filter(pk=followup.pk, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.DONE, done_by=by, done_at=timezone.now(), outcome=outcome.strip()
    )
    _require(changed == 1, "Ce suivi est déjà terminé.")
    followup.refresh_from_db()
    audit_log(followup.loan, action="loan.follow_up_done", by=by, note=outcome, data={"bucket": followup.bucket})
    return followup


def loans_nightly(*, today: date | None = None) -> dict:
    """Nightly: first due dates from graduation, deferred → repaying, days past due, follow-ups."""
    today = today or timezone.localdate()
    counts = {"recomputed": 0, "refreshed": 0}
    for loan in Loan.objects.filter(
        for_student=True,
        origin=LoanOrigin.HONOUR_LOAN,
        status__in=[LoanStatus.OFFERED, LoanStatus.SIGNED, LoanStatus.DISBURSING, LoanStatus.DEFERRED],
    ):
        counts["recomputed"] += int(loan_graduation_recompute(loan=loan, today=today))
    for loan in Loan.objects.filter(status__in=[LoanStatus.DISBURSING, LoanStatus.DEFERRED, LoanStatus.REPAYING]):
        loan_refresh(loan=loan, today=today)
        counts["refreshed"] += 1
    return counts


@transaction.atomic
def measure_propose(
    *,
    loan: Loan,
    by,
    kind: str,
    session: CommitteeSession,
    decision_note: str,
    new_instalments_count: int | None = None,
    new_first_due_on: date | None = None,
) -> LoanMeasure:
    """Records a committee decision to reschedule, forgive or write off; a second person applies it (INSERT,
    audit). The loan (or its case) was on that session's agenda, and whoever enters it attended, not recused."""
    _require(kind in MeasureKind.values, "Mesure inconnue.")
    _require(
        session.status in {SessionStatus.OPEN, SessionStatus.CLOSED},
        "La mesure doit avoir été décidée par une séance du comité tenue.",
    )
    _require(
        AgendaLoan.objects.filter(session=session, loan=loan).exists()
        or Decision.objects.filter(session=session, case_id=loan.case_id).exists(),
        "Ce prêt n'était pas à l'ordre du jour de cette séance : inscrivez-le à une prochaine séance, qui en décidera.",
    )
    _require(
        session.members.filter(user=by, present=True).exists(),
        "Seul un membre présent à cette séance saisit la décision qu'elle a prise.",
    )
    _require(
        not Recusal.objects.filter(session=session, case_id=loan.case_id, user=by).exists(),
        "Vous étiez récusé pour ce dossier : un autre membre présent saisit la décision.",
    )
    _require(bool(decision_note.strip()), "Recopiez la décision du comité.")
    _require(loan.status in {LoanStatus.DEFERRED, LoanStatus.REPAYING}, "Ce prêt n'a plus de solde à traiter.")
    if kind == MeasureKind.RESCHEDULE:
        _require(bool(new_instalments_count) and new_first_due_on is not None, "Indiquez le nouvel échéancier.")
        _require(new_first_due_on >= timezone.localdate(), "La nouvelle première échéance doit être à venir.")
    _require(not loan.measures.filter(status=MeasureStatus.PROPOSED).exists(), "Une mesure attend déjà sa validation.")
    measure = LoanMeasure.objects.create(
        loan=loan,
        kind=kind,
        session=session,
        decision_note=decision_note.strip(),
        new_instalments_count=new_instalments_count,
        new_first_due_on=new_first_due_on,
        amount_eur=loan_balance(loan),
        proposed_by=by,
    )
    audit_log(loan, action=f"loan.measure_proposed.{kind}", by=by, note=decision_note)
    return measure


@transaction.atomic
def measure_validate(*, measure: LoanMeasure, by) -> LoanMeasure:
    """The second person applies the measure (transitions, new schedule or balance turned into gift/loss)."""
    _four_eyes(measure.proposed_by_id, by)
    loan = Loan.objects.select_for_update().get(pk=measure.loan_id)
    repaid = repaid_net(loan)
    balance = loan_balance(loan, repaid=repaid)
    transition(
        measure, to=MeasureStatus.VALIDATED, by=by, validated_by=by, validated_at=timezone.now(), amount_eur=balance
    )
    if measure.kind == MeasureKind.RESCHEDULE:
        version = loan.schedule_version + 1
        _schedule_write(
            loan,
            version=version,
            principal=balance,
            first_due_on=measure.new_first_due_on,
            count=measure.new_instalments_count,
        )
        Loan.objects.filter(pk=loan.pk).update(
            schedule_version=version,
            schedule_base_eur=repaid,
            instalments_count=measure.new_instalments_count,
            first_due_on=min(loan.first_due_on, measure.new_first_due_on),
        )
        audit_log(loan, action="loan.rescheduled", by=by, data={"version": version, "balance": str(balance)})
        loan_refresh(loan=loan, by=by)
    elif measure.kind == MeasureKind.FORGIVE:
        Loan.objects.filter(pk=loan.pk).update(forgiven_eur=loan.forgiven_eur + balance)
        transition(loan, to=LoanStatus.FORGIVEN, by=by, note=measure.decision_note)
        loan_refresh(loan=loan, by=by)
        _case_close_if_done(loan.case, by=by)
    else:
        Loan.objects.filter(pk=loan.pk).update(written_off_eur=loan.written_off_eur + balance)
        transition(loan, to=LoanStatus.WRITTEN_OFF, by=by, note=measure.decision_note)
        loan_refresh(loan=loan, by=by)
        _case_close_if_done(loan.case, by=by)
    return measure


@transaction.atomic
def measure_cancel(*, measure: LoanMeasure, by, reason: str) -> LoanMeasure:
    """Drops a proposed measure (side effect: transition)."""
    transition(measure, to=MeasureStatus.CANCELLED, by=by, note=reason)
    return measure


# ---------------------------------------------------------------------------------------------
# Cautions bancaires
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def guarantee_register(
    *,
    case: AidCase,
    by,
    bank: str,
    loan_reference: str,
    loan_amount_eur: Decimal,
    share_percent: Decimal,
    ceiling_eur: Decimal,
    starts_on: date,
    ends_on: date,
) -> Guarantee:
    """Enters a guarantee given to a bank for an approved case (INSERT, audit)."""
    _require(
        case.status == CaseStatus.APPROVED and case.decided_kind == AidKind.GUARANTEE,
        "Le dossier n'accorde pas de caution.",
    )
    _require(ends_on >= starts_on, "La fin doit suivre le début.")
    _require(Decimal(0) <= share_percent <= Decimal(100), "La part garantie est un pourcentage entre 0 et 100.")
    ceiling = eur(ceiling_eur)
    _require(ceiling <= (case.amount_granted_eur or ZERO), "Le plafond dépasse le montant accordé par le comité.")
    guarantee = Guarantee.objects.create(
        case=case,
        bank=bank.strip(),
        loan_reference=loan_reference.strip(),
        loan_amount_eur=eur(loan_amount_eur),
        share_percent=share_percent,
        ceiling_eur=ceiling,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    audit_log(guarantee, action="guarantee.registered", by=by)
    return guarantee


@transaction.atomic
def guarantee_release(*, guarantee: Guarantee, by, released_on: date) -> Guarantee:
    """The bank loan is repaid: the guarantee ends (transition, maybe case closed)."""
    transition(guarantee, to=GuaranteeStatus.RELEASED, by=by, released_on=released_on)
    _case_close_if_done(guarantee.case, by=by)
    return guarantee


@transaction.atomic
def guarantee_call(*, guarantee: Guarantee, by, called_on: date, called_eur: Decimal) -> Guarantee:
    """The bank calls the guarantee (side effect: transition)."""
    amount = eur(called_eur)
    _require(
        0 < amount <= guarantee.guaranteed_eur,
        f"L'appel dépasse le montant garanti ({format_eur(guarantee.guaranteed_eur)}).",
    )
    transition(guarantee, to=GuaranteeStatus.CALLED, by=by, called_on=called_on, called_eur=amount, called_by=by)
    return guarantee


@transaction.atomic
def guarantee_pay(
    *, guarantee: Guarantee, by, paid_on: date, reference: str, instalments_count: int, first_due_on: date
) -> Guarantee:
    """A second person pays the bank; a receivable on the student opens with its schedule (INSERTs)."""
    _four_eyes(guarantee.called_by_id, by)
    _require(bool(reference.strip()), "Indiquez la référence du paiement.")
    _require(instalments_count >= 1, "Au moins une mensualité.")
    case = guarantee.case
    receivable = Loan.objects.create(
        case=case,
        beneficiary_id=case.beneficiary_id,
        origin=LoanOrigin.GUARANTEE_CALL,
        for_student=case.is_student_case,
        principal_eur=guarantee.called_eur,
        status=LoanStatus.REPAYING if first_due_on <= timezone.localdate() else LoanStatus.DEFERRED,
        instalments_count=instalments_count,
        first_due_on=first_due_on,
    )
    _schedule_write(
        receivable, version=1, principal=receivable.principal_eur, first_due_on=first_due_on, count=instalments_count
    )
    audit_log(receivable, action="loan.receivable_opened", by=by, data={"guarantee": str(guarantee.public_id)})
    transition(
        guarantee,
        to=GuaranteeStatus.PAID,
        by=by,
        paid_on=paid_on,
        paid_reference=reference.strip(),
        paid_by=by,
        receivable=receivable,
    )
    return guarantee


@transaction.atomic
def statement_record(
    *, guarantee: Guarantee, by, year: int, outstanding_eur: Decimal, received_on: date
) -> GuaranteeStatement:
    """Records the bank's yearly statement (INSERT or UPDATE of that year, audit)."""
    statement, _created = GuaranteeStatement.objects.update_or_create(
        guarantee=guarantee, year=year, defaults={"outstanding_eur": eur(outstanding_eur), "received_on": received_on}
    )
    audit_log(guarantee, action="guarantee.statement", by=by, data={"year": year, "outstanding": str(outstanding_eur)})
    return statement


# ---------------------------------------------------------------------------------------------
# Confidentialité : journal des lectures, anonymisation
# ---------------------------------------------------------------------------------------------


def case_read_log(*, case: AidCase, user, request=None, what: str = "dossier", data: dict | None = None) -> None:
    """Writes who opened this case, and what (side effect: one audit INSERT)."""
    audit_log(case, action="case.read", by=user, request=request, data={"page": what, **(data or {})})


def case_list_read_log(*, user, cases, request=None, what: str = "liste") -> None:
    """A « case.read » row for each case a page showed by name, so that « who opened this file » counts those
    who saw it in a list, a session or the payments (side effect: one bulk INSERT per page, whatever its size).
    """
    from django.contrib.contenttypes.models import ContentType

    from soce.lib.audit import client_ip
    from soce.lib.models import AuditEvent

    unique = list({case.pk: case for case in cases}.values())
    if not unique:
        return
    content_type = ContentType.objects.get_for_model(AidCase)
    actor = user if getattr(user, "is_authenticated", False) else None
    actor_repr = (str(actor) if actor else (str(user) if user else "système"))[:255]
    ip = client_ip(request)
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now,
                actor=actor,
                actor_repr=actor_repr,
                action="case.read",
                content_type=content_type,
                object_id=str(case.pk),
                object_repr=str(case)[:255],
                data={"page": what, "list": True},
                ip=ip,
            )
            for case in unique
        ]
    )


ANONYMOUS = "Anonymisé"
ANONYMOUS_REQUESTER = "Demandeur (anonymisé)"


def _case_scrub(case: AidCase, *, now: datetime) -> set[int]:
    """Erases the free text and bank details of one case and its instruments; returns the ids of the users
    who stand for the person (the one helped, whoever filed it) so that their traces can be cut."""
    beneficiary = Beneficiary.objects.select_related("member").get(pk=case.beneficiary_id)
    person_users = {beneficiary.member.user_id if beneficiary.member_id else None}
    # A relay's name narrows the person down too; a volunteer who entered the case in the back office does not.
    if case.filed_as != AidCase.FiledAs.STAFF:
        person_users.add(case.filed_by_id)
    person_users.discard(None)
    for document in case.documents.all():
        document.file.delete(save=False)
    case.documents.all().delete()
    AidCase.objects.filter(pk=case.pk).update(situation="", member_message="", filed_by=None, anonymised_at=now)
    case.opinions.update(text="", requested_from=None, waive_reason="")
    case.decisions.update(conditions="", reason="")
    case.recusals.update(reason=ANONYMOUS)
    case.grants.update(account_holder=ANONYMOUS, iban="", payment_reference="")
    UrgentAid.objects.filter(case=case).update(reason=ANONYMOUS, ratification_note="")
    for loan in case.loans.all():
        loan.disbursements.update(account_holder=ANONYMOUS, iban="", payment_reference="")
        # The one sanctioned change to ledger rows: references may carry a name.
        loan.repayments.update(reference="", note="")
        loan.follow_ups.update(outcome="")
        loan.measures.update(decision_note=ANONYMOUS)
        contract = LoanContract.objects.filter(loan=loan).first()
        if contract is not None:
            # The signed document itself is the engine's evidence and follows its own retention.
            LoanContract.objects.filter(pk=contract.pk).update(
                text="", amount_words="", amount_figures="", ip=None, user_agent="", accepted_by=None
            )
    case.guarantees.update(loan_reference=ANONYMOUS, paid_reference="")
    _traces_scrub(case, person_users=person_users)
    return person_users


def _case_objects(case: AidCase) -> list[tuple[type, list[int]]]:
    """The case and every row of its instruments that the audit log or the outbox may point at."""
    loan_ids = list(case.loans.values_list("pk", flat=True))
    return [
        (AidCase, [case.pk]),
        (Opinion, list(case.opinions.values_list("pk", flat=True))),
        (UrgentAid, list(UrgentAid.objects.filter(case=case).values_list("pk", flat=True))),
        (Grant, list(case.grants.values_list("pk", flat=True))),
        (Guarantee, list(case.guarantees.values_list("pk", flat=True))),
        (Loan, loan_ids),
        (Disbursement, list(Disbursement.objects.filter(loan_id__in=loan_ids).values_list("pk", flat=True))),
        (LoanMeasure, list(LoanMeasure.objects.filter(loan_id__in=loan_ids).values_list("pk", flat=True))),
        (FollowUp, list(FollowUp.objects.filter(loan_id__in=loan_ids).values_list("pk", flat=True))),
    ]


def _traces_scrub(case: AidCase, *, person_users: set[int]) -> None:
    """The audit trail keeps who did what and when, without free text, and without the person's account;
    the outbox keeps that a message left, without its recipient or content (queued ones are not sent)."""
    import uuid

    from django.contrib.contenttypes.models import ContentType

    from soce.lib.models import AuditEvent, EmailStatus, OutgoingEmail
    from soce.lib.reminders.models import Delivery

    audit_match = Q(pk__in=[])
    outbox_match = Q(pk__in=[])
    for model, ids in _case_objects(case):
        if not ids:
            continue
        content_type = ContentType.objects.get_for_model(model)
        keys = [str(pk) for pk in ids]
        audit_match |= Q(content_type=content_type, object_id__in=keys)
        outbox_match |= Q(related_type=content_type, related_id__in=keys)
    events = AuditEvent.objects.filter(audit_match)
    events.exclude(note="").update(note="")
    events.filter(action="loan.contract_started").update(data={})
    if person_users:
        events.filter(actor_id__in=person_users).update(actor=None, actor_repr=ANONYMOUS_REQUESTER, ip=None, data={})
    emails = OutgoingEmail.objects.filter(outbox_match)
    now = timezone.now()
    # Whatever has not left yet (queued, retrying, held back…) does not leave at all.
    emails.exclude(
        status__in=[EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.CANCELLED, EmailStatus.SENDING]
    ).update(status=EmailStatus.CANCELLED, status_changed_at=now)
    email_ids = list(emails.values_list("pk", flat=True))
    if email_ids:
        OutgoingEmail.objects.filter(pk__in=email_ids).update(
            to=f"anonyme-{uuid.uuid4().hex[:16]}@anonyme.invalid",
            subject="[anonymisé]",
            body_text="",
            body_html="",
            headers={},
            attachments=[],
            last_error="",
        )
        # The reminders engine's record of the send names the member it went to.
        Delivery.objects.filter(email_id__in=email_ids).update(member_id=None)


def _cases_detach(beneficiary: Beneficiary, cases: list[AidCase], *, now: datetime) -> None:
    """Cuts the anonymised cases from the person.

    When none of the person's cases keeps their data any more, the beneficiary row itself is emptied (its
    cases still count as one person in the aggregates). When another case is still open, these cases and
    their loans move to a new anonymous row carrying only what the aggregates read (the kind; campus and
    promo decade are on the case): nothing leads from them back to the person.
    """
    ids = [c.pk for c in cases]
    still_open = beneficiary.cases.filter(anonymised_at__isnull=True).exclude(pk__in=ids).exists()
    if not still_open:
        Beneficiary.objects.filter(pk=beneficiary.pk).update(
            member=None, first_name="", last_name="", email="", phone="", relation="", anonymised_at=now
        )
        return
    snapshot = Beneficiary.objects.create(kind=beneficiary.kind, anonymised_at=now, created_at=now)
    AidCase.objects.filter(pk__in=ids).update(beneficiary=snapshot)
    Loan.objects.filter(case_id__in=ids).update(beneficiary=snapshot)


@transaction.atomic
def cases_anonymise(*, cases: list[AidCase], by=None) -> list[AidCase]:
    """Erases the personal data of closed cases, keeping amounts, dates and aggregation keys (UPDATEs, files,
    audit and outbox scrubbed, the cases cut from the person)."""
    for case in cases:
        _require(case.status in AidCase.TERMINAL, "Seul un dossier clos s'anonymise.")
        _require(not case.loans.filter(status__in=Loan.OUTSTANDING).exists(), "Un prêt de ce dossier court encore.")
        _require(case.anonymised_at is None, "Ce dossier est déjà anonymisé.")
    now = timezone.now()
    by_beneficiary: dict[int, list[AidCase]] = {}
    for case in cases:
        by_beneficiary.setdefault(case.beneficiary_id, []).append(case)
    for beneficiary_id, group in by_beneficiary.items():
        for case in group:
            _case_scrub(case, now=now)
        _cases_detach(Beneficiary.objects.get(pk=beneficiary_id), group, now=now)
    # The stored minutes printed the name: they are written again from the anonymised rows.
    sessions = CommitteeSession.objects.filter(
        Q(decisions__case__in=cases) | Q(loan_measures__loan__case__in=cases) | Q(urgent_aids__case__in=cases)
    ).exclude(minutes_pdf="")
    for session in sessions.distinct():
        session_minutes_write(session=session)
    for case in cases:
        audit_log(case, action="case.anonymised", by=by)
        case.refresh_from_db()
    return cases


def case_anonymise(*, case: AidCase, by=None) -> AidCase:
    """Erases the personal data of one closed case (see cases_anonymise)."""
    return cases_anonymise(cases=[case], by=by)[0]


def cases_anonymise_expired(*, today: date | None = None) -> int:
    """Anonymises the cases closed for longer than the retention period (see cases_anonymise).

    The cases of one person go together, so that those anonymised on the same night stay one person.
    """
    today = today or timezone.localdate()
    years = settings_get().retention_years
    limit = timezone.make_aware(
        datetime.combine(ledger.safe_date(today.year - years, today.month, today.day), time.min)
    )
    candidates = (
        AidCase.objects.filter(status__in=AidCase.TERMINAL, anonymised_at__isnull=True, status_changed_at__lt=limit)
        .exclude(loans__status__in=Loan.OUTSTANDING)
        .distinct()
        .order_by("beneficiary_id", "pk")
    )
    groups: dict[int, list[AidCase]] = {}
    for case in candidates:
        groups.setdefault(case.beneficiary_id, []).append(case)
    for group in groups.values():
        cases_anonymise(cases=group)
    return sum(len(group) for group in groups.values())


# ---------------------------------------------------------------------------------------------
# Relances (moteur générique soce.lib.reminders)
# ---------------------------------------------------------------------------------------------

REMINDER_STEPS = [
    # code, name, rule, template
    ("entraide-opinions-due", "Entraide : avis à rendre", "entraide.opinions_due", "entraide/opinion_reminder"),
    (
        "entraide-arrears-friendly",
        "Entraide : rappel amical d'échéance",
        "entraide.arrears_friendly",
        "entraide/arrears_friendly",
    ),
]


def reminders_ensure() -> int:
    """Creates the daily reminder steps of the entraide if missing (side effect: INSERTs once)."""
    from soce.lib.reminders import services as reminders

    for code, name, rule, template in REMINDER_STEPS:
        reminders.step_ensure(
            code=code, name=name, rule=rule, template=template, rolling=True, is_reminder=False, campaign="entraide"
        )
    return len(REMINDER_STEPS)


# ---------------------------------------------------------------------------------------------
# Portail : dépôt d'une demande en une fois
# ---------------------------------------------------------------------------------------------

RELAY_ROLES = {*GroupMembership.OFFICER_ROLES, GroupMembership.Role.CAMPUS_DIRECTOR}


def can_relay(member: Member | None, on: date | None = None) -> bool:
    """Delegates and group officers may file a request for someone else (and only they: no probing)."""
    if member is None:
        return False
    on = on or timezone.localdate()
    return (
        GroupMembership.objects.filter(member=member, role__in=list(RELAY_ROLES), starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .exists()
    )


# ---------------------------------------------------------------------------------------------


@transaction.atomic
def request_file(
    *,
    by,
    member: Member,
    for_whom: str,
    kind_requested: str,
    purpose: str,
    amount_requested_eur: Decimal,
    situation: str,
    files: list,
    relay_email: str = "",
    relative: dict | None = None,
    submit: bool = True,
) -> AidCase:
    """Files a request from the portal: beneficiary, case, documents, submission (all or nothing)."""
    filed_as = AidCase.FiledAs.SELF
    if for_whom == "family":
        relative = relative or {}
        beneficiary = beneficiary_ensure(
            kind=BeneficiaryKind.FAMILY,
            member=member,
            relation=relative.get("relation", ""),
            first_name=relative.get("first_name", ""),
            last_name=relative.get("last_name", ""),
        )
    elif for_whom == "relay":
        _require(
            can_relay(member),
            "Seuls les délégués et les responsables de groupe relaient une demande ; "
            "sinon, invitez la personne à la déposer elle-même.",
        )
        target = (
            Member.objects.select_related("category", "campus")
            .filter(Q(email__iexact=relay_email) | Q(user__email__iexact=relay_email))
            .first()
        )
        _require(target is not None, "Aucun membre de la Soce n'est connu sous cet e-mail.")
        _require(target.pk != member.pk, "Pour vous-même, choisissez « Pour moi ».")
        beneficiary = beneficiary_ensure(kind=student_kind_for(target), member=target)
        filed_as = AidCase.FiledAs.RELAY
    else:
        beneficiary = beneficiary_ensure(kind=student_kind_for(member), member=member)
    case = case_create(
        beneficiary=beneficiary,
        by=by,
        kind_requested=kind_requested,
        purpose=purpose,
        amount_requested_eur=amount_requested_eur,
        situation=situation,
        filed_as=filed_as,
    )
    for uploaded in files:
        document_add(case=case, uploaded=uploaded, by=by, shared=True)
    if submit:
        case_submit(case=case, by=by)
    return case
