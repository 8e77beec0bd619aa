"""Issue 17, the input side: messages that named the wrong cause, and the flood of one
problem repeated on every row. Each test here failed on the code before the fix."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import hostile_fixtures as hf
from cmscore.inputs.reader import read_export
from cmscore.rules.ruleset import DEFAULT_DIR, RuleSet, load_rules
from cmscore.rules.yamlsafe import RuleFileError
from hostile_fixtures import HEADERS, TITLE, Sheet, cm_row, cm_rows, export_rows
from test_hostile import Env, assert_refused, managers, refused

J = HEADERS.index


def text_lines(rows: list[list[Any]], sep: str = "\t") -> str:
    lines = [TITLE, sep.join(HEADERS)] + [sep.join(map(str, r)) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def with_aliases(tmp_path: Path, aliases: str) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    path = target / "export.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("category_aliases: {}") == 1
    path.write_text(text.replace("category_aliases: {}", aliases), encoding="utf-8")
    return target


# ---------------------------------------------------------------- what the file is


def test_utf16_unicode_text_from_excel_is_read(env: Env) -> None:
    """Excel's 「Unicode 文本」: UTF-16 with its BOM, tab-separated (was 「二进制内容」)."""
    path = env.files / "2026-10.txt"
    path.write_bytes(text_lines(cm_rows(3)).encode("utf-16"))
    assert path.read_bytes()[:2] == b"\xff\xfe"
    assert sorted(managers(env.score(path))) == ["E0001", "E0002", "E0003"]
    assert env.months() == ["2026-10"]
    assert read_export(path, load_rules()).encoding == "UTF-16"  # 运行记录 says so


def test_utf16_without_its_bom_is_named(env: Env) -> None:
    path = env.files / "2026-10.csv"
    path.write_bytes(text_lines(cm_rows(3), ",").encode("utf-16-le"))
    assert_refused(env.score(path), path, "UTF-16")
    env.assert_nothing_kept()


def test_a_semicolon_delimited_csv_names_the_delimiter(env: Env) -> None:
    path = env.files / "2026-10.csv"
    path.write_bytes(text_lines(cm_rows(3), ";").encode("utf-8"))
    [problem] = assert_refused(env.score(path), path, "分号", row=2)
    assert "逗号" in problem["message"]
    env.assert_nothing_kept()


def test_xlsb_says_it_is_not_supported_and_how_to_save_as_xlsx(env: Env) -> None:
    path = hf.write_zip(env.files / "2026-10.xlsb", {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
        "xl/workbook.bin": bytes(range(64)), "xl/worksheets/sheet1.bin": bytes(range(64))})
    [problem] = assert_refused(env.score(path), path, ".xlsb")
    assert ".xlsx" in problem["message"] and "另存为" in problem["message"]
    env.assert_nothing_kept()


# ---------------------------------------------------------------- what the rows are


def test_a_header_repeated_every_few_rows_is_skipped(tmp_path: Path, rules: RuleSet) -> None:
    """Page headers some exports repeat every 50 rows (were 「未知类别「类别」」)."""
    rows: list[list[Any]] = []
    for page in range(3):
        if page:
            rows += [[TITLE], list(HEADERS)]
        rows += cm_rows(4, start=4 * page + 1)
    export = read_export(hf.write_xlsx(tmp_path / "2026-10.xlsx", rows), rules)
    assert [m.id for m in export.managers] == [f"E{i:04d}" for i in range(1, 13)]


def test_a_two_row_header_repeated_is_skipped(tmp_path: Path, rules: RuleSet) -> None:
    groups = [hf.GROUPS.get(h, h if h in ("工号", "姓名", "机构", "类别") else "") for h in HEADERS]
    items = [h if h in hf.GROUPS else "" for h in HEADERS]
    rows = [[TITLE], groups, items, *cm_rows(2), groups, items, *cm_rows(2, start=3)]
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx", sheets=[Sheet(rows=rows)])
    export = read_export(path, rules)
    assert [m.id for m in export.managers] == ["E0001", "E0002", "E0003", "E0004"]


def test_a_branch_merged_down_its_rows_is_one_problem_naming_the_merge(env: Env) -> None:
    rows = cm_rows(5)
    for r in rows[1:]:
        r[J("机构")] = None
    sheet = Sheet(rows=export_rows(rows), merges=["C3:C7"])
    path = hf.write_xlsx(env.files / "2026-10.xlsx", sheets=[sheet])
    ran = env.cli("check", path, "--db", env.db, "--json")
    [problem] = assert_refused(ran, path, "C3:C7", row=3, column="机构")
    assert "合并" in problem["message"]
    assert len(ran.json()["problems"]) == 1, "no 「机构为空」 for the rows under the merge"


def test_a_32kb_cell_is_quoted_short(env: Env) -> None:
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [cm_row(1, 放款户数="九" * 32_768)])
    ran = env.cli("check", path, "--db", env.db, "--json")
    [problem] = assert_refused(ran, path, "不是数字", row=3, column="放款户数")
    assert len(problem["message"]) < 200 and "32,768 字符" in problem["message"]


def test_the_header_list_of_a_missing_header_is_quoted_short(tmp_path: Path,
                                                             rules: RuleSet) -> None:
    path = hf.write_xlsx(tmp_path / "2026-10.xlsx", sheets=[Sheet(rows=[["长" * 32_768]])])
    [problem] = refused(path, rules)
    assert "找不到表头行" in problem.message and len(problem.message) < 400


# ---------------------------------------------------------------- the unknown-category flood


def test_one_unknown_category_on_every_row_is_one_problem(env: Env) -> None:
    rows = [cm_row(i, 类别="支行客户经理") for i in range(1, 201)]
    path = hf.write_xlsx(env.files / "2026-10.xlsx", rows)
    ran = env.cli("check", path, "--db", env.db, "--json")
    [problem] = assert_refused(ran, path, "支行客户经理", row=3, column="类别")
    assert "共 200 行" in problem["message"] and "第 3–202 行" in problem["message"]
    assert "category_aliases" in problem["message"]
    assert len(ran.json()["problems"]) == 1


def test_rows_listed_in_ranges_when_they_are_not_together(tmp_path: Path,
                                                           rules: RuleSet) -> None:
    rows = [cm_row(i, 类别="支行客户经理" if i % 10 else "支行") for i in range(1, 101)]
    [problem] = refused(hf.write_xlsx(tmp_path / "2026-10.xlsx", rows), rules)
    assert "共 90 行" in problem.message and "第 3–11、13–21" in problem.message
    assert problem.message.count("、") < 20  # the ranges are cut short, not all listed


def test_category_aliases_in_export_yaml_map_the_values(tmp_path: Path) -> None:
    rules = load_rules(with_aliases(tmp_path, "category_aliases: {支行: [支行客户经理]}"))
    rows = [cm_row(i, 类别="支行客户经理") for i in range(1, 4)] + [cm_row(4)]
    export = read_export(hf.write_xlsx(tmp_path / "2026-10.xlsx", rows), rules)
    assert [m.category for m in export.managers] == ["支行"] * 4


@pytest.mark.parametrize(("aliases", "words"), [
    ("category_aliases: {支行二: [支行客户经理]}", "没有类别为 支行二"),
    ("category_aliases: {支行: [分行个金]}", "本身就是一个类别"),
    ("category_aliases: {支行: [甲], 分行个金: [甲]}", "同时写在"),
])
def test_category_aliases_are_checked_with_file_and_line(tmp_path: Path, aliases: str,
                                                         words: str) -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rules(with_aliases(tmp_path, aliases))
    [problem] = caught.value.problems
    assert str(problem).startswith("export.yaml:") and words in str(problem)


def test_a_rowspan_in_an_html_export_is_a_merge_not_a_shift(env: Env) -> None:
    """A 机构 cell with rowspan="3" shifted the next rows' cells one column to the left."""
    def tr(cells: list[Any]) -> str:
        return "<tr>" + "".join(cells) + "</tr>"

    rows = cm_rows(3)
    body = [tr([f"<td>{TITLE}</td>"]), tr([f"<th>{h}</th>" for h in HEADERS])]
    for k, r in enumerate(rows):
        cells = [f"<td>{v}</td>" for v in r]
        cells[J("机构")] = '<td rowspan="3">城东支行</td>' if k == 0 else ""
        body.append(tr([c for c in cells if c]))
    path = env.files / "2026-10.xls"
    path.write_text(f"<html><body><table>{''.join(body)}</table></body></html>", encoding="utf-8")
    ran = env.cli("check", path, "--db", env.db, "--json")
    [problem] = assert_refused(ran, path, "C3:C5", row=3, column="机构")
    assert "合并" in problem["message"]
