"""Issue 17, the input side: files that were read wrong without a word, and messages that
named the wrong cause. Each test here failed on the code before the fix.

Silent wrong results first (a second sheet, the 合计 check, look-alike digits, merged
cells, formulas, out-of-range figures, absurd rule values), then the messages.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import hostile_fixtures as hf
from cmscore.inputs.reader import read_export
from cmscore.rules.ruleset import DEFAULT_DIR, RuleSet, load_rules
from cmscore.rules.yamlsafe import RuleFileError
from hostile_fixtures import HEADERS, Formula, Sheet, cm_row, cm_rows, export_rows
from test_hostile import Env, assert_refused, managers, refused

J = HEADERS.index


def totals_row(label: dict[str, Any], rows: list[list[Any]],
               columns: tuple[str, ...] = ("放款户数", "放款金额"), plus: int = 0) -> list[Any]:
    """A totals row: ``label`` cells by header, the sums of ``rows`` in ``columns``."""
    out: list[Any] = [label.get(h, "") for h in HEADERS]
    for h in columns:
        out[J(h)] = sum(r[J(h)] for r in rows) + plus
    return out


def rules_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A copy of the shipped rules with ``old`` (once in ``name``) replaced by ``new``."""
    target = tmp_path / "rules"
    if not target.exists():
        shutil.copytree(DEFAULT_DIR, target)
    path = target / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target


def rule_problem(directory: Path) -> str:
    with pytest.raises(RuleFileError) as caught:
        load_rules(directory)
    [problem] = caught.value.problems
    return str(problem)


# ---------------------------------------------------------------- managers vanish


def test_a_second_visible_sheet_with_the_header_is_refused_naming_both(env: Env) -> None:
    """分行 rows on a second sheet: `check` said 30 of 40 managers were fine."""
    zhihang = cm_rows(30)
    fenhang = [cm_row(i, 类别="分行个金") for i in range(31, 41)]
    path = hf.write_xlsx(env.files / "2026-10.xlsx", sheets=[
        Sheet(name="支行", rows=export_rows(zhihang)), Sheet(name="分行", rows=export_rows(fenhang))])
    ran = env.cli("check", path, "--db", env.db, "--json")
    [problem] = assert_refused(ran, path, "工作表")
    assert "「支行」" in problem["message"] and "「分行」" in problem["message"]
    assert "30 行" in problem["message"] and "10 行" in problem["message"]
    assert "隐藏" in problem["message"]  # and how to say which one to read


def test_a_hidden_copy_or_a_sheet_without_the_header_does_not_count(env: Env) -> None:
    rows = cm_rows(3)
    path = hf.write_xlsx(env.files / "2026-10.xlsx", sheets=[
        Sheet(name="说明", rows=[["本表由核心系统导出"]]),
        Sheet(name="业绩", rows=export_rows(rows)),
        Sheet(name="旧版", rows=export_rows(cm_rows(5)), state="hidden")])
    assert sorted(managers(env.cli("check", path, "--db", env.db, "--json"))) == \
        ["E0001", "E0002", "E0003"]


# ---------------------------------------------------------------- the 合计 check


def test_a_deleted_manager_behind_a_second_total_row_is_refused(env: Env) -> None:
    full = cm_rows(40)
    total = totals_row({"工号": "合计"}, full)
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [*full[:-1], total, total])
    found = assert_refused(env.cli("check", path, "--db", env.db, "--json"), path, "合计行为",
                           column="放款户数")
    assert {p["row"] for p in found} == {42, 43}  # both copies: title, header, 39 rows, then them


def test_a_total_relabelled_subtotal_is_still_checked(env: Env) -> None:
    full = cm_rows(40)
    path = hf.write_xlsx(env.files / "2026-10.xlsx",
                         [*full[:-1], totals_row({"工号": "小计"}, full)])
    found = assert_refused(env.cli("check", path, "--db", env.db, "--json"), path, "小计行为",
                           row=42, column="放款金额")
    assert "第 3–41 行" in found[0]["message"]  # which rows it was taken to sum


def test_subtotals_are_checked_against_the_group_they_name(tmp_path: Path,
                                                          rules: RuleSet) -> None:
    rows = cm_rows(6)  # 城西 E1 E4, 城南 E2 E5, 城东 E3 E6
    east = [r for r in rows if r[J("机构")] == "城东支行"]
    body = [*rows, totals_row({"姓名": "城东支行小计"}, east, ("放款户数",), plus=1),
            totals_row({"工号": "小计", "机构": "城西支行"},
                       [r for r in rows if r[J("机构")] == "城西支行"]),
            totals_row({"工号": "支行合计"}, rows), totals_row({"工号": "合计"}, rows)]
    [problem] = refused(hf.write_xlsx(tmp_path / "2026-10.xlsx", body), rules)
    assert (problem.row, problem.column) == (9, "放款户数")
    assert "机构「城东支行」的 2 行之和" in problem.message


def test_subtotals_that_add_up_are_accepted_named_or_by_position(tmp_path: Path,
                                                                 rules: RuleSet) -> None:
    a, b = cm_rows(3), cm_rows(2, start=4)
    body = [*a, totals_row({"工号": "小计"}, a), *b, totals_row({"姓名": "小计"}, b),
            totals_row({"机构": "城东支行", "工号": "小计"},
                       [r for r in a + b if r[J("机构")] == "城东支行"]),
            totals_row({"工号": "总计"}, a + b)]
    export = read_export(hf.write_xlsx(tmp_path / "2026-10.xlsx", body), rules)
    assert len(export.managers) == 5


def test_a_subtotal_with_no_rows_above_it_is_refused(tmp_path: Path, rules: RuleSet) -> None:
    rows = cm_rows(2)
    body = [*rows, totals_row({"工号": "小计"}, rows),
            totals_row({"工号": "小计"}, rows, plus=5)]
    [problem] = refused(hf.write_xlsx(tmp_path / "2026-10.xlsx", body), rules)
    assert problem.row == 6 and "无法核对" in problem.message


# ---------------------------------------------------------------- characters, merges


@pytest.mark.parametrize(("text", "word"), [
    ("2²", "²"), ("1 2", "空格"), ("１　２", "空格"), ("①", "①"), ("3₂", "₂")])
def test_characters_that_are_not_digits_are_refused(env: Env, text: str, word: str) -> None:
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [cm_row(1, 管户户数=text), cm_row(2)])
    assert_refused(env.cli("check", path, "--db", env.db, "--json"), path, word, row=3,
                   column="管户户数")


def test_full_width_digits_and_thousands_still_read(tmp_path: Path, rules: RuleSet) -> None:
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx",
                         [cm_row(1, 管户户数="１２３", 放款金额=" 1,234.50 ")])
    figures = read_export(path, rules).managers[0].figures
    assert figures["managed_households"]["value"] == 123
    assert figures["loan_amount"]["value"] == Decimal("1234.50")


def test_a_business_cell_merged_across_two_rows_is_refused_naming_the_merge(env: Env) -> None:
    rows = cm_rows(3)
    rows[1][J("放款户数")] = None  # as Excel keeps it: the value in the top cell only
    sheet = Sheet(rows=export_rows(rows), merges=["E3:E4"])
    path = hf.write_xlsx(env.files / "2026-10.xlsx", sheets=[sheet])
    [problem] = assert_refused(env.cli("check", path, "--db", env.db, "--json"), path,
                               "E3:E4", row=3, column="放款户数")
    assert "合并" in problem["message"]


def test_a_title_merged_across_the_top_and_a_remark_merged_down_are_fine(tmp_path: Path,
                                                                         rules: RuleSet) -> None:
    header = [*HEADERS, "备注"]
    rows = [[*r, ""] for r in cm_rows(3)]
    rows[0][-1] = "同一批次"
    sheet = Sheet(rows=export_rows(rows, header=header), merges=["A1:R1", "R3:R5"])
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx", sheets=[sheet])
    assert len(read_export(path, rules).managers) == 3


# ---------------------------------------------------------------- formulas


def test_a_formula_in_a_business_cell_is_refused_whatever_it_cached(env: Env) -> None:
    """=1+1 cached as 20 scored 20."""
    path = hf.write_xlsx(env.files / "2026-10.xlsx",
                         sheets=[Sheet(rows=export_rows([cm_row(1, 放款户数=Formula("1+1", 20)),
                                                         cm_row(2)]))])
    [problem] = assert_refused(env.score(path), path, "E3", row=3, column="放款户数")
    assert "=1+1" in problem["message"] and "数值" in problem["message"]
    env.assert_nothing_kept()


def test_a_column_of_formulas_is_one_problem(tmp_path: Path, rules: RuleSet) -> None:
    rows = [cm_row(i, 银行卡=Formula(f"E{i + 2}*2", 2 * (i % 7))) for i in range(1, 201)]
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx", sheets=[Sheet(rows=export_rows(rows))])
    [problem] = refused(path, rules)
    assert "200 个公式" in problem.message and "第 3–202 行" in problem.message


def test_formulas_in_totals_rows_and_unread_columns_are_read(tmp_path: Path,
                                                            rules: RuleSet) -> None:
    header = ["序号", *HEADERS]
    rows = [[Formula("ROW()-2", i), *cm_row(i)] for i in range(1, 4)]
    total = ["", *totals_row({"工号": "合计"}, cm_rows(3))]
    total[J("放款户数") + 1] = Formula("SUM(F3:F5)", total[J("放款户数") + 1])
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx",
                         sheets=[Sheet(rows=export_rows([*rows, total], header=header))])
    assert len(read_export(path, rules).managers) == 3


# ---------------------------------------------------------------- figures out of range


def test_a_figure_beyond_max_figure_is_refused_in_check_and_score(env: Env) -> None:
    """1e13 in 放款金额: `check` said fine, `score` died in SQLite (OverflowError)."""
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [cm_row(1, 放款金额=1e13), cm_row(2)])
    for command in ("check", "score"):
        extra = ["--out", env.out] if command == "score" else []
        ran = env.cli(command, path, "--db", env.db, "--json", *extra)
        [problem] = assert_refused(ran, path, "max_figure", row=3, column="放款金额")
    env.assert_nothing_kept()


@pytest.mark.parametrize("value", [-2e13, "10000000000001"])
def test_text_and_signed_figures_are_bounded_too(tmp_path: Path, rules: RuleSet,
                                                 value: Any) -> None:
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx", [cm_row(1, 储蓄日均净增=value)])
    [problem] = refused(path, rules)
    assert "max_figure" in problem.message and problem.column == "储蓄日均净增"


def test_max_figure_comes_from_export_yaml(tmp_path: Path) -> None:
    directory = rules_with(tmp_path, "export.yaml", "max_figure: 10000000000",
                           "max_figure: 1000")
    rules = load_rules(directory)
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx", [cm_row(1, 放款金额=1500)])
    [problem] = refused(path, rules)
    assert "max_figure 为 1,000" in problem.message and problem.column == "放款金额"


def test_max_figure_cannot_exceed_what_the_store_holds(tmp_path: Path) -> None:
    directory = rules_with(tmp_path, "export.yaml", "max_figure: 10000000000",
                           "max_figure: 10000000000000")
    assert rule_problem(directory).startswith("export.yaml:")


# ---------------------------------------------------------------- absurd rule values


RULE_VALUES = {
    # (file, old, new, words in the problem)
    "cap-1e400": ("1-zhihang.yaml", "        cap: 20\n", "        cap: 1e400\n", "科学计数法"),
    "cap-quoted-1e400": ("1-zhihang.yaml", "        cap: 20\n", "        cap: '1e400'\n",
                         "超出允许范围"),
    "transition-1e13": ("payroll.yaml", "transition: 1000\n", "transition: 10000000000000\n",
                        "超出允许范围"),
    "grade-negative": ("payroll.yaml", "  三级: 900\n", "  三级: -900\n", "超出允许范围"),
    "tier-60-in-full-6": ("1-zhihang.yaml", "{eq: 0, points: 6}", "{eq: 0, points: 60}",
                          "大于高限"),
    "tier-bound-above-100%": ("1-zhihang.yaml", "{ge: 0.01, points: 0}",
                              "{ge: 5, points: 0}", "超出允许范围"),
    "client-tier-60": ("1-zhihang.yaml", "columns: [代发工资50人以下], points: 3}",
                       "columns: [代发工资50人以下], points: 60}", "大于高限"),
    "rate-huge": ("1-zhihang.yaml", "        rate: 2.5\n", "        rate: 25000\n",
                  "超出允许范围"),
}


@pytest.mark.parametrize("case", RULE_VALUES)
def test_absurd_rule_values_are_refused_with_file_and_line(tmp_path: Path, case: str) -> None:
    name, old, new, words = RULE_VALUES[case]
    directory = rules_with(tmp_path, name, old, new)
    problem = rule_problem(directory)
    assert problem.startswith(f"{name}:") and problem.split(":")[1].isdigit(), problem
    assert words in problem


def test_a_cap_in_exponent_form_names_its_line(tmp_path: Path) -> None:
    directory = rules_with(tmp_path, "1-zhihang.yaml", "        cap: 20\n", "        cap: 1e400\n")
    text = (directory / "1-zhihang.yaml").read_text(encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "1e400" in t)
    assert rule_problem(directory).startswith(f"1-zhihang.yaml:{line}:")


def test_formulas_and_merges_in_an_ods_are_refused_too(tmp_path: Path, rules: RuleSet) -> None:
    plain = hf.write_ods(tmp_path / "plain-2026-10.ods", export_rows(cm_rows(3)))
    assert len(read_export(plain, rules).managers) == 3
    rows = export_rows([cm_row(1, 放款户数=Formula("1+1", 20)), cm_row(2), cm_row(3)])
    rows[3][J("机构")] = ""  # under the merge: C4 is covered by C3:C4
    path = hf.write_ods(tmp_path / "2026-10.ods", rows, spans={(2, J("机构")): (2, 1)})
    found = {(p.row, p.column): p.message for p in refused(path, rules)}
    assert "=1+1" in found[(3, "放款户数")]
    assert "C3:C4" in found[(3, "机构")]
    assert len(found) == 2


@pytest.mark.parametrize("kind", ["supervisors", "events"])
def test_a_side_file_with_two_sheets_carrying_its_header_is_refused(
        tmp_path: Path, kind: str) -> None:
    """The supervisors and records files took the first sheet whose header matched: a second
    sheet (this year's list beside last year's) was silently left out."""
    from openpyxl import Workbook

    from cmscore.inputs.events import read_events
    from cmscore.inputs.supervisors import read_supervisors
    from cmscore.problems import InputError
    header, row = ((["工号", "姓名", "职务", "机构", "履职岗位工资"], ["S01", "张主管", "主任", "城东支行", 3000])
                   if kind == "supervisors" else
                   (["工号", "日期", "类型", "说明", "来源"], ["E01", "2026-01-05", "投诉", "x", "y"]))
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "2026"
    for ws in (first, wb.create_sheet("2025")):
        ws.append(header)
        ws.append(row)
    wb.save(path := tmp_path / f"{kind}.xlsx")
    read = read_supervisors if kind == "supervisors" else read_events
    with pytest.raises(InputError) as caught:
        read(path)
    (problem,) = caught.value.problems
    assert problem.message == (
        "工作簿中有 2 个可见工作表都带有表头：「2026」（表头在第 1 行，其下 1 行）、「2025」（表头在"
        "第 1 行，其下 1 行）。cmscore 只读一个工作表，不会自行合并或挑选（多出的工作表可能是拆开的"
        "数据，也可能是副本或旧版本）：请把全部行放到同一个工作表，或把不该读取的工作表隐藏或删除"
        "（隐藏的工作表不读取）")


def test_a_column_of_error_cells_is_one_problem_with_its_rows(tmp_path: Path) -> None:
    """Issue 17, left over: problems found before parsing were one per cell — a 放款户数
    column of #N/A (a broken VLOOKUP filled down) was a problem per manager."""
    rows = [cm_row(i, 放款户数=hf.Error("#N/A", formula=f"VLOOKUP(A{i + 2},名单!A:B,2,0)"))
            for i in range(1, 6)] + [cm_row(6, 放款户数=hf.Error("#DIV/0!"))]
    path = hf.write_xlsx(tmp_path / "errors-2026-10.xlsx", sheets=[Sheet(rows=export_rows(rows))])
    errors = [p for p in refused(path, load_rules(None)) if "错误值" in p.message]
    assert [(p.row, p.column, p.message) for p in errors] == [
        (3, "E3", "本列有 5 个单元格是错误值 #N/A（第 3–7 行），第一个是 E3；请修正公式或改为数值"),
        (8, "E8", "单元格 E8 是错误值 #DIV/0!；请修正公式或改为数值")]
