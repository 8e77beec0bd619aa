"""Issue 19, session 11: a column of amounts (most figures their own object) is scored
figure by figure in integers, a stock item whose export gives both figures on every row
takes its differences in one C loop, and the first ranking reads the totals' hundredths
as scored — each gives what the Decimal rule, row by row, gives."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.engine import itemcolumns
from cmscore.engine.itemcolumns import linear_column
from cmscore.engine.month import Manager
from cmscore.engine.scoring import MonthScores, rank_month, score_month_managers
from cmscore.numbers import to_centi
from cmscore.rules.ruleset import RuleSet
from conftest import FakeHistory
from test_fixedpoint import caps, decimal_points, item_of, rates, units

D = Decimal


@st.composite
def amounts(draw: st.DrawFn) -> list[Decimal]:
    """300 figures, nearly all distinct objects, some repeated values and objects."""
    k = draw(st.integers(min_value=0, max_value=7))
    values = [D(v).scaleb(-k) for v in draw(st.lists(st.integers(-10**9, 10**12),
                                                     min_size=300, max_size=300))]
    shared = draw(st.lists(st.integers(0, 299), max_size=40))
    for i in shared:  # the same object at another row, as the reader shares repeats
        values[(i * 7) % 300] = values[i]
    return values


@settings(max_examples=120, deadline=None)
@given(rates, units, caps, st.booleans(), amounts())
def test_a_column_of_amounts_scored_figure_by_figure_is_the_decimal_rule(
        rules: RuleSet, rate: Decimal, unit: str, cap: Decimal, whole: bool,
        figures: list[Decimal]) -> None:
    item = item_of(rules, "loan_amount", rate=rate, unit=D(unit), cap=cap, whole_units=whole)
    ids = [f"{k:06d}" for k in range(len(figures))]
    column = linear_column(item, {"value": list(figures)}, ids, FakeHistory(), [])
    want = [decimal_points(item, f) for f in figures]
    assert column.points == want and [str(p) for p in column.points] == list(map(str, want))
    assert column.centi == [to_centi(p) for p in want]


def test_amounts_take_the_figure_by_figure_path(rules: RuleSet) -> None:
    item = item_of(rules, "loan_amount")
    figures: list[Decimal | None] = [D(k).scaleb(-2) for k in range(300)]
    assert itemcolumns._each_figure(item, figures) is not None
    # Counts repeat (one object per value, as the reader gives them): worked out once per
    # distinct object instead.
    counts: list[Decimal | None] = [D(k) for k in range(7)]
    assert itemcolumns._each_figure(item, [counts[k % 7] for k in range(300)]) is None
    # A missing figure, or too few rows to gain: the other path.
    assert itemcolumns._each_figure(item, [*figures[:-1], None]) is None
    assert itemcolumns._each_figure(item, figures[:100]) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=0, max_value=10**6, places=2,
                                      allow_nan=False),
                          st.decimals(min_value=0, max_value=10**6, places=3,
                                      allow_nan=False)), min_size=1, max_size=40))
def test_stock_differences_in_one_loop_equal_row_by_row(
        rules: RuleSet, rows: list[tuple[Decimal, Decimal]]) -> None:
    item = next(i for i in rules.tables["支行"].items if i.basis == "vs_baseline")
    value, given_ = [v for v, _ in rows], [b for _, b in rows]
    ids = [f"{k:06d}" for k in range(len(rows))]
    fast = linear_column(item, {"value": value, "baseline": given_}, ids, FakeHistory(), [])
    # A last row whose base figure is missing in the export (the history has it) sends
    # the column row by row, as before.
    history = FakeHistory(baselines={("999999", item.id): D(5)})
    slow = linear_column(item, {"value": [*value, D(7)], "baseline": [*given_, None]},
                         [*ids, "999999"], history, [])
    assert slow.figure[-1] == D(2) and slow.source is not None and slow.source[-1] != "导出文件"
    for got, want in ((fast.figure, slow.figure), (fast.baseline, slow.baseline),
                      (fast.source, slow.source), (fast.points, slow.points),
                      (fast.centi, slow.centi)):
        assert got is not None and want is not None
        assert got == want[:-1] and list(map(str, got)) == list(map(str, want[:-1]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["城东", "城西", "城南"])),
                min_size=1, max_size=60))
def test_first_ranking_from_the_scored_hundredths_equals_ranking_again(
        rules: RuleSet, rows: list[tuple[int, str]]) -> None:
    table = rules.tables["支行"]
    managers = [Manager(f"{k:06d}", "张三", branch, "支行", k + 4,
                        {i.id: {role: D(n + 1) for role in i.columns} for i in table.items})
                for k, (n, branch) in enumerate(rows)]
    scored = score_month_managers("2026-10", managers, rules)
    first = [(s.manager.id, s.total, s.rank, s.branch_rank, s.row) for s in scored.scores]
    frame = scored.frames[0]
    assert frame.scored_centi == [to_centi(t) for t in frame.totals]
    again = MonthScores("2026-10", frames=scored.frames)
    rank_month(again)  # from the Decimal totals, as after an adjustment
    assert [(s.manager.id, s.total, s.rank, s.branch_rank, s.row) for s in again.scores] == first
    assert all(s.frame is frame and s.risk_fund == frame.funds[s.row] for s in scored.scores)
