"""`seed_demo --scale large` for the entraide, on a small population: consistent data in every state.

The volume is a module constant (demo.LARGE_CASES) lowered here; the rules checked are those of the
services and of the database: schedules summing to the principal, first due date one year after
graduation, four eyes, nothing left for the nightly computation to change.
"""

import io
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F

from entraide import demo, ledger, metrics, services
from entraide.models import (
    AidCase,
    AidKind,
    ArrearsBucket,
    CaseStatus,
    Disbursement,
    FollowUp,
    Grant,
    Guarantee,
    GuaranteeStatus,
    Instalment,
    Loan,
    LoanMeasure,
    LoanOrigin,
    LoanStatus,
    PaymentStatus,
    Repayment,
    UrgentAid,
)
from members import demo as members_demo

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 22)
CASES = 500


def test_large_branch_builds_consistent_data(monkeypatch):
    monkeypatch.setattr(demo, "LARGE_CASES", CASES)
    monkeypatch.setattr(demo, "LARGE_SAMPLE", 1)  # the small world may draw from this small population
    monkeypatch.setattr(demo, "LARGE_BATCH", 100)  # several rounds of bulk inserts
    with time_machine.travel(TODAY, tick=False):
        options = {"scale": "large", "members": 1500, "seed": 2030}
        members_demo.seed(rng=random.Random("2030:members"), stdout=io.StringIO(), options=options)
        out = io.StringIO()
        demo.seed(rng=random.Random("2030:entraide"), stdout=out, options=options)
    assert "volume large" in out.getvalue()
    # 1,500 people run short of students not yet helped for a few draws (skipped); 100,000 never do.
    assert CASES * 0.95 <= AidCase.objects.count() <= CASES
    every_kind_and_state()
    schedules_sum_to_the_principal_and_start_a_year_after_graduation()
    four_eyes_everywhere()
    the_nightly_computation_finds_nothing_to_change()
    metrics_stay_sensible()


def every_kind_and_state():
    states = set(AidCase.objects.values_list("status", flat=True))
    assert states >= set(CaseStatus.values) - {CaseStatus.IN_SESSION}  # in session only while one is open
    assert set(AidCase.objects.values_list("kind_requested", flat=True)) == set(AidKind.values)
    assert set(Loan.objects.values_list("status", flat=True)) == set(LoanStatus.values)
    assert set(Guarantee.objects.values_list("status", flat=True)) == set(GuaranteeStatus.values)
    assert set(Grant.objects.values_list("status", flat=True)) >= set(PaymentStatus.values) - {PaymentStatus.PAID}
    buckets = set(Loan.objects.values_list("arrears_bucket", flat=True))
    assert buckets >= {ArrearsBucket.NONE, ArrearsBucket.FRIENDLY, ArrearsBucket.COMMITTEE}
    years = {d.year for d in AidCase.objects.values_list("decided_at", flat=True) if d}
    assert len(years) >= demo.LARGE_YEARS - 1
    assert LoanMeasure.objects.values("kind").distinct().count() == 3
    assert Loan.objects.filter(origin=LoanOrigin.GUARANTEE_CALL).exists()
    assert UrgentAid.objects.filter(ratified=True).exists()


def _sums(rows) -> dict:
    out = defaultdict(Decimal)  # summed here: SQLite sums decimals as floats
    for *key, amount in rows:
        out[tuple(key)] += amount
    return out


def schedules_sum_to_the_principal_and_start_a_year_after_graduation():
    schedules = _sums(Instalment.objects.values_list("loan_id", "version", "amount_eur"))
    repaid = _sums(Repayment.objects.values_list("loan_id", "amount_eur"))
    paid_out = _sums(Disbursement.objects.filter(status="paid").values_list("loan_id", "amount_eur"))
    for loan in Loan.objects.select_related("beneficiary__member", "case"):
        assert schedules[(loan.pk, 1)] == loan.principal_eur
        assert schedules[(loan.pk, loan.schedule_version)] == loan.principal_eur - loan.schedule_base_eur
        settled = repaid[(loan.pk,)] + loan.forgiven_eur + loan.written_off_eur
        assert settled <= loan.principal_eur
        if loan.status in {LoanStatus.REPAID, LoanStatus.FORGIVEN, LoanStatus.WRITTEN_OFF}:
            assert settled == loan.principal_eur
            assert loan.case.status == CaseStatus.CLOSED
        if loan.status in {LoanStatus.DEFERRED, LoanStatus.REPAYING, LoanStatus.REPAID}:
            # a receivable is what was paid to the bank, nothing is paid out to the student
            expected = loan.principal_eur if loan.origin == LoanOrigin.HONOUR_LOAN else Decimal(0)
            assert paid_out[(loan.pk,)] == expected
        if loan.for_student and loan.origin == LoanOrigin.HONOUR_LOAN:
            graduation = services.graduation_date_for(loan.beneficiary.member)
            assert loan.graduation_on == graduation
            assert loan.first_due_on == ledger.student_first_due_on(graduation)


def four_eyes_everywhere():
    assert Grant.objects.filter(validated_by__isnull=False).exists()
    assert not Grant.objects.filter(validated_by=F("prepared_by")).exists()
    assert not Disbursement.objects.filter(validated_by=F("prepared_by")).exists()
    assert not LoanMeasure.objects.filter(validated_by=F("proposed_by")).exists()
    assert not Guarantee.objects.filter(paid_by=F("called_by")).exists()
    assert not UrgentAid.objects.filter(second_by=F("first_by")).exists()
    assert Guarantee.objects.filter(status=GuaranteeStatus.PAID, paid_by__isnull=False).exists()


def the_nightly_computation_finds_nothing_to_change():
    def snapshot():
        return {
            loan.pk: (loan.status, loan.days_past_due, loan.arrears_eur, loan.arrears_bucket, loan.first_due_on)
            for loan in Loan.objects.all()
        }

    before, follow_ups = snapshot(), FollowUp.objects.count()
    cases = dict(AidCase.objects.values_list("pk", "status"))
    with time_machine.travel(TODAY, tick=False):
        services.loans_nightly()
    assert snapshot() == before
    assert FollowUp.objects.count() == follow_ups
    assert dict(AidCase.objects.values_list("pk", "status")) == cases
    late = Loan.objects.exclude(arrears_bucket=ArrearsBucket.NONE)
    assert late.exists()
    assert FollowUp.objects.filter(loan__in=late, status="open").values("loan").distinct().count() == late.count()


def metrics_stay_sensible():
    for year in range(TODAY.year - demo.LARGE_YEARS + 1, TODAY.year + 1):
        end = min(date(year, 12, 31), TODAY)
        rate = metrics.repayment_rate(date(year, 1, 1), end)
        assert rate is None or Decimal(0) <= rate <= Decimal(100)
        assert metrics.outstanding_eur(date(year, 1, 1), end) >= 0
    assert metrics.cases_in_arrears(TODAY, TODAY) == Loan.objects.exclude(arrears_bucket="none").count()
