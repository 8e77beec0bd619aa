"""What reaches the terminal from data: names are printed as written, never read as Rich
markup, and no control sequence from a name or a file name reaches the terminal raw
(issue 17).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hostile_fixtures as hf
from hostile_fixtures import cm_row, cm_rows
from test_store_safety import cli, export, months, ok

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1–3 months

MARKUP = {"[/]": "姓名", "[bold]城西支行": "机构", "[link=https://example.com]李四[/link]": "姓名"}


def test_names_that_look_like_markup_are_printed_as_written(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    rows = [cm_row(i + 1, **{column: text, "对公日均净增": 100})  # the top three of six
            for i, (text, column) in enumerate(MARKUP.items())] + cm_rows(3, start=4)
    ran = ok(cli("score", export(tmp_path, "2026-10", rows), "--db", db, "--out", out))
    for text in MARKUP:
        assert text in ran.stdout, ran.stdout
    assert "\x1b]8;" not in ran.stdout  # no live link
    assert months(db) == ["2026-10"]
    explained = ok(cli("explain", "E0001", "--db", db))
    assert "E0001 [/]" in explained.stdout
    ok(cli("grade", "--months", "1", "--db", db, "--out", out))
    ok(cli("payroll", "--db", db, "--out", out))


def test_markup_quoted_in_a_problem_is_printed_as_written(tmp_path: Path) -> None:
    path = export(tmp_path, "2026-10", [cm_row(1), cm_row(2, 银行卡="[/]12")])
    ran = cli("check", path, "--db", tmp_path / "store.db")
    assert ran.code == 1 and "「[/]12」不是数字" in ran.stderr, ran.text


@pytest.mark.parametrize("name", ["张\x9b31m伟", "李\u202e娜", "王\u2066芳\u2069", "赵\u200f强",
                                  "王\ufffe五", "钱\uffff多"])  # no XML may hold these two
def test_c1_controls_and_bidi_overrides_in_names_are_refused(tmp_path: Path, name: str) -> None:
    db = tmp_path / "store.db"
    path = export(tmp_path, "2026-10", [cm_row(1), cm_row(2, 姓名=name)])
    ran = cli("score", path, "--db", db, "--out", tmp_path / "out", "--json")
    assert ran.code == 1, ran.text
    assert any(p["row"] == 4 and p["column"] == "姓名" and "控制字符" in p["message"]
               for p in ran.json()["problems"]), ran.stdout
    assert months(db) == []


def test_a_control_in_a_supervisors_name_is_refused(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    ok(cli("score", export(tmp_path, "2026-10", cm_rows(3)), "--db", db, "--out", out, "-q"))
    sups = tmp_path / "主管.csv"
    sups.write_text("工号,姓名,职务,机构,履职岗位工资\r\nS1,王\u202e行长,支行行长,城东支行,6500\r\n",
                    encoding="utf-8")
    ran = cli("payroll", "--supervisors", sups, "--db", db, "--out", out, "--json")
    assert ran.code == 1, ran.text
    assert any(p["row"] == 2 and p["column"] == "姓名" and "控制字符" in p["message"]
               for p in ran.json()["problems"]), ran.stdout


@pytest.mark.parametrize("name", ["2026-10\x1b[2J.xlsx", "2026-10\x9b2J.xlsx",
                                  "2026-10\u202excsl.xlsx"])
def test_a_file_name_with_controls_is_refused_and_printed_escaped(tmp_path: Path,
                                                                  name: str) -> None:
    path = hf.write_xlsx(tmp_path / name, cm_rows(3))
    for command in (["check"], ["score", "--out", tmp_path / "out"]):
        ran = cli(*command, path, "--db", tmp_path / "store.db")
        assert ran.code == 1 and "文件名含控制字符" in ran.stderr, ran.text
        assert name.encode("unicode_escape").decode("ascii") in ran.stderr  # \x1b, \u202e
        assert not any(c in ran.text for c in "\x1b\x9b\u202e"), ran.text
    assert months(tmp_path / "store.db") == []


def test_a_folder_name_with_controls_is_printed_escaped(tmp_path: Path) -> None:
    out = tmp_path / "out\x1b[2J"
    ran = ok(cli("score", export(tmp_path, "2026-10", cm_rows(3)), "--db", tmp_path / "s.db",
                 "--out", out, "-q"))
    assert "out\\x1b[2J" in ran.stdout and "\x1b" not in ran.stdout, ran.stdout
    assert (out / "scores-2026-10.xlsx").exists()


def test_shown_escapes_what_steers_a_terminal_and_keeps_the_rest() -> None:
    from cmscore.console import shown

    assert shown("a\x1b[31mb\x9bc\u202ed\u2066e\x7f") == "a\\x1b[31mb\\x9bc\\u202ed\\u2066e\\x7f"
    assert shown("城东支行\n第 4 行\t张伟 [/]") == "城东支行\n第 4 行\t张伟 [/]"
