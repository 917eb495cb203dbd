"""Grille et cotisations de test, partagées par les tests des cotisations."""

from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import Category, GridStatus, Rate, RateGrid, RateKind


def make_grid(year: int, *, status=GridStatus.PUBLISHED) -> RateGrid:
    grid = RateGrid.objects.create(year=year, status=status)
    eleve, _ = Category.objects.get_or_create(code="eleve", defaults={"label": "Élève", "is_alumni": False})
    rows = [
        ("PLEIN", "Cotisation normale", RateKind.STANDARD, "110", {}),
        ("JP1", "JP 1re année", RateKind.JP, "25", {"jp_tier": 1}),
        ("JP2", "JP 2e année", RateKind.JP, "45", {"jp_tier": 2}),
        ("JP3", "JP 3e année", RateKind.JP, "60", {"jp_tier": 3}),
        ("ETU", "Élève", RateKind.CATEGORY, "10", {"category": eleve}),
        ("RETRAITE", "Tarif retraité", RateKind.REDUCED, "77", {"reduction": "retired"}),
        ("COUPLE", "Tarif couple", RateKind.COUPLE, "80", {}),
        ("VIE", "Cotisation à vie", RateKind.LIFETIME, "1500", {}),
    ]
    for i, (code, label, kind, amount, extra) in enumerate(rows):
        Rate.objects.create(
            grid=grid, code=code, label=label, kind=kind, amount_eur=Decimal(amount), position=i, **extra
        )
    return grid


@pytest.fixture
def grids(db):
    """Published grids for 2025–2027 (tests that freeze time there name them) and for last, this and next year
    (tests that run at today's date: they keep working every year)."""
    this_year = timezone.localdate().year
    years = sorted({2025, 2026, 2027, this_year - 1, this_year, this_year + 1})
    return {year: make_grid(year) for year in years}
