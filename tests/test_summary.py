"""`cmscore summary --year YYYY [--quarter Q]`: a quarter's or a year's months per manager,
checked against the months' own --json; and `cmscore publish MONTH` (issue 18)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from conftest import EXAMPLES, Cli, Workbooks, json_out


def test_the_year_sums_up_every_scored_month(workbooks: Workbooks) -> None:
    doc = workbooks.summary_year
    scored = [f"2026-{m:02d}" for m in range(5, 11)]
    assert (doc["year"], doc["quarter"], doc["months"]) == (2026, None, scored)
    assert doc["missing"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-11", "2026-12"]
    months: dict[str, dict[str, Any]] = {}
    for month in scored:
        for m in workbooks.scores[month]["managers"]:
            months.setdefault(m["id"], {})[month] = m
    assert {m["id"] for m in doc["managers"]} == set(months)
    pay = {m["id"]: m for m in workbooks.payroll["managers"]}
    for m in doc["managers"]:
        seen = months[m["id"]]
        assert m["totals"] == {k: v["total"] for k, v in seen.items()}
        mean = sum((D(v["total"]) for v in seen.values()), D(0)) / len(seen)
        assert D(m["average"]) == mean.quantize(D("0.01"), ROUND_HALF_UP)
        assert m["months"] == len(seen)
        assert D(m["risk_fund_points"]) == sum((D(v["risk_fund"]) for v in seen.values()), D(0))
        assert (m["pay"], m["paid_months"]) == (pay[m["id"]]["pay"], 1)  # October only
        # graded for 2026-11 on; 分行 managers are 一级 from the start (第六条)
        grade = "过渡期" if m["category"] == "支行" else "一级"
        assert m["grades"] == f"{grade}（2026-05 至 2026-10）"
    for category in {m["category"] for m in doc["managers"]}:
        members = {m["id"]: D(m["average"]) for m in doc["managers"]
                   if m["category"] == category}
        assert {m["id"]: m["rank"] for m in doc["managers"] if m["category"] == category} == \
            {c: 1 + sum(1 for o in members.values() if o > v) for c, v in members.items()}
    assert doc["managers"][0]["category"] == "支行"  # the rule files' order


def test_a_quarter_takes_its_three_months_and_the_workbook_shows_the_json(
        workbooks: Workbooks) -> None:
    doc = workbooks.summary_quarter
    assert (doc["quarter"], doc["months"], doc["missing"]) == \
        (3, ["2026-07", "2026-08", "2026-09"], [])
    assert all(m["paid_months"] == 0 and m["pay"] == "0.00" for m in doc["managers"])
    wb = load_workbook(workbooks.path("summary-2026-Q3.xlsx"))
    assert wb.sheetnames == ["汇总", "运行记录"]
    ws = wb["汇总"]
    assert ws["A1"].value == "2026 年第 3 季度客户经理考核汇总（已计分 3 个月：2026-07 至 2026-09）"
    heads = [c.value for c in ws[3]]
    assert heads[:8] == ["排名", "工号", "姓名", "机构", "类别", "2026-07", "2026-08", "2026-09"]
    rows = {r[1]: dict(zip(heads, r, strict=True))
            for r in ws.iter_rows(min_row=4, values_only=True)}
    for m in doc["managers"]:
        row = rows[m["id"]]
        assert (row["排名"], row["考核月数"], row["执行等级"]) == (m["rank"], 3, m["grades"])
        assert D(str(row["平均分"])).quantize(D("0.01")) == D(m["average"])
    assert ws.freeze_panes == "D4"
    record = dict(wb["运行记录"].iter_rows(min_row=2, values_only=True))
    assert record["未计分月份"] == "无" and record["客户经理人数"] == len(doc["managers"])


def test_re_scored_closed_and_reopened_months_are_listed(tmp_path: Path, cli: Cli) -> None:
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    for extra in ((), ("--replace",)):
        cli("score", EXAMPLES / "2026-10.xlsx", "--db", db, "--out", out, "-q", *extra, code=0)
    cli("close", "2026-10", "--db", db, code=0)
    cli("reopen", "2026-10", "--reason", "补录客户经理", "--db", db, code=0)
    doc = json_out(cli("summary", "--year", 2026, "--quarter", 4, "--db", db, "--out", out,
                       "--json", code=0))
    assert doc["months"] == ["2026-10"] and doc["missing"] == ["2026-11", "2026-12"]
    adjustments = doc["adjustments"]
    assert len(adjustments) == 3 and adjustments[0].startswith("2026-10 曾重新计分")
    assert adjustments[1].startswith("2026-10 结账")
    assert adjustments[2].startswith("2026-10 重新打开") and adjustments[2].endswith("：补录客户经理")
    human = cli("summary", "--year", 2026, "--quarter", 4, "--db", db, "--out", out, code=0)
    assert human.stdout.strip() == (
        "2026 年第 4 季度客户经理考核汇总（已计分 1 个月：2026-10 至 2026-10；未计分：2026-11、"
        f"2026-12）：40 名客户经理；已写出 {out / 'summary-2026-Q4.xlsx'}")


def test_a_period_with_no_scored_month_is_refused(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "cmscore.db"
    cli("score", EXAMPLES / "2026-10.xlsx", "--db", db, "--out", tmp_path, "-q", code=0)
    got = cli("summary", "--year", 2026, "--quarter", 1, "--db", db, "--out", tmp_path, code=1)
    assert "2026 年第 1 季度（2026-01 至 2026-03）还没有已计分的月份" in got.stderr
    assert not (tmp_path / "summary-2026-Q1.xlsx").exists()
    cli("summary", "--year", 2026, "--quarter", 5, "--db", db, code=2)


def sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}


def test_publish_writes_the_notice_score_wrote(workbooks: Workbooks, tmp_path: Path,
                                               cli: Cli) -> None:
    db = workbooks.out.parent / "cmscore.db"
    doc = json_out(cli("publish", "2026-10", "--db", db, "--out", tmp_path, "--json", code=0))
    assert doc == {"notice": str(tmp_path / "公示-2026-10.xlsx")}
    assert sheets(tmp_path / "公示-2026-10.xlsx") == sheets(workbooks.path("公示-2026-10.xlsx"))


def test_publish_refuses_rules_that_do_not_give_the_stored_scores(
        workbooks: Workbooks, tmp_path: Path, cli: Cli) -> None:
    db = workbooks.out.parent / "cmscore.db"
    got = cli("publish", "2026-10", "--db", db, "--out", tmp_path, "--rules",
              workbooks.out.parent / "rules-3", code=1)
    assert "按当前规则重算 2026-10 与历史库中的得分不同" in got.stderr
    assert list(tmp_path.iterdir()) == []
    got = cli("publish", "2026-13", "--db", db, "--out", tmp_path, code=1)
    assert "MONTH 2026-13" in got.stderr


def test_a_manager_who_changed_category_is_averaged_on_that_category_only(
        tmp_path: Path) -> None:
    """Red team: 014328 moved from 支行 to 分行个金 for October–December was ranked first
    in 分行个金 on nine 支行 months and three 分行个金 months (第八条: never averaged across
    tables, as grade does it)."""
    from history_helpers import cm, run_json, store_months
    months = {f"2026-{m:02d}": {
        "M": cm("90.00") if m <= 9 else cm("40.00", category="分行个金", branch="分行营业部"),
        "F": cm("60.00", category="分行个金", branch="分行营业部")} for m in range(1, 13)}
    db = store_months(tmp_path / "h.db", months)
    doc = run_json("summary", "--year", 2026, "--db", db, "--out", tmp_path)
    got = {x["id"]: (x["category"], x["average"], x["rank"]) for x in doc["managers"]}
    assert got == {"M": ("分行个金", "40.00", 2), "F": ("分行个金", "60.00", 1)}
