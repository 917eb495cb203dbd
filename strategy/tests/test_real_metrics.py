"""The real registered metrics, read through the cockpit (registry, sources, community panel).

The populations are the apps' own hand-counted ones (members/tests/figures_population.py and
entraide/tests/test_metrics.py), plus, here, 7 Cl members at the full rate and 5 Bo members at JP
tier 1 in 2026 so that some groups are large enough to show:
2026: 24 payers — Bo 13 (7 JP, 6 not; 2 back after being struck off), Cl 10 (3 JP), Pa 1 (JP);
      by promo decade 2000s 13, 2020s 11; JP by tier: 1 → 8, 2 → 2, 3 → 1.
"""

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from members.tests.factories import CampusFactory, MemberFactory
from members.tests.figures_population import build, dues
from soce.lib import metrics
from strategy import computed, selectors

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 22)
YEAR = (date(2026, 1, 1), TODAY)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def members():
    population = build()
    cl, bo = CampusFactory(code="Cl"), CampusFactory(code="Bo")
    for _ in range(7):
        dues(MemberFactory(campus=cl, entry_year=2000, graduation_year=2003), 2026, "PLEIN")
    for _ in range(5):
        dues(MemberFactory(campus=bo, entry_year=2022, graduation_year=2025), 2026, "JP1")
    return population


def test_registered_metrics_read_through_the_cockpit(members):
    wanted = [
        (code, *YEAR)
        for code in (
            "members.payers",
            "members.jp_payers",
            "members.jp_share",
            "members.returning",
            "members.jp_uptake",
            "members.jp_to_full",
        )
    ]
    results = computed.compute_many(wanted)
    assert {code: results[(code, *YEAR)].value for code, *_ in wanted} == {
        "members.payers": Decimal(24),
        "members.jp_payers": Decimal(11),
        "members.jp_share": Decimal("45.8"),  # 11 / 24
        "members.returning": Decimal(2),
        "members.jp_uptake": Decimal("100.0"),  # graduated 2023: Pa alone, who paid
        "members.jp_to_full": Decimal("8.3"),  # 12 JP payers since 2024, Li alone went on to the full rate
    }
    assert all(results[w].available and results[w].version == 1 for w in wanted)
    assert computed.compute("members.payers", *YEAR).value == Decimal(24)


def test_one_pass_per_source_and_period(members, django_assert_num_queries):
    wanted = [
        (code, *YEAR) for code in ("members.payers", "members.jp_payers", "members.jp_share", "members.returning")
    ]
    with django_assert_num_queries(1):  # payers, JP and returning of the year in one aggregate
        computed.compute_many(wanted)
    with django_assert_num_queries(1):  # the cache holds the source's every metric for the period
        computed.compute_cached(wanted[:1])
    with django_assert_num_queries(0):
        assert computed.compute_cached(wanted)[wanted[2]].value == Decimal("45.8")


def test_breakdowns_are_suppressed_by_the_cockpit_counts_shares_and_amounts(members, registry):
    # the real members breakdowns (registry emptied by the fixture: put the members' back)
    from members.figures import register_metrics

    register_metrics()
    groups, hidden = computed.breakdown("members.payers", "campus", *YEAR)
    assert groups == {"Bo": Decimal(13)} and hidden == 2  # Pa (1), and Cl (10) or Pa = 24 − 13 − Cl
    groups, hidden = computed.breakdown("members.jp_share", "campus", *YEAR)
    assert groups == {"Bo": Decimal("53.8")} and hidden == 2  # Cl: 3 JP; Pa: 1 payer
    groups, hidden = computed.breakdown("members.returning", "campus", *YEAR)
    assert groups == {} and hidden == 1  # 2 people: only the total is shown
    groups, hidden = computed.breakdown("members.payers", "promo_decade", *YEAR)
    assert groups == {"promos 2000-2009": Decimal(13), "promos 2020-2029": Decimal(11)} and hidden == 0
    # amounts: 9,000 € to 4 people is hidden, and so is the smallest other group whatever its amount
    registry.register(
        metrics.Metric(
            "test.amounts",
            "Montants",
            "eur",
            lambda s, e: Decimal(39100),
            breakdowns={
                "campus": lambda s, e: {
                    "Bo": metrics.Group(Decimal(30000), 40),
                    "Cl": metrics.Group(Decimal(9000), 4),
                    "Pa": metrics.Group(Decimal(100), 6),
                }
            },
        )
    )
    assert computed.breakdown("test.amounts", "campus", *YEAR) == ({"Bo": Decimal(30000)}, 2)


def test_an_amount_breakdown_without_head_counts_is_hidden(registry):
    registry.register(
        metrics.Metric("test.eur", "€", "eur", lambda s, e: 0, breakdowns={"x": lambda s, e: {"Bo": Decimal(5)}})
    )
    assert computed.breakdown("test.eur", "x", *YEAR) == ({}, 1)


def test_community_panel_shows_jp_tracking_and_breakdowns_over_years(members):
    panel = selectors.community_figures(today=TODAY)
    series = panel["series"]
    years = panel["years"]
    at = {y: i for i, y in enumerate(years)}

    def value(code, year):
        return series[code]["values"][at[year]]

    assert value("members.payers", 2026) == "24" and value("members.payers", 2019) == "16700"  # annual report
    assert value("members.jp_share", 2026) == "45.8" and value("members.jp_share", 2025) == "37.5"  # 3 / 8
    assert value("members.returning", 2026) == "2"
    assert [value("members.jp_to_full", y) for y in (2024, 2025, 2026)] == ["0", "25", "8.3"]
    assert value("members.jp_uptake", 2026) == "100"
    assert value("entraide.given_or_lent_eur", 2019) == "297000"  # 2019 annual report

    tables = {b["name"]: b for b in series["members.payers"]["breakdowns"]}
    campus = tables["campus"]
    assert campus["years"] == [2024, 2025, 2026]
    assert campus["rows"] == [["Bo", [None, None, "13"]]]  # 2024: Li alone; 2025: Bo 6 hidden with Pa 1 and Li 1
    assert campus["hidden"] == ["all", "all", 2]
    share = {b["name"]: b for b in series["members.jp_share"]["breakdowns"]}
    assert share["campus"]["rows"] == [["Bo", [None, None, "53.8"]]]
    assert share["promo_decade"]["rows"] == []  # 2000s: no JP at all; 2020s: all JP — both describe everyone
    returning = {b["name"]: b for b in series["members.returning"]["breakdowns"]}
    assert returning["campus"]["rows"] == [] and returning["campus"]["hidden"] == ["all"]
    tiers = {b["name"]: b for b in series["members.jp_payers"]["breakdowns"]}["jp_tier"]
    assert tiers["years"] == [2024, 2025, 2026] and tiers["hidden"][-1] == "all"  # JP 2 (2) and JP 3 (1) too small


def test_community_page_and_export(members, bureau_client):
    html = bureau_client.get("/pilotage/communaute/").content.decode()
    assert "Diplômés ayant cotisé dans leurs trois premières années" in html
    assert "Anciens JP passés au tarif normal" in html
    assert "Par palier JP" in html and "Groupes masqués" in html


REAL = [
    "members.payers",
    "members.jp_share",
    "members.returning",
    "reminders.conversion",
    "volunteers.active",
    "volunteers.charter_signed_current",
    "entraide.granted_eur",
    "entraide.outstanding_eur",
    "entraide.cases_in_arrears",
]


def bind_real_metrics(indicators, copies: int) -> None:
    """Turns the first indicators into computed ones, `copies` per real metric (all yearly)."""
    from strategy.models import Indicator

    chosen = indicators[: len(REAL) * copies]
    assert len(chosen) == len(REAL) * copies
    for i, ind in enumerate(chosen):
        Indicator.objects.filter(pk=ind.pk).update(kind="computed", metric_code=REAL[i % len(REAL)])


def dashboard_queries(client, django_assert_num_queries, cold: int, warm: int) -> None:
    from django.core.cache import cache

    cache.clear()
    # Cold: session, user, user's permissions, group permissions; the plan (14 queries: plans,
    # ambitions, objectives, axes, criteria, indicators, targets, approved values, cycles, check-ins,
    # actions, action↔indicator links, annotations, pending count); then one pass per source and
    # period: dues (1), reminder steps (1), volunteers active (1) and with the charter (2: version in
    # force, count), entraide flows (2: grants, disbursements), loans (5: loans, disbursed, repaid,
    # forgiven, instalments).
    with django_assert_num_queries(cold):
        assert client.get("/pilotage/").status_code == 200
    # Warm: session, user, permissions (2); the figures come from the cache.
    with django_assert_num_queries(warm):
        assert client.get("/pilotage/").status_code == 200


def test_dashboard_query_count_does_not_grow_with_real_computed_indicators_and_values(
    members, bureau_client, django_assert_num_queries
):
    from entraide.tests.test_metrics import loan
    from members.tests.factories import UserFactory
    from volunteers.tests.test_metrics import version

    from .test_views import build_plan

    loan((UserFactory(), UserFactory()), "Bo", "1200", 12, "100")  # so that every source reads its rows
    version("V8", date(2025, 1, 1))
    _plan, indicators = build_plan(3, 3, 1)  # 9 indicators, 1 value each
    bind_real_metrics(indicators, 1)
    dashboard_queries(bureau_client, django_assert_num_queries, 18 + 12, 4)
    _plan, more = build_plan(6, 6, 4, first=3)  # 36 more indicators, 4 values each
    bind_real_metrics(indicators + more, 4)  # each real metric behind 4 indicators
    dashboard_queries(bureau_client, django_assert_num_queries, 18 + 12, 4)
