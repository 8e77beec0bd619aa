"""The year stays right (issue 14): a store that receives corrections, in any order, holds
what a store built from scratch in month order from the corrected files holds; and what
was paid plus the restatements carried equals the from-scratch pay.

The months are generated: 30 支行 managers whose loan households cross the annual task
(48) at different months, so early completion (提前完成) depends on earlier months; the
previous December is stored too, so its 管户户数 are the next year's baselines.
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cmscore.cli import app
from conftest import HEADERS, ZEROS, row, with_grades, with_items, write_csv

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1–3 months

MONTHS = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
PAID = ["2026-04", "2026-05"]  # paid before the corrections arrive
RUNNER = CliRunner(env={"COLUMNS": "2000", "CMSCORE_DB": None, "NO_COLOR": "1"})
BRANCHES = ["城东支行", "城西支行", "城南支行"]


def cmscore(*args: Any, code: int = 0) -> Any:
    result = RUNNER.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"cmscore crashed: {result.exception!r}") from result.exception
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    return result


def export(folder: Path, month: str, seed: int) -> Path:
    """One month's export for the 30 managers; ``seed`` decides the figures."""
    rnd = random.Random(f"{month}/{seed}")
    rows = []
    for i in range(30):
        rows.append(row(ZEROS, 工号=f"0{i:05d}", 姓名=f"经理{i}", 机构=BRANCHES[i % 3], 类别="支行",
                        放款户数=rnd.choice([0, 2, 5, 9, 12, 14]), 放款金额=rnd.randint(0, 60),
                        管户户数=100 + rnd.randint(0, 30), 上年末管户户数=100,
                        储蓄日均净增=rnd.randint(-5, 25), 银行卡=rnd.randint(0, 12)))
    return write_csv(folder / f"v{seed}" / f"{month}.csv", HEADERS, rows)


def store_state(db: Path) -> dict[str, Any]:
    with closing(with_grades(with_items(sqlite3.connect(db)))) as conn:
        scores = conn.execute("SELECT month, cm_id, total_cp, rank, branch_rank, risk_fund_cp"
                              " FROM scores ORDER BY month, cm_id").fetchall()
        items = conn.execute("SELECT month, cm_id, item_id, points_cp, early, baseline"
                             " FROM items ORDER BY month, cm_id, item_id").fetchall()
        grades = conn.execute("SELECT effective_month, cm_id, grade, average_cp FROM grades"
                              " ORDER BY 1, 2").fetchall()
    return {"scores": scores, "items": items, "grades": grades}


def pay_of(db: Path) -> dict[tuple[str, str], int]:
    with closing(sqlite3.connect(db)) as conn:
        return {(m, cm): p + r for m, cm, p, r in conn.execute(
            "SELECT month, cm_id, pay_fen, release_fen FROM pay")}


def restated_of(db: Path) -> tuple[dict[tuple[str, str], int], list[tuple[Any, ...]]]:
    with closing(sqlite3.connect(db)) as conn:
        carried = defaultdict(int)
        for m, cm, d in conn.execute("SELECT month, cm_id, difference_fen FROM restatements"
                                     " WHERE void_run IS NULL AND carried_by IS NOT NULL"):
            carried[(m, cm)] += d
        pending = conn.execute("SELECT * FROM restatements WHERE carried_by IS NULL"
                               " AND void_run IS NULL").fetchall()
    return dict(carried), pending


def build(folder: Path, db: Path, version: dict[str, int]) -> None:
    """From scratch, in month order: score, grade, pay April to June."""
    for month in MONTHS:
        cmscore("score", export(folder, month, version[month]), "--db", db, "--out", folder, "-q")
    cmscore("grade", "--months", 3, "--end", "2026-03", "--db", db, "--out", folder, "-q")
    for month in [*PAID, "2026-06"]:
        cmscore("payroll", "--month", month, "--db", db, "--out", folder, "-q")


corrections = st.lists(st.tuples(st.sampled_from(MONTHS), st.integers(1, 3)),
                       min_size=1, max_size=4)


def stale(db: Path) -> bool:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM gradings WHERE stale != ''").fetchone()[0] > 0


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fixes=corrections)
@example(fixes=[("2026-04", 1)])  # a paid month outside the window: restated, grading fresh
@example(fixes=[("2026-02", 2), ("2026-05", 3)])  # stale grading, then a paid month
@example(fixes=[("2025-12", 1)])  # the baselines of the whole next year
def test_corrections_in_any_order_equal_a_rebuild(tmp_path_factory: Any,
                                                  fixes: list[tuple[str, int]]) -> None:
    folder = tmp_path_factory.mktemp("year")
    live = folder / "live.db"
    for month in MONTHS:
        cmscore("score", export(folder, month, 0), "--db", live, "--out", folder, "-q")
    cmscore("grade", "--months", 3, "--end", "2026-03", "--db", live, "--out", folder, "-q")
    for month in PAID:
        cmscore("payroll", "--month", month, "--db", live, "--out", folder, "-q")
    final = dict.fromkeys(MONTHS, 0)
    for month, seed in fixes:
        cmscore("score", export(folder, month, seed), "--replace", "--db", live, "--out", folder,
                "-q")
        final[month] = seed
    # A correction inside the grading window makes the grading stale: pay waits for it.
    if stale(live):
        cmscore("payroll", "--month", "2026-06", "--db", live, "--out", folder, code=1)
        cmscore("grade", "--months", 3, "--end", "2026-03", "--replace", "--db", live,
                "--out", folder, "-q")
    assert not stale(live)
    cmscore("payroll", "--month", "2026-06", "--db", live, "--out", folder, "-q")

    scratch = folder / "scratch.db"
    build(folder, scratch, final)
    assert store_state(live) == store_state(scratch)
    carried, pending = restated_of(live)
    assert pending == []  # June's payroll carried every difference, exactly once
    paid, due = pay_of(live), pay_of(scratch)
    assert {k: paid[k] + carried.get(k, 0) for k in paid} == due
    assert all(k[0] in PAID for k in carried)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(MONTHS))
def test_months_scored_in_any_order_equal_a_rebuild(tmp_path_factory: Any,
                                                    order: list[str]) -> None:
    folder = tmp_path_factory.mktemp("order")
    live = folder / "live.db"
    for month in order:
        cmscore("score", export(folder, month, 0), "--allow-gap", "--db", live, "--out", folder,
                "-q")
    scratch = folder / "scratch.db"
    for month in MONTHS:
        cmscore("score", export(folder, month, 0), "--db", scratch, "--out", folder, "-q")
    assert store_state(live) == store_state(scratch)


def test_the_generated_year_has_early_completions_that_a_correction_moves(tmp_path: Path) -> None:
    """The property above is not vacuous: March's correction changes later early completions."""
    db = tmp_path / "h.db"
    for month in MONTHS:
        cmscore("score", export(tmp_path, month, 0), "--db", db, "--out", tmp_path, "-q")
    before = store_state(db)
    early = [r for r in before["items"] if r[4]]
    assert early, "no early completion in the generated year"
    doc = cmscore("score", export(tmp_path, "2026-03", 2), "--replace", "--db", db,
                  "--out", tmp_path, "--json")
    import json

    restated = json.loads(doc.stdout)["restated"]
    assert restated and {r["month"] for r in restated} <= {"2026-04", "2026-05", "2026-06"}
    assert store_state(db)["items"] != before["items"]


def test_a_december_correction_that_leaves_january_points_alone_still_restores_january(
        tmp_path: Path) -> None:
    """Red team: January's 管户户数 counts from the stored December. A December correction
    that left January's stored points as they were (a decrease scoring 0 either way; an
    item held at its cap by an adjustment) did not re-store January: its figures and
    baselines, the running year-to-date and what the adjustment moved stayed stale, and
    explain contradicted the stored total. The store must equal a rebuild."""
    def month(name: str, a: int, b: int, blank: bool = False) -> Path:
        rows = [row(ZEROS, 工号=cm, 姓名=f"经理{cm}", 管户户数=v,
                    上年末管户户数="" if blank else v) for cm, v in (("000001", a), ("000002", b))]
        return write_csv(tmp_path / f"{name}.csv", HEADERS, rows)
    dec, fixed, jan = month("dec", 114, 164), month("dec-fixed", 119, 163), \
        month("jan", 112, 167, blank=True)
    adj = write_csv(tmp_path / "adj.csv", ["工号", "月份", "项目", "调整分值", "原因", "依据", "批准人"],
                    [["000002", "2026-01", "管户户数", 6, "申诉：漏计管户", "申诉2026-001", "王主任"]])
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    for db, december in ((a, dec), (b, fixed)):
        cmscore("score", december, "--month", "2025-12", "--db", db, "--out", tmp_path, "-q")
        cmscore("score", jan, "--month", "2026-01", "--db", db, "--out", tmp_path, "-q")
        cmscore("adjust", adj, "--db", db)
    cmscore("score", fixed, "--month", "2025-12", "--replace", "--db", a, "--out", tmp_path, "-q")

    def stored(db: Path) -> tuple[list[Any], list[Any], list[Any]]:
        with closing(with_items(sqlite3.connect(db))) as conn:
            return (conn.execute("SELECT cm_id, item_id, points_cp, figure, baseline, early"
                                 " FROM items WHERE month = '2026-01' ORDER BY 1, 2").fetchall(),
                    conn.execute("SELECT cm_id, applied_cp, note FROM adjustment_effects"
                                 " ORDER BY 1").fetchall(),
                    conn.execute("SELECT month, item_id, totals FROM ytd ORDER BY 1, 2").fetchall())
    assert stored(a) == stored(b)
    items = {(cm, item): (fig, base) for cm, item, _, fig, base, _ in stored(a)[0]}
    assert items[("000001", "managed_households")] == ("-7", "119")
    assert stored(a)[1][0][1] == 400  # the adjustment now moves 4.00, up to the cap of 12
