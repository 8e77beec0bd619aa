"""Adjustments (issue 16): recorded with their reasons, applied on top of the computed
points, kept through re-scoring, revoked never deleted, restated once paid, and a bad
file refused with every problem located.

Three 支行 managers whose only figures are loan households (2.5 points each, 高限 20)
and a zero NPL ratio (6 points): E1 16.00, E2 13.50, E3 11.00 (E3 in another branch).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import HEADERS, ZEROS, Cli, row, write_csv, write_xlsx

ADJ_HEADER = ["工号", "月份", "项目", "调整分值", "原因", "依据", "批准人"]


def export(folder: Path, month: str, *, without: str = "") -> Path:
    rows = [row(ZEROS, 工号="E1", 姓名="甲", 放款户数=4), row(ZEROS, 工号="E2", 姓名="乙", 放款户数=3),
            row(ZEROS, 工号="E3", 姓名="丙", 机构="城西支行", 放款户数=2)]
    return write_csv(folder / f"{month}{'-' + without if without else ''}.csv", HEADERS,
                     [r for r in rows if r[0] != without])


def adjustments(path: Path, *rows: list[Any]) -> Path:
    return write_xlsx(path, ADJ_HEADER, rows, titles=("2026年调整明细",))


@pytest.fixture
def db(tmp_path: Path, cli: Cli) -> Path:
    db = tmp_path / "h.db"
    cli("score", export(tmp_path, "2026-01"), "--db", db, "--out", tmp_path, "-q", code=0)
    return db


def shown(cli: Cli, db: Path, month: str = "2026-01") -> dict[str, dict[str, Any]]:
    doc = json.loads(cli("show", month, "--db", db, "--json", code=0).stdout)
    return {m["id"]: m for m in doc["managers"]}


def ranks(managers: dict[str, dict[str, Any]]) -> dict[str, tuple[str, int, int]]:
    return {cm: (m["total"], m["rank"], m["branch_rank"]) for cm, m in managers.items()}


def q(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, args).fetchall()


def two(tmp_path: Path) -> Path:
    return adjustments(tmp_path / "调整.xlsx",
                       ["E3", "2026-01", "总分", 3, "领导小组决定加分", "考评组〔2026〕1号", "王主任"],
                       ["E2", "2026-01", "放款户数", 15, "申诉：漏计放款", "申诉2026-007", "李行长"])


def test_an_item_and_a_total_adjustment_change_totals_and_ranks(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    assert ranks(shown(cli, db)) == {"E1": ("16.00", 1, 1), "E2": ("13.50", 2, 2),
                                     "E3": ("11.00", 3, 1)}
    path = two(tmp_path)
    r = cli("adjust", path, "--db", db, code=0)
    assert "已记录调整 2 条（编号 1、2）；已重算 2026-01。" in r.stdout
    after = shown(cli, db)
    # E2's 放款户数 7.50 + 15 stops at its 高限 20: 12.50 moved.
    assert ranks(after) == {"E2": ("26.00", 1, 1), "E1": ("16.00", 2, 2), "E3": ("14.00", 3, 1)}
    assert after["E2"]["items"]["loan_households"] == "20.00"
    assert after["E2"]["adjustments"] == [{
        "id": 2, "item": "loan_households", "points": "15.00", "reason": "申诉:漏计放款",
        "basis": "申诉2026-007", "approved_by": "李行长", "applied": "12.50",
        "note": "放款户数得分须在 0 至高限 20 分之间，实际调整 12.50 分"}]
    assert [a["id"] for a in after["E3"]["adjustments"]] == [1] and after["E1"]["adjustments"] == []
    record = q(db, "SELECT file_name, length(file_sha256), file_row, created_by FROM adjustments"
                   " ORDER BY id")
    assert [x[:3] for x in record] == [("调整.xlsx", 64, 3), ("调整.xlsx", 64, 4)]
    # the same file twice is refused: it was recorded already
    r = cli("adjust", path, "--db", db, code=1)
    assert "这个调整文件（内容相同）已于" in r.stderr and "不再重复导入" in r.stderr
    assert q(db, "SELECT count(*) FROM adjustments") == [(2,)]


def test_score_replace_keeps_both_adjustments_and_reports_one_it_cannot_apply(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("adjust", two(tmp_path), "--db", db, code=0)
    checked = json.loads(cli("check", export(tmp_path, "2026-01"), "--db", db, "--json",
                             code=0).stdout)  # check scores as score would store it
    assert {m["id"]: m["total"] for m in checked["managers"]} == \
        {"E2": "26.00", "E1": "16.00", "E3": "14.00"}
    doc = json.loads(cli("score", export(tmp_path, "2026-01"), "--replace", "--db", db,
                         "--out", tmp_path, "--json", code=0).stdout)
    got = {m["id"]: (m["total"], m["rank"], [a["id"] for a in m["adjustments"]])
           for m in doc["managers"]}
    assert got == {"E2": ("26.00", 1, [2]), "E1": ("16.00", 2, []), "E3": ("14.00", 3, [1])}
    # E2 left out of a corrected export: its adjustment is said, kept, and applies again later
    r = cli("score", export(tmp_path, "2026-01", without="E2"), "--replace", "--db", db,
            "--out", tmp_path, "-q", code=0)
    assert "调整 2（工号 E2，loan_households，15.00 分）：2026-01 没有工号 E2 的计分记录，调整未生效" \
        in r.stderr
    assert ranks(shown(cli, db)) == {"E1": ("16.00", 1, 1), "E3": ("14.00", 2, 1)}
    assert q(db, "SELECT id FROM adjustments WHERE revoked_at IS NULL ORDER BY id") == [(1,), (2,)]
    cli("score", export(tmp_path, "2026-01"), "--replace", "--db", db, "--out", tmp_path, "-q",
        code=0)
    assert shown(cli, db)["E2"]["total"] == "26.00"


def test_the_scores_workbook_has_the_adjustment_column_and_sheet(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    from openpyxl import load_workbook

    cli("adjust", two(tmp_path), "--db", db, code=0)
    cli("show", "2026-01", "--write", "--db", db, "--out", tmp_path, code=0)
    book = load_workbook(tmp_path / "scores-2026-01.xlsx", read_only=True)
    ranked = [r for r in book["支行排名"].iter_rows(values_only=True)]
    header = next(r for r in ranked if r and "调整" in r)
    at = header.index("调整")
    by_id = {r[header.index("工号")]: r[at] for r in ranked[ranked.index(header) + 1:]
             if r and r[header.index("工号")] in ("E1", "E2", "E3")}
    assert by_id == {"E1": None, "E2": 12.5, "E3": 3}
    detail = [r for r in book["调整明细"].iter_rows(values_only=True) if r and r[0] in (1, 2)]
    assert [(r[0], r[2], r[5], r[6]) for r in detail] == [
        (1, "E3", 3, 3), (2, "E2", 15, 12.5)]


def test_a_revoked_adjustment_stops_applying_and_stays_in_the_history(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("adjust", two(tmp_path), "--db", db, code=0)
    r = cli("adjust", "--revoke", 1, "--db", db, code=1)
    assert "撤销调整必须写明原因（--reason）" in r.stderr
    r = cli("adjust", "--revoke", 1, "--reason", "复核后撤回", "--db", db, code=0)
    assert "已撤销调整 1（记录保留）；已重算 2026-01。" in r.stdout
    after = shown(cli, db)
    assert ranks(after) == {"E2": ("26.00", 1, 1), "E1": ("16.00", 2, 2), "E3": ("11.00", 3, 1)}
    assert after["E3"]["adjustments"] == []
    assert q(db, "SELECT id, revoke_reason, revoked_at IS NOT NULL FROM adjustments ORDER BY id") \
        == [(1, "复核后撤回", 1), (2, None, 0)]
    r = cli("adjust", "--revoke", 1, "--reason", "再撤一次", "--db", db, code=1)
    assert "调整 1 已于" in r.stderr and "无需再次撤销" in r.stderr
    r = cli("adjust", "--revoke", 9, "--reason", "x", "--db", db, code=1)
    assert "没有编号为 9 的调整" in r.stderr
    explained = json.loads(cli("explain", "E3", "--month", "2026-01", "--db", db,
                               "--json").stdout)
    assert explained["total"] == "11.00" and explained["adjustments"] == []
    assert explained["adjustment_history"][0]["revoke_reason"] == "复核后撤回"


def test_explain_shows_the_computed_figure_each_adjustment_and_the_result(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("adjust", two(tmp_path), "--db", db, code=0)
    r = cli("explain", "E2", "--month", "2026-01", "--db", db, code=0)
    text = " ".join(r.stdout.split())
    assert "计算得分 13.50 分" in text
    assert ("调整 2：放款户数 +15.00 分（实际 +12.50 分：放款户数得分须在 0 至高限 20 分之间，实际调整 "
            "12.50 分）；原因：申诉:漏计放款；依据：申诉2026-007；批准人：李行长") in text
    assert "调整后得分 26.00 分" in text
    doc = json.loads(cli("explain", "E2", "--month", "2026-01", "--db", db, "--json").stdout)
    assert (doc["computed_total"], doc["total"]) == ("13.50", "26.00")


def test_an_adjustment_to_a_paid_month_is_restated_in_the_next_payroll(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("payroll", "--month", "2026-01", "--db", db, "--out", tmp_path, "-q", code=0)
    adj = adjustments(tmp_path / "a.xlsx",
                      ["E1", "2026-01", "总分", 10, "申诉成立", "申诉2026-001", "王主任"])
    r = cli("adjust", adj, "--db", db, code=0)
    assert "2026-01 已发放：差额将随下次 cmscore payroll 补发或扣回" in r.stdout
    cli("score", export(tmp_path, "2026-02"), "--db", db, "--out", tmp_path, "-q", code=0)
    doc = json.loads(cli("payroll", "--month", "2026-02", "--db", db, "--out", tmp_path,
                         "--json", code=0).stdout)
    # 过渡期 base 1000.00: 16.00 → 26.00 points is 100.00 more, carried once
    assert [(x["month"], x["cm_id"], x["paid"], x["due"], x["difference"])
            for x in doc["restatements"]] == [("2026-01", "E1", "160.00", "260.00", "100.00")]
    assert doc["restatements"][0]["reason"].startswith("2026-01 调整（运行 ")


def test_a_file_adjusting_two_paid_months_restates_each_under_its_own_name(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("score", export(tmp_path, "2026-02"), "--db", db, "--out", tmp_path, "-q", code=0)
    for month in ("2026-01", "2026-02"):
        cli("payroll", "--month", month, "--db", db, "--out", tmp_path, "-q", code=0)
    adj = adjustments(tmp_path / "a.xlsx",
                      ["E1", "2026-01", "总分", 10, "申诉成立", "申诉2026-001", "王主任"],
                      ["E1", "2026-02", "总分", 5, "申诉成立", "申诉2026-002", "王主任"])
    doc = json.loads(cli("adjust", adj, "--db", db, "--json", code=0).stdout)
    assert sorted(doc["paid_months_restated"]) == ["2026-01", "2026-02"]
    reasons = dict(q(db, "SELECT month, reason FROM restatements ORDER BY month"))
    assert reasons["2026-01"].startswith("2026-01 调整") and \
        reasons["2026-02"].startswith("2026-02 调整")


def test_a_closed_month_refuses_adjustments(db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("close", "2026-01", "--db", db, code=0)
    r = cli("adjust", two(tmp_path), "--db", db, code=1)
    assert "2026-01 已结账，不能调整；确需调整请先 cmscore reopen 2026-01" in r.stderr
    assert q(db, "SELECT count(*) FROM adjustments") == [(0,)]


def test_a_bad_adjustments_file_is_refused_with_every_problem_located(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    bad = adjustments(tmp_path / "坏.xlsx",
                      ["", "2026-01", "总分", 1, "原因", "依据", "甲"],
                      ["E1", "2026-13", "存款", "abc", "原因", "依据", "甲"],
                      ["E1", "2026-01", "放款户数", 1.234, "原因", "依据", ""],
                      ["E9", "2026-01", "总分", 1, "原因", "依据", "甲"],
                      ["E1", "2026-05", "总分", 1, "原因", "依据", "甲"],
                      ["E1", "2026-01", "总分", 0, "原因", "依据", "甲"])
    r = cli("adjust", bad, "--db", db, "--json", code=1)
    problems = [(p["row"], p["column"], p["message"]) for p in json.loads(r.stdout)["problems"]]
    assert problems == [
        (3, "工号", "工号为空：每条调整都要写明工号"),
        (4, "月份", "「2026-13」不是月份：请写成 2026-06 或 2026年6月"),
        (4, "项目", "项目「存款」不是规则文件中的计分项目：请写项目名称（如 放款户数）、项目编号，或 总分"),
        (4, "调整分值", "「abc」不是数字"),
        (5, "批准人", "批准人为空：每条调整都要写明批准人"),
        (5, "调整分值", "1.234 超过两位小数：分值精确到 0.01 分"),
        (6, "工号", "2026-01 没有工号 E9 的计分记录：请核对工号和月份"),
        (7, "月份", "2026-05 尚未计分：请先 cmscore score 该月的导出文件"),
        (8, "调整分值", "调整分值为 0：不调整的行请删除")]
    assert all(p["file"] == "坏.xlsx" and p["sheet"] == "业绩" for p in json.loads(r.stdout)["problems"])
    assert q(db, "SELECT count(*) FROM adjustments") == [(0,)]
    r = cli("adjust", write_csv(tmp_path / "无表头.csv", ["工号", "月份", "分值"], [["E1", "2026-01", 1]]),
            "--db", db, code=1)
    assert "找不到表头行：缺少列 项目、调整分值、原因、依据、批准人" in r.stderr


@pytest.mark.parametrize(("cell", "month"), [
    ("2026-06", "2026-06"), ("2026/6", "2026-06"), ("2026年6月", "2026-06"), (202606, "2026-06"),
    ("2026.10", "2026-10")])
def test_the_month_cell_may_be_written_as_offices_write_it(cell: Any, month: str) -> None:
    from cmscore.inputs.adjustments import _month

    assert _month(cell) == month


@pytest.mark.parametrize(("cell", "said"), [
    (2026.1, "「2026.1」是数字，看不出是哪个月"), ("20266", "「20266」不是月份"),
    ("2026-13", "「2026-13」不是月份")])
def test_a_month_cell_that_could_be_misread_is_refused(cell: Any, said: str) -> None:
    from cmscore.inputs.adjustments import _month

    with pytest.raises(ValueError, match=said):
        _month(cell)


EVENT_HEADER = ["工号", "日期", "类型", "说明", "来源"]


def test_events_are_stored_shown_in_explain_and_raise_the_article_16_warnings(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    events = write_csv(tmp_path / "事件.csv", EVENT_HEADER, [
        ["E1", "2024-09-10", "投诉", "一年多以前的投诉", "客服中心"],
        ["E1", "2025-03-05", "投诉", "柜面服务态度", "客服中心"],
        ["E1", "2025/9/18", "投诉", "催办不及时", "客服中心"],
        ["E2", "2025-11-02", "失职", "贷后检查未按时", "稽核部"],
        ["E3", "2026年1月8日", "违规", "代客户签字", "内控检查"]])
    r = cli("events", events, "--db", db, code=0)
    assert "已记录第十六条事件 5 条。" in r.stdout
    assert ("预警 E3 丙（截至 2026-01）：触及第十六条第四项情形，提请客户经理管理考评领导小组研究"
            "（违规 1 次，2026-01-08）") in r.stdout
    assert "E1" not in r.stdout and "E2" not in r.stdout  # two 投诉 in the window; 失职 alone
    doc = json.loads(cli("explain", "E1", "--month", "2026-01", "--db", db, "--json").stdout)
    assert [e["date"] for e in doc["events"]] == ["2025-03-05", "2025-09-18"]
    assert doc["article16_warnings"] == []
    third = write_csv(tmp_path / "事件2.csv", EVENT_HEADER,
                      [["E1", "2026-01-20", "投诉", "未按约回访", "客户来信"]])
    r = cli("events", third, "--db", db, code=0)
    assert ("预警 E1 甲（截至 2026-01）：触及第十六条第三项情形，提请客户经理管理考评领导小组研究"
            "（12 个月内投诉 3 次，2025-03-05、2025-09-18、2026-01-20）") in r.stdout
    text = " ".join(cli("explain", "E1", "--month", "2026-01", "--db", db, code=0).stdout.split())
    assert "第十六条事件：2026-01-20 投诉：未按约回访（来源：客户来信）" in text
    assert "预警：触及第十六条第三项情形" in text
    r = cli("events", third, "--db", db, code=1)
    assert "这个事件文件（内容相同）已于" in r.stderr


def test_a_bad_events_file_is_refused_with_every_problem_located(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    bad = write_csv(tmp_path / "坏事件.csv", EVENT_HEADER, [
        ["", "2026-02-30", "骂人", "x", "y"], ["E9", "2026-01-05", "投诉", "x", ""]])
    r = cli("events", bad, "--db", db, "--json", code=1)
    assert [(p["row"], p["column"], p["message"]) for p in json.loads(r.stdout)["problems"]] == [
        (2, "工号", "工号为空：每条事件都要写明工号"),
        (2, "日期", "「2026-02-30」不是日期：请写成 2026-06-15 或 2026年6月15日"),
        (2, "类型", "类型「骂人」不是 损失、失职、投诉、违规 之一"),
        (3, "来源", "来源为空：每条事件都要写明来源")]
    assert q(db, "SELECT count(*) FROM events") == [(0,)]


def test_an_event_dated_after_today_is_refused(db: Path, tmp_path: Path, cli: Cli) -> None:
    """An event is something that happened: a date after today is a typing error (2062 for 2026)."""
    from datetime import date, timedelta
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    bad = write_csv(tmp_path / "未来.csv", EVENT_HEADER, [["E1", tomorrow, "投诉", "x", "y"]])
    r = cli("events", bad, "--db", db, "--json", code=1)
    assert [(p["row"], p["column"], p["message"]) for p in json.loads(r.stdout)["problems"]] == [
        (2, "日期", f"日期 {tomorrow} 晚于今天（{date.today().isoformat()}）：事件只能登记已经发生的"
                    "情况，请核对年份和月份")]
    assert q(db, "SELECT count(*) FROM events") == [(0,)]


def test_the_html_report_lists_the_months_adjustments_and_events(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("adjust", two(tmp_path), "--db", db, code=0)
    cli("events", write_csv(tmp_path / "e.csv", EVENT_HEADER,
                            [["E3", "2026-01-08", "违规", "<b>代客户签字</b>", "内控检查"]]),
        "--db", db, code=0)
    cli("report", "--month", "2026-01", "--db", db, "--out", tmp_path, code=0)
    html = (tmp_path / "report-2026-01.html").read_text(encoding="utf-8")
    assert ("<tr><td>2</td><td>E2</td><td>乙</td><td>放款户数</td><td class=\"n\">+15.00</td>"
            "<td class=\"n\">+12.50</td><td>申诉:漏计放款</td>") in html
    assert "<li>E3 丙：触及第十六条第四项情形，提请客户经理管理考评领导小组研究（违规 1 次，2026-01-08）</li>" \
        in html
    assert "&lt;b&gt;代客户签字&lt;/b&gt;" in html and "<b>代客户签字" not in html


def test_the_payroll_carries_the_article_16_warnings_of_the_events(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("events", write_csv(tmp_path / "e.csv", EVENT_HEADER,
                            [["E2", "2025-12-01", "损失", "贷款损失", "风险管理部"]]),
        "--db", db, code=0)
    doc = json.loads(cli("payroll", "--month", "2026-01", "--db", db, "--out", tmp_path,
                         "--json", code=0).stdout)
    warned = {m["id"]: m["warnings"] for m in doc["managers"]}
    assert warned == {"E1": [], "E2": [
        "触及第十六条第一项情形，提请客户经理管理考评领导小组研究（损失 1 次，2025-12-01）"], "E3": []}
    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "payroll-2026-01.xlsx", read_only=True)["绩效工资"]
    assert any(r and r[0] == "E2" and "触及第十六条第一项情形" in str(r[-1])
               for r in sheet.iter_rows(values_only=True))


def test_adjust_and_events_on_a_missing_store_create_nothing(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "无.db"
    for args in (("adjust", two(tmp_path)), ("adjust", "--revoke", 1, "--reason", "x"),
                 ("events", write_csv(tmp_path / "e.csv", EVENT_HEADER,
                                      [["E1", "2026-01-08", "投诉", "x", "y"]]))):
        r = cli(*args, "--db", db, code=1)
        assert f"历史库 {db} 不存在" in r.stderr
    assert list(tmp_path.glob("无.db*")) == []
    r = cli("adjust", two(tmp_path), "--revoke", 1, "--reason", "x", "--db", db, code=1)
    assert "请给出调整文件，或用 --revoke 编号 --reason \"…\" 撤销一条调整（二者选一）" in r.stderr


_CMS = [f"0{i:05d}" for i in range(30)]
_ITEMS = ["loan_households", "loan_amount", "cards", "savings_growth", "总分"]


@pytest.fixture(scope="module")
def month_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_corrections import export as generated

    return generated(tmp_path_factory.mktemp("gen"), "2026-03", 7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(_CMS), st.sampled_from(_ITEMS),
                          st.integers(-3000, 3000).filter(bool)), max_size=25))
def test_adjusted_months_reconcile_stay_in_bounds_and_rank_by_the_adjusted_totals(
        month_file: Path, rules: Any, asked: list[tuple[str, str, int]]) -> None:
    from decimal import Decimal

    from cmscore.engine.adjustments import Adjustment, apply
    from cmscore.engine.scoring import competition_ranks, score_month
    from cmscore.inputs.reader import read_export

    scores = score_month(read_export(month_file, rules), rules)
    computed = {s.manager.id: s.total for s in scores.scores}
    adjustments = [Adjustment("2026-03", cm, item, Decimal(cp).scaleb(-2), "r", "b", "a", id=i)
                   for i, (cm, item, cp) in enumerate(asked, start=1)]
    assert apply(scores, adjustments) == []  # every manager and item is in the month
    caps = {i.id: i.cap for i in rules.tables["支行"].items}
    for s in scores.scores:
        moved = sum((a.applied for a in scores.adjustments.get(s.manager.id, [])), Decimal(0))
        assert s.total == computed[s.manager.id] + moved and s.total >= 0
        assert all(Decimal(0) <= v.points <= caps[k] for k, v in s.items.items())
        assert s.total == sum((v.points for v in s.items.values()), Decimal(0)) + sum(
            (a.applied for a in scores.adjustments.get(s.manager.id, [])
             if a.adjustment.item == "总分"), Decimal(0))
    members = scores.scores
    assert [s.rank for s in members] == [
        r for r in sorted(competition_ranks([s.total for s in members]))]


def test_a_cascade_from_an_earlier_correction_keeps_a_later_months_adjustments(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    cli("score", export(tmp_path, "2026-02"), "--db", db, "--out", tmp_path, "-q", code=0)
    cli("adjust", adjustments(tmp_path / "二月.xlsx",
                              ["E3", "2026-02", "总分", 3, "领导小组决定", "考评组〔2026〕2号", "王主任"]),
        "--db", db, code=0)
    assert shown(cli, db, "2026-02")["E3"]["total"] == "14.00"
    # January corrected to 50 loan households each (the annual task is 48): February now
    # completes early (full 10 + 2 households × 2.5 = 15), the cascade re-scores it, and
    # E3's adjustment is applied again: 15 + 6 (NPL) + 3 = 24.00.
    corrected = write_csv(tmp_path / "fix" / "2026-01.csv", HEADERS, [
        row(ZEROS, 工号="E1", 姓名="甲", 放款户数=50), row(ZEROS, 工号="E2", 姓名="乙", 放款户数=50),
        row(ZEROS, 工号="E3", 姓名="丙", 机构="城西支行", 放款户数=50)])
    doc = json.loads(cli("score", corrected, "--replace", "--db", db, "--out", tmp_path, "--json",
                         code=0).stdout)
    assert {r["month"] for r in doc["restated"]} == {"2026-02"}
    february = shown(cli, db, "2026-02")
    e3 = next(r for r in doc["restated"] if r["id"] == "E3")
    assert february["E3"]["total"] == e3["new_total"] == "24.00"
    assert [a["id"] for a in february["E3"]["adjustments"]] == [1]
    assert q(db, "SELECT sum(applied_cp) FROM adjustment_effects WHERE month = '2026-02'") == \
        [(300,)]


def test_an_item_adjustment_after_a_total_one_never_takes_the_total_below_0(
        month_file: Path, rules: Any) -> None:
    """Found by the property test above: 总分 −11.41 took 000028's 11.41 to 0, then 放款金额
    −1.75 took it to −0.01. The item moves only as far as a total of 0, and says so."""
    from decimal import Decimal

    from cmscore.engine.adjustments import Adjustment, apply
    from cmscore.engine.scoring import score_month
    from cmscore.inputs.reader import read_export

    scores = score_month(read_export(month_file, rules), rules)
    total = next(s.total for s in scores.scores if s.manager.id == "000028")
    adjustments = [Adjustment("2026-03", "000028", "总分", -total, "r", "b", "a", id=1),
                   Adjustment("2026-03", "000028", "loan_amount", Decimal("-1.75"), "r", "b",
                              "a", id=2)]
    assert apply(scores, adjustments) == []
    s = next(s for s in scores.scores if s.manager.id == "000028")
    item = scores.adjustments["000028"][1]
    assert s.total == 0 and item.applied == 0
    assert item.note == "总分不能低于 0，放款金额实际调整 0.00 分"


def test_an_adjustment_with_a_shortened_id_gets_its_leading_zeros_back(
        tmp_path: Path, cli: Cli) -> None:
    """Red team: 011771 typed as the number 11771 was refused as an unknown 工号; the export,
    roster, tasks and supervisors files all pad to id_width, so this file does too."""
    db = tmp_path / "h.db"
    month = write_csv(tmp_path / "2026-01.csv", HEADERS,
                      [row(ZEROS, 工号="011771", 姓名="甲", 放款户数=4)])
    cli("score", month, "--db", db, "--out", tmp_path, "-q", code=0)
    path = adjustments(tmp_path / "调整.xlsx",
                       [11771, "2026-01", "总分", 3, "领导小组决定加分", "考评组〔2026〕1号", "王主任"])
    cli("adjust", path, "--db", db, code=0)
    assert shown(cli, db)["011771"]["total"] == "19.00"  # 16.00 + 3


def test_a_reason_no_workbook_can_hold_is_refused_before_it_is_stored(
        db: Path, tmp_path: Path, cli: Cli) -> None:
    """U+FFFE in 原因 used to be stored, and then every workbook of the month failed to be
    written (no XML may hold it) until the adjustment was revoked."""
    bad = adjustments(tmp_path / "坏.xlsx", ["E1", "2026-01", "总分", 1, "申诉\ufffe", "依据", "甲"])
    r = cli("adjust", bad, "--db", db, "--json", code=1)
    assert [(p["row"], p["column"], p["message"]) for p in json.loads(r.stdout)["problems"]] == \
        [(3, "原因", "原因含控制字符：请删除后重新导入")]
    assert q(db, "SELECT count(*) FROM adjustments") == [(0,)]


def test_a_month_without_adjustments_is_left_as_scored_without_a_look_at_each_manager(
        rules: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The usual month has no adjustment: nothing to look up or sum per manager (a
    national month's 0.1 s on the serial path before the forked writer)."""
    from cmscore.engine import adjustments
    from cmscore.engine.scoring import score_month
    from cmscore.inputs.reader import read_export
    from conftest import EXAMPLES

    scores = score_month(read_export(EXAMPLES / "2026-10.xlsx", rules, None), rules)
    before = [(s.manager.id, s.total, s.rank) for s in scores.scores]
    scores.adjustments = {"x": []}

    def per_manager(*_: object) -> None:
        raise AssertionError("a look at each manager")
    monkeypatch.setattr(adjustments, "_where", per_manager)
    monkeypatch.setattr(adjustments, "to_centi", per_manager)
    assert adjustments.apply(scores, []) == []
    assert scores.adjustments == {}
    assert [(s.manager.id, s.total, s.rank) for s in scores.scores] == before


@pytest.mark.parametrize("number", ["99999999999999999999999", "0", "-3"])
def test_revoking_a_number_no_adjustment_can_have_says_so(db: Path, cli: Cli, number: str) -> None:
    """Red team (both releases): a number beyond SQLite's integers crashed with an
    OverflowError traceback."""
    r = cli("adjust", "--revoke", number, "--reason", "撤回", "--db", db, code=1)
    assert f"没有编号为 {number} 的调整" in r.stderr
