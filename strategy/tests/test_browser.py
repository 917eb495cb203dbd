"""Parcours 6 dans un navigateur : un membre du Bureau ouvre le tableau de bord et descend jusqu'à un indicateur."""

from datetime import date
from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt

from conftest import browser_login, staff_user_with
from members.tests.factories import UserFactory
from soce.lib import roles
from strategy import services

from .factories import AmbitionFactory, CriterionFactory, IndicatorFactory, ObjectiveFactory, TargetFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bureau_member_drills_down_from_the_dashboard_to_an_indicator(page, registry):
    bureau = staff_user_with(roles.BUREAU, "bureau@exemple.fr")
    secret = decrypt(Authenticator.objects.get(user=bureau, type="totp").data["secret"])
    updater = UserFactory(email="contributrice@exemple.fr", first_name="Claire", last_name="Durand")
    owner = UserFactory(email="responsable@exemple.fr", first_name="Paul", last_name="Morel")
    ambition = AmbitionFactory(code="A5", title="Humanisme et Fraternité")
    objective = ObjectiveFactory(ambition=ambition, code="A5.O3", title="Développer le mentorat et les tables rondes")
    indicator = IndicatorFactory(
        criterion=CriterionFactory(objective=objective, statement="Des tables rondes se tiennent dans les régions"),
        code="tables-rondes",
        name="Tables rondes sur l'engagement des Gadzarts",
        owner=owner,
        baseline_value=Decimal(2),
    )
    indicator.updaters.add(updater)
    TargetFactory(indicator=indicator, value=Decimal(12))
    value = services.value_enter(
        indicator=indicator,
        period_start=date(2025, 1, 1),
        value=3,
        by=updater,
        comment="Bilan 2025",
        today=date(2026, 1, 20),
    )
    services.value_approve(value=value, by=owner)

    browser_login(page, bureau.email, totp_secret=secret, next_url="/pilotage/")
    page.wait_for_url("**/pilotage/")
    assert page.get_by_role("heading", name="#DemainLaSoce 2023–2030").is_visible()
    page.get_by_role("link", name="A5 — Humanisme et Fraternité").click()
    page.wait_for_url("**/pilotage/ambitions/A5/**")
    page.get_by_role("link", name="A5.O3 — Développer le mentorat et les tables rondes").click()
    page.wait_for_url("**/pilotage/objectifs/A5.O3/**")
    assert page.get_by_text("Des tables rondes se tiennent dans les régions").first.is_visible()
    page.get_by_role("link", name="Tables rondes sur l'engagement des Gadzarts").first.click()
    page.wait_for_url("**/pilotage/indicateurs/tables-rondes/")
    history = page.locator("#t-historique").locator("xpath=..")
    assert "Claire Durand" in history.inner_text()  # who entered it
    assert "Paul Morel" in history.inner_text()  # who approved it
    assert page.get_by_role("heading", name="Fiche de référence").is_visible()
    assert page.locator("svg[role=img] title").first.text_content().startswith("Inverser la courbe")
