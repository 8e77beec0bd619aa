"""The year's commands, one behaviour each (issue 14): gaps, closed months through
cascades, explicit re-runs, stale gradings, restatements carried once, show and status."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from conftest import with_items
from test_corrections import MONTHS, cmscore, export

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1–3 months


def out(r: Any) -> str:
    return r.stdout + r.stderr


@pytest.fixture
def paid_year(tmp_path: Path) -> Path:
    """2025-12 … 2026-06 scored, graded over 2026-01..03, April and May paid."""
    db = tmp_path / "h.db"
    for month in MONTHS:
        cmscore("score", export(tmp_path, month, 0), "--db", db, "--out", tmp_path, "-q")
    cmscore("grade", "--months", 3, "--end", "2026-03", "--db", db, "--out", tmp_path, "-q")
    for month in ("2026-04", "2026-05"):
        cmscore("payroll", "--month", month, "--db", db, "--out", tmp_path, "-q")
    return db


def q(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(with_items(sqlite3.connect(db))) as conn:
        return conn.execute(sql, args).fetchall()


def test_a_gap_is_refused_naming_the_missing_months(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    cmscore("score", export(tmp_path, "2026-01", 0), "--db", db, "--out", tmp_path, "-q")
    r = cmscore("score", export(tmp_path, "2026-04", 0), "--db", db, "--out", tmp_path, code=1)
    assert "2026 年缺少 2026-02、2026-03 的计分" in out(r) and "--allow-gap" in out(r)
    assert q(db, "SELECT month FROM months") == [("2026-01",)]
    doc = json.loads(cmscore("score", export(tmp_path, "2026-04", 0), "--allow-gap", "--db", db,
                             "--out", tmp_path, "--json").stdout)
    assert doc["gap_months"] == ["2026-02", "2026-03"]
    assert q(db, "SELECT note FROM runs WHERE month = '2026-04'") == [
        ("年度累计不含 2026-02、2026-03（--allow-gap）",)]
    explained = json.loads(cmscore("explain", "000001", "--month", "2026-04", "--db", db,
                                   "--json").stdout)
    assert "该月计分说明：年度累计不含 2026-02、2026-03（--allow-gap）" in explained["notes"]


def test_a_year_may_start_at_any_month(tmp_path: Path) -> None:
    """A bank adopting cmscore in April: no gap before the first stored month, and the
    output says from which month year-to-date is counted."""
    db = tmp_path / "h.db"
    first = json.loads(cmscore("score", export(tmp_path, "2026-04", 0), "--db", db,
                               "--out", tmp_path, "--json").stdout)
    assert first["year_to_date_from"] is None and first["gap_months"] == []
    r = cmscore("score", export(tmp_path, "2026-05", 0), "--db", db, "--out", tmp_path, "-q")
    assert "历史库中 2026 年从 2026-04 开始，年度累计（提前完成）自 2026-04 起计算" in out(r)


def test_a_cascade_into_a_closed_month_is_refused_and_changes_nothing(paid_year: Path,
                                                                      tmp_path: Path) -> None:
    cmscore("close", "2026-06", "--db", paid_year)
    before = q(paid_year, "SELECT month, cm_id, total_cp FROM scores ORDER BY 1, 2")
    r = cmscore("score", export(tmp_path, "2026-03", 2), "--replace", "--db", paid_year,
                "--out", tmp_path, code=1)
    assert "会改变已结账月份 2026-06 的得分" in out(r)
    assert "cmscore reopen 2026-06" in out(r)
    assert q(paid_year, "SELECT month, cm_id, total_cp FROM scores ORDER BY 1, 2") == before


def test_a_grading_in_force_in_a_closed_month_is_refused(paid_year: Path, tmp_path: Path) -> None:
    cmscore("close", "2026-05", "--db", paid_year)
    r = cmscore("grade", "--months", 3, "--end", "2026-03", "--replace", "--db", paid_year,
                "--out", tmp_path, code=1)
    assert "2026-04 起执行的定级会改变已结账月份 2026-05 的等级" in out(r)
    assert "cmscore reopen 2026-05" in out(r)


def test_grade_and_payroll_reruns_need_replace_and_keep_the_old_run(paid_year: Path,
                                                                     tmp_path: Path) -> None:
    r = cmscore("grade", "--months", 3, "--end", "2026-03", "--db", paid_year, "--out", tmp_path,
                code=1)
    assert "2026-04 起执行的定级已经存在；如需重新定级请加 --replace" in out(r)
    r = cmscore("payroll", "--month", "2026-05", "--db", paid_year, "--out", tmp_path, code=1)
    assert "2026-05 的绩效工资已经计算并存入历史库；如需重算请加 --replace" in out(r)
    cmscore("grade", "--months", 3, "--end", "2026-03", "--replace", "--db", paid_year,
            "--out", tmp_path, "-q")
    cmscore("payroll", "--month", "2026-05", "--replace", "--db", paid_year, "--out", tmp_path,
            "-q")
    runs = q(paid_year, "SELECT command, month, superseded_by IS NOT NULL FROM runs"
                        " WHERE command IN ('grade', 'payroll') ORDER BY id")
    assert runs == [("grade", "2026-04", 1), ("payroll", "2026-04", 0), ("payroll", "2026-05", 1),
                    ("grade", "2026-04", 0), ("payroll", "2026-05", 0)]


def test_a_stale_grading_blocks_pay_until_regraded(paid_year: Path, tmp_path: Path) -> None:
    cmscore("score", export(tmp_path, "2026-02", 3), "--replace", "--db", paid_year,
            "--out", tmp_path, "-q")
    r = cmscore("payroll", "--month", "2026-06", "--db", paid_year, "--out", tmp_path, code=1)
    assert "2026-06 执行的定级（2026-04 起执行）已过期：窗口内月份 2026-02" in out(r)
    assert "cmscore grade --months 3 --end 2026-03 --replace" in out(r)
    status = json.loads(cmscore("status", "--year", "2026", "--db", paid_year, "--json").stdout)
    assert [g["stale"] for g in status["gradings"]] == [True]
    cmscore("grade", "--months", 3, "--end", "2026-03", "--replace", "--db", paid_year,
            "--out", tmp_path, "-q")
    cmscore("payroll", "--month", "2026-06", "--db", paid_year, "--out", tmp_path, "-q")


def test_a_corrected_paid_month_is_restated_once_in_the_next_payroll(paid_year: Path,
                                                                     tmp_path: Path) -> None:
    paid = dict(q(paid_year, "SELECT cm_id, pay_fen FROM pay WHERE month = '2026-04'"))
    cmscore("score", export(tmp_path, "2026-04", 1), "--replace", "--db", paid_year,
            "--out", tmp_path, "-q")
    # What was paid in April is not rewritten.
    assert dict(q(paid_year, "SELECT cm_id, pay_fen FROM pay WHERE month = '2026-04'")) == paid
    june = json.loads(cmscore("payroll", "--month", "2026-06", "--db", paid_year,
                              "--out", tmp_path, "--json").stdout)
    carried = june["restatements"]
    assert carried and {r["month"] for r in carried} <= {"2026-04", "2026-05"}
    assert june["totals"]["restatements"] == \
        f"{sum(int(r['difference'].replace('.', '')) for r in carried) / 100:.2f}"
    book = load_workbook(tmp_path / "payroll-2026-06.xlsx", read_only=True)
    assert "补发扣回" in book.sheetnames
    # The salary system's file pays them too: one 补发/扣回 row (JX04) per manager.
    rows = (tmp_path / "工资导入-2026-06.csv").read_text(encoding="utf-8-sig").splitlines()
    jx04 = [r.split(",") for r in rows if ",JX04," in r]
    by_cm: dict[str, int] = {}
    for r in carried:
        by_cm[r["cm_id"]] = by_cm.get(r["cm_id"], 0) + int(r["difference"].replace(".", ""))
    assert {cm: int(amount.replace(".", "")) for cm, _, _, amount in jx04} == \
        {cm: v for cm, v in by_cm.items() if v}
    status = json.loads(cmscore("status", "--db", paid_year, "--json").stdout)
    assert status["restatements_pending"] == 0
    # The months the correction re-scored have out-of-date workbooks until written again.
    stale_books = {m["month"] for m in status["months"] if not m["workbook_current"]}
    assert stale_books and stale_books <= {"2026-05", "2026-06"}
    for month in sorted(stale_books):
        cmscore("show", month, "--write", "--db", paid_year, "--out", tmp_path)
    status = json.loads(cmscore("status", "--db", paid_year, "--json").stdout)
    assert all(m["workbook_current"] for m in status["months"])
    # The year's summary shows them beside what each month's payroll paid.
    summary = json.loads(cmscore("summary", "--year", "2026", "--db", paid_year,
                                 "--out", tmp_path, "--json").stdout)
    shown = {m["id"]: int(m["restated"].replace(".", "")) for m in summary["managers"]}
    assert {cm: v for cm, v in shown.items() if v} == {cm: v for cm, v in by_cm.items() if v}
    # Carried exactly once: a re-run of June carries them again, not twice; July none.
    again = json.loads(cmscore("payroll", "--month", "2026-06", "--replace", "--db", paid_year,
                               "--out", tmp_path, "--json").stdout)
    assert again["restatements"] == carried
    assert q(paid_year, "SELECT count(*) FROM restatements WHERE carried_by = '2026-06'") == \
        [(len(carried),)]
    # April's own payroll may not be re-run now: June has paid its difference already.
    r = cmscore("payroll", "--month", "2026-04", "--replace", "--db", paid_year,
                "--out", tmp_path, code=1)
    assert "2026-04 更正后的差额已随 2026-06 工资补发/扣回；重算 2026-04 的工资会重复发放" in out(r)


def test_show_gives_the_month_as_score_json_did(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    scored = json.loads(cmscore("score", export(tmp_path, "2026-01", 0), "--db", db,
                                "--out", tmp_path, "--json").stdout)
    shown = json.loads(cmscore("show", "2026-01", "--db", db, "--json").stdout)
    assert shown["managers"] == scored["managers"] and shown["month"] == "2026-01"
    assert (shown["closed"], shown["paid"], shown["restated"]) == (False, False, False)
    assert shown["run"]["file_name"] == "2026-01.csv"
    (tmp_path / "scores-2026-01.xlsx").unlink()
    cmscore("show", "2026-01", "--write", "--db", db, "--out", tmp_path)
    assert (tmp_path / "scores-2026-01.xlsx").exists()


def test_show_and_status_on_a_missing_store_create_nothing(tmp_path: Path) -> None:
    r = cmscore("status", "--db", tmp_path / "none.db", code=1)
    assert "历史库" in out(r) and not (tmp_path / "none.db").exists()
    cmscore("show", "2026-01", "--db", tmp_path / "none.db", code=1)
    assert not (tmp_path / "none.db").exists()


def test_an_opening_file_makes_a_late_start_equal_a_full_year(tmp_path: Path) -> None:
    """A bank adopting cmscore in April carries January–March in (期初累计): April–June then
    score exactly as in a store that holds the whole year (compared with a full rebuild)."""
    full, late = tmp_path / "full.db", tmp_path / "late.db"
    for month in MONTHS[1:]:
        cmscore("score", export(tmp_path, month, 0), "--db", full, "--out", tmp_path, "-q")
    early = {i for (i,) in q(full, "SELECT DISTINCT item_id FROM items WHERE early = 1")}
    assert early, "the generated year has no early completion"
    sums: dict[tuple[str, str], Any] = {}
    for cm, item, figure in q(full, "SELECT cm_id, item_id, figure FROM items"
                                    " WHERE month < '2026-04' AND figure IS NOT NULL"):
        if item in early:
            from decimal import Decimal
            sums[(cm, item)] = sums.get((cm, item), Decimal(0)) + Decimal(figure)
    from conftest import write_csv

    opening_file = write_csv(tmp_path / "期初累计.csv", ["工号", "项目", "期初累计"],
                             [[cm, item, f"{v:f}"] for (cm, item), v in sorted(sums.items())])
    # Scored first, then the opening file: the cascade re-scores April–June.
    for month in ("2026-04", "2026-05", "2026-06"):
        cmscore("score", export(tmp_path, month, 0), "--db", late, "--out", tmp_path, "-q")
    r = cmscore("opening", opening_file, "--through", "2026-03", "--db", late)
    assert "2026 年期初累计（截至 2026-03）已导入：" in out(r)
    sql = ("SELECT month, cm_id, item_id, points_cp, early FROM items WHERE month >= '2026-04'"
           " ORDER BY 1, 2, 3")
    assert q(late, sql) == q(full, sql)
    assert q(late, "SELECT month, cm_id, total_cp, rank FROM scores ORDER BY 1, 2") == \
        q(full, "SELECT month, cm_id, total_cp, rank FROM scores WHERE month >= '2026-04'"
                " ORDER BY 1, 2")
    # A month inside the opening is refused: it would count twice.
    r = cmscore("score", export(tmp_path, "2026-02", 0), "--db", late, "--out", tmp_path,
                code=1)
    assert "2026-02 在 2026 年的期初累计（截至 2026-03）之内" in out(r)


def test_a_bad_opening_file_is_refused_with_every_problem_located(tmp_path: Path) -> None:
    from conftest import write_csv

    bad = write_csv(tmp_path / "期初累计.csv", ["工号", "项目", "期初累计"],
                    [["000001", "放款户数", "-3"], ["000002", "储蓄存款", "5"],
                     ["", "loan_households", "4"], ["000004", "放款户数", "x"]])
    r = cmscore("opening", bad, "--through", "2026-03", "--db", tmp_path / "h.db", code=1)
    text = out(r)
    for expected in ("负数 -3", "不是提前完成的项目", "工号为空", "期初累计"):
        assert expected in text, expected
    assert not (tmp_path / "h.db").exists() or q(tmp_path / "h.db", "SELECT count(*) FROM runs") \
        == [(0,)]


def test_score_names_the_notice_workbook_it_wrote(tmp_path: Path) -> None:
    r = cmscore("score", export(tmp_path, "2026-01", 0), "--db", tmp_path / "h.db",
                "--out", tmp_path, "-q")
    assert f"已写出 {tmp_path}/scores-2026-01.xlsx、{tmp_path}/公示-2026-01.xlsx（公示）" in out(r)


def test_a_stale_grading_of_paid_months_blocks_the_payroll_that_would_carry_them(
        paid_year: Path, tmp_path: Path) -> None:
    """The grading in force in June is fresh, but April and May were paid under one that a
    correction made stale: June's payroll would carry their differences priced with the
    stale grades, so it waits for the re-grading (red-team finding)."""
    cmscore("grade", "--months", 3, "--end", "2026-05", "--db", paid_year, "--out", tmp_path,
            "-q")
    with closing(sqlite3.connect(paid_year)) as conn, conn:
        conn.execute("UPDATE gradings SET stale = '窗口内月份 2026-02 已被更正（运行 99）'"
                     " WHERE effective_month = '2026-04'")
    r = cmscore("payroll", "--month", "2026-06", "--db", paid_year, "--out", tmp_path, code=1)
    assert "已发放月份 2026-04、2026-05 执行的定级（2026-04 起执行）已过期" in out(r)
    assert "cmscore grade --months 3 --end 2026-03 --replace" in out(r)
    cmscore("grade", "--months", 3, "--end", "2026-03", "--replace", "--db", paid_year,
            "--out", tmp_path, "-q")
    cmscore("payroll", "--month", "2026-06", "--db", paid_year, "--out", tmp_path, "-q")


def test_an_opening_that_stops_short_of_the_first_stored_month_is_a_gap(tmp_path: Path) -> None:
    """期初累计 through March, months stored from May: April would count nowhere (red-team)."""
    from conftest import write_csv

    db = tmp_path / "h.db"
    opening_file = write_csv(tmp_path / "期初累计.csv", ["工号", "项目", "期初累计"],
                             [["000001", "放款户数", "12"]])
    cmscore("score", export(tmp_path, "2026-05", 0), "--db", db, "--out", tmp_path, "-q")
    r = cmscore("opening", opening_file, "--through", "2026-03", "--db", db, code=1)
    assert "期初累计截至 2026-03，而历史库 2026 年从 2026-05 开始：缺少 2026-04" in out(r)
    # The other order: the opening first, then a first month that leaves April out.
    db2 = tmp_path / "h2.db"
    cmscore("opening", opening_file, "--through", "2026-03", "--db", db2)
    r = cmscore("score", export(tmp_path, "2026-05", 0), "--db", db2, "--out", tmp_path,
                code=1)
    assert "2026 年缺少 2026-04 的计分" in out(r)


def test_a_change_of_the_risk_fund_alone_restates_nothing(tmp_path: Path) -> None:
    """Restatements cover 月度应得工资 only (README): a correction that changes only how much
    risk fund a paid December released is not folded into anyone's 补发/扣回 (red-team)."""
    from conftest import HEADERS, ZEROS, row, write_csv

    db = tmp_path / "h.db"
    months = [f"2026-{m:02d}" for m in range(1, 13)]

    def month_file(month: str, npl_in_august: str = "0") -> Path:
        rows = [row(ZEROS, 工号=f"0{i:05d}", 姓名=f"经理{i}", 机构="城东支行", 类别="支行",
                    放款户数=3 + i, 不良率=npl_in_august if (month == "2026-08" and i == 1)
                    else "0") for i in range(5)]
        return write_csv(tmp_path / f"v{npl_in_august}" / f"{month}.csv", HEADERS, rows)

    for month in months:
        cmscore("score", month_file(month), "--db", db, "--out", tmp_path, "-q")
    cmscore("payroll", "--month", "2026-12", "--db", db, "--out", tmp_path, "-q")
    pay_before = q(db, "SELECT cm_id, pay_fen, release_fen FROM pay ORDER BY 1")
    cmscore("score", month_file("2026-08", "0.05"), "--replace", "--db", db, "--out", tmp_path,
            "-q")
    assert q(db, "SELECT count(*) FROM restatements") == [(0,)]
    assert q(db, "SELECT cm_id, pay_fen, release_fen FROM pay ORDER BY 1") == pay_before
    # An adjustment of December then restates its own pay effect only: one point at the
    # transition base of 1,000 元 is 10.00, whatever the August change did to the fund.
    adj = write_csv(tmp_path / "调整.csv", ["工号", "月份", "项目", "调整分值", "原因", "依据", "批准人"],
                    [["000001", "2026-12", "总分", "1", "申诉成立", "申诉2026-009", "王主任"]])
    cmscore("adjust", adj, "--db", db)
    assert q(db, "SELECT cm_id, difference_fen FROM restatements") == [("000001", 1000)]
