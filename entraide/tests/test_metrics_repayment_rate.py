"""The repayment rate never exceeds 100 %: what is repaid ahead of the schedule is not counted twice.

The 100.8 % seen on the Bureau's dashboard did not come from this metric but from the strategy demo,
which invents values for computed indicators when the registry has no figure (90 % × 1.12); that
seeder now keeps percentages within 0–100 (strategy/tests/test_demo_large.py). These tests pin the
metric's own bound: per loan, the repaid amount counts up to what is due, never beyond.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from entraide import ledger, metrics
from entraide.models import (
    AidCase,
    Beneficiary,
    CommitteeSession,
    Disbursement,
    Instalment,
    Loan,
    LoanMeasure,
    Repayment,
)
from entraide.tests.conftest import VALID_IBAN
from members.tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


FIRST_DUE = date(2025, 1, 10)
AT = date(2025, 4, 20)  # four instalments due (10 January to 10 April)


@pytest.fixture
def staff():
    return UserFactory(email="tresorerie@exemple.fr"), UserFactory(email="comite@exemple.fr")


def loan_with(staff, principal: str, count: int, paid: list[tuple[date, str]], *, kind="payment") -> Loan:
    maker, checker = staff
    beneficiary = Beneficiary.objects.create(kind="member", member=MemberFactory())
    case = AidCase.objects.create(
        beneficiary=beneficiary,
        kind_requested="loan",
        purpose="hardship",
        amount_requested_eur=Decimal(principal),
        beneficiary_kind="member",
        status="approved",
    )
    loan = Loan.objects.create(
        case=case,
        beneficiary=beneficiary,
        principal_eur=Decimal(principal),
        status="repaying",
        instalments_count=count,
        first_due_on=FIRST_DUE,
        created_at=aware(FIRST_DUE - timedelta(days=200)),
    )
    for line in ledger.build_schedule(principal=Decimal(principal), count=count, first_due_on=FIRST_DUE):
        Instalment.objects.create(loan=loan, seq=line.seq, due_on=line.due_on, amount_eur=line.amount_eur)
    Disbursement.objects.create(
        loan=loan,
        amount_eur=Decimal(principal),
        status="paid",
        account_holder="X",
        iban=VALID_IBAN,
        prepared_by=maker,
        validated_by=checker,
        paid_on=FIRST_DUE - timedelta(days=190),
    )
    for received_on, amount in paid:
        Repayment.objects.create(loan=loan, amount_eur=Decimal(amount), received_on=received_on, recorded_by=maker)
    return loan


def rate(at: date = AT) -> Decimal | None:
    return metrics.repayment_rate(date(at.year, 1, 1), at)


def test_paying_ahead_of_the_schedule_is_100_percent_not_more(staff):
    # 1,200 € in 12 instalments: 400 € due by the 20th of April, 1,000 € already paid back.
    loan_with(staff, "1200", 12, [(FIRST_DUE, "100"), (FIRST_DUE + timedelta(days=5), "900")])
    assert rate() == Decimal("100.0")


def test_one_borrower_ahead_does_not_make_up_for_one_behind(staff):
    loan_with(staff, "1200", 12, [(FIRST_DUE, "1200")])  # repaid in full on the first due date
    loan_with(staff, "1200", 12, [])  # nothing repaid: 400 € late
    assert rate() == Decimal("50.0")  # 400 counted of the 800 due, not (1,200 + 0) / 800 = 150 %


def test_partial_payments_and_reversals(staff):
    loan = loan_with(staff, "1200", 12, [(FIRST_DUE, "100"), (FIRST_DUE + timedelta(days=31), "100")])
    assert rate() == Decimal("50.0")
    first = loan.repayments.order_by("received_on").first()
    Repayment.objects.create(
        loan=loan,
        kind="reversal",
        reverses=first,
        amount_eur=Decimal("100"),
        received_on=AT - timedelta(days=1),
        recorded_by=staff[0],
    )
    assert rate() == Decimal("25.0")


def test_forgiven_loans_are_left_out_and_no_due_means_no_rate(staff):
    assert rate() is None
    loan = loan_with(staff, "1200", 12, [])
    maker, checker = staff
    session = CommitteeSession.objects.create(held_on=AT - timedelta(days=10), status="closed")
    LoanMeasure.objects.create(
        loan=loan,
        kind="forgive",
        status="validated",
        session=session,
        decision_note="Remise.",
        amount_eur=Decimal("1200"),
        proposed_by=maker,
        validated_by=checker,
        validated_at=aware(session.held_on),
    )
    Loan.objects.filter(pk=loan.pk).update(status="forgiven", forgiven_eur=Decimal("1200"))
    assert rate() is None
    assert rate(FIRST_DUE - timedelta(days=1)) is None  # nothing due yet


@pytest.mark.parametrize("paid", ["0", "99.99", "400", "1199.99", "1200"])
def test_the_rate_stays_between_0_and_100(staff, paid):
    loan_with(staff, "1200", 12, [(FIRST_DUE, paid)] if Decimal(paid) else [])
    for days in (1, 40, 100, 400):  # on the first due date itself nothing is due yet
        value = rate(FIRST_DUE + timedelta(days=days))
        assert value is not None and Decimal(0) <= value <= Decimal(100)
