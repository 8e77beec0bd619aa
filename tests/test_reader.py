"""SPEC §6: reading exports — header, rows to skip, identities, numbers, encodings, month."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cmscore.engine.month import MonthExport
from cmscore.engine.scoring import score_month
from cmscore.inputs.headers import normalise_header
from cmscore.inputs.reader import read_export
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import RuleSet
from conftest import HEADERS, TITLE, WORKED, ZEROS, row, write_csv, write_xlsx

D = Decimal


def read(path: Path, rules: RuleSet, month: str | None = None) -> MonthExport:
    return read_export(path, rules, month)


def problems(path: Path, rules: RuleSet, month: str | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        read_export(path, rules, month)
    return caught.value.problems


def only(path: Path, rules: RuleSet, month: str | None = None) -> Problem:
    [problem] = problems(path, rules, month)
    return problem


def figures(export: MonthExport, cm_id: str = "E001") -> dict[str, dict[str, Any]]:
    return next(m for m in export.managers if m.id == cm_id).figures


# --- the header ---------------------------------------------------------------------------


def test_header_is_found_under_title_rows(tmp_path: Path, rules: RuleSet) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row()],
                      titles=[TITLE, "单位：万元、户", ""])
    export = read(path, rules)
    assert export.header_row == 4
    assert export.sheet == "业绩"
    assert export.month == "2026-10"
    [m] = export.managers
    assert (m.id, m.name, m.branch, m.category, m.row) == ("E001", "张伟", "城东支行", "支行", 5)
    assert figures(export)["loan_amount"] == {"value": D(50)}
    assert figures(export)["managed_households"] == {"value": D(130), "baseline": D(126)}


def test_header_on_the_first_row(tmp_path: Path, rules: RuleSet) -> None:
    export = read(write_xlsx(tmp_path / "2026-10.xlsx", HEADERS, [row()], titles=[]), rules)
    assert export.header_row == 1
    assert export.managers[0].row == 2


@pytest.mark.parametrize(("written", "meant"), [
    ("放款金额（万元）", "放款金额"), ("放款金额(万元)", "放款金额"), ("放款金额【万元】", "放款金额"),
    ("ＰＯＳ收单", "POS收单"), (" 放款 户数 ", "放款户数"), ("\u3000银行卡\u3000", "银行卡"),
    ("代发工资５０人以下", "代发工资50人以下"), ("工号", "工号"),
])
def test_normalise_header(written: str, meant: str) -> None:
    assert normalise_header(written) == meant


def test_headers_match_after_normalising(tmp_path: Path, rules: RuleSet) -> None:
    written = {"放款金额": "放款金额（万元）", "POS收单": "ＰＯＳ收单", "放款户数": " 放款 户数 ",
               "储蓄日均净增": "储蓄日均净增（万元）", "个人网银": "个人网银(户)", "姓名": "姓 名"}
    header = [written.get(h, h) for h in HEADERS]
    export = read(write_xlsx(tmp_path / "x.xlsx", header, [row()]), rules)
    got = figures(export)
    assert got["loan_amount"] == {"value": D(50)}
    assert got["pos"] == {"value": D(3)}
    assert got["loan_households"] == {"value": D(3)}
    assert got["savings_growth"] == {"increase": D(20)}
    assert got["personal_ebank"] == {"value": D(8)}
    assert export.managers[0].name == "张伟"


# --- rows to skip -------------------------------------------------------------------------


def test_totals_and_blank_rows_are_skipped(tmp_path: Path, rules: RuleSet) -> None:
    a = row(工号="E001", 放款户数=3)
    b = row(工号="E002", 姓名="李娜", 放款户数=2)
    blank = [None] * len(HEADERS)
    subtotal = [None, "小计（城东支行）", None, None, 5] + [None] * (len(HEADERS) - 5)
    total = ["合计", None, None, None, 5] + [None] * (len(HEADERS) - 5)
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [a, blank, b, subtotal, blank, total, blank])
    export = read(path, rules)
    assert [(m.id, m.row) for m in export.managers] == [("E001", 3), ("E002", 5)]


@pytest.mark.parametrize("marker", ["合计", "总计", "小计", "合计（全行）"])
@pytest.mark.parametrize("column", ["工号", "姓名", "机构"])
def test_each_totals_marker_is_skipped(tmp_path: Path, rules: RuleSet, marker: str,
                                       column: str) -> None:
    totals = [marker if h == column else None for h in HEADERS]
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(), totals])
    assert [m.id for m in read(path, rules).managers] == ["E001"]


def test_a_totals_row_that_does_not_add_up_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    a, b = row(工号="E001", 放款户数=3), row(工号="E002", 放款户数=2)
    total = ["合计", None, None, None, 9] + [None] * (len(HEADERS) - 5)
    problem = only(write_xlsx(tmp_path / "x.xlsx", HEADERS, [a, b, total]), rules)
    assert (problem.row, problem.column) == (5, "放款户数")
    assert "合计行为 9" in problem.message


# --- identities ---------------------------------------------------------------------------


def test_leading_zero_ids_stay_text(tmp_path: Path, rules: RuleSet) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(工号="000123"), row(工号="011771")])
    assert [m.id for m in read(path, rules).managers] == ["000123", "011771"]
    csv_path = write_csv(tmp_path / "2026-10.csv", HEADERS, [row(工号="000123")])
    assert read(csv_path, rules).managers[0].id == "000123"


def test_numeric_ids_are_read_without_a_decimal_point(tmp_path: Path, rules: RuleSet) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(工号=1234567)], text_columns=())
    assert read(path, rules).managers[0].id == "1234567"


def test_numeric_ids_get_their_leading_zeros_back(tmp_path: Path, rules: RuleSet) -> None:
    """export.yaml's id_width (6, shipped): 011771 saved as the number 11771 is 011771 again,
    in an .xlsx and in a CSV re-saved by Excel; a 工号 with letters is left alone."""
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(工号=11771), row(工号="E12")],
                      text_columns=())
    export = read(path, rules)
    assert [m.id for m in export.managers] == ["011771", "E12"] and export.padded_ids == 1
    csv_path = write_csv(tmp_path / "2026-10.csv", HEADERS, [row(工号="123")])
    assert read(csv_path, rules).managers[0].id == "000123"


@pytest.mark.parametrize("name", ["NA", "N/A", "nan", "None", "null", "TRUE"])
def test_names_that_look_like_missing_values_stay_text(tmp_path: Path, rules: RuleSet,
                                                       name: str) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(姓名=name)])
    assert read(path, rules).managers[0].name == name
    csv_path = write_csv(tmp_path / "2026-10.csv", HEADERS, [row(姓名=name)])
    assert read(csv_path, rules).managers[0].name == name


# --- numbers ----------------------------------------------------------------------------


def test_text_numbers_are_parsed(tmp_path: Path, rules: RuleSet) -> None:
    data = row(放款金额="1,234.50", 银行卡="１２", 不良率="0.5%", 个人网银=" 8 ",
               对公日均净增="-1,000")
    export = read(write_xlsx(tmp_path / "x.xlsx", HEADERS, [data]), rules)
    got = figures(export)
    assert got["loan_amount"] == {"value": D("1234.50")}
    assert got["cards"] == {"value": D(12)}
    assert got["npl"] == {"ratio": D("0.005")}
    assert got["personal_ebank"] == {"value": D(8)}
    assert got["corporate_growth"] == {"increase": D(-1000)}  # net increases may be negative
    [s] = score_month(export, rules).scores
    assert s.items["npl"].points == D("1.00")  # 0.5% is the [0.5%, 1%) tier


def test_spreadsheet_floats_become_the_decimals_excel_shows(tmp_path: Path,
                                                            rules: RuleSet) -> None:
    data = row(放款金额=0.1 + 0.2, 不良率=0.0049, 储蓄日均净增=1234.56)
    got = figures(read(write_xlsx(tmp_path / "x.xlsx", HEADERS, [data]), rules))
    assert got["loan_amount"] == {"value": D("0.3")}
    assert got["npl"] == {"ratio": D("0.0049")}
    assert got["savings_growth"] == {"increase": D("1234.56")}


def test_blank_business_cells_are_zero(tmp_path: Path, rules: RuleSet) -> None:
    data = row(银行卡=None, 代发工资50人以下="", POS收单=None)
    got = figures(read(write_xlsx(tmp_path / "x.xlsx", HEADERS, [data]), rules))
    assert got["cards"] == {"value": D(0)}
    assert got["pos"] == {"value": D(0)}
    assert got["payroll_agency"] == {"50人以下": D(0), "50人及以上": D(0)}


def test_percent_in_a_count_column_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    problem = only(write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(银行卡="85%")]), rules)
    assert (problem.file, problem.sheet, problem.row, problem.column) == \
        ("x.xlsx", "业绩", 3, "银行卡")
    assert "85%" in problem.message and "百分号" in problem.message


@pytest.mark.parametrize(("column", "value", "words"), [
    ("放款户数", "三", "不是数字"),
    ("放款金额", "1.2.3", "不是数字"),
    ("放款金额", "12,34", "不是数字"),
    ("放款户数", -1, "负数"),
    ("管户户数", "-5", "负数"),
    ("不良率", "120%", "超出"),
    ("不良率", 1.5, "超出"),
    ("放款户数", True, "逻辑值"),
])
def test_bad_cells_are_refused_where_they_are(tmp_path: Path, rules: RuleSet, column: str,
                                              value: Any, words: str) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(工号="E001"), row(工号="E002",
                                                                          **{column: value})])
    problem = only(path, rules)
    assert (problem.file, problem.sheet, problem.row, problem.column) == \
        ("x.xlsx", "业绩", 4, column)
    assert words in problem.message


# --- CSV encodings ------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "bom", "said"), [
    ("utf-8", False, "UTF-8"),
    ("utf-8", True, "UTF-8 (BOM)"),
    ("gbk", False, "GB18030/GBK"),
    ("gb18030", False, "GB18030/GBK"),
])
def test_csv_encodings(tmp_path: Path, rules: RuleSet, encoding: str, bom: bool,
                       said: str) -> None:
    name = "王䶮" if encoding in ("gb18030", "utf-8") else "王芳"
    data = [row(姓名=name, 机构="城东支行", 放款金额="1,234.50"), row(工号="000124", 姓名="张伟")]
    path = write_csv(tmp_path / "2026-10.csv", HEADERS, data, encoding=encoding, bom=bom)
    export = read(path, rules)
    assert export.encoding == said
    assert [(m.id, m.name, m.branch) for m in export.managers] == [
        ("E001", name, "城东支行"), ("000124", "张伟", "城东支行")]
    assert figures(export)["loan_amount"] == {"value": D("1234.50")}
    assert export.managers[0].row == 2


def test_gb18030_only_characters_are_read(tmp_path: Path, rules: RuleSet) -> None:
    with pytest.raises(UnicodeEncodeError):
        "䶮".encode("gbk")  # GBK proper lacks it: the file needs GB18030
    path = write_csv(tmp_path / "2026-10.csv", HEADERS, [row(姓名="王䶮")], encoding="gb18030")
    assert read(path, rules).managers[0].name == "王䶮"


def test_csv_with_title_rows(tmp_path: Path, rules: RuleSet) -> None:
    path = write_csv(tmp_path / "export.csv", HEADERS, [row()], titles=[TITLE],
                     encoding="gbk")
    export = read(path, rules)
    assert (export.month, export.header_row, export.managers[0].row) == ("2026-10", 2, 3)


def test_csv_with_undecodable_bytes_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    good = write_csv(tmp_path / "ok.csv", HEADERS, [row()]).read_bytes()
    path = tmp_path / "2026-10.csv"
    path.write_bytes(good + b"E002,\xff\xfe\x80,\x81\x20,\r\n")
    problem = only(path, rules)
    assert problem.file == "2026-10.csv"
    assert "无法识别文件编码" in problem.message
    assert "UTF-8" in problem.message and "GB" in problem.message


def test_broken_utf8_after_a_bom_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    path = tmp_path / "2026-10.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ",".join(HEADERS).encode("utf-8") + b"\r\n"
                     + "E001,张伟".encode("gbk") + b"\r\n")
    assert "无法识别文件编码" in only(path, rules).message


# --- the month ----------------------------------------------------------------------------


def test_month_from_the_title(tmp_path: Path, rules: RuleSet) -> None:
    path = write_xlsx(tmp_path / "业绩.xlsx", HEADERS, [row()], titles=["2026年3月客户经理业绩报表"])
    assert read(path, rules).month == "2026-03"


@pytest.mark.parametrize(("name", "month"), [
    ("2026-10.xlsx", "2026-10"), ("业绩_202603.xlsx", "2026-03"), ("2026年01月.xlsx", "2026-01"),
    ("export.2026.12.xlsx", "2026-12"),
])
def test_month_from_the_file_name(tmp_path: Path, rules: RuleSet, name: str,
                                  month: str) -> None:
    path = write_xlsx(tmp_path / name, HEADERS, [row()], titles=[])
    assert read(path, rules).month == month


def test_month_from_the_option(tmp_path: Path, rules: RuleSet) -> None:
    path = write_xlsx(tmp_path / "export.xlsx", HEADERS, [row()], titles=[])
    assert read(path, rules, "2026-07").month == "2026-07"
    # The option agreeing with the title and the name is fine.
    agreeing = write_xlsx(tmp_path / "2026-10.xlsx", HEADERS, [row()])
    assert read(agreeing, rules, "2026-10").month == "2026-10"


def test_no_month_anywhere_is_an_error(tmp_path: Path, rules: RuleSet) -> None:
    path = write_xlsx(tmp_path / "export.xlsx", HEADERS, [row()], titles=["客户经理业绩报表"])
    problem = only(path, rules)
    assert "无法确定月份" in problem.message and "--month" in problem.message
    assert (problem.file, problem.sheet) == ("export.xlsx", "业绩")


@pytest.mark.parametrize(("name", "title", "given", "said"), [
    ("2026-09.xlsx", TITLE, None, "标题为 2026-10，文件名为 2026-09"),
    ("export.xlsx", TITLE, "2026-09", "--month为 2026-09，标题为 2026-10"),
    ("2026-10.xlsx", "客户经理业绩报表", "2026-11", "--month为 2026-11，文件名为 2026-10"),
])
def test_months_that_disagree_are_an_error(tmp_path: Path, rules: RuleSet, name: str,
                                           title: str, given: str | None, said: str) -> None:
    path = write_xlsx(tmp_path / name, HEADERS, [row()], titles=[title])
    problem = only(path, rules, given)
    assert "月份不一致" in problem.message
    assert said in problem.message


@pytest.mark.parametrize("given", ["2026-13", "2026-1", "202610", "26-10"])
def test_malformed_month_option(tmp_path: Path, rules: RuleSet, given: str) -> None:
    path = write_xlsx(tmp_path / "export.xlsx", HEADERS, [row()])
    assert "格式应为 YYYY-MM" in only(path, rules, given).message


# --- every problem is located -----------------------------------------------------------------


def test_every_problem_names_file_sheet_row_and_column(tmp_path: Path, rules: RuleSet) -> None:
    data = [
        row(工号="E001", 放款户数="三"),
        row(工号="E002", 银行卡=-2, 不良率="2%x"),
        row(工号="E001"),
        row(工号="E004", 类别="总行"),
        row(工号=None),
    ]
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, data, sheet="十月")
    found = problems(path, rules)
    where = sorted((p.row or 0, p.column) for p in found)
    assert where == [(3, "放款户数"), (4, "不良率"), (4, "银行卡"), (5, "工号"), (6, "类别"),
                     (7, "工号")]
    for p in found:
        assert (p.file, p.sheet) == ("x.xlsx", "十月")
        assert str(p).startswith(f"x.xlsx 工作表 十月 第 {p.row} 行 列 {p.column}: ")
    messages = {(p.row, p.column): p.message for p in found}
    assert "重复" in messages[(5, "工号")] and "第 3 行" in messages[(5, "工号")]
    assert "未知类别「总行」" in messages[(6, "类别")]
    assert "工号为空" in messages[(7, "工号")]


def test_problems_in_a_csv_are_located_too(tmp_path: Path, rules: RuleSet) -> None:
    path = write_csv(tmp_path / "2026-10.csv", HEADERS, [row(), row(工号="E002", 放款金额="x")],
                     titles=[TITLE])
    problem = only(path, rules)
    assert (problem.file, problem.row, problem.column) == ("2026-10.csv", 4, "放款金额")


def test_column_problems_name_the_header_row_and_column(tmp_path: Path, rules: RuleSet) -> None:
    header = [h for h in HEADERS if h != "银行卡"] + ["奖金"]
    data = [[v for h, v in zip(HEADERS, row(), strict=True) if h != "银行卡"] + [1]]
    found = problems(write_xlsx(tmp_path / "x.xlsx", header, data), rules)
    by_column = {p.column: p for p in found}
    assert set(by_column) == {"银行卡", "奖金"}
    for p in found:
        assert (p.file, p.sheet, p.row) == ("x.xlsx", "业绩", 2)
    assert "找不到列 银行卡" in by_column["银行卡"].message
    assert "cards" in by_column["银行卡"].message
    assert "未知列「奖金」" in by_column["奖金"].message


def test_a_column_given_twice_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    """「放款金额（万元）」 and 「放款金额（元）」 both mean 放款金额: which one to score?"""
    header = [*HEADERS, "放款金额（元）"]
    problem = only(write_xlsx(tmp_path / "x.xlsx", header, [row() + [500000]]), rules)
    assert (problem.row, problem.column) == (2, "放款金额(元)")
    assert "R 列" in problem.message and "F 列「放款金额」" in problem.message
    # Repeated columns nobody reads (备注) are harmless.
    header = [*HEADERS, "备注", "备注"]
    export = read(write_xlsx(tmp_path / "y.xlsx", header, [row() + ["a", "b"]]), rules)
    assert len(export.managers) == 1


def test_only_the_tables_in_use_need_their_columns(tmp_path: Path, rules: RuleSet) -> None:
    """An export of 支行 CMs only may leave out nothing; one of a category is enough."""
    data = [row(ZEROS, 工号="F001", 类别="分行个金", 放款户数=4)]
    export = read(write_xlsx(tmp_path / "x.xlsx", HEADERS, data), rules)
    [s] = score_month(export, rules).scores
    assert s.items["loan_households"].points == D("4.00")  # 附件2: 1 per household


def test_an_empty_sheet_is_an_error(tmp_path: Path, rules: RuleSet) -> None:
    problem = only(write_xlsx(tmp_path / "x.xlsx", HEADERS, []), rules)
    assert "没有数据行" in problem.message
    assert problem.row == 2
    nothing = only(write_xlsx(tmp_path / "y.xlsx", [], [], titles=[]), rules)
    assert "找不到表头行" in nothing.message


def test_the_worked_row_is_read_as_written(tmp_path: Path, rules: RuleSet) -> None:
    export = read(write_xlsx(tmp_path / "x.xlsx", HEADERS, [row()]), rules)
    assert figures(export) == {
        "loan_households": {"value": D(3)}, "loan_amount": {"value": D(50)},
        "managed_households": {"value": D(130), "baseline": D(126)},
        "npl": {"ratio": D(0)}, "savings_growth": {"increase": D(20)},
        "corporate_growth": {"increase": D(30)}, "cards": {"value": D(12)},
        "payroll_agency": {"50人以下": D(1), "50人及以上": D(0)},
        "personal_ebank": {"value": D(8)}, "corporate_ebank": {"value": D(1)},
        "pos": {"value": D(3)},
    }
    assert WORKED["工号"] == export.managers[0].id
