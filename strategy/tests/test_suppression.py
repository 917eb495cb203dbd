"""Small groups: no figure on fewer than 5 people, and no hidden group recoverable from what is shown.

The attacker of these tests sees what the community panel shows: the visible groups, the total
beside them, and which groups are hidden (the list of campuses is public). They also know every
rule of the suppression: a counted group has at least one person, a hidden group is no larger than
the smallest visible one when figures are head counts, and at least one hidden group is a small
one. They enumerate every assignment of the hidden groups that fits; each hidden group must keep
at least two possible values.
"""

from decimal import Decimal as D
from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from strategy import rules
from strategy.rules import Cell, CellKind

LABELS = ["Ai", "An", "Bo", "Ch", "Cl", "Li", "Me", "Pa"]
MIN = rules.MIN_GROUP_SIZE


def shown(cells: dict[str, Cell], kind) -> tuple[dict[str, Cell], list[str]]:
    visible, hidden_n = rules.suppress_cells(cells, kind)
    hidden = [k for k in cells if k not in visible]
    assert len(hidden) == hidden_n
    return visible, hidden


def feasible_values(hidden_sum: int, labels: list[str], low: int, high: int, small_exists: bool):
    """Every value each hidden group can take, given its bounds and the hidden sum."""
    values: dict[str, set[int]] = {k: set() for k in labels}
    for combo in product(range(low, high + 1), repeat=len(labels)):
        if sum(combo) != hidden_sum:
            continue
        if small_exists and min(combo) >= MIN:
            continue
        for label, v in zip(labels, combo, strict=True):
            values[label].add(v)
    return values


head_counts = st.dictionaries(st.sampled_from(LABELS), st.integers(1, 25), min_size=1, max_size=6)


@settings(deadline=None, max_examples=300)
@given(head_counts)
def test_no_hidden_head_count_is_recoverable_from_the_total(groups):
    cells = {k: Cell(D(v), v) for k, v in groups.items()}
    visible, hidden = shown(cells, CellKind.COUNT)
    assert all(c.people >= MIN for c in visible.values())  # primary: no figure on fewer than 5
    if not hidden or not visible:
        return  # nothing hidden, or only the total is shown
    total = sum(groups.values())
    hidden_sum = total - sum(int(c.value) for c in visible.values())
    ceiling = min(int(c.value) for c in visible.values())
    assert hidden_sum >= MIN  # "the others" is itself a group of at least 5 people
    small_exists = any(v < MIN for v in groups.values())
    for label, possible in feasible_values(hidden_sum, hidden, 1, ceiling, small_exists).items():
        assert groups[label] in possible
        assert len(possible) >= 2, f"{label} = {groups[label]} can be worked out: {groups}"


amounts = st.dictionaries(
    st.sampled_from(LABELS), st.tuples(st.integers(0, 12), st.integers(1, 12)), min_size=1, max_size=5
)


@settings(deadline=None, max_examples=300)
@given(amounts)
def test_no_hidden_amount_is_recoverable_from_the_total(groups):
    """Amounts (whole euros here) are suppressed on their head counts; a hidden amount may be zero."""
    cells = {k: Cell(D(amount), people) for k, (amount, people) in groups.items()}
    visible, hidden = shown(cells, CellKind.AMOUNT)
    assert all(c.people >= MIN for c in visible.values())
    if not hidden or not visible:
        return
    hidden_sum = sum(groups[k][0] for k in hidden)
    assert sum(groups[k][1] for k in hidden) >= MIN
    for label, possible in feasible_values(hidden_sum, hidden, 0, hidden_sum, False).items():
        assert len(possible) >= 2, f"{label} can be worked out: {groups}"


ratios = st.dictionaries(
    st.sampled_from(LABELS),
    st.integers(1, 14).flatmap(lambda den: st.tuples(st.integers(0, den), st.just(den))),
    min_size=1,
    max_size=5,
)


@settings(deadline=None, max_examples=300)
@given(ratios)
def test_no_hidden_share_is_recoverable_from_the_totals(groups):
    """A share per group (JP among payers): neither those counted nor the others are recoverable."""
    cells = {k: Cell(D(num) * 100 / den, den, num, den) for k, (num, den) in groups.items()}
    visible, hidden = shown(cells, CellKind.RATIO)
    for c in visible.values():
        assert c.numerator >= MIN and c.denominator - c.numerator >= MIN
    if not hidden or not visible:
        return
    for index in (0, 1):  # those counted, then the others
        part = {k: (num if index == 0 else den - num) for k, (num, den) in groups.items()}
        hidden_sum = sum(part[k] for k in hidden)
        for label, possible in feasible_values(hidden_sum, hidden, 0, hidden_sum, False).items():
            assert len(possible) >= 2, f"{label} can be worked out: {groups}"


def test_examples_the_bureau_can_read():
    # Cl (3) is hidden; Pa (12) too, otherwise Cl = total − Bo − Pa
    visible, hidden = rules.suppress_cells({"Bo": Cell(D(40), 40), "Cl": Cell(D(3), 3), "Pa": Cell(D(12), 12)}, "count")
    assert list(visible) == ["Bo"] and hidden == 2
    # two hidden groups of one person each: their sum (2) would give both away, a third is hidden
    cells = {"Bo": Cell(D(40), 40), "Cl": Cell(D(1), 1), "Li": Cell(D(1), 1), "Pa": Cell(D(9), 9)}
    visible, hidden = rules.suppress_cells(cells, "count")
    assert list(visible) == ["Bo"] and hidden == 3
    # amounts: 4 people got 9,000 €; hidden with the smallest other group, whatever its amount
    cells = {"Bo": Cell(D(30000), 40), "Cl": Cell(D(9000), 4), "Pa": Cell(D(100), 6)}
    visible, hidden = rules.suppress_cells(cells, "amount")
    assert list(visible) == ["Bo"] and hidden == 2
    # shares: 38 JP out of 40 payers says that 2 are not JP
    cells = {"Bo": Cell(D(50), 40, 20, 40), "Cl": Cell(D(95), 40, 38, 40), "Pa": Cell(D(50), 20, 10, 20)}
    visible, hidden = rules.suppress_cells(cells, "ratio")
    assert list(visible) == ["Bo"] and hidden == 2
    # nothing small: everything shown
    assert rules.suppress_cells({"Bo": Cell(D(40), 40), "Cl": Cell(D(30), 30)}, "count") == (
        {"Bo": Cell(D(40), 40), "Cl": Cell(D(30), 30)},
        0,
    )
