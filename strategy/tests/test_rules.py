"""The rules of the cockpit: examples the Bureau can read, then properties checked by hypothesis."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from strategy import rules
from strategy.rules import (
    Aggregation,
    ConfigError,
    Definition,
    Frequency,
    Point,
    Status,
    Target,
    TargetType,
    Thresholds,
)

BASE_ON = date(2022, 12, 31)
FINAL_ON = date(2030, 12, 31)


def increase(baseline="100", target="200", **kwargs) -> Definition:
    return Definition(
        target_type=TargetType.INCREASE,
        baseline=D(baseline),
        baseline_on=BASE_ON,
        targets=(Target(FINAL_ON, D(target)),),
        **kwargs,
    )


def yearly(year: int, value) -> Point:
    return Point(date(year, 1, 1), date(year, 12, 31), D(value))


# --------------------------------------------------------------------------- examples


def test_progress_is_measured_in_the_direction_of_the_target():
    defn = increase()
    assert rules.progress(defn, D(150)).clamped == 50
    assert rules.progress(defn, D(100)).clamped == 0
    assert rules.progress(defn, D(200)).clamped == 100


def test_overshoot_is_clamped_but_the_raw_value_is_kept():
    p = rules.progress(increase(), D(250))
    assert p.clamped == 100 and p.raw == 150 and p.overshoot


def test_regression_is_clamped_to_zero_but_the_raw_value_is_kept():
    p = rules.progress(increase(), D(80))
    assert p.clamped == 0 and p.raw == -20 and p.regression


def test_decreasing_indicator_progresses_when_the_value_falls():
    defn = Definition(
        target_type=TargetType.DECREASE, baseline=D(40), baseline_on=BASE_ON, targets=(Target(FINAL_ON, D(20)),)
    )
    assert rules.progress(defn, D(30)).clamped == 50
    assert rules.progress(defn, D(45)).regression


def test_baseline_equal_to_target_is_a_configuration_error_never_a_colour():
    defn = increase(baseline="100", target="100")
    evaluation = rules.evaluate(defn, [yearly(2023, 150)], date(2024, 1, 15))
    assert evaluation.status == Status.CONFIG_ERROR
    assert evaluation.error == ConfigError.BASELINE_EQUALS_TARGET
    assert evaluation.progress.clamped is None


@pytest.mark.parametrize(
    ("defn", "error"),
    [
        (increase(baseline="200", target="100"), ConfigError.WRONG_DIRECTION),
        (Definition(target_type=TargetType.INCREASE, baseline=D(1), baseline_on=BASE_ON), ConfigError.NO_TARGET),
        (
            Definition(target_type=TargetType.INCREASE, targets=(Target(FINAL_ON, D(5)),)),
            ConfigError.NO_BASELINE,
        ),
        (
            Definition(target_type=TargetType.STAY_BETWEEN, targets=(Target(FINAL_ON, D(5), D(3)),)),
            ConfigError.BETWEEN_BOUNDS,
        ),
        (increase(thresholds=Thresholds(on_track=D(80), behind=D(90))), ConfigError.THRESHOLDS),
    ],
)
def test_configuration_errors(defn, error):
    assert rules.config_error(defn) == error


def test_no_data_is_neither_zero_nor_green():
    evaluation = rules.evaluate(increase(), [], date(2025, 6, 1))
    assert evaluation.status == Status.NO_DATA
    assert evaluation.actual is None and evaluation.progress.raw is None and evaluation.progress.clamped is None


def test_expected_progress_follows_the_interim_targets():
    defn = Definition(
        target_type=TargetType.INCREASE,
        baseline=D(0),
        baseline_on=date(2022, 12, 31),
        targets=(Target(date(2024, 12, 31), D(80)), Target(date(2026, 12, 31), D(100))),
    )
    assert rules.expected_progress(defn, date(2022, 12, 31)) == 0
    assert rules.expected_progress(defn, date(2024, 12, 31)) == 80  # front-loaded plan
    assert rules.expected_progress(defn, date(2025, 12, 31)) == 90
    assert rules.expected_progress(defn, date(2030, 1, 1)) == 100


def test_status_thresholds_default_and_per_indicator():
    # expected at end of 2026 = 4 years of 8 ≈ 50 %
    defn = increase(baseline="0", target="800")
    at = date(2027, 1, 10)
    assert rules.evaluate(defn, [yearly(2026, 400)], at).status == Status.ON_TRACK
    assert rules.evaluate(defn, [yearly(2026, 360)], at).status == Status.BEHIND  # pace ≈ 90 %
    assert rules.evaluate(defn, [yearly(2026, 300)], at).status == Status.OFF_TRACK
    strict = increase(baseline="0", target="800", thresholds=Thresholds(on_track=D(99), behind=D(95)))
    assert rules.evaluate(strict, [yearly(2026, 390)], at).status == Status.BEHIND


def test_outdated_takes_precedence_over_green_and_keeps_the_colour():
    defn = increase(baseline="0", target="800", grace_days=30)
    evaluation = rules.evaluate(defn, [yearly(2025, 800)], date(2027, 3, 1))
    assert evaluation.status == Status.OUTDATED
    assert evaluation.colour == Status.ON_TRACK
    within_grace = rules.evaluate(defn, [yearly(2025, 800)], date(2027, 1, 20))
    assert within_grace.status == Status.ON_TRACK


def test_forecast_flags_a_green_indicator_whose_trend_will_miss():
    defn = Definition(
        target_type=TargetType.INCREASE,
        baseline=D(0),
        baseline_on=date(2022, 12, 31),
        targets=(Target(date(2023, 12, 31), D(100)), Target(FINAL_ON, D(200))),
        grace_days=60,
    )
    # way ahead in 2023, then flat: green but the line will not reach 200 by 2030
    points = [yearly(2023, 150), yearly(2024, 152), yearly(2025, 151)]
    evaluation = rules.evaluate(defn, points, date(2026, 1, 15))
    assert evaluation.status == Status.ON_TRACK
    assert evaluation.trend_will_miss and evaluation.trend_warning


def test_forecast_is_exact_on_a_straight_line():
    pts = [(date(2020, 1, 1) + timedelta(days=10 * i), D(5 + 3 * i)) for i in range(5)]
    assert rules.forecast(pts, date(2020, 1, 1) + timedelta(days=100)) == D(35)
    assert rules.forecast(pts[:2], date(2021, 1, 1)) is None  # fewer than 3 points


def test_rollup_with_missing_children_shows_coverage_and_worst_child():
    at = date(2027, 1, 10)
    good = rules.evaluate(increase(baseline="0", target="800"), [yearly(2026, 400)], at)
    bad = rules.evaluate(increase(baseline="0", target="800"), [yearly(2026, 100)], at)
    missing = rules.evaluate(increase(), [], at)
    result = rules.rollup([good, bad, missing])
    assert result.coverage == "2/3"
    assert result.worst == Status.OFF_TRACK
    assert result.progress == (good.progress.clamped + bad.progress.clamped) / 2
    assert rules.rollup([missing]).status == Status.NO_DATA
    assert rules.rollup([]).status == Status.NO_DATA


def test_track_only_children_are_left_out_of_rollups():
    track = rules.evaluate(Definition(target_type=TargetType.TRACK), [yearly(2026, 3)], date(2027, 1, 1))
    assert track.status == Status.TRACK_ONLY
    assert rules.rollup([track]).total == 0


def test_aggregations_over_time():
    months = [
        Point(date(2026, 1, 1), date(2026, 1, 31), D(10), D(1), D(10)),
        Point(date(2026, 2, 1), date(2026, 2, 28), D(50), D(5), D(10)),
    ]
    assert rules.aggregate(months, Aggregation.SUM) == 60
    assert rules.aggregate(months, Aggregation.LAST) == 50
    assert rules.aggregate(months, Aggregation.RATIO) == 30  # (1+5)/(10+10), not the mean of rates
    assert rules.aggregate([], Aggregation.SUM) is None
    assert rules.by_year(months, Aggregation.SUM) == {2026: 60}


def test_small_groups_are_hidden_with_secondary_suppression():
    visible, hidden = rules.suppress_small_groups({"Bo": 40, "Cl": 3, "Pa": 12})
    assert visible == {"Bo": 40} and hidden == 2  # Pa hidden too, or Cl = total − Bo − Pa
    visible, hidden = rules.suppress_small_groups({"Bo": 40, "Cl": 30})
    assert hidden == 0


def test_periods():
    assert rules.period_of(Frequency.QUARTERLY, date(2026, 11, 22)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert rules.period_of(Frequency.MONTHLY, date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert rules.last_closed_period(Frequency.YEARLY, date(2026, 11, 22)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert len(rules.periods_between(Frequency.MONTHLY, date(2026, 1, 15), date(2026, 3, 1))) == 3


# --------------------------------------------------------------------------- properties

values = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=D("0.01"), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
frequencies = st.sampled_from(list(Frequency))
target_types = st.sampled_from([t for t in TargetType if t != TargetType.TRACK])


@st.composite
def definitions(draw, kind=None):
    kind = kind or draw(target_types)
    baseline = draw(values)
    final = draw(values)
    high = final + draw(positive) if kind == TargetType.STAY_BETWEEN else None
    interim_count = draw(st.integers(0, 3))
    interim = tuple(
        Target(date(2023 + i * 2, 12, 31), draw(values)) for i in range(interim_count)
    )  # before the final date
    on_track = draw(st.decimals(min_value=50, max_value=100, places=0))
    return Definition(
        target_type=kind,
        baseline=baseline,
        baseline_on=BASE_ON,
        targets=(*interim, Target(FINAL_ON, final, high)),
        frequency=draw(frequencies),
        thresholds=Thresholds(on_track=on_track, behind=on_track - draw(st.decimals(0, 20, places=0))),
        grace_days=draw(st.integers(0, 90)),
    )


def points_for(defn: Definition, raw_values, first=date(2023, 1, 1)):
    out, start = [], rules.period_of(defn.frequency, first)
    for value in raw_values:
        out.append(Point(start[0], start[1], value))
        start = rules.next_period(defn.frequency, start[0])
    return out


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(definitions(), values)
def test_clamped_progress_is_always_between_0_and_100(defn, actual):
    p = rules.progress(defn, actual)
    assert p.clamped is None or D(0) <= p.clamped <= D(100)
    assert (p.error is None) == (rules.config_error(defn) is None)


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(values, values, values, values)
def test_increase_progress_is_monotonic_in_the_actual(baseline, target, a, b):
    assume(target > baseline)
    defn = increase(str(baseline), str(target))
    lo, hi = sorted([a, b])
    assert rules.progress(defn, lo).raw <= rules.progress(defn, hi).raw


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(values, values, values)
def test_decreasing_indicator_mirrors_the_increasing_one(baseline, target, actual):
    assume(target != baseline)
    up = increase(str(min(baseline, target)), str(max(baseline, target)))
    mirrored = Definition(
        target_type=TargetType.DECREASE,
        baseline=-up.baseline,
        baseline_on=BASE_ON,
        targets=(Target(FINAL_ON, -up.final_target.value),),
    )
    assert rules.progress(up, actual).raw == rules.progress(mirrored, -actual).raw


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(values, days, st.lists(values, max_size=5))
def test_baseline_equal_to_target_is_always_a_configuration_error(value, at, raw_values):
    defn = increase(str(value), str(value))
    evaluation = rules.evaluate(defn, points_for(defn, raw_values), at)
    assert evaluation.status == Status.CONFIG_ERROR
    assert evaluation.status != Status.ON_TRACK


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(definitions(), days)
def test_missing_data_is_never_green_nor_zero(defn, at):
    evaluation = rules.evaluate(defn, [], at)
    assert evaluation.status in {Status.NO_DATA, Status.CONFIG_ERROR}
    assert evaluation.progress.raw is None and evaluation.progress.clamped is None


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(definitions(), st.lists(values, min_size=1, max_size=8), days)
def test_outdated_wins_over_any_colour(defn, raw_values, at):
    evaluation = rules.evaluate(defn, points_for(defn, raw_values), at)
    if evaluation.status not in {Status.CONFIG_ERROR, Status.NO_DATA} and evaluation.outdated:
        assert evaluation.status == Status.OUTDATED
    if evaluation.status == Status.ON_TRACK:
        assert not evaluation.outdated


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(values, positive, positive, st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_wrong_direction_movement_is_never_on_track_once_progress_is_expected(baseline, gap, drop, day):
    defn = increase(str(baseline), str(baseline + gap), frequency=Frequency.MONTHLY, grace_days=3650)
    start, end = rules.period_of(Frequency.MONTHLY, day)
    evaluation = rules.evaluate(defn, [Point(start, end, baseline - drop)], end)
    assert evaluation.progress.regression
    assert evaluation.progress.clamped == 0
    assert evaluation.status == Status.OFF_TRACK


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(definitions(kind=TargetType.INCREASE), days, days)
def test_expected_progress_is_bounded_and_complete_at_the_end(defn, a, b):
    assume(rules.config_error(defn) is None)
    for at in (a, b):
        expected = rules.expected_progress(defn, at)
        assert D(0) <= expected <= D(100)
    assert rules.expected_progress(defn, FINAL_ON) == 100
    assert rules.expected_progress(defn, BASE_ON) == 0


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(values, positive, days, days)
def test_expected_progress_never_goes_back_on_a_straight_plan(baseline, gap, a, b):
    defn = increase(str(baseline), str(baseline + gap))
    lo, hi = sorted([a, b])
    assert rules.expected_progress(defn, lo) <= rules.expected_progress(defn, hi)


@st.composite
def children(draw):
    status = draw(st.sampled_from(list(Status)))
    if status in rules.MEASURED:
        return rules.Evaluation(
            status=status,
            progress=rules.Progress(raw=draw(values), clamped=draw(st.decimals(0, 100, places=2))),
            expected=draw(st.decimals(0, 100, places=2)),
            weight=draw(st.decimals(D("0.5"), 5, places=1)),
        )
    return rules.Evaluation(status=status)


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(st.lists(children(), max_size=8))
def test_rollup_is_a_weighted_mean_of_children_with_data(kids):
    result = rules.rollup(kids)
    counted = [k for k in kids if k.status != Status.TRACK_ONLY]
    measured = [k for k in counted if k.has_data]
    assert result.total == len(counted)
    assert result.with_data == len(measured)
    if not measured:
        assert result.status == Status.NO_DATA and result.progress is None
    else:
        progresses = [k.progress.clamped for k in measured]
        assert min(progresses) - D("0.000001") <= result.progress <= max(progresses) + D("0.000001")
    if counted:
        assert rules.SEVERITY[result.worst] == max(rules.SEVERITY[k.status] for k in counted)


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(st.lists(children(), min_size=1, max_size=6), st.integers(1, 4))
def test_rollup_ignores_children_without_data(kids, extra):
    with_missing = kids + [rules.Evaluation(status=Status.NO_DATA)] * extra
    before, after = rules.rollup(kids), rules.rollup(with_missing)
    assert before.progress == after.progress
    assert after.total == before.total + extra


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(st.dictionaries(st.sampled_from(["Ai", "An", "Bo", "Ch", "Cl", "Li", "Me", "Pa"]), st.integers(0, 60)))
def test_no_small_group_is_ever_revealed_nor_derivable(groups):
    visible, hidden = rules.suppress_small_groups(groups)
    assert all(v >= rules.MIN_GROUP_SIZE for v in visible.values())
    assert hidden != 1 or len(groups) == 1
    assert len(visible) + hidden == len(groups)


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(frequencies, days)
def test_periods_tile_the_calendar(freq, day):
    start, end = rules.period_of(freq, day)
    assert start <= day <= end
    nxt = rules.next_period(freq, day)
    assert nxt[0] == end + timedelta(days=1)
    assert rules.previous_period(freq, nxt[0]) == (start, end)


@settings(deadline=None)  # Decimal arithmetic on a loaded CI machine: no flaky deadline
@given(frequencies, days, st.integers(0, 120))
def test_a_value_for_the_latest_overdue_period_is_never_outdated(freq, at, grace):
    start, end = rules.latest_overdue_period(freq, at, grace)
    assert rules.due_on(end, grace) < at
    assert not rules.is_outdated(last_period_end=end, frequency=freq, at=at, grace_days=grace)
    previous = rules.previous_period(freq, start)
    assert rules.is_outdated(last_period_end=previous[1], frequency=freq, at=at, grace_days=grace)
