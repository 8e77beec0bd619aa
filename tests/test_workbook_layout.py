"""How every workbook looks and prints, read back with openpyxl (issue 18): page setup,
print titles, footers, frozen names, wrapped sentences, row heights, number formats,
widths for Chinese text, document properties; and that the figures did not move."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from conftest import EXAMPLES, Workbooks

NAMES = ["scores-2026-10.xlsx", "scores-2026-05.xlsx", "公示-2026-10.xlsx", "grades-2026-10.xlsx",
         "payroll-2026-10.xlsx", "diff-2026-09_2026-10.xlsx", "diff-2026-10_2026-10.xlsx",
         "summary-2026.xlsx", "summary-2026-Q3.xlsx", "工资导入-2026-10.xlsx"]


def book(workbooks: Workbooks, name: str) -> Workbook:
    return load_workbook(workbooks.path(name))


def header_row(ws: Worksheet) -> int:
    """The header row: 3 under a title, else 1."""
    return 3 if ws["A1"].value and ws["A2"].value is None and ws["A3"].value else 1


def table(ws: Worksheet) -> list[dict[str, Any]]:
    start = header_row(ws)
    heads = [c.value for c in ws[start]]
    return [dict(zip(heads, row, strict=True))
            for row in ws.iter_rows(min_row=start + 1, values_only=True)]


def cells(text: str) -> int:
    """Display cells of the widest line: a Chinese character takes two."""
    return max(sum(2 if ord(ch) > 0x2E7F else 1 for ch in line) for line in text.split("\n"))


@pytest.mark.parametrize("name", NAMES)
def test_every_sheet_prints_one_page_wide_with_titles_footer_and_area(
        workbooks: Workbooks, name: str) -> None:
    wb = book(workbooks, name)
    for ws in wb:
        start = header_row(ws)
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == f"$1:${start}", ws.title
        last = ws.cell(1, ws.max_column).column_letter
        assert ws.print_area == f"'{ws.title}'!$A$1:${last}${ws.max_row}", ws.title
        assert ws.oddFooter.left.text == "&A"  # the sheet's name
        assert ws.oddFooter.right.text == "第 &P 页 / 共 &N 页"
        wide = sum(ws.column_dimensions[ws.cell(1, j).column_letter].width
                   for j in range(1, ws.max_column + 1)) > 100
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait"), ws.title


def test_document_properties_name_the_workbook_and_its_month(workbooks: Workbooks) -> None:
    want = {"scores-2026-10.xlsx": ("2026-10 客户经理考核得分", "2026-10"),
            "grades-2026-10.xlsx": ("2026-05 至 2026-10 客户经理定级", "2026-11"),
            "payroll-2026-10.xlsx": ("2026-10 客户经理绩效工资", "2026-10"),
            "diff-2026-09_2026-10.xlsx": ("2026-09 至 2026-10 规则调整对比", "2026-09 至 2026-10"),
            "diff-2026-10_2026-10.xlsx": ("2026-10 规则调整对比", "2026-10")}
    for name, (title, month) in want.items():
        props = book(workbooks, name).properties
        assert (props.title, props.subject, props.keywords) == (title, month, month)


def test_ranked_sheets_freeze_names_centre_ranks_and_fit_their_headers(
        workbooks: Workbooks) -> None:
    wb = book(workbooks, "scores-2026-10.xlsx")
    ws = wb["支行排名"]
    assert ws.freeze_panes == "E4"  # 排名, 机构内排名, 工号, 姓名 stay in view
    heads = {c.value: c for c in ws[3]}
    for head in ("机构内排名", "不良占比及风险金"):
        cell = heads[head]
        width = ws.column_dimensions[cell.column_letter].width
        lines = math.ceil(cells(head) / (width - 1.5))
        assert lines > 1 and cell.alignment.wrap_text
        assert ws.row_dimensions[3].height >= 15 * lines  # does not spill over row 4
    rank = ws.cell(4, heads["机构内排名"].column)
    assert rank.alignment.horizontal == "center" and rank.number_format == "0"
    assert isinstance(rank.value, int)  # a number, set apart from the 工号 beside it
    for head in ("放款户数", "总分", "风险金计提", "贷款类\n小计"):
        assert ws.cell(4, heads[head].column).number_format == "0.00", head
    branch = ws.column_dimensions[heads["机构"].column_letter].width
    assert branch >= max(cells(str(c.value)) for c in ws[heads["机构"].column_letter][3:])
    assert wb["明细"].freeze_panes == "C2"  # 工号, 姓名
    assert book(workbooks, "payroll-2026-10.xlsx")["绩效工资"].freeze_panes == "C4"


def test_detail_sentences_wrap_and_their_rows_show_every_line(workbooks: Workbooks) -> None:
    ws = book(workbooks, "scores-2026-10.xlsx")["明细"]
    heads = {c.value: c.column for c in ws[1]}
    column = heads["计分说明"]
    width = ws.column_dimensions[ws.cell(1, column).column_letter].width
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(r, column)
        assert cell.alignment.wrap_text, r
        lines = len(cell.value.split("\n"))
        assert lines >= 11
        assert ws.row_dimensions[r].height >= 15 * lines, r
        assert width * 2 >= max(cells(line) for line in cell.value.split("\n")) or \
            ws.row_dimensions[r].height > 15 * lines


def export_rows() -> dict[str, dict[str, Any]]:
    ws = load_workbook(EXAMPLES / "2026-10.xlsx", read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    heads = rows[2]
    return {r[1]: dict(zip(heads, r, strict=True)) for r in rows[3:] if r[1]}


def test_detail_shows_the_exports_figures_and_ratios_as_percent(workbooks: Workbooks) -> None:
    ws = book(workbooks, "scores-2026-10.xlsx")["明细"]
    exported = export_rows()
    heads = {c.value: c.column for c in ws[1]}
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    star = rows["011771"]
    assert star[heads["管户户数·数据"] - 1] == exported["011771"]["管户户数"] == 170
    assert star[heads["管户户数·基数"] - 1] == 152 and star[heads["管户户数·净增"] - 1] == 18
    for cm, row in rows.items():
        if row[3] != "支行":
            continue
        assert row[heads["代发工资·50人以下"] - 1] == exported[cm]["代发工资50人以下"], cm
        assert row[heads["代发工资·50人及以上"] - 1] == exported[cm]["代发工资50人及以上"], cm
        bad, loans = exported[cm]["不良贷款余额（万元）"], exported[cm]["发放贷款余额（万元）"]
        ratio = row[heads["不良占比及风险金·不良率"] - 1]
        assert ratio == pytest.approx(bad / loans if loans else 0), cm
    npl = ws.cell(2, heads["不良占比及风险金·不良率"])
    assert npl.number_format == "0.00%"
    assert ws.cell(2, heads["管户户数·数据"]).number_format == "0"
    assert ws.cell(2, heads["放款金额·数据"]).number_format == "#,##0.00"


def test_run_record_keeps_numbers_as_numbers(workbooks: Workbooks) -> None:
    ws = book(workbooks, "scores-2026-10.xlsx")["运行记录"]
    record = dict(ws.iter_rows(min_row=2, values_only=True))
    assert record["表头行"] == 3
    assert record["客户经理人数"] == len(workbooks.scores["2026-10"]["managers"])
    assert isinstance(record["文件 SHA-256"], str)


def test_ranked_sheets_carry_the_json_figures(workbooks: Workbooks) -> None:
    doc = workbooks.scores["2026-10"]
    wb = book(workbooks, "scores-2026-10.xlsx")
    seen = {}
    for category in ("支行", "分行个金", "分行公司"):
        for row in table(wb[f"{category}排名"]):
            seen[row["工号"]] = row
    assert len(seen) == len(doc["managers"])
    for m in doc["managers"]:
        row = seen[m["id"]]
        assert (row["排名"], row["机构内排名"], row["姓名"]) == (m["rank"], m["branch_rank"],
                                                              m["name"])
        assert D(str(row["总分"])).quantize(D("0.01")) == D(m["total"])


def test_payroll_lists_branches_first_and_reports_the_linked_part_apart(
        workbooks: Workbooks) -> None:
    wb = book(workbooks, "payroll-2026-10.xlsx")
    rows = [r for r in table(wb["绩效工资"]) if r["工号"] != "合计"]
    categories = [r["类别"] for r in rows]
    assert categories[0] == "支行" and "分行个金" in categories
    assert categories.index("分行个金") > max(i for i, c in enumerate(categories) if c == "支行")
    pay = {m["id"]: m for m in workbooks.payroll["managers"]}
    assert {r["工号"]: D(str(r["月度应得工资"])).quantize(D("0.01")) for r in rows} == \
        {k: D(m["pay"]) for k, m in pay.items()}
    assert "风险金扣收" in [c.value for c in wb["绩效工资"][3]]
    totals = {r["项目"]: D(str(r["金额（元）"])).quantize(D("0.01")) for r in table(wb["合计"])}
    t = {k: D(v) for k, v in workbooks.payroll["totals"].items()}
    sups = workbooks.payroll["supervisors"]
    linked = sum((D(s["linked"]) for s in sups), D(0))
    fixed = sum((D(s["fixed"]) for s in sups), D(0))
    assert totals["绩效工资合计"] == t["pay"] + t["risk_fund_release"] + linked
    assert totals["主管挂钩部分（10%）"] == linked
    assert totals["主管履职岗位工资固定部分（90%）"] == fixed
    assert totals["合计发放"] == t["total"]
    assert totals["风险金扣收（不发放）"] == t["risk_fund_forfeit"]
    ledger = dict(wb["风险金台账"].iter_rows(min_row=4, values_only=True))
    assert "本月扣收" in ledger


def test_grades_use_the_usual_terms(workbooks: Workbooks) -> None:
    wb = book(workbooks, "grades-2026-10.xlsx")
    assert [c.value for c in wb["汇总"][3]] == ["等级", "参评名额", "参评人数", "不参评人数", "合计"]
    heads = [c.value for c in wb["定级"][3]]
    assert "并列说明" in heads and "分界说明" not in heads
    assert wb["定级"].cell(4, heads.index("原因") + 1).alignment.wrap_text
    # 等级 follows the right-aligned 2026-10 total: indented, so 「96.30 一级」 stays apart.
    grade = wb["定级"].cell(4, heads.index("等级") + 1)
    assert (grade.alignment.horizontal, grade.alignment.indent) == ("left", 1)


def window_average(workbooks: Workbooks, cm: str, months: list[str]) -> D:
    totals = [D(m["total"]) for month in months for m in workbooks.scores[month]["managers"]
              if m["id"] == cm]
    return (sum(totals, D(0)) / len(totals)).quantize(D("0.01"), ROUND_HALF_UP)


def test_diff_over_a_window_compares_window_averages_and_ranks(workbooks: Workbooks) -> None:
    doc = workbooks.diff_window
    wb = book(workbooks, "diff-2026-09_2026-10.xlsx")
    assert wb.sheetnames == ["对比", "合计", "运行记录"]
    assert wb["对比"]["A1"].value.startswith("2026-09 至 2026-10 按新规则重算")
    rows = {r["工号"]: r for r in table(wb["对比"])}
    lines = {m["id"]: m for m in doc["managers"]}
    for cm, m in lines.items():
        old = window_average(workbooks, cm, ["2026-09", "2026-10"])
        assert D(m["old_average"]) == old  # not the last month's total
        assert D(str(rows[cm]["原平均分"])).quantize(D("0.01")) == old
        assert rows[cm]["原排名"] == m["old_average_rank"]
        assert D(str(rows[cm]["2026-10\n原得分"])).quantize(D("0.01")) == D(m["old_total"])
    for which in ("old", "new"):
        for category in {m["category"] for m in lines.values()}:
            members = {c: D(m[f"{which}_average"]) for c, m in lines.items()
                       if m["category"] == category}
            assert {c: lines[c][f"{which}_average_rank"] for c in members} == \
                {c: 1 + sum(1 for o in members.values() if o > v) for c, v in members.items()}
    summary = {r["项目"]: r for r in table(wb["合计"])}
    assert all(not re.search(r"[a-z_]{4}", k) for k in summary)  # no JSON keys
    rising = sum(1 for m in lines.values() if D(m["new_average"]) > D(m["old_average"]))
    assert summary["2026-09 至 2026-10 平均分上升"]["人数"] == rising
    assert D(str(summary["2026-10 月度工资变化（元）"]["数值"])).quantize(D("0.01")) == \
        D(doc["totals"]["pay_change"])


def test_diff_records_both_rule_directories_and_a_month_is_titled_once(
        workbooks: Workbooks) -> None:
    wb = book(workbooks, "diff-2026-10_2026-10.xlsx")
    assert wb["对比"]["A1"].value == "2026-10 按新规则重算（未保存）"
    record = dict(wb["运行记录"].iter_rows(min_row=2, values_only=True))
    assert record["对比月份"] == "2026-10"
    assert Path(record["原规则目录"]).name == "shipped"
    assert Path(record["新规则目录"]).name == "rules-3"
    assert record["原规则文件 1-zhihang.yaml"] != record["新规则文件 1-zhihang.yaml"]
    assert record["原规则文件 2-fenhang-geren.yaml"] == record["新规则文件 2-fenhang-geren.yaml"]
    summary = {r["项目"]: r for r in table(wb["合计"])}
    lines = workbooks.diff_month["managers"]
    assert summary["2026-10 得分上升"]["人数"] == sum(1 for m in lines if D(m["delta"]) > 0)
    assert "2026-10 原得分合计" in summary


def test_notice_has_a_sheet_per_branch_with_ranks_points_and_totals_only(
        workbooks: Workbooks) -> None:
    from cmscore.rules.ruleset import load_rules

    rules = load_rules()
    doc = workbooks.scores["2026-10"]["managers"]
    wb = book(workbooks, "公示-2026-10.xlsx")
    assert wb.properties.title == "2026-10 客户经理考核得分公示"
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for m in doc:
        groups.setdefault((m["branch"], m["category"]), []).append(m)
    branches = {b for b, _ in groups}
    want = {}
    for (branch, category), members in groups.items():
        several = sum(1 for b, _ in groups if b == branch) > 1
        want[f"{branch}·{category}" if several else branch] = (category, members)
    assert sorted(wb.sheetnames) == sorted(want) and len(branches) < len(want)
    for name, (category, members) in want.items():
        ws = wb[name]
        table = rules.tables[category]
        assert ws["A1"].value.startswith(f"2026-10 {members[0]['branch']} 客户经理考核得分公示")
        heads = [c.value for c in ws[3]]
        assert heads == ["排名", "工号", "姓名", *(i.name for i in table.items), "总分"]
        got = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
        members = sorted(members, key=lambda m: (m["rank"], m["id"]))
        assert [(r[0], r[1], r[2]) for r in got] == [(m["rank"], m["id"], m["name"])
                                                    for m in members]
        for r, m in zip(got, members, strict=True):
            points = [D(str(v)).quantize(D("0.01")) for v in r[3:]]
            assert points == [*(D(m["items"][i.id]) for i in table.items), D(m["total"])]
        assert ws.freeze_panes == "D4"


def test_no_notice_when_a_month_has_too_many_branches_for_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cmscore.outputs import scores
    from conftest import Cli

    monkeypatch.setattr(scores, "NOTICE_MAX_SHEETS", 3)
    out = tmp_path / "out"
    Cli(CliRunner())("score", EXAMPLES / "2026-10.xlsx", "--db", tmp_path / "db", "--out", out,
                     "-q", code=0)
    assert sorted(p.name for p in out.iterdir()) == ["scores-2026-10.xlsx"]


def test_a_row_of_the_wrong_length_is_still_refused_by_name(tmp_path: Path) -> None:
    # The widths are measured on the first rows before any is written: a short row must
    # still get the writer's message, not fail in the measuring.
    from cmscore.outputs.celltext import Blocks
    from cmscore.outputs.xlsx import Book, Column

    columns = [Column("工号"), Column("姓名")]
    with pytest.raises(ValueError, match="第 2 行有 1 列，表头 2 列"):
        Book(tmp_path / "a.xlsx").sheet("行", columns, [["001"]])
    with pytest.raises(ValueError, match="第 2 行起有 1 列，表头 2 列"):
        Book(tmp_path / "b.xlsx").sheet("列", columns, Blocks([[["001"]]]))
