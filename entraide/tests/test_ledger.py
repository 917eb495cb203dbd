"""Échéancier en capital seul, première échéance depuis le diplôme, retards et étapes de suivi."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entraide import ledger


@given(
    principal=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("99999.99"), places=2),
    count=st.integers(min_value=1, max_value=240),
)
def test_instalments_sum_to_the_principal(principal, count):
    parts = ledger.split_principal(principal, count)
    assert len(parts) == count
    assert sum(parts) == principal
    assert all(p >= 0 for p in parts)
    assert max(parts) - min(parts) < Decimal("0.01") * count + Decimal("0.01")


def test_schedule_is_monthly_and_sums_to_principal():
    lines = ledger.build_schedule(principal=Decimal("3000"), count=36, first_due_on=date(2028, 6, 30))
    assert sum(line.amount_eur for line in lines) == Decimal("3000.00")
    assert lines[0].due_on == date(2028, 6, 30)
    assert lines[1].due_on == date(2028, 7, 30)
    assert lines[-1].due_on == date(2031, 5, 30)
    assert {line.amount_eur for line in lines[:-1]} == {Decimal("83.33")}
    assert lines[-1].amount_eur == Decimal("83.45")


def test_first_due_date_is_one_year_after_graduation():
    assert ledger.student_first_due_on(date(2027, 6, 30)) == date(2028, 6, 30)
    assert ledger.student_first_due_on(date(2028, 2, 29)) == date(2029, 2, 28)


def test_add_months_clamps_to_month_end():
    assert ledger.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert ledger.add_months(date(2027, 12, 15), 1) == date(2028, 1, 15)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (0, "none"),
        (7, "none"),
        (8, "friendly"),
        (29, "friendly"),
        (30, "call"),
        (60, "letter"),
        (90, "committee"),
        (400, "committee"),
    ],
)
def test_buckets(days, bucket):
    assert ledger.bucket_for(days) == bucket


def lines():
    return [(date(2027, m, 1), Decimal("100")) for m in range(1, 7)]


def test_arrears_oldest_unpaid_instalment():
    # Three instalments due (Jan, Feb, Mar), 150 repaid: February is the oldest not covered.
    a = ledger.compute_arrears(lines=lines(), base_eur=Decimal(0), repaid_eur=Decimal("150"), today=date(2027, 3, 10))
    assert a.due_to_date_eur == Decimal("300.00")
    assert a.arrears_eur == Decimal("150.00")
    assert a.days_past_due == (date(2027, 3, 10) - date(2027, 2, 1)).days
    assert a.bucket == "call"


def test_arrears_none_when_up_to_date_or_due_today():
    up_to_date = ledger.compute_arrears(
        lines=lines(), base_eur=Decimal(0), repaid_eur=Decimal("300"), today=date(2027, 3, 10)
    )
    assert (up_to_date.days_past_due, up_to_date.bucket) == (0, "none")
    due_today = ledger.compute_arrears(
        lines=lines(), base_eur=Decimal(0), repaid_eur=Decimal("0"), today=date(2027, 1, 1)
    )
    assert due_today.days_past_due == 0


def test_arrears_after_rescheduling_counts_what_was_repaid_before():
    a = ledger.compute_arrears(
        lines=lines(), base_eur=Decimal("500"), repaid_eur=Decimal("600"), today=date(2027, 2, 5)
    )
    assert a.days_past_due == 4  # February's instalment is not covered yet
    assert a.arrears_eur == Decimal("100.00")
