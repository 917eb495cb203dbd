"""The entraide figures the Bureau reads (entraide/metrics.py), on loans and grants counted by hand.

On the 20th of April 2025 (four monthly instalments due, 10 January to 10 April):
- L1 Bo 1,200 € in 12: 400 repaid, on time → 800 € outstanding;
- L2 Bo 1,200 € in 12: 200 repaid, 200 late since 10 March → 1,000 € outstanding, in arrears;
- L3 Cl 1,200 € in 12: repaid in full ahead → 0 outstanding, counts 400 of 400 due in the rate;
- L4 Cl 1,200 € in 12: forgiven → 0 outstanding, left out of the rate and of the arrears;
- L6 Bo   600 € in 6: nothing repaid, 400 late → 600 € outstanding, in arrears;
- L7 Pa   500 €, paid out on 1 February 2025, schedule starting in September → 500 € outstanding;
- an offered loan (Pa) that was never paid out: nowhere.
Outstanding 800 + 1,000 + 600 + 500 = 2,900 €; repayment rate (400 + 200 + 400 + 0) / 1,600 = 62.5 %;
2 loans in arrears. Lent in 2025 (to the 20th of April): 500 € (L7); the others were paid out in 2024.
Grants paid in 2025: 300 € (Bo) + 200 € (Cl); one prepared but not paid, one paid in December 2024.
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
    Grant,
    Instalment,
    Loan,
    LoanMeasure,
    Repayment,
)
from entraide.tests.conftest import VALID_IBAN
from members.tests.factories import MemberFactory, UserFactory
from soce.lib import metrics as registry
from soce.lib.metrics import Group

pytestmark = pytest.mark.django_db

FIRST_DUE = date(2025, 1, 10)
AT = date(2025, 4, 20)
YEAR = (date(2025, 1, 1), AT)


def aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


@pytest.fixture
def staff():
    return UserFactory(email="tresorerie@exemple.fr"), UserFactory(email="comite@exemple.fr")


def case_for(campus: str, decade: int = 1990, kind: str = "member", requested: str = "loan") -> AidCase:
    beneficiary = Beneficiary.objects.create(kind=kind, member=MemberFactory())
    return AidCase.objects.create(
        beneficiary=beneficiary,
        kind_requested=requested,
        purpose="hardship",
        amount_requested_eur=Decimal("1000"),
        beneficiary_kind=kind,
        campus_code=campus,
        promo_decade=decade,
        status="approved",
    )


def loan(staff, campus, principal, count, repaid, *, first_due=FIRST_DUE, paid_on=date(2024, 7, 4), status="repaying"):
    maker, checker = staff
    case = case_for(campus)
    item = Loan.objects.create(
        case=case,
        beneficiary=case.beneficiary,
        principal_eur=Decimal(principal),
        status=status,
        instalments_count=count,
        first_due_on=first_due,
        created_at=aware(date(2024, 6, 1)),
    )
    if status == "offered":
        return item
    for line in ledger.build_schedule(principal=Decimal(principal), count=count, first_due_on=first_due):
        Instalment.objects.create(loan=item, seq=line.seq, due_on=line.due_on, amount_eur=line.amount_eur)
    Disbursement.objects.create(
        loan=item,
        amount_eur=Decimal(principal),
        status="paid",
        account_holder="X",
        iban=VALID_IBAN,
        prepared_by=maker,
        validated_by=checker,
        paid_on=paid_on,
    )
    if Decimal(repaid):
        Repayment.objects.create(loan=item, amount_eur=Decimal(repaid), received_on=FIRST_DUE, recorded_by=maker)
    return item


def grant(staff, campus, amount, status, paid_on):
    case = case_for(campus, requested="grant")
    return Grant.objects.create(
        case=case,
        amount_eur=Decimal(amount),
        status=status,
        account_holder="X",
        iban=VALID_IBAN,
        prepared_by=staff[0],
        paid_on=paid_on,
    )


@pytest.fixture
def book(staff):
    loans = {
        "L1": loan(staff, "Bo", "1200", 12, "400"),
        "L2": loan(staff, "Bo", "1200", 12, "200"),
        "L3": loan(staff, "Cl", "1200", 12, "1200"),
        "L4": loan(staff, "Cl", "1200", 12, "0"),
        "L6": loan(staff, "Bo", "600", 6, "0"),
        "L7": loan(staff, "Pa", "500", 10, "0", first_due=date(2025, 9, 10), paid_on=date(2025, 2, 1)),
        "offered": loan(staff, "Pa", "900", 9, "0", status="offered"),
    }
    maker, checker = staff
    session = CommitteeSession.objects.create(held_on=date(2025, 3, 1), status="closed")
    LoanMeasure.objects.create(
        loan=loans["L4"],
        kind="forgive",
        status="validated",
        session=session,
        decision_note="Remise.",
        amount_eur=Decimal("1200"),
        proposed_by=maker,
        validated_by=checker,
        validated_at=aware(session.held_on),
    )
    Loan.objects.filter(pk=loans["L4"].pk).update(status="forgiven", forgiven_eur=Decimal("1200"))
    grant(staff, "Bo", "300", "paid", date(2025, 2, 15))
    grant(staff, "Cl", "200", "closed", date(2025, 3, 1))
    grant(staff, "Pa", "1000", "prepared", None)
    grant(staff, "Bo", "700", "paid", date(2024, 12, 20))
    return loans


def test_flows_and_stocks_are_counted_by_hand(book):
    assert metrics.granted_eur(*YEAR) == Decimal("500.00")
    assert metrics.lent_eur(*YEAR) == Decimal("500.00")
    assert metrics.given_or_lent_eur(*YEAR) == Decimal("1000.00")
    assert metrics.lent_eur(date(2024, 1, 1), date(2024, 12, 31)) == Decimal("5400.00")  # 4 × 1,200 + 600
    assert metrics.granted_eur(date(2024, 1, 1), date(2024, 12, 31)) == Decimal("700.00")
    assert metrics.outstanding_eur(*YEAR) == Decimal("2900.00")
    assert metrics.repayment_rate(*YEAR) == Decimal("62.5")
    assert metrics.cases_in_arrears(*YEAR) == 2


def test_sources_give_the_same_figures_as_each_metric(book):
    codes = [
        "entraide.granted_eur",
        "entraide.lent_eur",
        "entraide.given_or_lent_eur",
        "entraide.outstanding_eur",
        "entraide.repayment_rate",
        "entraide.cases_in_arrears",
    ]
    by_func = {code: registry.get(code).func(*YEAR) for code in codes}
    from_sources = {}
    for source in (metrics.FLOWS, metrics.LOANS):
        from_sources.update(registry.get_source(source).values(*YEAR))
    assert from_sources == by_func


def test_breakdowns_give_every_group_with_its_head_count(book):
    loans = registry.get_source(metrics.LOANS).breakdowns["campus"](*YEAR)
    # small groups are returned too: the Bureau's dashboard hides them
    assert loans["entraide.outstanding_eur"] == {"Bo": Group(Decimal("2400.00"), 3), "Pa": Group(Decimal("500.00"), 1)}
    assert loans["entraide.cases_in_arrears"] == {"Bo": Group(2, 2)}
    flows = registry.get_source(metrics.FLOWS).breakdowns["campus"](*YEAR)
    assert flows["entraide.granted_eur"] == {"Bo": Group(Decimal("300.00"), 1), "Cl": Group(Decimal("200.00"), 1)}
    assert flows["entraide.given_or_lent_eur"] == {
        "Bo": Group(Decimal("300.00"), 1),
        "Cl": Group(Decimal("200.00"), 1),
        "Pa": Group(Decimal("500.00"), 1),
    }
    kinds = registry.get("entraide.granted_eur").breakdowns["kind"](*YEAR)
    assert kinds == {"secours et bourses": Group(Decimal("500.00"), 2)}
    decades = registry.get("entraide.outstanding_eur").breakdowns["promo_decade"](*YEAR)
    assert decades == {"promos 1990-1999": Group(Decimal("2900.00"), 4)}


def test_a_late_payment_brings_a_loan_out_of_arrears(book, staff):
    Repayment.objects.create(
        loan=book["L2"], amount_eur=Decimal("200"), received_on=AT - timedelta(days=1), recorded_by=staff[0]
    )
    assert metrics.cases_in_arrears(*YEAR) == 1
    assert metrics.repayment_rate(*YEAR) == Decimal("75.0")  # 1,200 / 1,600
    assert metrics.outstanding_eur(*YEAR) == Decimal("2700.00")
