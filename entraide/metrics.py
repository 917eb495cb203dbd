"""Indicateurs anonymes de l'entraide pour le Bureau (soce.lib.metrics) : jamais un nom.

Les ventilations (nature, campus, décennie de promotion) reposent sur les clés copiées dans le
dossier au dépôt, qui survivent à l'anonymisation. Elles rendent tous les groupes avec leur effectif
(`metrics.Group`) : le pilotage masque ceux de moins de MIN_GROUP_SIZE personnes et ceux qui les
trahiraient par soustraction du total.

Deux sources calculent leurs indicateurs ensemble : « entraide.flows » (montants versés sur la
période) et « entraide.loans » (positions des prêts à la fin de la période, lues une fois).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from soce.lib import metrics
from soce.lib.money import ZERO, eur

from . import ledger
from .models import (
    Beneficiary,
    Disbursement,
    DisbursementStatus,
    Grant,
    Instalment,
    Loan,
    LoanMeasure,
    LoanOrigin,
    LoanStatus,
    MeasureKind,
    MeasureStatus,
    PaymentStatus,
    Repayment,
    RepaymentKind,
)

PAID = [PaymentStatus.PAID, PaymentStatus.AWAITING_PROOF, PaymentStatus.CLOSED]
UNKNOWN = "non renseigné"


def decade_label(decade: int | None) -> str:
    return f"promos {decade}-{decade + 9}" if decade else UNKNOWN


def _keys(case) -> dict[str, str]:
    return {
        "kind": str(Beneficiary.Kind(case.beneficiary_kind).label) if case.beneficiary_kind else UNKNOWN,
        "campus": case.campus_code or UNKNOWN,
        "promo_decade": decade_label(case.promo_decade),
    }


def _grouped(rows: list[tuple[dict[str, str], int, Decimal]], dimension: str, *, count: bool = False) -> dict:
    """rows = (keys, person id, value) -> {label: Group(total, distinct people)}, every group."""
    values: dict[str, Decimal] = defaultdict(lambda: ZERO)
    people: dict[str, set] = defaultdict(set)
    for keys, person, value in rows:
        values[keys[dimension]] += value
        people[keys[dimension]].add(person)
    return {
        label: metrics.Group(int(v) if count else eur(v), len(people[label])) for label, v in sorted(values.items())
    }


# --- Flows -------------------------------------------------------------------------------------


def _granted_rows(start: date, end: date):
    grants = Grant.objects.filter(status__in=PAID, paid_on__range=(start, end)).select_related("case")
    rows = [(_keys(g.case), g.case.beneficiary_id, g.amount_eur) for g in grants]
    for row in rows:
        row[0]["kind"] = "secours et bourses"
    return rows


def _lent_rows(start: date, end: date):
    items = Disbursement.objects.filter(status=DisbursementStatus.PAID, paid_on__range=(start, end)).select_related(
        "loan__case"
    )
    return [(_keys(d.loan.case), d.loan.beneficiary_id, d.amount_eur) for d in items]


def granted_eur(start: date, end: date) -> Decimal:
    return Grant.objects.filter(status__in=PAID, paid_on__range=(start, end)).aggregate(
        t=Coalesce(Sum("amount_eur"), ZERO)
    )["t"]


def lent_eur(start: date, end: date) -> Decimal:
    return Disbursement.objects.filter(status=DisbursementStatus.PAID, paid_on__range=(start, end)).aggregate(
        t=Coalesce(Sum("amount_eur"), ZERO)
    )["t"]


def given_or_lent_eur(start: date, end: date) -> Decimal:
    """Given (grants) plus lent (disbursed loan instalments): the annual report's « donnés ou prêtés »."""
    return eur(granted_eur(start, end) + lent_eur(start, end))


def _flow_values(start: date, end: date) -> dict[str, Decimal]:
    granted, lent = granted_eur(start, end), lent_eur(start, end)
    return {
        "entraide.granted_eur": granted,
        "entraide.lent_eur": lent,
        "entraide.given_or_lent_eur": eur(granted + lent),
    }


def _flow_breakdowns(dimension: str):
    def compute(start: date, end: date) -> dict[str, dict]:
        granted, lent = _granted_rows(start, end), _lent_rows(start, end)
        return {
            "entraide.granted_eur": _grouped(granted, dimension),
            "entraide.lent_eur": _grouped(lent, dimension),
            "entraide.given_or_lent_eur": _grouped(granted + lent, dimension),
        }

    return compute


# --- Stocks at the end date --------------------------------------------------------------------


@dataclass
class LoanAt:
    loan: Loan
    disbursed: Decimal
    repaid: Decimal
    closed_off: Decimal  # forgiven or written off by then
    due: Decimal
    days_past_due: int

    @property
    def outstanding(self) -> Decimal:
        return max(self.disbursed - self.repaid - self.closed_off, ZERO)


def loans_at(end: date) -> list[LoanAt]:
    """Every loan's position at `end`, from the ledgers (a fixed number of queries)."""
    loans = list(
        Loan.objects.exclude(status__in=[LoanStatus.OFFERED, LoanStatus.CANCELLED])
        .filter(created_at__date__lte=end)
        .select_related("case")
    )
    ids = [loan.pk for loan in loans]
    disbursed = dict(
        Disbursement.objects.filter(loan_id__in=ids, status=DisbursementStatus.PAID, paid_on__lte=end)
        .values("loan_id")
        .annotate(t=Sum("amount_eur"))
        .values_list("loan_id", "t")
    )
    repaid = dict(
        Repayment.objects.filter(loan_id__in=ids, received_on__lte=end)
        .values("loan_id")
        .annotate(
            t=Coalesce(Sum("amount_eur", filter=Q(kind=RepaymentKind.PAYMENT)), ZERO)
            - Coalesce(Sum("amount_eur", filter=Q(kind=RepaymentKind.REVERSAL)), ZERO)
        )
        .values_list("loan_id", "t")
    )
    closed_off = dict(
        LoanMeasure.objects.filter(
            loan_id__in=ids,
            status=MeasureStatus.VALIDATED,
            kind__in=[MeasureKind.FORGIVE, MeasureKind.WRITE_OFF],
            validated_at__date__lte=end,
        )
        .values("loan_id")
        .annotate(t=Sum("amount_eur"))
        .values_list("loan_id", "t")
    )
    lines: dict[int, list] = defaultdict(list)
    versions = {loan.pk: loan.schedule_version for loan in loans}
    for loan_id, version, due_on, amount in Instalment.objects.filter(loan_id__in=ids).values_list(
        "loan_id", "version", "due_on", "amount_eur"
    ):
        if versions[loan_id] == version:
            lines[loan_id].append((due_on, amount))
    out = []
    for loan in loans:
        paid_out = loan.principal_eur if loan.origin == LoanOrigin.GUARANTEE_CALL else disbursed.get(loan.pk) or ZERO
        back = repaid.get(loan.pk) or ZERO
        off = closed_off.get(loan.pk) or ZERO
        arrears = ledger.compute_arrears(
            lines=lines[loan.pk], base_eur=loan.schedule_base_eur, repaid_eur=back, today=end
        )
        late = arrears.days_past_due if off == ZERO else 0
        out.append(LoanAt(loan, paid_out, back, off, arrears.due_to_date_eur, late))
    return out


def outstanding_eur(start: date, end: date) -> Decimal:
    return eur(sum((row.outstanding for row in loans_at(end)), ZERO))


def repayment_rate(start: date, end: date) -> Decimal | None:
    """Repaid ÷ due to date on loans whose schedule has started, in percent."""
    return _repayment_rate(loans_at(end))


def _in_arrears(row: LoanAt) -> bool:
    return ledger.bucket_for(row.days_past_due) != "none"


def cases_in_arrears(start: date, end: date) -> int:
    """Loans at least a week late (the first human follow-up), at the end date."""
    return sum(1 for row in loans_at(end) if _in_arrears(row))


def _repayment_rate(rows: list[LoanAt]) -> Decimal | None:
    rows = [row for row in rows if row.due > 0 and row.closed_off == ZERO]
    due = sum((row.due for row in rows), ZERO)
    if due == 0:
        return None
    repaid = sum((min(row.repaid, row.due) for row in rows), ZERO)
    return (repaid * 100 / due).quantize(Decimal("0.1"))


def _loan_values(start: date, end: date) -> dict[str, Decimal | int | None]:
    rows = loans_at(end)
    return {
        "entraide.outstanding_eur": eur(sum((row.outstanding for row in rows), ZERO)),
        "entraide.repayment_rate": _repayment_rate(rows),
        "entraide.cases_in_arrears": sum(1 for row in rows if _in_arrears(row)),
    }


def _loan_breakdowns(dimension: str):
    """Outstanding capital (loans with some left) and loans in arrears per group, from one reading."""

    def compute(start: date, end: date) -> dict[str, dict]:
        rows = loans_at(end)
        owing = [(_keys(r.loan.case), r.loan.beneficiary_id, r.outstanding) for r in rows if r.outstanding > 0]
        late = [(_keys(r.loan.case), r.loan.beneficiary_id, Decimal(1)) for r in rows if _in_arrears(r)]
        return {
            "entraide.outstanding_eur": _grouped(owing, dimension),
            "entraide.cases_in_arrears": _grouped(late, dimension, count=True),
        }

    return compute


DIMENSIONS = ("kind", "campus", "promo_decade")


FLOWS, LOANS = "entraide.flows", "entraide.loans"


def _view(of_source, code: str):
    """One metric's breakdowns, read from its source's (for callers that ask a metric directly)."""

    def one(dimension: str):
        compute = of_source(dimension)
        return lambda start, end: compute(start, end).get(code, {})

    return {d: one(d) for d in DIMENSIONS}


def register_all() -> None:
    metrics.register_source(
        metrics.Source(FLOWS, _flow_values, breakdowns={d: _flow_breakdowns(d) for d in DIMENSIONS})
    )
    metrics.register_source(
        metrics.Source(LOANS, _loan_values, breakdowns={d: _loan_breakdowns(d) for d in DIMENSIONS})
    )
    metrics.register(
        metrics.Metric(
            code="entraide.granted_eur",
            label="Secours et bourses versés",
            unit="eur",
            func=granted_eur,
            aggregation="sum",
            description="Montants donnés (secours, bourses, aides d'urgence) payés sur la période.",
            source=FLOWS,
            breakdowns=_view(_flow_breakdowns, "entraide.granted_eur"),
        )
    )
    metrics.register(
        metrics.Metric(
            code="entraide.lent_eur",
            label="Prêts d'honneur versés",
            unit="eur",
            func=lent_eur,
            aggregation="sum",
            description="Tranches de prêts d'honneur versées sur la période.",
            source=FLOWS,
            breakdowns=_view(_flow_breakdowns, "entraide.lent_eur"),
        )
    )
    metrics.register(
        metrics.Metric(
            code="entraide.given_or_lent_eur",
            label="Entraide donnée ou prêtée",
            unit="eur",
            func=given_or_lent_eur,
            aggregation="sum",
            description="Secours et bourses versés plus tranches de prêts d'honneur versées sur la période.",
            source=FLOWS,
            breakdowns=_view(_flow_breakdowns, "entraide.given_or_lent_eur"),
        )
    )
    metrics.register(
        metrics.Metric(
            code="entraide.outstanding_eur",
            label="Capital restant dû",
            unit="eur",
            func=outstanding_eur,
            aggregation="last",
            description="Capital versé (prêts et créances après appel de caution) non encore remboursé, "
            "remis ni passé en perte, à la fin de la période.",
            source=LOANS,
            breakdowns=_view(_loan_breakdowns, "entraide.outstanding_eur"),
        )
    )
    metrics.register(
        metrics.Metric(
            code="entraide.repayment_rate",
            label="Taux de remboursement",
            unit="percent",
            func=repayment_rate,
            aggregation="ratio",
            description="Remboursé ÷ échu, sur les prêts dont l'échéancier a commencé (hors remises et pertes).",
            source=LOANS,
        )
    )
    metrics.register(
        metrics.Metric(
            code="entraide.cases_in_arrears",
            label="Prêts en retard",
            unit="count",
            func=cases_in_arrears,
            aggregation="last",
            description="Prêts en retard d'au moins huit jours (premier suivi humain) à la fin de la période.",
            source=LOANS,
            breakdowns=_view(_loan_breakdowns, "entraide.cases_in_arrears"),
        )
    )
