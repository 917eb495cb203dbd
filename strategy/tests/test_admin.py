"""Back-office : le Bureau lit, seuls les administrateurs de la stratégie modifient ; déplacer un objectif."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import login_with_mfa

from .factories import IndicatorFactory, ObjectiveFactory, ValueFactory

pytestmark = pytest.mark.django_db


def test_bureau_reads_but_does_not_change_definitions(bureau_client):
    indicator = IndicatorFactory()
    assert bureau_client.get(reverse("admin:strategy_indicator_changelist")).status_code == 200
    page = bureau_client.get(reverse("admin:strategy_indicator_change", args=[indicator.pk])).content.decode()
    assert 'name="_save"' not in page
    assert bureau_client.get(reverse("admin:strategy_indicator_add")).status_code == 403


def test_values_are_read_only_even_for_strategy_admins(strategy_admin):
    client = login_with_mfa(Client(), strategy_admin)
    value = ValueFactory()
    page = client.get(reverse("admin:strategy_indicatorvalue_change", args=[value.pk])).content.decode()
    assert 'name="_save"' not in page
    assert client.get(reverse("admin:strategy_indicator_add")).status_code == 200


def test_strategy_admin_moves_an_objective_through_the_action(strategy_admin):
    client = login_with_mfa(Client(), strategy_admin)
    objective = ObjectiveFactory(code="A2.O3", ambition__code="A2")
    other = ObjectiveFactory(ambition__plan=objective.plan, ambition__code="A3", code="A3.O1").ambition
    url = reverse("admin:strategy_objective_changelist")
    page = client.post(url, {"action": "move", "_selected_action": [objective.pk]})
    assert "Déplacer des objectifs" in page.content.decode()
    client.post(url, {"action": "move", "_selected_action": [objective.pk], "apply": "1", "ambition": other.pk})
    objective.refresh_from_db()
    assert objective.ambition == other and objective.code == "A3.O2"
