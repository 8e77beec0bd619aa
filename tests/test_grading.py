"""SPEC §5.1 and 第五、六、八、九、十六条: grading the 支行 pool, on tiny stored histories."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.app import grade as app_grade
from cmscore.engine.grading import (
    GRADES,
    Seen,
    _averages,
    divide_half_up,
    grade,
    grade_members,
    grade_table,
    members_of,
    month_after,
    quotas,
    window,
)
from cmscore.outputs import common as out_common
from cmscore.outputs import grades as out_grades
from cmscore.store import db as store
from cmscore.store import gradewindow
from conftest import (
    UNDO_MIGRATION_12,
    UNDO_MIGRATION_13,
    UNDO_MIGRATION_14,
    UNDO_MIGRATIONS_6_TO_9,
)
from history_helpers import (
    cm,
    month_scores,
    query,
    read_sheet,
    run,
    run_json,
    span,
    store_months,
)

D = Decimal
JAN = "2026-01"


def one_month(totals: dict[str, str], category: str = "支行") -> dict[str, dict[str, Seen]]:
    """CM → {JAN: Seen}: a one-month window, so each average is the total itself."""
    return {c: {JAN: Seen(f"姓名{c}", "城东支行", category, D(t))} for c, t in totals.items()}


def by_id(grading):  # type: ignore[no-untyped-def]
    return {d.id: d for d in grading.decisions}


# --- quotas (第五条, SPEC §5.1) ----------------------------------------------------------

# N: (一级, 二级, 三级) with n1 = round-half-up(0.3N), n3 = round-half-up(0.2N), n2 = the rest.
QUOTAS = {1: (0, 1, 0), 2: (1, 1, 0), 3: (1, 1, 1), 4: (1, 2, 1), 5: (2, 2, 1), 6: (2, 3, 1),
          7: (2, 4, 1), 8: (2, 4, 2), 9: (3, 4, 2), 10: (3, 5, 2), 11: (3, 6, 2), 12: (4, 6, 2),
          15: (5, 7, 3), 25: (8, 12, 5)}


@pytest.mark.parametrize("n", sorted(QUOTAS))
def test_quotas_round_half_up(n: int) -> None:
    assert tuple(quotas(n)[g] for g in GRADES) == QUOTAS[n]


def test_quotas_half_cases_round_up_not_to_even() -> None:
    # 0.3 × 5 = 1.5 → 2 (banker's rounding would give 2 too, so also 0.3 × 15 = 4.5 → 5,
    # where half-even gives 4) and 0.2 × 25 = 5.0, 0.3 × 25 = 7.5 → 8.
    assert quotas(5)["一级"] == 2
    assert quotas(15)["一级"] == 5
    assert quotas(25)["一级"] == 8


@pytest.mark.parametrize("n", range(1, 13))
def test_grade_applies_the_quotas_to_distinct_averages(n: int) -> None:
    totals = {f"E{i:02d}": f"{90 - i}.00" for i in range(n)}  # E00 best … distinct
    result = grade([JAN], one_month(totals))
    n1, n2, n3 = QUOTAS[n]
    assert result.pool_size == n
    assert [d.grade for d in result.decisions] == ["一级"] * n1 + ["二级"] * n2 + ["三级"] * n3
    assert [d.rank for d in result.decisions] == list(range(1, n + 1))
    assert all(d.boundary == "" for d in result.decisions)


# --- ties across a boundary: all tied CMs get the better grade -------------------------------

def test_tie_across_the_first_boundary_all_get_first_grade() -> None:
    # N = 5: 一级 2, 二级 2, 三级 1. B and C tie for 2nd; both are 一级.
    result = grade([JAN], one_month({"A": "90.00", "B": "80.00", "C": "80.00",
                                     "D": "70.00", "E": "60.00"}))
    d = by_id(result)
    assert {c: d[c].grade for c in "ABCDE"} == {"A": "一级", "B": "一级", "C": "一级",
                                                  "D": "二级", "E": "三级"}
    assert d["B"].rank == d["C"].rank == 2
    assert d["D"].rank == 4
    # C sits past the 一级 line (position 3 of 2 places); the output says why it is 一级.
    assert "并列" in d["C"].boundary and "一级" in d["C"].boundary
    assert "2 人" in d["C"].boundary
    assert d["A"].boundary == d["D"].boundary == d["E"].boundary == ""


def test_tie_across_the_second_boundary_all_get_second_grade() -> None:
    # N = 5: 一级 2, 二级 2 (positions 3–4), 三级 1. D and E tie for 4th: both 二级, no 三级.
    result = grade([JAN], one_month({"A": "90.00", "B": "85.00", "C": "80.00",
                                     "D": "70.00", "E": "70.00"}))
    d = by_id(result)
    assert [d[c].grade for c in "ABCDE"] == ["一级", "一级", "二级", "二级", "二级"]
    assert d["E"].rank == d["D"].rank == 4
    assert "并列" in d["E"].boundary and "二级" in d["E"].boundary
    assert result.counts(pool_only=True) == {"一级": 2, "二级": 3, "三级": 0}


def test_tie_only_one_hundredth_apart_is_not_a_tie() -> None:
    result = grade([JAN], one_month({"A": "90.00", "B": "80.01", "C": "80.00",
                                     "D": "70.00", "E": "60.00"}))
    d = by_id(result)
    assert [d[c].grade for c in "ABCDE"] == ["一级", "一级", "二级", "二级", "三级"]
    assert d["C"].boundary == ""


def test_tie_spanning_both_boundaries_explains_the_grade_given() -> None:
    # N = 5: 一级 2, 二级 2, 三级 1. B–E all tie for 2nd, so all are 一级; E is at position 5,
    # past both the 一级 line (2) and the 二级 line (4). Its explanation must name 一级.
    # (Regression: the boundary loop used to go on and overwrite this with 按较高等级二级.)
    result = grade([JAN], one_month({"A": "90.00", "B": "80.00", "C": "80.00",
                                     "D": "80.00", "E": "80.00"}))
    d = by_id(result)
    assert all(d[c].grade == "一级" for c in "ABCDE")
    assert "一级" in d["E"].boundary
    assert "二级" not in d["E"].boundary


# --- who is in the pool -----------------------------------------------------------------

@pytest.mark.parametrize("category", ["分行个金", "分行公司"])
def test_branch_level_cms_are_first_grade_and_outside_the_pool(category: str) -> None:
    seen = one_month({"A": "90.00", "B": "80.00", "C": "70.00"})
    seen |= one_month({"F": "10.00"}, category=category)  # the lowest score of all
    result = grade([JAN], seen)
    f = by_id(result)["F"]
    assert (f.grade, f.average, f.rank) == ("一级", None, None)
    assert category in f.reason and "第六条" in f.reason
    assert result.pool_size == 3
    assert result.quotas == quotas(3)
    assert [d.grade for d in result.decisions if d.rank is not None] == ["一级", "二级", "三级"]


def test_new_joiner_inside_the_window_is_third_grade_and_not_in_pool() -> None:
    months = span("2026-01", "2026-06")
    seen = {c: {m: Seen(c, "城东支行", "支行", D(t)) for m in months}
            for c, t in (("A", "70.00"), ("B", "60.00"), ("C", "50.00"))}
    # N joined in March and out-scored everyone since: still 三级 (新增人员).
    seen["N"] = {m: Seen("N", "城东支行", "支行", D("99.00")) for m in months[2:]}
    result = grade(months, seen)
    n = by_id(result)["N"]
    assert (n.grade, n.average, n.rank) == ("三级", None, None)
    assert "新增人员" in n.reason and "2026-03" in n.reason
    assert result.pool_size == 3
    assert n.monthly == {m: D("99.00") for m in months[2:]}


def test_gap_month_is_third_grade_naming_the_month_never_averaged_over_fewer() -> None:
    months = span("2026-01", "2026-06")
    seen = {c: {m: Seen(c, "城东支行", "支行", D(t)) for m in months}
            for c, t in (("A", "70.00"), ("B", "60.00"), ("C", "50.00"))}
    seen["G"] = {m: Seen("G", "城东支行", "支行", D("99.00")) for m in months if m != "2026-04"}
    result = grade(months, seen)
    g = by_id(result)["G"]
    assert (g.grade, g.average, g.rank) == ("三级", None, None)
    assert "2026-04" in g.reason and "新增人员" not in g.reason
    assert "6" in g.reason  # 不按少于 6 个月平均
    assert result.pool_size == 3


def test_joiner_with_a_later_gap_is_not_just_a_new_joiner() -> None:
    months = span("2026-01", "2026-06")
    seen = {c: {m: Seen(c, "b", "支行", D("80.00")) for m in months} for c in ("A", "B")}
    seen["J"] = {m: Seen("J", "b", "支行", D("99.00")) for m in months[2:] if m != "2026-05"}
    g = by_id(grade(months, seen))["J"]
    assert g.grade == "三级" and g.average is None
    assert "2026-05" in g.reason  # the gap after joining is shown, not hidden behind 新增人员


def test_cm_who_left_before_window_end_is_third_grade_with_missing_months() -> None:
    months = span("2026-01", "2026-03")
    seen = {c: {m: Seen(c, "b", "支行", D("80.00")) for m in months} for c in ("A", "B")}
    seen["L"] = {m: Seen("L", "b", "支行", D("99.00")) for m in months[:2]}
    g = by_id(grade(months, seen))["L"]
    assert g.grade == "三级" and g.average is None and "2026-03" in g.reason


# --- averages ----------------------------------------------------------------------------

def test_average_is_rounded_half_up_to_two_places() -> None:
    # (80.00 + 80.01) / 2 = 80.005 → 80.01 half-up (half-even would give 80.00).
    months = ["2026-01", "2026-02"]
    seen = {"A": {"2026-01": Seen("A", "b", "支行", D("80.00")),
                  "2026-02": Seen("A", "b", "支行", D("80.01"))},
            "B": {m: Seen("B", "b", "支行", D("80.00")) for m in months}}
    d = by_id(grade(months, seen))
    assert d["A"].average == D("80.01")
    assert str(d["A"].average) == "80.01"
    # Ranked on the rounded average: A is ahead of B, not tied.
    assert (d["A"].rank, d["B"].rank) == (1, 2)


def test_average_of_three_months_is_exact_decimal() -> None:
    # 80.00 + 80.00 + 80.02 = 240.02 / 3 = 80.00666… → 80.01; 0.1 + 0.2 style float errors
    # would not survive the exact comparison below.
    months = ["2026-01", "2026-02", "2026-03"]
    seen = {"A": {m: Seen("A", "b", "支行", D(t))
                  for m, t in zip(months, ["80.00", "80.00", "80.02"], strict=True)}}
    assert by_id(grade(months, seen))["A"].average == D("80.01")


# --- windows and effective dates -----------------------------------------------------------

def test_window_and_effective_month_cross_the_year() -> None:
    assert window("2026-02", 6) == ["2025-09", "2025-10", "2025-11", "2025-12",
                                    "2026-01", "2026-02"]
    assert window("2026-12", 12) == span("2026-01", "2026-12")
    assert month_after("2026-12") == "2027-01"
    assert month_after("2026-06") == "2026-07"
    assert grade(["2026-12"], one_month({"A": "1.00"})).effective == "2027-01"


# --- 第十六条第六项 and 第九条 flags -----------------------------------------------------------

def test_annual_grading_flags_bottom_twenty_percent_only_on_twelve_months() -> None:
    months = span("2026-01", "2026-12")
    totals = {"A": "90.00", "B": "80.00", "C": "70.00", "D": "60.00", "E": "50.00"}
    seen = {c: {m: Seen(c, "b", "支行", D(t)) for m in months} for c, t in totals.items()}
    d = by_id(grade(months, seen))
    assert any("第十六条第六项" in f for f in d["E"].flags)
    assert all(not d[c].flags for c in "ABCD")
    six = {c: {m: v for m, v in by_m.items() if m in months[6:]} for c, by_m in seen.items()}
    assert all(not x.flags for x in grade(months[6:], six).decisions)


def test_second_year_first_or_second_grade_gets_priority_flag() -> None:
    totals = {"A": "90.00", "B": "80.00", "C": "70.00", "D": "60.00", "E": "50.00"}
    months = span("2026-01", "2026-12")
    seen = {c: {m: Seen(c, "b", "支行", D(t)) for m in months} for c, t in totals.items()}
    previous = {"A": "一级", "B": "三级", "C": "二级", "D": "二级", "E": "一级"}
    d = by_id(grade(months, seen, previous_annual=previous))
    flagged = {c for c in "ABCDE" if any("第九条" in f for f in d[c].flags)}
    # A 一级→一级, C/D 二级→二级; B was 三级 last year; E is 三级 this year.
    assert flagged == {"A", "C", "D"}


# --- grade through the CLI and the store -----------------------------------------------------

def six_months(db: Path) -> Path:
    """2026-01…06: a 支行 pool of A–E, two branch-level CMs, a joiner (N) and a gap (G)."""
    pool = {"A": "90.00", "B": "85.00", "C": "80.00", "D": "75.00", "E": "70.00"}
    months = {}
    for m in span("2026-01", "2026-06"):
        cms = {c: cm(t) for c, t in pool.items()}
        cms["F"] = cm("40.00", category="分行个金", branch="分行个人金融部")
        cms["K"] = cm("30.00", category="分行公司", branch="分行公司业务部")
        if m >= "2026-03":
            cms["N"] = cm("99.00")
        if m != "2026-04":
            cms["G"] = cm("98.00")
        months[m] = cms
    # A's six totals sum to 540.03: average 90.005 → 90.01 (half-up, in Decimal).
    months["2026-06"]["A"] = cm("90.03")
    return store_months(db, months)


def test_grade_json_store_and_workbook(tmp_path: Path) -> None:
    db = six_months(tmp_path / "h.db")
    out = tmp_path / "out"
    doc = run_json("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", out)
    assert doc["effective"] == "2026-07"
    assert doc["window"] == {"start": "2026-01", "end": "2026-06", "months": 6}
    assert doc["pool_size"] == 5
    assert doc["quotas"] == {"一级": 2, "二级": 2, "三级": 1}
    managers = {m["id"]: m for m in doc["managers"]}
    assert set(managers) == {"A", "B", "C", "D", "E", "F", "K", "N", "G"}
    for m in doc["managers"]:
        assert {"id", "average", "rank", "grade", "reason"} <= set(m)
        assert m["grade"] in GRADES
    assert [managers[c]["grade"] for c in "ABCDE"] == ["一级", "一级", "二级", "二级", "三级"]
    assert managers["A"]["average"] == "90.01" and managers["A"]["rank"] == 1
    assert managers["E"]["average"] == "70.00" and managers["E"]["rank"] == 5
    for c in ("F", "K"):
        assert (managers[c]["grade"], managers[c]["average"], managers[c]["rank"]) == \
            ("一级", None, None)
    assert managers["N"]["grade"] == "三级" and "新增人员" in managers["N"]["reason"]
    assert managers["N"]["average"] is None and managers["N"]["rank"] is None
    assert managers["G"]["grade"] == "三级" and "2026-04" in managers["G"]["reason"]
    assert managers["G"]["average"] is None
    # Stored effective the month after --end, one row per CM.
    assert query(db, "SELECT effective_month, window_start, window_end, months, pool_size"
                     " FROM gradings") == [("2026-07", "2026-01", "2026-06", 6, 5)]
    stored = dict(query(db, "SELECT cm_id, grade FROM grades WHERE effective_month = '2026-07'"))
    assert stored == {c: m["grade"] for c, m in managers.items()}
    # The workbook reads back.
    sheet = {r["工号"]: r for r in read_sheet(out / "grades-2026-06.xlsx", "定级")}
    assert sheet["A"]["等级"] == "一级"
    assert sheet["A"]["平均分"] == pytest.approx(90.01)
    assert sheet["A"]["2026-06"] == pytest.approx(90.03)
    assert sheet["F"]["等级"] == "一级" and sheet["F"]["平均分"] is None
    assert "新增人员" in sheet["N"]["原因"]


def test_grade_human_output_and_default_end(tmp_path: Path) -> None:
    db = six_months(tmp_path / "h.db")
    result = run("grade", "--months", 6, "--db", db, "--out", tmp_path)
    assert "2026-07" in result.stdout  # default --end = the latest scored month
    assert (tmp_path / "grades-2026-06.xlsx").exists()


def test_regrading_the_same_window_replaces_it(tmp_path: Path) -> None:
    db = six_months(tmp_path / "h.db")
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path)
    # June is re-scored: E now tops the month by far; its average becomes the best.
    conn_months = {"2026-06": {c: cm(t) for c, t in
                               {"A": "90.00", "B": "85.00", "C": "80.00", "D": "75.00",
                                "E": "200.00", "F": "40.00", "K": "30.00", "N": "99.00",
                                "G": "98.00"}.items()}}
    conn = store.connect(db)
    try:
        store.save_month(conn, month_scores("2026-06", conn_months["2026-06"]),
                         store.RunRecord("score", "2026-06", "x.xlsx", "0" * 64, {}),
                         replace=True)
    finally:
        conn.close()
    doc = run_json("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path,
                   "--replace")
    assert {m["id"]: m["grade"] for m in doc["managers"]}["E"] == "一级"
    assert query(db, "SELECT count(*) FROM gradings") == [(1,)]
    assert query(db, "SELECT count(*) FROM grades") == [(9,)]
    assert dict(query(db, "SELECT cm_id, grade FROM grades"))["E"] == "一级"


def test_grade_over_missing_months_names_them_and_stores_nothing(tmp_path: Path) -> None:
    months = {m: {"A": cm("80.00"), "B": cm("70.00")}
              for m in span("2026-01", "2026-06") if m not in ("2026-02", "2026-04")}
    db = store_months(tmp_path / "h.db", months)
    result = run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path,
                 code=1)
    assert "2026-02" in result.stderr and "2026-04" in result.stderr
    assert query(db, "SELECT count(*) FROM gradings") == [(0,)]
    assert not (tmp_path / "grades-2026-06.xlsx").exists()
    js = run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path,
             "--json", code=1)
    err = json.loads(js.stdout)  # still exactly one JSON document
    assert "2026-02" in err["problems"][0]["message"]
    assert "2026-04" in err["problems"][0]["message"]


@pytest.mark.usefixtures("short_windows_here")  # grades over 1 month
def test_grade_end_beyond_stored_months_is_refused(tmp_path: Path) -> None:
    db = store_months(tmp_path / "h.db", {JAN: {"A": cm("80.00")}})
    result = run("grade", "--months", 1, "--end", "2026-02", "--db", db, "--out", tmp_path,
                 code=1)
    assert "2026-02" in result.stderr


def test_annual_gradings_two_years_running_through_the_store(tmp_path: Path) -> None:
    # 2025 and 2026, the same five 支行 CMs; E and A swap places in 2026.
    y25 = {"A": "90.00", "B": "80.00", "C": "70.00", "D": "60.00", "E": "50.00"}
    y26 = {"A": "50.00", "B": "80.00", "C": "70.00", "D": "60.00", "E": "90.00"}
    months = {m: {c: cm(t) for c, t in (y25 if m < "2026" else y26).items()}
              for m in span("2025-01", "2026-12")}
    db = store_months(tmp_path / "h.db", months)
    first = run_json("grade", "--months", 12, "--end", "2025-12", "--db", db, "--out", tmp_path)
    assert first["effective"] == "2026-01"
    assert all(not any("第九条" in f for f in m["flags"]) for m in first["managers"])
    second = run_json("grade", "--months", 12, "--end", "2026-12", "--db", db, "--out", tmp_path)
    flags = {m["id"]: m["flags"] for m in second["managers"]}
    grades = {m["id"]: m["grade"] for m in second["managers"]}
    # 2025: A 一级, B 一级, C 二级, D 二级, E 三级. 2026: E 一级, B 一级, C 二级, D 二级, A 三级.
    assert grades == {"A": "三级", "B": "一级", "C": "二级", "D": "二级", "E": "一级"}
    assert {c for c, f in flags.items() if any("第九条" in x for x in f)} == {"B", "C", "D"}
    assert any("第十六条第六项" in x for x in flags["A"])
    # A six-month grading never carries the annual flags.
    six = run_json("grade", "--months", 6, "--end", "2026-12", "--db", db, "--out", tmp_path,
                   "--replace")
    assert all(m["flags"] == [] for m in six["managers"])


# --- property: a strictly higher average never gets a worse grade ---------------------------

averages = st.lists(st.integers(min_value=0, max_value=12).map(lambda i: D(i * 25) / 100 + 60),
                    min_size=1, max_size=16)


@settings(max_examples=200, deadline=None)
@given(averages)
def test_higher_average_never_gets_a_worse_grade(values: list[Decimal]) -> None:
    totals = {f"E{i:02d}": f"{v:.2f}" for i, v in enumerate(values)}
    result = grade([JAN], one_month(totals))
    got = [(d.average, GRADES.index(d.grade)) for d in result.decisions]
    assert len(got) == len(values)
    for a, ga in got:
        for b, gb in got:
            assert a is not None and b is not None
            if a > b:
                assert ga <= gb, (a, b, result.decisions)
            if a == b:
                assert ga == gb
    q = result.quotas
    assert sum(q.values()) == len(values)
    counts = result.counts(pool_only=True)
    # Ties only ever move CMs up: at least n1 一级, at most n3 三级.
    assert counts["一级"] >= q["一级"]
    assert counts["三级"] <= q["三级"]


# --- the window read in bulk (gradewindow.window_members) is the window row by row -------------

def seen_row_by_row(db: Path, months: list[str]) -> dict[str, dict[str, Seen]]:
    """The definition: every stored row of the window, each its own Seen."""
    seen: dict[str, dict[str, Seen]] = {}
    for cm_id, month, name, branch, category, total in query(
            db, "SELECT cm_id, month, name, branch, category, total_cp FROM scores"
                " WHERE month >= ? AND month <= ?", months[0], months[-1]):
        seen.setdefault(cm_id, {})[month] = Seen(name, branch, category, D(total) / 100)
    return seen


def churned_year(db: Path) -> Path:
    """2025-12…2026-12: joiners, leavers, gaps, a move between branches and categories, ties,
    a negative total and ids that sort oddly, one holding the separator SQL joins ids with."""
    ids = ["A", "a", "B10", "B9", "张三", "X\x1fY", "c,d", "Z"] + [f"P{i:02d}" for i in range(12)]
    months = {}
    for k, m in enumerate(span("2025-12", "2026-12")):
        cms = {}
        for j, c in enumerate(ids):
            if (c == "B9" and k < 4) or (c == "Z" and k > 8) or (c == "a" and k == 6):
                continue  # joins in April, leaves after August, misses June
            category = "分行个金" if c == "B10" and k > 10 else "支行"
            branch = "城西支行" if c == "A" and k > 5 else "城东支行"
            total = "-1.25" if c == "P03" and k == 2 else f"{60 + (j * 7 + k * 3) % 40}.{j % 3}5"
            cms[c] = cm(total, category=category, branch=branch)
        months[m] = cms
    return store_months(db, months)


@pytest.mark.parametrize(("end", "length"), [("2026-12", 12), ("2026-06", 6), ("2026-07", 1),
                                            ("2026-12", 13)])
def test_window_members_grade_as_the_stored_rows_one_by_one(tmp_path: Path, end: str,
                                                          length: int) -> None:
    db = churned_year(tmp_path / "h.db")
    months = window(end, length)
    previous = {"A": "一级", "P01": "二级", "P02": "三级"}
    conn = store.connect(db)
    try:
        bulk = grade_members(months, gradewindow.window_members(conn, months), previous)
        beside = grade_members(months, gradewindow.window_members(conn, months, db), previous)
    finally:
        conn.close()
    assert [asdict(d) for d in beside.decisions] == [asdict(d) for d in bulk.decisions]
    one_by_one = grade(months, seen_row_by_row(db, months), previous)
    assert [asdict(d) for d in bulk.decisions] == [asdict(d) for d in one_by_one.decisions]
    assert (bulk.pool_size, bulk.quotas, bulk.counts()) == \
        (one_by_one.pool_size, one_by_one.quotas, one_by_one.counts())
    by = by_id(bulk)
    if length == 12 and end == "2026-12":
        # grading.yaml's min_months 6: the April joiner is ranked on his 9 months
        assert by["X\x1fY"].rank is not None and by["B9"].rank is not None
        assert "2026-04 起计分" in by["B9"].reason
        assert "2026-06" in by["a"].reason and "2026-12" in by["Z"].reason
        assert by["B10"].category == "分行个金" and by["A"].branch == "城西支行"


def test_the_last_months_names_read_as_sqlites_arrays_are_the_rows(tmp_path: Path) -> None:
    """the window reads the last month's names beside the totals as JSON arrays built
    by SQLite (gradewindow._month_who): every text comes back as the row query gives it."""
    db = churned_year(tmp_path / "h.db")
    odd = ['引号"与\\反斜杠', "制表\t换行\n回车\r", "\x00空字符\x1f", "😀 emoji", "[/] :x:", ""]
    with closing(sqlite3.connect(db)) as conn:
        for k, (cm_id,) in enumerate(conn.execute(
                "SELECT cm_id FROM scores WHERE month = '2026-12' ORDER BY cm_id").fetchall()):
            conn.execute("UPDATE scores SET name = ?, branch = ? WHERE month = '2026-12'"
                         " AND cm_id = ?", (odd[k % len(odd)], odd[(k + 1) % len(odd)], cm_id))
        conn.commit()
        rows = conn.execute("SELECT cm_id, name, branch, category FROM scores"
                            " WHERE month = '2026-12'").fetchall()
        got = list(zip(*gradewindow._month_who(conn, "2026-12"), strict=True))
        assert sorted(got) == sorted(rows) and len(rows) == 19
        assert set(odd) <= {name for _, name, _, _ in got}
        assert list(zip(*gradewindow._month_who(conn, "2027-01"), strict=True)) == []
    with closing(store.connect(db)) as conn:
        members = {m[0]: m[1:4] for m in gradewindow.window_members(conn, window("2026-12", 12), db)}
    # those scored in the window's last month take their texts from it (Z left in August)
    assert {cm_id: members[cm_id] for cm_id, *_ in rows} == \
        {cm_id: (name, branch, category) for cm_id, name, branch, category in rows}


@pytest.mark.parametrize(("end", "length"), [("2026-12", 12), ("2026-06", 6), ("2026-12", 13)])
def test_the_window_as_columns_is_the_stored_rows_and_grades_the_same(
        tmp_path: Path, end: str, length: int) -> None:
    """window_columns / grade_table (what `grade` runs, without a tuple per CM) against the
    definition: the window row by row, graded member by member."""
    db = churned_year(tmp_path / "h.db")
    months = window(end, length)
    previous = {"A": "一级", "P01": "二级", "P02": "三级"}
    members = members_of(months, seen_row_by_row(db, months))
    with closing(store.connect(db)) as conn:
        for path in (None, db):  # the last month's names read in line, and beside
            columns = gradewindow.window_columns(conn, months, path)
            assert list(map(list, columns)) == list(map(list, zip(*members, strict=True)))
            # each branch and category one object, however many CMs share it
            assert len(set(map(id, columns[2]))) == len(set(columns[2])) == 2
            got = grade_table(months, columns, previous)
            want = grade_members(months, members, previous)
            assert [asdict(d) for d in got.decisions] == [asdict(d) for d in want.decisions]
            assert (got.pool_size, got.quotas, got.notes) == \
                (want.pool_size, want.quotas, want.notes)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-200000, max_value=200000), max_size=30),
       st.integers(min_value=1, max_value=13))
def test_averages_in_c_loops_are_divide_half_up(sums: list[int], n: int) -> None:
    assert _averages(sums, n) == [divide_half_up(s, n) for s in sums]
    positive = [abs(s) for s in sums]
    assert _averages(positive, n) == [divide_half_up(s, n) for s in positive]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=-20000, max_value=20000), min_size=1, max_size=24))
def test_integer_average_is_the_decimal_one(totals: list[int]) -> None:
    exact = (sum((D(t) / 100 for t in totals), D(0)) / len(totals)).quantize(
        D("0.01"), rounding=ROUND_HALF_UP)
    assert D(divide_half_up(sum(totals), len(totals))) / 100 == exact


def test_a_failing_workbook_stores_no_grades(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = six_months(tmp_path / "h.db")

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(out_grades, "write_grades", broken)
    with pytest.raises(OSError, match="disk full"):
        app_grade.grade_window(6, end="2026-06", db=db, out_dir=tmp_path)
    assert query(db, "SELECT count(*) FROM gradings") == [(0,)]
    assert query(db, "SELECT count(*) FROM grades") == [(0,)]
    assert list(tmp_path.glob("*.xlsx")) == [] and list(tmp_path.glob(".grades*")) == []


def test_older_store_gains_the_points_index_on_open(tmp_path: Path) -> None:
    db = six_months(tmp_path / "h.db")
    with closing(sqlite3.connect(db)) as conn:
        conn.executescript("DROP INDEX scores_points; " + UNDO_MIGRATION_14 + UNDO_MIGRATION_13 + UNDO_MIGRATION_12 + UNDO_MIGRATIONS_6_TO_9
                           + " PRAGMA user_version = 3;")
    store.connect(db).close()
    assert query(db, "PRAGMA user_version") == [(store.SCHEMA_VERSION,)]
    assert query(db, "SELECT name FROM sqlite_schema WHERE name = 'scores_points'") == \
        [("scores_points",)]
    plan = " ".join(str(r) for r in query(
        db, "EXPLAIN QUERY PLAN SELECT month, group_concat(cm_id), group_concat(total_cp)"
            " FROM scores WHERE month IN ('2026-01', '2026-02') GROUP BY month"))
    assert "COVERING INDEX scores_points" in plan


def test_the_terminal_lists_fifty_flagged_cms_and_points_to_the_workbook_for_the_rest() -> None:
    from rich.console import Console

    months = span("2026-01", "2026-06")
    seen = {f"{k:03d}": {m: Seen(f"{k:03d}", "城东支行", "支行", D("60.00")) for m in months}
            for k in range(100)}  # one tie across both boundaries, explained CM by CM
    result = grade(months, seen)
    notable = sum(1 for d in result.decisions if d.boundary or d.flags)
    assert notable > 50
    tables = out_grades.grade_summary(result)
    console = Console(width=200, record=True)
    for t in tables:
        console.print(t)
    text = console.export_text()
    assert tables[1].row_count == out_common.TERMINAL_ROWS == 50
    assert f"以上为前 50 名；另有 {notable - 50} 名未列出，全部见定级表的「并列说明」「标记」列" in text
    few = out_grades.grade_summary(grade(months, dict(list(seen.items())[-5:])))
    assert 0 < few[1].row_count <= 5 and few[1].caption is None
