"""Issue 19: a linear item column is scored in integers (engine.fixedpoint) when its
figures pass the exactness check, and by Decimal otherwise; either way each point is the
Decimal rule's ``round2(clamp(linear_points(item, figure), cap))``, early completion too."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.engine import fixedpoint
from cmscore.engine.itemcolumns import linear_column
from cmscore.engine.month import Manager
from cmscore.engine.points import clamp, linear_points
from cmscore.engine.scoring import Frame, MonthScores, centi_of, competition_ranks, rank_month
from cmscore.numbers import ZERO, round2, to_centi
from cmscore.rules.ruleset import Item, RuleSet
from conftest import FakeHistory

D = Decimal


def item_of(rules: RuleSet, item_id: str, **changes: object) -> Item:
    item = next(i for i in rules.tables["支行"].items if i.id == item_id)
    return item.model_copy(update=changes)


def decimal_points(item: Item, figure: Decimal | None) -> Decimal:
    """The Decimal rule, one figure at a time (SPEC §4.1)."""
    if figure is None:
        return ZERO
    return round2(clamp(linear_points(item, figure), item.cap))


def early_points(item: Item, figure: Decimal) -> Decimal:
    return round2(clamp(item.full + max(linear_points(item, figure), ZERO), item.cap))


def scored(item: Item, figures: list[Decimal | None], ytd: dict[int, Decimal] | None = None
           ) -> list[Decimal]:
    ids = [f"{k:06d}" for k in range(len(figures))]
    history = FakeHistory(ytd={(ids[k], item.id): v for k, v in (ytd or {}).items()})
    column = linear_column(item, {"value": figures}, ids, history, [])
    assert column.centi == [to_centi(p) for p in column.points]
    return column.points


rates = st.decimals(min_value=D("0.01"), max_value=50, places=2, allow_nan=False)
units = st.sampled_from(["1", "2", "5", "10", "0.5", "2.5", "10000", "3", "7", "0.3"])
caps = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False)
places = st.integers(min_value=0, max_value=8)


@st.composite
def figure_columns(draw: st.DrawFn) -> list[Decimal | None]:
    k = draw(places)
    values = draw(st.lists(st.one_of(st.none(), st.integers(-10**9, 10**12)), min_size=1,
                           max_size=30))
    return [None if v is None else D(v).scaleb(-k) for v in values]


@settings(max_examples=300, deadline=None)
@given(rates, units, caps, st.booleans(), figure_columns())
def test_integer_points_equal_the_decimal_rule(rules: RuleSet, rate: Decimal, unit: str,
                                               cap: Decimal, whole: bool,
                                               figures: list[Decimal | None]) -> None:
    item = item_of(rules, "loan_amount", rate=rate, unit=D(unit), cap=cap, whole_units=whole)
    got = scored(item, figures)
    assert got == [decimal_points(item, f) for f in figures]
    assert [str(p) for p in got] == [str(decimal_points(item, f)) for f in figures]


@settings(max_examples=150, deadline=None)
@given(rates, units, caps, st.booleans(), figure_columns(), st.data())
def test_early_completion_in_integers_equals_the_decimal_rule(
        rules: RuleSet, rate: Decimal, unit: str, cap: Decimal, whole: bool,
        figures: list[Decimal | None], data: st.DataObject) -> None:
    item = item_of(rules, "cards", rate=rate, unit=D(unit), cap=cap, whole_units=whole)
    early = data.draw(st.sets(st.integers(0, len(figures) - 1)))
    got = scored(item, figures, {k: item.yearly_task + k for k in early})
    want = [early_points(item, f) if k in early and f is not None else decimal_points(item, f)
            for k, f in enumerate(figures)]
    assert got == want


def test_figures_that_do_not_scale_exactly_fall_back_to_decimal(rules: RuleSet) -> None:
    item = item_of(rules, "loan_amount")
    # 7 places (more than fixedpoint tries), and a figure so long that Decimal's 28 digits
    # would round its product: the integers refuse, Decimal scores, the points are right.
    for figures in ([D("12.3456789"), D("1")], [D("1234567890123456789012345.5"), D("3")]):
        assert fixedpoint.linear_centi(item, figures) is None
        assert scored(item, list(figures)) == [decimal_points(item, f) for f in figures]
    # A unit whose quotient does not terminate (3): Decimal, not integers.
    thirds = item_of(rules, "loan_amount", unit=D(3))
    assert fixedpoint.linear_centi(thirds, [D("10"), D("0.01")]) is None
    assert scored(thirds, [D("10"), D("0.01")]) == [decimal_points(thirds, D("10")),
                                                    decimal_points(thirds, D("0.01"))]


def test_ordinary_columns_are_scored_in_integers(rules: RuleSet) -> None:
    item = item_of(rules, "loan_amount")
    figures = [D("123.45"), D("0"), D("-3.5"), D("99999.99"), D("1E+2")]
    centi = fixedpoint.linear_centi(item, figures)
    assert centi == [to_centi(decimal_points(item, f)) for f in figures]
    # Half up at the hundredth: 0.005 → 0.01, as Decimal's ROUND_HALF_UP.
    half = item_of(rules, "loan_amount", rate=D("0.5"), unit=D(1), whole_units=False)
    assert fixedpoint.linear_centi(half, [D("0.01"), D("0.03")]) == [1, 2]


@given(st.lists(st.decimals(min_value=-100, max_value=300, places=2, allow_nan=False),
                max_size=40))
def test_ranks_in_hundredths_equal_ranks_in_decimals(totals: list[Decimal]) -> None:
    centi = centi_of(totals)
    assert centi == [int(t * 100) for t in totals]
    assert competition_ranks(centi) == competition_ranks(totals)


def test_a_total_of_more_places_is_ranked_as_a_decimal(rules: RuleSet) -> None:
    # Never from a file (an adjustment has two places), but a caller may: 1.004 is not
    # 1.00, though both round to 100 hundredths.
    assert centi_of([D("1.004"), D("1.00")]) is None
    managers = [Manager(f"{k:06d}", "张三", "城东", "支行", k + 4) for k in range(2)]
    frame = Frame(rules.tables["支行"], managers, {}, [D("1.00"), D("1.004")], [ZERO] * 2, {})
    scores = MonthScores("2026-10", frames=[frame])
    rank_month(scores)
    assert frame.ranks == [2, 1] and frame.branch_ranks == [2, 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.decimals(min_value=0, max_value=50, places=2, allow_nan=False),
                          st.decimals(min_value=D("0.01"), max_value=5000, places=2,
                                      allow_nan=False)), min_size=1, max_size=30))
def test_the_npl_column_in_c_loops_equals_row_by_row(rules: RuleSet,
                                                      rows: list[tuple[Decimal, Decimal]]) -> None:
    from cmscore.engine.itemcolumns import tiered_column

    item = next(i for i in rules.tables["支行"].items if i.kind == "tiered")
    bad, base = [b for b, _ in rows], [d for _, d in rows]
    fast = tiered_column(item, {"numerator": bad, "denominator": base}, len(rows), [])
    # A last row without loans sends the column row by row (npl_ratio's path).
    slow = tiered_column(item, {"numerator": [*bad, D(0)], "denominator": [*base, D(0)]},
                         len(rows) + 1, [])
    assert slow.figure[-1] == 0 and slow.points[-1] == item.full
    for got, want in ((fast.figure, slow.figure), (fast.points, slow.points),
                      (fast.fund, slow.fund), (fast.centi, slow.centi),
                      (fast.fund_centi, slow.fund_centi)):
        assert want is not None and got == want[:-1]
        assert [str(x) for x in got] == [str(x) for x in want[:-1]]
