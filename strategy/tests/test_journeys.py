"""Parcours au client de test, formulaires réels : saisir, valider, corriger, fixer une cible, faire le point."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import login_with_mfa
from strategy.models import Action, CheckIn, IndicatorTarget, IndicatorValue, Objective

from .factories import ActionFactory, CycleFactory, IndicatorFactory, TargetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(date(2026, 11, 22), tick=False):
        yield


@pytest.fixture
def indicator(owner, updater):
    ind = IndicatorFactory(code="tables-rondes", name="Tables rondes", owner=owner)
    ind.updaters.add(updater)
    TargetFactory(indicator=ind, value=Decimal(12))
    return ind


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_updater_enters_late_owner_approves_then_a_correction_supersedes(indicator, updater, owner, bureau_client):
    url = reverse("strategy:indicator", args=[indicator.code])
    as_updater, as_owner = client_for(updater), client_for(owner)
    page = as_updater.get(url).content.decode()
    assert "Saisir une valeur" in page and 'value="2025-01-01"' in page

    response = as_updater.post(
        reverse("strategy:value_enter", args=[indicator.code]),
        {"period": "2025-01-01", "value": "4", "comment": "Bilan 2025 des GT"},
        follow=True,
    )
    assert "attend la validation" in response.content.decode()
    value = IndicatorValue.objects.get()
    assert value.late and value.entered_by == updater

    refused = as_updater.post(reverse("strategy:value_approve", args=[value.public_id]), follow=True)
    assert "Quatre yeux" in refused.content.decode()
    assert "Valider" in as_owner.get(reverse("strategy:my_work")).content.decode()
    as_owner.post(reverse("strategy:value_approve", args=[value.public_id]))
    value.refresh_from_db()
    assert value.status == "approved" and value.approved_by == owner

    as_updater.post(
        reverse("strategy:value_correct", args=[value.public_id]), {"value": "5", "reason": "Une table ronde oubliée"}
    )
    fix = IndicatorValue.objects.get(status="pending")
    as_owner.post(reverse("strategy:value_approve", args=[fix.public_id]))
    value.refresh_from_db()
    assert value.status == "superseded"

    history = bureau_client.get(url).content.decode()  # the Bureau reads who entered and approved each value
    assert "Une table ronde oubliée" in history and updater.get_full_name() in history
    assert "Remplacée par une correction" in history


@pytest.mark.parametrize(
    "extra",
    [{}, {"evidence_url": "https://intranet.soce.fr/bilan.pdf"}, {"comment": "   "}],
)
def test_entry_without_a_comment_is_refused_in_french(indicator, updater, extra):
    response = client_for(updater).post(
        reverse("strategy:value_enter", args=[indicator.code]),
        {"period": "2025-01-01", "value": "4", **extra},
        follow=True,
    )
    assert "d&#x27;où vient le chiffre" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_other_people_cannot_see_an_indicator(indicator, member_client):
    assert member_client.get(reverse("strategy:indicator", args=[indicator.code])).status_code == 404


def test_strategy_admin_changes_a_target_with_a_reason(indicator, strategy_admin, bureau_client):
    client = login_with_mfa(Client(), strategy_admin)
    url = reverse("strategy:target_set", args=[indicator.code])
    client.post(url, {"target_on": "2030-12-31", "value": "15", "reason": "Objectif relevé par l'AG 2026"})
    assert IndicatorTarget.objects.filter(indicator=indicator, superseded_at__isnull=True).get().value == 15
    assert IndicatorTarget.objects.filter(indicator=indicator).count() == 2
    bureau_client.post(url, {"target_on": "2030-12-31", "value": "99", "reason": "non"})
    assert IndicatorTarget.objects.filter(indicator=indicator, superseded_at__isnull=True).get().value == 15


def test_pilot_records_a_checkin_and_owner_updates_an_action(indicator, owner):
    objective = Objective.objects.get(pk=indicator.criterion.objective_id)
    objective.pilot = owner
    objective.save()
    CycleFactory(plan=objective.plan)
    client = client_for(owner)
    response = client.post(
        reverse("strategy:checkin", args=[objective.code]) + f"?plan={objective.plan.code}",
        {
            "cycle": objective.plan.cycles.get().pk,
            "status": "behind",
            "confidence": "6",
            "what_changed": "Deux GT ont reporté",
            "blockers": "",
            "next_steps": "Relancer",
            "decisions_requested": "",
        },
    )
    assert response.status_code == 302
    assert CheckIn.objects.get().confidence == 6
    action = ActionFactory(plan=objective.plan, owner=owner)
    client.post(reverse("strategy:action", args=[action.pk]), {"note": "Lancée", "status": "in_progress"})
    action.refresh_from_db()
    assert action.status == Action.Status.IN_PROGRESS and action.updates.count() == 1


@pytest.mark.parametrize(
    ("posted", "lands_on"),
    [
        ("/pilotage/mon-suivi/", "/pilotage/mon-suivi/"),
        ("https://evil.example/phish", None),
        ("//evil.example/phish", None),
        ("javascript:alert(1)", None),
    ],
)
@pytest.mark.parametrize("action", ["value_approve", "value_reject"])
def test_approve_and_reject_only_go_back_to_a_page_of_this_site(indicator, updater, owner, action, posted, lands_on):
    from strategy import services

    value = services.value_enter(
        indicator=indicator, period_start=date(2025, 1, 1), value=4, comment="Bilan", by=updater, today=date(2026, 1, 5)
    )
    response = client_for(owner).post(
        reverse(f"strategy:{action}", args=[value.public_id]), {"next": posted, "reason": "Chiffre faux"}
    )
    assert response.status_code == 302
    assert response["Location"] == (lands_on or reverse("strategy:indicator", args=[indicator.code]))


def test_the_cached_page_body_follows_writes_and_its_forms_keep_a_valid_csrf_token(indicator, updater, owner):
    import re

    from strategy import services

    value = services.value_enter(
        indicator=indicator, period_start=date(2025, 1, 1), value=4, comment="Bilan", by=updater, today=date(2026, 1, 5)
    )
    as_owner = Client(enforce_csrf_checks=True)
    as_owner.force_login(owner)
    url = reverse("strategy:indicator", args=[indicator.code])
    as_owner.get(url)  # sets the CSRF cookie
    first = as_owner.get(url).content.decode()
    again = as_owner.get(url).content.decode()  # the body now comes from the cache
    assert "Valider" in again and "Bilan" in again
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', again).group(1)
    assert first.count("csrfmiddlewaretoken") == again.count("csrfmiddlewaretoken")
    approve = reverse("strategy:value_approve", args=[value.public_id])
    assert approve in again
    assert approve not in client_for(updater).get(url).content.decode()  # its author's page: no approving
    response = as_owner.post(approve, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    value.refresh_from_db()
    assert value.status == "approved"
    after = as_owner.get(url).content.decode()  # the write bumped the generation: a fresh body
    assert "Validée" in after or "validée" in after.lower()
    assert approve not in after
