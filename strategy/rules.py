"""Les règles du pilotage, en un seul module pur.

Progression vers la cible, progression attendue selon la trajectoire des cibles intermédiaires,
rythme, statuts, péremption, agrégations dans le temps, consolidations (critère → objectif →
ambition → plan), prévision par moindres carrés et masquage des petits groupes.

Pur : aucune requête, aucune horloge (la date d'évaluation est toujours un argument), aucun
float (tout est Decimal). Les libellés français vivent dans `strategy.labels`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise

ZERO = Decimal(0)
HUNDRED = Decimal(100)
MIN_GROUP_SIZE = 5
FORECAST_POINTS = 6  # les derniers points servent à la tendance
FORECAST_MIN_POINTS = 3


class TargetType(StrEnum):
    INCREASE = "increase"  # atteindre (hausse)
    DECREASE = "decrease"  # ramener à (baisse)
    STAY_ABOVE = "above"  # rester au-dessus
    STAY_BELOW = "below"  # rester en dessous
    STAY_BETWEEN = "between"  # rester entre deux bornes
    MILESTONE = "milestone"  # jalon atteint ou non à une date
    TRACK = "track"  # suivi sans cible


class Aggregation(StrEnum):
    SUM = "sum"  # flux : somme des périodes
    LAST = "last"  # stock : dernière valeur
    RATIO = "ratio"  # pourcentages : rapport des sommes


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Status(StrEnum):
    ON_TRACK = "on_track"
    BEHIND = "behind"
    OFF_TRACK = "off_track"
    OUTDATED = "outdated"
    NO_DATA = "no_data"
    CONFIG_ERROR = "config_error"
    TRACK_ONLY = "track_only"


class ConfigError(StrEnum):
    NO_BASELINE = "no_baseline"
    NO_TARGET = "no_target"
    BASELINE_EQUALS_TARGET = "baseline_equals_target"
    WRONG_DIRECTION = "wrong_direction"
    BETWEEN_BOUNDS = "between_bounds"
    THRESHOLDS = "thresholds"


# For "worst child": the higher, the worse. Track-only children never count.
SEVERITY = {
    Status.OFF_TRACK: 6,
    Status.OUTDATED: 5,
    Status.BEHIND: 4,
    Status.CONFIG_ERROR: 3,
    Status.NO_DATA: 2,
    Status.ON_TRACK: 1,
    Status.TRACK_ONLY: 0,
}
MEASURED = {Status.ON_TRACK, Status.BEHIND, Status.OFF_TRACK, Status.OUTDATED}


def q2(value: Decimal | None) -> Decimal | None:
    """Rounds a percentage or a figure for display and storage (2 decimals, half up)."""
    if value is None:
        return None
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- periods


def period_of(frequency: Frequency | str, day: date) -> tuple[date, date]:
    """The period (first day, last day inclusive) of `frequency` that contains `day`."""
    frequency = Frequency(frequency)
    if frequency == Frequency.YEARLY:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if frequency == Frequency.QUARTERLY:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
    else:
        start = date(day.year, day.month, 1)
    months = 3 if frequency == Frequency.QUARTERLY else 1
    month = start.month + months
    year = start.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return start, date(year, month, 1) - timedelta(days=1)


def next_period(frequency: Frequency | str, start: date) -> tuple[date, date]:
    return period_of(frequency, period_of(frequency, start)[1] + timedelta(days=1))


def previous_period(frequency: Frequency | str, start: date) -> tuple[date, date]:
    return period_of(frequency, period_of(frequency, start)[0] - timedelta(days=1))


def periods_between(frequency: Frequency | str, first: date, last: date) -> list[tuple[date, date]]:
    """Every period of `frequency` that overlaps [first, last], in order."""
    out = []
    current = period_of(frequency, first)
    while current[0] <= last:
        out.append(current)
        current = next_period(frequency, current[0])
    return out


def last_closed_period(frequency: Frequency | str, today: date) -> tuple[date, date]:
    """The latest period whose last day is before `today`."""
    return previous_period(frequency, today)


def due_on(period_end: date, grace_days: int) -> date:
    """The last day on which a period's value is still on time."""
    return period_end + timedelta(days=grace_days)


def latest_overdue_period(frequency: Frequency | str, at: date, grace_days: int) -> tuple[date, date]:
    """The latest period whose value is overdue at `at` (its due date has passed)."""
    limit = at - timedelta(days=grace_days + 1)  # a period is overdue when its end <= limit
    start, end = period_of(frequency, limit)
    if end <= limit:
        return start, end
    return previous_period(frequency, start)


def is_outdated(*, last_period_end: date | None, frequency: Frequency | str, at: date, grace_days: int) -> bool:
    """True when a value is overdue past the grace period (or none was ever given and one is due)."""
    overdue = latest_overdue_period(frequency, at, grace_days)
    return last_period_end is None or last_period_end < overdue[1]


# --------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Thresholds:
    """Pace thresholds in percent: on track from `on_track`, behind from `behind`, off track below."""

    on_track: Decimal = Decimal(95)
    behind: Decimal = Decimal(85)

    @property
    def valid(self) -> bool:
        return ZERO <= self.behind <= self.on_track


@dataclass(frozen=True)
class Target:
    on: date
    value: Decimal
    high: Decimal | None = None  # upper bound of "stay between"


@dataclass(frozen=True)
class Point:
    start: date
    end: date
    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None


@dataclass(frozen=True)
class Definition:
    target_type: TargetType
    baseline: Decimal | None = None
    baseline_on: date | None = None
    targets: tuple[Target, ...] = ()
    frequency: Frequency = Frequency.YEARLY
    aggregation: Aggregation = Aggregation.LAST
    thresholds: Thresholds = field(default_factory=Thresholds)
    grace_days: int = 30
    weight: Decimal = Decimal(1)

    @property
    def final_target(self) -> Target | None:
        return max(self.targets, key=lambda t: t.on) if self.targets else None


def config_error(defn: Definition) -> ConfigError | None:
    """What makes the definition unusable, if anything (shown as a configuration error, never as a colour)."""
    kind = TargetType(defn.target_type)
    if kind == TargetType.TRACK:
        return None
    if not defn.thresholds.valid:
        return ConfigError.THRESHOLDS
    final = defn.final_target
    if final is None:
        return ConfigError.NO_TARGET
    if kind in (TargetType.INCREASE, TargetType.DECREASE):
        if defn.baseline is None or defn.baseline_on is None:
            return ConfigError.NO_BASELINE
        if final.value == defn.baseline:
            return ConfigError.BASELINE_EQUALS_TARGET
        if (kind == TargetType.INCREASE) != (final.value > defn.baseline):
            return ConfigError.WRONG_DIRECTION
    if kind == TargetType.STAY_BETWEEN and (final.high is None or final.high < final.value):
        return ConfigError.BETWEEN_BOUNDS
    return None


# --------------------------------------------------------------------------- progress


@dataclass(frozen=True)
class Progress:
    raw: Decimal | None = None  # may be < 0 (regression) or > 100 (overshoot)
    clamped: Decimal | None = None  # 0..100, what bars and roll-ups use
    error: ConfigError | None = None

    @property
    def overshoot(self) -> bool:
        return self.raw is not None and self.raw > HUNDRED

    @property
    def regression(self) -> bool:
        return self.raw is not None and self.raw < ZERO


def clamp(value: Decimal, low: Decimal = ZERO, high: Decimal = HUNDRED) -> Decimal:
    return max(low, min(high, value))


def _shortfall_progress(actual: Decimal, bound: Decimal, *, above: bool) -> Decimal:
    """100 when the bound holds, else 100 minus the relative miss (never above 100)."""
    miss = (bound - actual) if above else (actual - bound)
    if miss <= 0:
        return HUNDRED
    if bound == 0:
        return ZERO
    return HUNDRED - miss / abs(bound) * HUNDRED


def progress(defn: Definition, actual: Decimal | None) -> Progress:
    """Progress of `actual` towards the final target, in the target's direction, raw and clamped."""
    kind = TargetType(defn.target_type)
    if kind == TargetType.TRACK:
        return Progress()
    error = config_error(defn)
    if error:
        return Progress(error=error)
    if actual is None:
        return Progress()
    final = defn.final_target
    assert final is not None  # noqa: S101 - config_error() guarantees it
    if kind in (TargetType.INCREASE, TargetType.DECREASE):
        assert defn.baseline is not None  # noqa: S101
        raw = (actual - defn.baseline) / (final.value - defn.baseline) * HUNDRED
    elif kind == TargetType.STAY_ABOVE:
        raw = _shortfall_progress(actual, final.value, above=True)
    elif kind == TargetType.STAY_BELOW:
        raw = _shortfall_progress(actual, final.value, above=False)
    elif kind == TargetType.STAY_BETWEEN:
        assert final.high is not None  # noqa: S101
        raw = (
            _shortfall_progress(actual, final.value, above=True)
            if actual < final.value
            else _shortfall_progress(actual, final.high, above=False)
        )
    else:  # milestone: reached or not
        raw = HUNDRED if actual >= final.value else ZERO
    return Progress(raw=raw, clamped=clamp(raw))


def trajectory(defn: Definition) -> list[tuple[date, Decimal]]:
    """The planned path: baseline, then each interim target after it, by date."""
    points: list[tuple[date, Decimal]] = []
    if defn.baseline is not None and defn.baseline_on is not None:
        points.append((defn.baseline_on, defn.baseline))
    start = defn.baseline_on
    for target in sorted(defn.targets, key=lambda t: t.on):
        if start is None or target.on > start:
            points.append((target.on, target.value))
    return points


def expected_value(defn: Definition, at: date) -> Decimal | None:
    """The value the trajectory of interim targets expects at `at` (linear between targets)."""
    path = trajectory(defn)
    if not path:
        return None
    if at <= path[0][0]:
        return path[0][1]
    for (d0, v0), (d1, v1) in pairwise(path):
        if at <= d1:
            fraction = Decimal((at - d0).days) / Decimal((d1 - d0).days)
            return v0 + (v1 - v0) * fraction
    return path[-1][1]


def expected_progress(defn: Definition, at: date) -> Decimal | None:
    """The progress (0..100) the plan expects at `at`, from the trajectory of interim targets."""
    kind = TargetType(defn.target_type)
    if kind == TargetType.TRACK or config_error(defn):
        return None
    final = defn.final_target
    assert final is not None  # noqa: S101
    if kind in (TargetType.STAY_ABOVE, TargetType.STAY_BELOW, TargetType.STAY_BETWEEN):
        return HUNDRED  # a bound must hold all along
    if kind == TargetType.MILESTONE:
        return HUNDRED if at >= final.on else ZERO
    assert defn.baseline is not None  # noqa: S101
    value = expected_value(defn, at)
    assert value is not None  # noqa: S101
    return clamp((value - defn.baseline) / (final.value - defn.baseline) * HUNDRED)


def pace(progress_raw: Decimal | None, expected: Decimal | None) -> Decimal | None:
    """Progress ÷ expected progress, in percent; None when nothing is expected yet."""
    if progress_raw is None or expected is None or expected <= 0:
        return None
    return progress_raw / expected * HUNDRED


def colour(*, pace_pct: Decimal | None, progress_raw: Decimal | None, thresholds: Thresholds | None = None) -> Status:
    """On track / behind / off track from the pace (nothing expected yet: judged on direction)."""
    thresholds = thresholds or Thresholds()
    if pace_pct is None:
        if progress_raw is None:
            return Status.NO_DATA
        return Status.ON_TRACK if progress_raw >= 0 else Status.BEHIND
    if pace_pct >= thresholds.on_track:
        return Status.ON_TRACK
    if pace_pct >= thresholds.behind:
        return Status.BEHIND
    return Status.OFF_TRACK


# --------------------------------------------------------------------------- forecast


def least_squares(points: Sequence[tuple[date, Decimal]]) -> tuple[Decimal, Decimal, date] | None:
    """Slope per day and intercept of the least-squares line through (day, value); None if undefined."""
    if len(points) < 2:
        return None
    origin = points[0][0]
    xs = [Decimal((d - origin).days) for d, _v in points]
    ys = [v for _d, v in points]
    n = Decimal(len(points))
    mean_x = sum(xs, ZERO) / n
    mean_y = sum(ys, ZERO) / n
    sxx = sum(((x - mean_x) ** 2 for x in xs), ZERO)
    if sxx == 0:
        return None
    sxy = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)), ZERO)
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x, origin


def forecast(points: Sequence[tuple[date, Decimal]], at: date, *, last: int = FORECAST_POINTS) -> Decimal | None:
    """The value at `at` on the least-squares line through the last points (None under 3 points)."""
    recent = sorted(points)[-last:]
    if len(recent) < FORECAST_MIN_POINTS:
        return None
    fit = least_squares(recent)
    if fit is None:
        return None
    slope, intercept, origin = fit
    return intercept + slope * Decimal((at - origin).days)


def misses(defn: Definition, value: Decimal | None) -> bool:
    """Whether `value` at the final target date would miss the final target."""
    final = defn.final_target
    if value is None or final is None or config_error(defn):
        return False
    kind = TargetType(defn.target_type)
    if kind in (TargetType.INCREASE, TargetType.STAY_ABOVE, TargetType.MILESTONE):
        return value < final.value
    if kind in (TargetType.DECREASE, TargetType.STAY_BELOW):
        return value > final.value
    if kind == TargetType.STAY_BETWEEN:
        return value < final.value or (final.high is not None and value > final.high)
    return False


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    status: Status
    actual: Decimal | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    progress: Progress = field(default_factory=Progress)
    expected: Decimal | None = None
    pace: Decimal | None = None
    colour: Status | None = None  # what the pace alone says, kept when "outdated" wins
    outdated: bool = False
    forecast: Decimal | None = None
    trend_will_miss: bool = False
    weight: Decimal = Decimal(1)

    @property
    def error(self) -> ConfigError | None:
        return self.progress.error

    @property
    def trend_warning(self) -> bool:
        """Green today, but the trend will miss the target: the early warning the Bureau wants."""
        return self.status == Status.ON_TRACK and self.trend_will_miss

    @property
    def has_data(self) -> bool:
        return self.status in MEASURED

    @property
    def worst(self) -> Status:
        return self.status


def evaluate(defn: Definition, points: Iterable[Point], at: date) -> Evaluation:
    """Judges one indicator at `at` from its approved values (values after `at` are ignored).

    Precedence: configuration error, then no data, then "outdated", then the pace's colour.
    Progress is measured at the period of the latest value, against what was expected then.
    """
    known = sorted((p for p in points if p.end <= at), key=lambda p: p.end)
    kind = TargetType(defn.target_type)
    weight = defn.weight
    last = known[-1] if known else None
    actual = last.value if last else None
    outdated = is_outdated(
        last_period_end=last.end if last else None, frequency=defn.frequency, at=at, grace_days=defn.grace_days
    )
    common = {
        "actual": actual,
        "actual_start": last.start if last else None,
        "actual_end": last.end if last else None,
        "outdated": outdated and last is not None,
        "weight": weight,
    }
    if kind == TargetType.TRACK:
        return Evaluation(status=Status.TRACK_ONLY, **common)
    prog = progress(defn, actual)
    if prog.error:
        return Evaluation(status=Status.CONFIG_ERROR, progress=prog, **common)
    if last is None:
        return Evaluation(status=Status.NO_DATA, progress=prog, **common)
    expected = expected_progress(defn, last.end)
    pace_pct = pace(prog.raw, expected)
    col = colour(pace_pct=pace_pct, progress_raw=prog.raw, thresholds=defn.thresholds)
    final = defn.final_target
    predicted = forecast([(p.end, p.value) for p in known], final.on) if final else None
    return Evaluation(
        status=Status.OUTDATED if outdated else col,
        progress=prog,
        expected=expected,
        pace=pace_pct,
        colour=col,
        forecast=predicted,
        trend_will_miss=misses(defn, predicted) if final and final.on > last.end else False,
        **common,
    )


# --------------------------------------------------------------------------- roll-ups


@dataclass(frozen=True)
class Rollup:
    status: Status
    progress: Decimal | None = None
    expected: Decimal | None = None
    pace: Decimal | None = None
    with_data: int = 0
    total: int = 0
    worst: Status = Status.NO_DATA
    weight: Decimal = Decimal(1)

    @property
    def has_data(self) -> bool:
        return self.with_data > 0 and self.progress is not None

    @property
    def coverage(self) -> str:
        return f"{self.with_data}/{self.total}"


def _child_progress(child: Evaluation | Rollup) -> Decimal | None:
    return child.progress.clamped if isinstance(child, Evaluation) else child.progress


def rollup(children: Sequence[Evaluation | Rollup], *, weight: Decimal = Decimal(1)) -> Rollup:
    """Weighted progress over the children that have data, with coverage and the worst child's status.

    Track-only children are left out of everything; children without data count in the coverage's
    denominator only. The status comes from the weighted pace (default thresholds).
    """
    counted = [c for c in children if c.status != Status.TRACK_ONLY]
    measured = [
        c for c in counted if c.has_data and _child_progress(c) is not None and c.expected is not None and c.weight > 0
    ]
    worst_candidates = [c.worst for c in counted] + [c.status for c in counted]
    worst = max(worst_candidates, key=lambda s: SEVERITY[s]) if worst_candidates else Status.NO_DATA
    if not measured:
        return Rollup(status=Status.NO_DATA, total=len(counted), worst=worst, weight=weight)
    total_weight = sum((c.weight for c in measured), ZERO)
    prog = sum((c.weight * _child_progress(c) for c in measured), ZERO) / total_weight  # type: ignore[operator]
    expected = sum((c.weight * c.expected for c in measured), ZERO) / total_weight  # type: ignore[operator]
    pace_pct = pace(prog, expected)
    return Rollup(
        status=colour(pace_pct=pace_pct, progress_raw=prog),
        progress=prog,
        expected=expected,
        pace=pace_pct,
        with_data=len(measured),
        total=len(counted),
        worst=worst,
        weight=weight,
    )


# --------------------------------------------------------------------------- time aggregation


def aggregate(points: Sequence[Point], how: Aggregation | str) -> Decimal | None:
    """One value for several periods: sum (flows), last (stocks) or ratio of sums (percentages).

    A ratio needs numerators and denominators; points without them are left out, and when none
    has them the last value stands in.
    """
    if not points:
        return None
    ordered = sorted(points, key=lambda p: p.end)
    how = Aggregation(how)
    if how == Aggregation.SUM:
        return sum((p.value for p in ordered), ZERO)
    if how == Aggregation.RATIO:
        parts = [p for p in ordered if p.numerator is not None and p.denominator]
        if parts:
            return (
                sum((p.numerator for p in parts), ZERO)  # type: ignore[misc]
                / sum((p.denominator for p in parts), ZERO)  # type: ignore[misc]
                * HUNDRED
            )
    return ordered[-1].value


def by_year(points: Sequence[Point], how: Aggregation | str) -> dict[int, Decimal]:
    """Values aggregated per calendar year of their period's end."""
    years: dict[int, list[Point]] = {}
    for p in points:
        years.setdefault(p.end.year, []).append(p)
    out = {}
    for year, group in sorted(years.items()):
        value = aggregate(group, how)
        if value is not None:
            out[year] = value
    return out


def change(previous: Decimal | None, current: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """Absolute and relative (percent) change; relative is None from zero."""
    if previous is None or current is None:
        return None, None
    delta = current - previous
    return delta, (delta / abs(previous) * HUNDRED if previous != 0 else None)


# --------------------------------------------------------------------------- small groups


class CellKind(StrEnum):
    COUNT = "count"  # people (or their files) counted: a group that exists has at least one
    AMOUNT = "amount"  # euros: a group may sum to zero
    RATIO = "ratio"  # a percentage of people: `numerator` of them out of `denominator`


@dataclass(frozen=True)
class Cell:
    """One group of a breakdown: the figure shown and the number of distinct people behind it."""

    value: Decimal
    people: int
    numerator: int | None = None
    denominator: int | None = None


def _parts(cell: Cell, kind: CellKind) -> tuple[Decimal, ...]:
    """The additive quantities a reader can total up: for a percentage, those counted and the others."""
    if kind == CellKind.RATIO:
        return (Decimal(cell.numerator or 0), Decimal((cell.denominator or 0) - (cell.numerator or 0)))
    return (Decimal(cell.value),)


def _is_small(cell: Cell, kind: CellKind, min_size: int) -> bool:
    if cell.people < min_size:
        return True
    if kind == CellKind.RATIO:
        if cell.numerator is None or cell.denominator is None:
            return True
        # 3 JP out of 40 payers, or 38 out of 40 (2 who are not): both describe fewer than 5 people
        return min(cell.numerator, cell.denominator - cell.numerator) < min_size
    return False


def hidden_cells_safe(
    hidden: Sequence[Cell], visible: Sequence[Cell], kind: CellKind | str, *, min_size: int = MIN_GROUP_SIZE
) -> bool:
    """Whether no hidden group can be worked out from what is shown beside it.

    The reader sees the visible groups, the total (so the sum of the hidden ones) and how many are
    hidden. Each hidden group then lies in an interval: at least its floor (a counted group has one
    person, an amount may be zero), at most the hidden sum less the others' floors, and, when every
    figure is a head count, at most the smallest visible group (a group hidden to protect another is
    never larger than one shown). Safe when each interval holds at least two values, and the hidden
    groups together still count `min_size` people. Nothing shown (everything hidden) is safe: only
    the total remains.
    """
    kind = CellKind(kind)
    if not hidden or not visible:
        return True
    k = len(hidden)
    if k < 2 or sum(c.people for c in hidden) < min_size:
        return False
    floor = Decimal(1) if kind == CellKind.COUNT else ZERO
    step = Decimal("0.01") if kind == CellKind.AMOUNT else Decimal(1)
    head_counts = kind == CellKind.COUNT and all(Decimal(c.value) == c.people for c in (*hidden, *visible))
    ceiling = min(Decimal(c.value) for c in visible) if head_counts else None
    for j in range(len(_parts(hidden[0], kind))):
        total = sum((_parts(c, kind)[j] for c in hidden), ZERO)
        low, high = floor, total - (k - 1) * floor
        if ceiling is not None:
            low, high = max(low, total - (k - 1) * ceiling), min(high, ceiling)
        if high - low < step:
            return False
    return True


def suppress_cells(
    cells: Mapping[str, Cell], kind: CellKind | str, *, min_size: int = MIN_GROUP_SIZE
) -> tuple[dict[str, Cell], int]:
    """Hides the groups of fewer than `min_size` people, then as many of the smallest others as it
    takes for none of them to be worked out from the total (`hidden_cells_safe`).

    Returns (visible groups, number hidden).
    """
    kind = CellKind(kind)
    hidden = {label for label, cell in cells.items() if _is_small(cell, kind, min_size)}
    candidates = sorted((c.people, Decimal(c.value), label) for label, c in cells.items() if label not in hidden)

    def safe() -> bool:
        return hidden_cells_safe(
            [cells[label] for label in sorted(hidden)],
            [c for label, c in cells.items() if label not in hidden],
            kind,
            min_size=min_size,
        )

    while hidden and candidates and not safe():
        hidden.add(candidates.pop(0)[2])
    return {label: cell for label, cell in cells.items() if label not in hidden}, len(hidden)


def suppress_small_groups(
    groups: Mapping[str, Decimal | int], *, min_size: int = MIN_GROUP_SIZE
) -> tuple[dict[str, Decimal | int], int]:
    """Head counts per group: hides the small ones and those that would give them away (`suppress_cells`)."""
    cells = {k: Cell(Decimal(v), int(v)) for k, v in groups.items()}
    visible, hidden = suppress_cells(cells, CellKind.COUNT, min_size=min_size)
    return {k: groups[k] for k in visible}, hidden
