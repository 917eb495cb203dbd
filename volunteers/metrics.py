"""Indicateurs du bénévolat pour le pilotage (enregistrés dans apps.py).

Les ventilations rendent tous les groupes avec leur effectif (`Group`) : le pilotage masque les
petits groupes et ceux qui les trahiraient par soustraction du total.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q

from soce.lib.metrics import Group, Metric

from . import selectors
from .models import CharterSignature, Engagement, Review, StructureKind


def _serving_on(end: date):
    """Engagements serving at the end of the period (current statuses; the past is approximated by dates)."""
    return Engagement.objects.filter(status__in=Engagement.SERVING, starts_on__lte=end).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=end)
    )


def active_volunteers(start: date, end: date) -> int:
    return _serving_on(end).values("volunteer").distinct().count()


def _by_structure(qs) -> dict[str, Group]:
    rows = qs.values("mission__structure_kind").annotate(n=Count("volunteer", distinct=True)).order_by()
    labels = dict(StructureKind.choices)
    return {
        str(labels.get(r["mission__structure_kind"], r["mission__structure_kind"])): Group(r["n"], r["n"]) for r in rows
    }


def active_by_structure(start: date, end: date) -> dict[str, Group]:
    """Volunteers serving per kind of structure (one who serves in two kinds counts in both)."""
    return _by_structure(_serving_on(end))


def _signed_current_qs(end: date):
    current = selectors.charter_current()
    if current is None:
        return None
    signed = CharterSignature.objects.filter(
        volunteer=OuterRef("volunteer"),
        volunteer_signed_at__isnull=False,
        declined_at__isnull=True,
        version__baseline_id=current.baseline_id,
    )
    return _serving_on(end).filter(Exists(signed))


def charter_signed_current(start: date, end: date) -> int | None:
    qs = _signed_current_qs(end)
    if qs is None:
        return None
    return qs.values("volunteer").distinct().count()


def signed_current_by_structure(start: date, end: date) -> dict[str, Group]:
    qs = _signed_current_qs(end)
    return {} if qs is None else _by_structure(qs)


def reviews_overdue(start: date, end: date) -> int:
    return Review.objects.filter(done_on__isnull=True, due_on__lt=end, engagement__status__in=Engagement.BOUND).count()


METRICS = [
    Metric(
        code="volunteers.active",
        label="Bénévoles actifs",
        unit="count",
        func=active_volunteers,
        aggregation="last",
        description="Personnes ayant au moins un engagement actif ou en bilan à faire à la fin de la période.",
        breakdowns={"structure": active_by_structure},
    ),
    Metric(
        code="volunteers.charter_signed_current",
        label="Bénévoles actifs ayant signé la charte en vigueur",
        unit="count",
        func=charter_signed_current,
        aggregation="last",
        description=(
            "Bénévoles actifs dont la dernière signature porte sur la version en vigueur "
            "(ou une version mineure de la même version majeure)."
        ),
        breakdowns={"structure": signed_current_by_structure},
    ),
    Metric(
        code="volunteers.reviews_overdue",
        label="Bilans de mission en retard",
        unit="count",
        func=reviews_overdue,
        aggregation="last",
        description="Bilans non faits dont la date est passée, pour les engagements en cours.",
    ),
]
