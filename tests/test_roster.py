"""Issue 15, identity continuity: 工号 as export.yaml says they look, and 人员变动 against
the previous stored month — reported in the terminal, --json and the scores workbook, and a
month that looks like a broken file refused unless --accept-roster-change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from cmscore.rules.ruleset import DEFAULT_DIR
from conftest import EXAMPLES, HEADERS, ZEROS, Cli, json_out, row, stored_months, write_xlsx


def resaved(src: Path, target: Path) -> Path:
    """``src`` as Excel saves it after someone typed into it: every all-digit 工号 a number
    (011771 → 11771), as a spreadsheet leaves a column not formatted as text."""
    wb = load_workbook(src)
    ws = wb.active
    assert ws is not None
    header = next(r for r in ws.iter_rows() if any(c.value == "工号" for c in r))
    column = next(c.column for c in header if c.value == "工号")
    for (cell,) in ws.iter_rows(min_row=header[0].row + 1, min_col=column, max_col=column):
        if isinstance(cell.value, str) and cell.value.isdigit():
            cell.value = int(cell.value)
            cell.number_format = "General"
    wb.save(target)
    return target


def rules_without_width(tmp: Path) -> Path:
    rules = tmp / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    path = rules / "export.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nid_width: 6\n" in text
    path.write_text(text.replace("\nid_width: 6\n", "\n"), encoding="utf-8")
    return rules


def score(cli: Cli, file: Path, tmp: Path, *extra: Any, code: int = 0) -> Any:
    return cli("score", file, "--db", tmp / "cmscore.db", "--out", tmp / "out", *extra,
               code=code)


def test_resaved_export_keeps_its_ids(cli: Cli, tmp_path: Path) -> None:
    """The issue's first finding: 2026-10 re-saved with numeric 工号 scored as 40 new people.
    With id_width 6 (shipped) the zeros come back: the same ids, nobody new."""
    score(cli, EXAMPLES / "2026-09.xlsx", tmp_path)
    numeric = resaved(EXAMPLES / "2026-10.xlsx", tmp_path / "2026-10.xlsx")
    doc = json_out(score(cli, numeric, tmp_path, "--json"))
    ids = sorted(m["id"] for m in doc["managers"])
    assert "011771" in ids and all(len(i) == 6 and i.startswith("0") for i in ids)
    assert doc["roster_changes"]["new"] == [] and doc["roster_changes"]["gone"] == []
    assert doc["roster_changes"]["previous"] == "2026-09"
    human = score(cli, numeric, tmp_path, "--replace")
    assert "个工号是数字、位数不足，已按 export.yaml 的 id_width 补足前导零" in human.stdout
    assert "人员变动（与 2026-09 比）：无" in human.stdout


def test_resaved_export_without_width_is_refused(cli: Cli, tmp_path: Path) -> None:
    """Without id_width the shortened 工号 look like new people: refused, naming 工号 and
    the leading zeros; nothing stored."""
    rules = rules_without_width(tmp_path)
    score(cli, EXAMPLES / "2026-09.xlsx", tmp_path, "--rules", rules)
    numeric = resaved(EXAMPLES / "2026-10.xlsx", tmp_path / "2026-10.xlsx")
    got = score(cli, numeric, tmp_path, "--rules", rules, code=1)
    assert "人员变动异常，未计分" in got.stderr
    assert "的工号不在上一个已计分月份 2026-09" in got.stderr
    assert "丢了前导零" in got.stderr and "--accept-roster-change" in got.stderr
    assert stored_months(tmp_path / "cmscore.db") == ["2026-09"]
    # check refuses it the same way: exit 0 would say the file can be scored
    checked = cli("check", numeric, "--db", tmp_path / "cmscore.db", "--rules", rules, code=1)
    assert "人员变动异常" in checked.stderr


def test_a_few_ids_that_lost_their_zeros_are_refused_without_width(
        cli: Cli, tmp_path: Path) -> None:
    """Red team: with 10 of 40 工号 shortened (rules without id_width, as an office copy made
    before it), the share of new 工号 stayed under max_new_share: 10 new and 10 gone with the
    same names, early completion lost, exit 0. A new 工号 that is a gone one without its
    leading zeros is refused by name."""
    rules = rules_without_width(tmp_path)
    score(cli, EXAMPLES / "2026-09.xlsx", tmp_path, "--rules", rules)
    wb = load_workbook(EXAMPLES / "2026-10.xlsx")
    ws = wb.active
    assert ws is not None
    header = next(r for r in ws.iter_rows() if any(c.value == "工号" for c in r))
    column = next(c.column for c in header if c.value == "工号")
    cells = [c for (c,) in ws.iter_rows(min_row=header[0].row + 1, min_col=column,
                                         max_col=column)
             if isinstance(c.value, str) and c.value.isdigit()][:3]
    for cell in cells:
        cell.value, cell.number_format = int(cell.value), "General"
    wb.save(part := tmp_path / "2026-10.xlsx")
    got = score(cli, part, tmp_path, "--rules", rules, code=1)
    said = got.stderr.replace("\n", "")
    assert "人员变动异常，未计分" in said
    shortened = [str(int(c.value)) for c in cells]
    assert f"新工号 {shortened[0]} 是上月工号 0{shortened[0]} 去掉了前导零" in said
    assert stored_months(tmp_path / "cmscore.db") == ["2026-09"]


def test_id_pattern_refuses_a_shortened_id(cli: Cli, tmp_path: Path) -> None:
    rules = rules_without_width(tmp_path)
    path = rules / "export.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "id_pattern: '[0-9]{6}'\n",
                    encoding="utf-8")
    export = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(ZEROS, 工号=11771)], text_columns=())
    got = score(cli, export, tmp_path, "--rules", rules, code=1)
    assert "工号「11771」不符合 export.yaml 的 id_pattern（[0-9]{6}）" in got.stderr
    assert "丢了前导零" in got.stderr


def month(tmp: Path, name: str, people: list[tuple[str, str, str, str]]) -> Path:
    return write_xlsx(tmp / name, HEADERS, [row(ZEROS, 工号=i, 姓名=n, 机构=b, 类别=c)
                                            for i, n, b, c in people],
                      titles=(f"2026年{int(name[5:7])}月客户经理业绩报表",))


BEFORE = [("000001", "张伟", "城东支行", "支行"), ("000002", "李娜", "城东支行", "支行"),
          ("000003", "王芳", "城西支行", "支行"), ("000004", "刘洋", "分行营业部", "分行个金")]


def test_changes_are_reported_everywhere(cli: Cli, tmp_path: Path) -> None:
    score(cli, month(tmp_path, "2026-01.xlsx", BEFORE), tmp_path)
    after = [("000001", "张伟", "城西支行", "支行"), ("000002", "李娜娜", "城东支行", "支行"),
             ("000004", "刘洋", "分行营业部", "分行个金"), ("000005", "陈静", "城西支行", "支行")]
    feb = month(tmp_path, "2026-02.xlsx", after)
    doc = json_out(score(cli, feb, tmp_path, "--json"))["roster_changes"]
    assert [c["id"] for c in doc["new"]] == ["000005"]
    assert [(c["id"], c["before"]["name"]) for c in doc["gone"]] == [("000003", "王芳")]
    assert [(c["id"], c["before"]["name"], c["name"]) for c in doc["renamed"]] == \
        [("000002", "李娜", "李娜娜")]
    assert [(c["id"], c["before"]["branch"], c["after"]["branch"]) for c in doc["moved"]] == \
        [("000001", "城东支行", "城西支行")]
    human = score(cli, feb, tmp_path, "--replace").stdout
    assert "人员变动（与 2026-01 比）新增 1 人：000005 陈静（城西支行·支行）" in human
    assert "减少 1 人：000003 王芳（城西支行·支行）" in human
    assert "更名 1 人：000002 李娜娜（姓名 李娜 → 李娜娜）" in human
    assert "调动 1 人：000001 张伟（机构 城东支行 → 城西支行）" in human
    sheet = load_workbook(tmp_path / "out" / "scores-2026-02.xlsx")["人员变动"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    assert ["新增", "000005", "陈静", None, "陈静，城西支行，支行", "城西支行·支行"] in rows
    assert ["调动", "000001", "张伟", "张伟，城东支行，支行", "张伟，城西支行，支行",
            "机构 城东支行 → 城西支行"] in rows
    assert len(rows) == 4


def test_a_vanished_category_is_refused_unless_accepted(cli: Cli, tmp_path: Path) -> None:
    score(cli, month(tmp_path, "2026-01.xlsx", BEFORE), tmp_path)
    feb = month(tmp_path, "2026-02.xlsx", BEFORE[:3])
    got = score(cli, feb, tmp_path, code=1)
    assert "上一个已计分月份 2026-01 有客户经理的类别分行个金本月一人也没有" in got.stderr
    assert stored_months(tmp_path / "cmscore.db") == ["2026-01"]
    doc = json_out(score(cli, feb, tmp_path, "--accept-roster-change", "--json"))
    assert [c["id"] for c in doc["roster_changes"]["gone"]] == ["000004"]


def test_too_many_new_ids_is_refused_unless_accepted(cli: Cli, tmp_path: Path) -> None:
    score(cli, month(tmp_path, "2026-01.xlsx", BEFORE), tmp_path)
    others = [(f"00010{k}", n, b, c) for k, (_, n, b, c) in enumerate(BEFORE)]
    feb = month(tmp_path, "2026-02.xlsx", others[:3] + BEFORE[3:])  # 3 of 4 new: 75% > 50%
    got = score(cli, feb, tmp_path, code=1)
    assert "本月 4 名客户经理中 3 名（75%）的工号不在上一个已计分月份 2026-01" in got.stderr
    assert "roster.max_new_share（50%）" in got.stderr
    score(cli, feb, tmp_path, "--accept-roster-change")
    assert stored_months(tmp_path / "cmscore.db") == ["2026-01", "2026-02"]
