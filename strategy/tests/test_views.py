"""Pages du pilotage : droits d'accès, contenu, exports et budget de requêtes."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from strategy.models import Indicator

from .conftest import constant_metric
from .factories import (
    ActionFactory,
    CriterionFactory,
    CycleFactory,
    IndicatorFactory,
    ObjectiveFactory,
    PlanFactory,
    TargetFactory,
    ValueFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registry")]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(date(2026, 11, 22), tick=False):
        yield


def build_plan(n_objectives: int = 2, n_indicators: int = 2, n_values: int = 3, *, first: int = 0):
    """A plan with objectives, criteria, indicators (with targets and values), cycles and actions."""
    plan = PlanFactory()
    if not plan.cycles.exists():
        quarters = [(date(2026, m, 1), date(2026, m + 2, 30 if m in (4, 7) else 31)) for m in (1, 4, 7)]
        for cycle, (start, end) in enumerate(quarters):
            CycleFactory(plan=plan, name=f"T{cycle + 1} 2026", starts_on=start, ends_on=end)
    indicators = []
    for o in range(first, first + n_objectives):
        objective = ObjectiveFactory(ambition__plan=plan, code=f"A{o + 1}.O1", ambition__code=f"A{o + 1}")
        criterion = CriterionFactory(objective=objective)
        CriterionFactory(objective=objective)  # to instrument
        for i in range(n_indicators):
            ind = IndicatorFactory(
                criterion=criterion, code=f"ind-{o}-{i}", name=f"Indicateur {o}-{i}", is_headline=i == 0
            )
            TargetFactory(indicator=ind, target_on=date(2026, 12, 31), value=Decimal(150))
            TargetFactory(indicator=ind, target_on=date(2030, 12, 31), value=Decimal(200))
            for v in range(n_values):
                year = 2025 - v
                ValueFactory(
                    indicator=ind,
                    period_start=date(year, 1, 1),
                    period_end=date(year, 12, 31),
                    value=Decimal(130 - 5 * v),
                )
            indicators.append(ind)
        action = ActionFactory(plan=plan, status="blocked", due_on=date(2026, 6, 30))
        action.indicators.add(indicators[-1])
    return plan, indicators


URLS = [
    "/pilotage/",
    "/pilotage/communaute/",
    "/pilotage/actions/",
    "/pilotage/dossiers/",
    "/pilotage/export/indicateurs.csv",
]


@pytest.mark.parametrize("url", URLS)
def test_access_matrix(url, anon, member_client, staff_client, bureau_client):
    build_plan(1, 1, 1)
    response = anon.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert member_client.get(url).status_code == 403
    assert staff_client.get(url).status_code == 403  # the secretariat is not the Bureau
    assert bureau_client.get(url).status_code == 200


def test_dashboard_shows_the_one_page(bureau_client, registry):
    registry.register(constant_metric("members.payers", {2026: 17100, 2025: 16950}))
    plan, indicators = build_plan()
    Indicator.objects.filter(pk=indicators[0].pk).update(kind="computed", metric_code="members.payers")
    response = bureau_client.get("/pilotage/")
    html = response.content.decode()
    assert response.status_code == 200
    assert plan.name in html
    assert "Chiffres clés" in html and "provisoire au 22/11/2026" in html and "17\u202f100" in html
    assert "Objectifs par cycle de revue" in html and "T3 2026" in html
    assert 'role="img"' in html and "<desc" in html  # accessible server-side SVG
    assert "Actions en retard ou bloquées" in html
    assert "Pilotage" in html  # the navigation item


def test_drill_down_to_an_indicator_shows_history_and_reference_sheet(bureau_client):
    plan, indicators = build_plan(1, 1, 2)
    ind = indicators[0]
    html = bureau_client.get(f"/pilotage/ambitions/A1/?plan={plan.code}").content.decode()
    assert "A1.O1" in html and ind.name in html
    html = bureau_client.get(f"/pilotage/objectifs/A1.O1/?plan={plan.code}").content.decode()
    assert "à instrumenter" in html
    html = bureau_client.get(reverse("strategy:indicator", args=[ind.code])).content.decode()
    assert "Fiche de référence" in html and "Cibles et leurs changements" in html
    assert "Reprise d&#x27;historique" in html


def test_missing_metric_code_is_source_unavailable_not_zero(bureau_client):
    _plan, indicators = build_plan(1, 1, 0)
    Indicator.objects.filter(pk=indicators[0].pk).update(kind="computed", metric_code="members.payers")
    html = bureau_client.get("/pilotage/").content.decode()
    assert "Source indisponible" in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "table",
    [
        "indicateurs",
        "objectifs",
        "carte-thermique",
        "actions",
        "sans-action",
        "communaute",
        "plan-d-action",
        "cibles",
        "points-d-etape",
        "dossiers",
        "mon-suivi",
    ],
)
def test_exports(bureau_client, table, fmt):
    build_plan(1, 1, 1)
    response = bureau_client.get(f"/pilotage/export/{table}.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf") if fmt == "csv" else body.startswith(b"PK")


def test_dashboard_pdf(bureau_client):
    build_plan(1, 1, 2)
    response = bureau_client.get("/pilotage/pdf/")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def _count_queries(client, django_assert_num_queries, expected):
    from django.core.cache import cache

    cache.clear()
    # Cold: session, user, user's permissions, group permissions (view + navigation share the cache),
    # then the figures: plans, ambitions, objectives, objectives' axes, criteria, indicators,
    # current targets, approved values, review cycles, check-ins, actions, action↔indicator links,
    # annotations, pending values count.
    with django_assert_num_queries(expected):
        assert client.get("/pilotage/").status_code == 200
    # Warm: the figures come from the cache until a strategy write bumps its generation.
    with django_assert_num_queries(4):
        assert client.get("/pilotage/").status_code == 200


def test_dashboard_query_count_does_not_grow_with_indicators_and_values(
    bureau_client, registry, django_assert_num_queries
):
    registry.register(constant_metric("members.payers", {2026: 17100}))
    build_plan(1, 1, 1)
    _count_queries(bureau_client, django_assert_num_queries, 18)
    _plan, indicators = build_plan(6, 5, 3, first=1)  # many more objectives, indicators and values
    Indicator.objects.filter(pk=indicators[0].pk).update(kind="computed", metric_code="members.payers")
    _count_queries(bureau_client, django_assert_num_queries, 18)


def test_an_admin_edit_shows_on_the_dashboard_at_once(bureau_client):
    from strategy.models import Objective

    build_plan(1, 1, 1)
    assert bureau_client.get("/pilotage/").status_code == 200  # fills the cache
    objective = Objective.objects.first()
    objective.title = "Titre neuf"
    objective.save()
    assert "Titre neuf" in bureau_client.get("/pilotage/").content.decode()


def test_indicator_page_shows_what_the_dashboard_shows_for_it(bureau_client, registry):
    from strategy import selectors

    registry.register(constant_metric("members.payers", {2026: 17100, 2025: 16950}))
    plan, indicators = build_plan(2, 2, 3)
    computed_one = indicators[1]
    Indicator.objects.filter(pk=computed_one.pk).update(kind="computed", metric_code="members.payers")
    from strategy.models import Annotation

    Annotation.objects.create(plan=plan, on=date(2025, 11, 15), label="AG 2025", kind="assembly")
    Annotation.objects.create(
        plan=plan, on=date(2025, 6, 1), label="Campagne", kind="campaign", indicator=indicators[0]
    )
    for ind in (indicators[0], computed_one):
        response = bureau_client.get(reverse("strategy:indicator", args=[ind.code]))
        figures = selectors.dashboard_figures(plan_code=plan.code, curve=ind.code)
        assert response.context["summary"] == figures["indicators"][ind.code]
        assert response.context["curve"] == figures["curve"]


def test_indicator_page_query_count_is_constant(bureau_client, registry, django_assert_num_queries):
    from django.core.cache import cache

    registry.register(constant_metric("members.payers", {2026: 17100}))
    _plan, indicators = build_plan(1, 2, 1)
    few, many = indicators
    for v in range(40):  # 40 more values, monthly, from 2019
        year, month = 2019 + v // 12, v % 12 + 1
        ValueFactory(indicator=many, period_start=date(year, month, 1), period_end=date(year, month, 28))
    ActionFactory(plan=few.plan).indicators.add(many)
    url = reverse("strategy:indicator", args=[many.code])
    bureau_client.get(url)  # the CSRF cookie, as a browser has it after its first page
    for ind in (few, many):
        cache.clear()
        # Cold: session, user, indicator, user's and group permissions, targets, actions, approved
        # points, annotations, is this Bureau member an updater (EXISTS); then the page body: full
        # history, updaters, axes: 13, whatever the number of values.
        with django_assert_num_queries(13):
            assert bureau_client.get(reverse("strategy:indicator", args=[ind.code])).status_code == 200
        # Warm: the body (history, forms, reference sheet) comes from the cache.
        with django_assert_num_queries(10):
            assert bureau_client.get(reverse("strategy:indicator", args=[ind.code])).status_code == 200
    Indicator.objects.filter(pk=many.pk).update(kind="computed", metric_code="members.payers")
    cache.clear()
    # a fake metric's live value costs no query (a real one: one pass over its source, then cached)
    with django_assert_num_queries(13):
        assert bureau_client.get(url).status_code == 200


def export_rows(client, table: str, query: str = "") -> list[list[str]]:
    import csv
    import io

    response = client.get(f"/pilotage/export/{table}.csv{query}")
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def test_exports_of_the_action_plan_targets_checkins_and_board_packs(bureau_client, bureau_user):
    from datetime import UTC, datetime

    from strategy.models import BoardPack, CheckIn, IndicatorTarget

    plan, indicators = build_plan(1, 1, 1)
    action = plan.actions.get()
    action.team.add(bureau_user)
    IndicatorTarget.objects.filter(indicator=indicators[0], target_on=date(2026, 12, 31)).update(
        superseded_at=datetime(2026, 3, 1, 10, tzinfo=UTC), reason=""
    )
    TargetFactory(indicator=indicators[0], target_on=date(2026, 12, 31), value=Decimal(140), reason="Révisée en AG")
    objective = plan.objectives.get()
    CheckIn.objects.create(
        objective=objective, cycle=plan.cycles.get(name="T3 2026"), status="behind", confidence=6, blockers="Budget"
    )
    BoardPack.objects.create(
        plan=plan, title="Bureau de novembre", meeting_on=date(2026, 11, 24), figures={}, figures_sha256="ab" * 32
    )
    rows = export_rows(bureau_client, "plan-d-action", f"?plan={plan.code}")
    assert rows[0][:6] == ["Action", "Responsable", "Équipe", "Début", "Échéance", "État"]
    assert rows[1][0] == action.title and bureau_user.get_full_name() in rows[1][2] and rows[1][8] == indicators[0].code
    rows = export_rows(bureau_client, "cibles")
    assert [(r[2], r[3], r[7], bool(r[8])) for r in rows[1:]] == [
        ("31/12/2026", "150", "", True),  # the old target, superseded
        ("31/12/2026", "140", "Révisée en AG", False),
        ("31/12/2030", "200", "", False),
    ]
    assert export_rows(bureau_client, f"cibles-{indicators[0].code}")[1:] == rows[1:]
    rows = export_rows(bureau_client, "points-d-etape")
    assert rows[1][0] == objective.code and rows[1][5] == "6" and rows[1][7] == "Budget"
    rows = export_rows(bureau_client, "dossiers")
    assert rows[1][:2] == ["Bureau de novembre", "24/11/2026"] and rows[1][6] == "ab" * 32


def test_an_updater_exports_their_own_work_and_indicator_not_the_bureau_tables(updater, owner):
    from django.test import Client

    ind = IndicatorFactory(code="conferences", name="Conférences", owner=owner)
    ind.updaters.add(updater)
    TargetFactory(indicator=ind)
    client = Client()
    client.force_login(updater)
    rows = export_rows(client, "mon-suivi")
    assert rows[0] == ["Nature", "Élément", "Période ou plan", "Échéance ou date", "Note"]
    assert {r[1] for r in rows[1:]} == {"Conférences"} and rows[1][0] == "Valeur à saisir"
    assert export_rows(client, "valeurs-conferences")[0][0] == "Période"
    assert export_rows(client, "cibles-conferences")[1][0] == "conferences"
    for table in ("plan-d-action", "cibles", "points-d-etape", "dossiers", "indicateurs", "communaute"):
        assert client.get(f"/pilotage/export/{table}.csv").status_code == 403
    other = Client()
    other.force_login(owner.__class__.objects.create_user(email="autre@exemple.fr", password="x" * 12))
    assert other.get("/pilotage/export/valeurs-conferences.csv").status_code == 404  # not theirs: no such page
    assert other.get("/pilotage/export/cibles-conferences.csv").status_code == 404


def test_pages_link_their_exports(bureau_client):
    plan, _indicators = build_plan(1, 1, 1)
    dashboard = bureau_client.get("/pilotage/").content.decode()
    for table in ("actions", "sans-action", "indicateurs", "cibles", "points-d-etape", "carte-thermique"):
        assert f"/pilotage/export/{table}.csv?plan={plan.code}" in dashboard
    assert (
        f"/pilotage/export/plan-d-action.xlsx?plan={plan.code}"
        in bureau_client.get("/pilotage/actions/").content.decode()
    )
    assert "/pilotage/export/mon-suivi.csv" in bureau_client.get("/pilotage/mon-suivi/").content.decode()
    assert (
        f"/pilotage/export/dossiers.csv?plan={plan.code}" in bureau_client.get("/pilotage/dossiers/").content.decode()
    )
