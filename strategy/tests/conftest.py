"""Fixtures du pilotage : personas (Bureau, administrateur de la stratégie, contributeur), faux indicateurs."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client

from conftest import login_with_mfa, staff_user_with
from members.tests.factories import UserFactory
from soce.lib import metrics, roles
from strategy import computed

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def registry():
    """An empty metrics registry for the test; the real one is put back afterwards."""
    saved, saved_sources = dict(metrics._METRICS), dict(metrics._SOURCES)
    metrics._METRICS.clear()
    metrics._SOURCES.clear()
    computed.invalidate()
    yield metrics
    metrics._METRICS.clear()
    metrics._METRICS.update(saved)
    metrics._SOURCES.clear()
    metrics._SOURCES.update(saved_sources)


def constant_metric(code: str, values: dict[int, int | Decimal], unit: str = "count", **kwargs) -> metrics.Metric:
    """A fake metric giving a fixed figure per year (of the period's end)."""
    return metrics.Metric(code, code, unit, lambda start, end: values.get(end.year), **kwargs)


@pytest.fixture
def bureau_user(db):
    return staff_user_with(roles.BUREAU, "bureau@exemple.fr")


@pytest.fixture
def bureau_client(bureau_user):
    return login_with_mfa(Client(), bureau_user)


def make_strategy_admin(email: str = "admin-strategie@exemple.fr"):
    user = staff_user_with(roles.BUREAU, email)
    user.user_permissions.add(Permission.objects.get(codename="admin_strategy", content_type__app_label="strategy"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def strategy_admin(db):
    return make_strategy_admin()


@pytest.fixture
def updater(db):
    return UserFactory(email="contributeur@exemple.fr")


@pytest.fixture
def owner(db):
    return UserFactory(email="responsable@exemple.fr")
