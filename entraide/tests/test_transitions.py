"""Chaque machine à états : toutes les transitions permises passent, toutes les autres sont refusées,
et chaque passage laisse une ligne d'audit (qui, quand, motif)."""

from datetime import date
from decimal import Decimal

import pytest

from entraide.models import (
    AidCase,
    Beneficiary,
    CommitteeSession,
    Disbursement,
    Grant,
    Guarantee,
    Loan,
    LoanMeasure,
    Opinion,
    UrgentAid,
)
from soce.lib.audit import audit_for
from soce.lib.exceptions import InvalidTransition
from soce.lib.states import transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(student, instructor):
    beneficiary = Beneficiary.objects.create(kind="student", member=student)
    case = AidCase.objects.create(
        beneficiary=beneficiary,
        kind_requested="loan",
        purpose="mobility",
        amount_requested_eur=Decimal("100"),
        beneficiary_kind="student",
    )
    session = CommitteeSession.objects.create(held_on=date(2027, 1, 15))
    loan = Loan.objects.create(
        case=case,
        beneficiary=beneficiary,
        principal_eur=Decimal("100"),
        instalments_count=1,
        first_due_on=date(2030, 1, 1),
    )
    money = {
        "amount_eur": Decimal("10"),
        "account_holder": "X",
        "iban": "FR7630006000011234567890189",
        "prepared_by": instructor,
    }
    return {
        AidCase: case,
        Opinion: Opinion.objects.create(case=case, role="promo_delegate", due_on=date(2027, 1, 1)),
        CommitteeSession: session,
        UrgentAid: UrgentAid.objects.create(case=case, amount_eur=Decimal("10"), reason="x", requested_by=instructor),
        Grant: Grant.objects.create(case=case, **money),
        Loan: loan,
        Disbursement: Disbursement.objects.create(loan=loan, **money),
        LoanMeasure: LoanMeasure.objects.create(
            loan=loan, kind="forgive", session=session, decision_note="x", proposed_by=instructor
        ),
        Guarantee: Guarantee.objects.create(
            case=case,
            bank="Banque",
            loan_reference="B-1",
            loan_amount_eur=Decimal("10000"),
            share_percent=Decimal("50"),
            ceiling_eur=Decimal("4000"),
            starts_on=date(2027, 1, 1),
            ends_on=date(2029, 1, 1),
        ),
    }


@pytest.mark.parametrize(
    "model",
    [AidCase, Opinion, CommitteeSession, UrgentAid, Grant, Loan, Disbursement, LoanMeasure, Guarantee],
    ids=lambda m: m.__name__,
)
def test_every_transition_allowed_and_forbidden(objects, model, instructor):
    obj = objects[model]
    statuses = model.Status.values
    assert set(model.TRANSITIONS) == set(statuses), "every state has a row in the table"
    checked = 0
    for source in statuses:
        for target in statuses:
            model.objects.filter(pk=obj.pk).update(status=source)
            obj.status = source
            if target in model.TRANSITIONS[source]:
                transition(obj, to=target, by=instructor, note=f"{source}→{target}")
                obj.refresh_from_db()
                assert obj.status == target
                event = audit_for(obj).first()
                assert (event.action, event.actor, event.note) == (f"status.{target}", instructor, f"{source}→{target}")
            else:
                with pytest.raises(InvalidTransition):
                    transition(obj, to=target, by=instructor)
                obj.refresh_from_db()
                assert obj.status == source
            checked += 1
    assert checked == len(statuses) ** 2


def test_case_table_matches_the_issue():
    s = AidCase.Status
    t = AidCase.TRANSITIONS
    assert t[s.DRAFT] == {s.SUBMITTED, s.WITHDRAWN}
    assert t[s.SUBMITTED] >= {s.INCOMPLETE, s.INSTRUCTION}
    assert t[s.INCOMPLETE] >= {s.SUBMITTED}
    assert t[s.IN_SESSION] >= {s.APPROVED, s.REJECTED, s.ADJOURNED}
    assert s.INSTRUCTION in t[s.ADJOURNED]
    assert t[s.APPROVED] == {s.CLOSED}
    # Withdrawn at any point before the decision, never after.
    before = {s.DRAFT, s.SUBMITTED, s.INCOMPLETE, s.INSTRUCTION, s.OPINIONS, s.READY, s.IN_SESSION, s.ADJOURNED}
    assert {state for state, targets in t.items() if s.WITHDRAWN in targets} == before
