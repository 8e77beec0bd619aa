"""payroll's fast paths (issue 19, session 10): the year's accruals when every month holds
the same managers (store.paycols), and pay lines a column at a time, are the figures the
stored rows and the general path give."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.engine.pay import Bases, FundLine
from cmscore.outputs.payroll import _in_order, _runs
from cmscore.rules.ruleset import load_rules
from cmscore.store import db as store
from cmscore.store import history
from cmscore.store.paycols import span_sums
from history_helpers import cm, query, span, store_months


def same_managers(db: Path, moving: bool) -> Path:
    """2026-01…11, the same four managers every month; with ``moving``, B is appointed to
    分行 from May and C comes back to 支行 in August (the categories change in the year)."""
    months = {}
    for k, m in enumerate(span("2026-01", "2026-11")):
        months[m] = {
            "A": cm("80.00", risk_fund=f"{k % 4}.00"),
            "B": cm("81.00", risk_fund=f"{(k + 1) % 5}.50",
                    category="分行个金" if moving and k >= 4 else "支行"),
            "C": cm("82.00", risk_fund="3.00",
                    category="支行" if not moving or k >= 7 else "分行公司"),
            "D": cm("83.00", risk_fund=f"{k % 7}.25", category="分行公司")}
    return store_months(db, months)


@pytest.mark.parametrize("moving", [False, True])
def test_accruals_of_the_same_managers_all_year_are_the_stored_sums(tmp_path: Path,
                                                                    moving: bool) -> None:
    db = same_managers(tmp_path / "h.db", moving)
    months = span("2026-01", "2026-10")
    for pool in (["支行"], ["支行", "分行公司"]):
        conn = store.connect(db)
        try:
            assert span_sums(conn, months, [list(range(10))], pool) is not None  # fast path
            funds = history.accruals(conn, 2026, "2026-11", pool)
        finally:
            conn.close()
        marks = ",".join("?" * len(pool))
        points = dict(query(db, "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month <"
                                " '2026-11' GROUP BY cm_id"))
        outside = dict(query(db, "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month <"
                                 f" '2026-11' AND category NOT IN ({marks}) GROUP BY cm_id",
                             *pool))
        assert funds.ids == ["A", "B", "C", "D"] and funds.starts == ["2026-01"]
        assert funds.points == [[points[c] for c in funds.ids]]
        assert funds.outside == [[outside.get(c, 0) for c in funds.ids]]


def test_two_spans_are_summed_apart(tmp_path: Path) -> None:
    db = same_managers(tmp_path / "h.db", True)
    months = span("2026-01", "2026-10")
    conn = store.connect(db)
    try:
        got = span_sums(conn, months, [list(range(6)), list(range(6, 10))], ["支行"])
    finally:
        conn.close()
    assert got is not None
    ids, points, outside, kept = got
    assert not kept  # no month given: nothing said of it
    for k, (lo, hi) in enumerate((("2026-01", "2026-07"), ("2026-07", "2026-11"))):
        sums = dict(query(db, "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month >= ?"
                              " AND month < ? GROUP BY cm_id", lo, hi))
        apart = dict(query(db, "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month >= ?"
                               " AND month < ? AND category != '支行' GROUP BY cm_id", lo, hi))
        assert points[k] == [sums[c] for c in ids]
        assert outside[k] == [apart.get(c, 0) for c in ids]


def test_months_with_other_managers_take_the_general_path(tmp_path: Path) -> None:
    db = store_months(tmp_path / "h.db", {"2026-01": {"A": cm("80.00"), "B": cm("81.00")},
                                          "2026-02": {"A": cm("80.00")}})
    conn = store.connect(db)
    try:
        assert span_sums(conn, ["2026-01", "2026-02"], [[0, 1]], ["支行"]) is None
        assert span_sums(conn, ["2026-01", "2026-03"], [[0, 1]], ["支行"]) is None  # unstored
        funds = history.accruals(conn, 2026, "2026-03")
    finally:
        conn.close()
    assert funds.ids == ["A", "B"] and funds.points == [[1200, 600]]


def test_kept_when_the_pay_month_holds_the_same_managers(tmp_path: Path) -> None:
    """The pay month's managers are the year's: no one left (``who_left`` looks no
    further); one more, or one fewer, and the general walk decides who left."""
    same = {"A": cm("80.00"), "B": cm("81.00")}
    db = store_months(tmp_path / "h.db", {"2026-01": same, "2026-02": same, "2026-03": same,
                                          "2026-04": {"A": cm("80.00")},
                                          "2026-05": {**same, "C": cm("82.00")}})
    conn = store.connect(db)
    try:
        kept = {m: history.accruals(conn, 2026, m).kept
                for m in ("2026-03", "2026-04", "2026-05")}
        assert span_sums(conn, ["2026-01"], [[0]], ["支行"], "2026-02")[3]  # type: ignore[index]
    finally:
        conn.close()
    assert kept == {"2026-03": True, "2026-04": False, "2026-05": False}


@pytest.mark.parametrize("values", [[0, 49, 50, 150, 12345678], [-150, -50, -49, 0, 250], []])
def test_fen_column_is_fen_of_each_value(values: list[int]) -> None:
    bases = Bases(load_rules(None).payroll)
    assert bases.fen_column(values) == [bases.fen(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["支行", "分行个金", "分行公司", "其他"]), max_size=40),
       st.permutations(["支行", "分行个金", "分行公司"]))
def test_category_order_a_run_at_a_time_is_the_stable_sort(categories: list[str],
                                                          order: list[str]) -> None:
    """The sheets' category order, sorted run by run, is the stable sort by category's
    place (the others last), also when a category comes back after another."""
    lines = [FundLine(f"{k:03d}", "", "", c, 0) for k, c in enumerate(categories)]
    for place in ({c: k for k, c in enumerate(order)}, {}):  # {}: the order they came in
        runs = _runs(categories, place)
        assert _in_order(lines, runs) == sorted(lines, key=lambda f: place.get(f.category, 3))
        assert _in_order(categories, runs) == [f.category for f in _in_order(lines, runs)]
