"""payroll's national path a column at a time: the year's accruals, those outside the pool
and each manager's earlier risk-fund value are the figures a walk manager by manager gives."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.app import payroll as app_payroll
from cmscore.engine.pay import TRANSITION, Ledger, PayLine, PayrollResult, non_pool_grade
from cmscore.outputs import payroll as out_payroll
from cmscore.rules.files import Payroll
from cmscore.rules.ruleset import load_rules
from cmscore.store import db as store
from cmscore.store import history
from history_helpers import cm, query, span, store_months

GRADES = ("一级", "二级", "三级", TRANSITION)


def moving_year(db: Path) -> Path:
    """2026-01…11: B appointed to 分行 from May, C back to 支行 in August, D a 分行 manager
    who joins in March, E 支行 and gone after June; risk fund 0 to 6 points a month."""
    months = {}
    for k, m in enumerate(span("2026-01", "2026-11")):
        cms = {"A": cm("80.00", risk_fund=f"{k % 4}.00"),
               "B": cm("81.00", risk_fund=f"{(k + 1) % 5}.50",
                       category="分行个金" if k >= 4 else "支行"),
               "C": cm("82.00", risk_fund="3.00", category="支行" if k >= 7 else "分行公司")}
        if k >= 2:
            cms["D"] = cm("83.00", risk_fund=f"{k % 7}.00", category="分行公司")
        if k < 6:
            cms["E"] = cm("84.00", risk_fund="2.25")
        months[m] = cms
    return store_months(db, months)


def test_accruals_outside_the_pool_are_the_stored_rows_outside_it(tmp_path: Path) -> None:
    db = moving_year(tmp_path / "h.db")
    for pool in (["支行"], ["支行", "分行公司"]):
        conn = store.connect(db)
        try:
            funds = history.accruals(conn, 2026, "2026-11", pool)
        finally:
            conn.close()
        assert funds.pool == frozenset(pool) and funds.starts == ["2026-01"]
        marks = ",".join("?" * len(pool))
        outside = dict(query(db, "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month <"
                                 f" '2026-11' AND category NOT IN ({marks}) GROUP BY cm_id",
                             *pool))
        assert dict(zip(funds.ids, funds.outside[0], strict=True)) == \
            {c: outside.get(c, 0) for c in funds.ids}
        assert funds.outside[0] != [0] * len(funds.ids)


def test_pay_lines_read_the_accruals_again_for_another_pool(tmp_path: Path) -> None:
    """Accruals read for the default pool, given with another: the months outside differ,
    so the lines are those of accruals read for that pool."""
    db = moving_year(tmp_path / "h.db")
    rules = load_rules(None)
    pool = ("支行", "分行个金")
    conn = store.connect(db)
    try:
        rows = history.pay_rows(conn, "2026-11")
        got = [app_payroll.pay_lines(conn, rules.payroll, "2026-11", rows,
                                     history.accruals(conn, 2026, "2026-11", read), {}, pool)
               for read in (("支行",), pool)]
    finally:
        conn.close()
    assert got[0] == got[1]
    assert any(f.opening_fen for f in got[0][1].lines)


def walked(ids: list[str], spans: list[tuple[list[int], dict[str, str], str]],
           outside: list[list[int]], unit: dict[str, int], payroll: Payroll) -> list[int]:
    """The earlier value manager by manager, as payroll summed it before the columns."""
    out = []
    for i, cm_id in enumerate(ids):
        earlier = 0
        for (points, grades, default), apart in zip(spans, outside, strict=True):
            if points[i]:
                fixed = non_pool_grade(payroll, default != TRANSITION)
                earlier += unit[grades.get(cm_id) or default] * (points[i] - apart[i]) + \
                    unit[fixed] * apart[i]
        out.append(earlier)
    return out


points = st.integers(min_value=-300, max_value=900)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=6).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.lists(st.tuples(points, points), min_size=n, max_size=n),
                       st.dictionaries(st.integers(0, n - 1), st.sampled_from(GRADES[:3])),
                       st.sampled_from(["三级", TRANSITION])), min_size=1, max_size=3))),
       st.lists(st.integers(min_value=1, max_value=5000), min_size=4, max_size=4),
       st.sampled_from(["first_grade", "transition"]))
def test_earlier_value_a_column_at_a_time_is_the_walk(drawn, units, in_transition) -> None:  # type: ignore[no-untyped-def]
    n, drawn_spans = drawn
    ids = [f"{k:04d}" for k in range(n)]
    unit = dict(zip(GRADES, units, strict=True))
    payroll = load_rules(None).payroll.model_copy(update={"non_pool_in_transition": in_transition})
    spans, outside = [], []
    for pairs, graded, default in drawn_spans:
        # a sum of 0 with points outside the pool (+5 then −5 in two months) adds nothing
        spans.append(([p for p, _ in pairs], {ids[k]: g for k, g in graded.items()}, default))
        outside.append([a for _, a in pairs])
    assert app_payroll._earlier(ids, spans, outside, unit, payroll) == \
        walked(ids, spans, outside, unit, payroll)


def line(k: int, category: str, release: int | None) -> PayLine:
    return PayLine(f"{k:04d}", f"姓名{k}", "城东支行", category, "一级", "", Decimal(1500),
                   8000 + k, 12000 + k, release_fen=release)


lines_drawn = st.lists(st.tuples(st.sampled_from(["支行", "分行个金", "分行公司", "其他"]),
                                 st.one_of(st.none(), st.integers(0, 3))), max_size=40)


@given(lines_drawn)
def test_import_rows_are_each_pay_then_its_release(drawn) -> None:  # type: ignore[no-untyped-def]
    lines = [line(k, c, r) for k, (c, r) in enumerate(drawn)]
    result = PayrollResult("2026-12", lines, [], {}, Ledger(), None, Path("p.xlsx"), [])
    spec = load_rules(None).payroll.salary_import
    expected: list[tuple[str, str, str, int]] = []
    for p in lines:
        expected.append((p.id, p.name, spec.codes.pay, p.pay_fen))
        if p.release_fen:
            expected.append((p.id, p.name, spec.codes.risk_fund_release, p.release_fen))
    got = out_payroll.import_columns(result, spec)
    assert list(zip(*got, strict=True)) == expected


def test_npl_candidates_read_a_window_in_one_query_and_its_ids_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three months of the same managers: their ids parsed once, not once a month (a
    national month's are 100k), and the candidates those of a walk over the stored rows."""
    ratios = ["0", "0.012", "0.0100", "0.02", "0", "0.5"]
    months = {m: {f"N{k:03d}": cm("80.00", npl=ratios[(k + j) % len(ratios)])
                  for k in range(12)} for j, m in enumerate(span("2026-01", "2026-03"))}
    db = store_months(tmp_path / "h.db", months)
    parsed: list[int] = []
    loads = history.json.loads
    monkeypatch.setattr(history.json, "loads", lambda text: parsed.append(len(text))
                        or loads(text))
    conn = store.connect(db)
    try:
        got = history.npl_candidates(conn, list(months))
        assert len(parsed) == 1 + 3  # the ids, then each month's ratios
        assert history.npl_candidates(conn, ["2026-02", "2026-04"]) == {}  # a month not stored
    finally:
        conn.close()
    expected = {c: [Decimal(months[m][c][4]) for m in months] for c in sorted(months["2026-01"])
                if all(months[m][c][4] != "0" for m in months)}
    assert got == expected and list(got) == ["N001", "N007"]


def test_pay_rows_from_json_arrays_are_the_stored_rows(tmp_path: Path) -> None:
    """The pay rows come through SQLite's JSON arrays: every text as stored (quotes,
    backslashes, a tab, characters beyond the BMP), integers as integers, a missing NPL
    ratio as None, in the scores workbook's order."""
    db = store_months(tmp_path / "h.db", {"2026-03": {
        "A1": cm("80.00", npl="0.0125"), "B2": cm("-3.50", category="分行个金"),
        "C3": cm("99.99", branch='城"东\\支行'), "D4": cm("0.00", npl="0")}})
    names = {"A1": '张"三', "B2": "李\\四", "C3": "王\t五", "D4": "𠀀𪚥"}
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executemany("UPDATE scores SET name = ? WHERE cm_id = ?",
                         [(n, c) for c, n in names.items()])
        conn.execute("UPDATE scores SET npl_ratio = NULL WHERE cm_id = 'C3'")
    conn = store.connect(db)
    try:
        got = history.pay_rows(conn, "2026-03")
        assert history.pay_rows(conn, "2026-04") == []  # a month not stored
    finally:
        conn.close()
    assert got == query(db, "SELECT cm_id, name, branch, category, total_cp, risk_fund_cp,"
                            " npl_ratio FROM scores WHERE month = '2026-03'"
                            " ORDER BY category, rank, cm_id")
    assert [r[1] for r in got] == [names[r[0]] for r in got] and got[0][0] == "B2"
    assert {r[0]: (r[4], r[6]) for r in got}["C3"] == (9999, None)
