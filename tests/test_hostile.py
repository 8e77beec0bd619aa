"""Hostile and messy exports: refuse cleanly, lose nothing.

Every refusal here must exit 1 with a plain message naming the file (and the row and
column where there is one), store nothing, write no scores-*.xlsx, and finish in
bounded time and memory. Files that could take the whole process down (calamine
aborts on a huge allocation) are only ever opened by a child process with a memory
cap and a timeout; the rest run in-process through the CLI.
"""

from __future__ import annotations

import sqlite3
import subprocess
import time
import zipfile
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import hostile_fixtures as hf
from cmscore.cli import app
from cmscore.inputs.reader import read_export
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import RuleSet
from hostile_fixtures import Error, Formula, Ran, Sheet, cm_row, cm_rows, export_rows

FAST = 8.0  # seconds: the most any single refusal may take in-process


# ---------------------------------------------------------------- helpers


class Env:
    """A private store and output directory, and the CLI pointed at them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"
        self.files.mkdir()
        self.db = root / "store.db"
        self.out = root / "out"
        self.out.mkdir()
        self.runner = CliRunner(env={"COLUMNS": "2000", "NO_COLOR": "1", "CMSCORE_DB": None})

    def cli(self, *args: Any) -> Ran:
        start = time.monotonic()
        result = self.runner.invoke(app, [str(a) for a in args])
        seconds = time.monotonic() - start
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"cmscore crashed (a traceback, not a message): "
                                 f"{result.exception!r}\n{result.stderr}") from result.exception
        return Ran(result.exit_code, result.stdout, result.stderr, seconds)

    def score(self, path: Path, *extra: Any, json_mode: bool = True) -> Ran:
        flags = ["--json"] if json_mode else []
        return self.cli("score", path, "--db", self.db, "--out", self.out, *flags, *extra)

    def child(self, *args: Any, timeout: float = 20) -> Ran:
        return hf.run_subprocess(*args, timeout=timeout, cwd=self.root)

    def child_score(self, path: Path, timeout: float = 20) -> Ran:
        return self.child("score", path, "--db", self.db, "--out", self.out, "--json",
                          timeout=timeout)

    def months(self) -> list[str]:
        if not self.db.exists():
            return []
        with closing(sqlite3.connect(self.db)) as conn:
            return [m for (m,) in conn.execute("SELECT month FROM months ORDER BY month")]

    def figure(self, month: str, cm_id: str, item_name: str) -> Decimal:
        """A CM's raw figure for one item as scored: the 明细 sheet of scores-MONTH.xlsx."""
        wb = load_workbook(self.out / f"scores-{month}.xlsx", read_only=True)
        try:
            rows = list(wb["明细"].iter_rows(values_only=True))
        finally:
            wb.close()
        at = next(i for i, r in enumerate(rows) if "工号" in r)
        header = rows[at]
        j = next(j for j, h in enumerate(header) if h and str(h).startswith(item_name)
                 and "数据" in str(h))
        value = next(r[j] for r in rows[at + 1:] if r[header.index("工号")] == cm_id)
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    def assert_nothing_kept(self) -> None:
        assert self.months() == [], f"a refused file was stored: {self.months()}"
        written = sorted(p.name for p in self.out.iterdir())
        assert written == [], f"a refused file left outputs: {written}"


def problems_of(ran: Ran) -> list[dict[str, Any]]:
    """The located problems of a --json refusal."""
    doc = ran.json()
    assert "problems" in doc, doc
    return doc["problems"]


def assert_refused(ran: Ran, path: Path, *words: str, row: int | None = None,
                   column: str | None = None, limit: float = FAST) -> list[dict[str, Any]]:
    """Exit 1, one JSON document naming the file; some problem has ``words`` (any of
    them), and the row/column when given; no traceback; in bounded time."""
    assert ran.code == 1, f"exit {ran.code}, wanted 1\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    assert "Traceback" not in ran.text
    assert ran.seconds < limit, f"took {ran.seconds:.1f} s"
    problems = problems_of(ran)
    assert problems, ran.stdout
    assert all(p["file"] == path.name for p in problems), problems
    matching = [p for p in problems
                if (not words or any(w in p["message"] for w in words))
                and (row is None or p["row"] == row)
                and (column is None or p["column"] == column)]
    assert matching, f"no problem with {words} at row {row} column {column}: {problems}"
    return matching


def managers(ran: Ran) -> dict[str, dict[str, Any]]:
    assert ran.code == 0, f"exit {ran.code}\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}"
    return {m["id"]: m for m in ran.json()["managers"]}


# ---------------------------------------------------------------- 1, 2: XML entities

ENTITY_FILES = {
    "billion-laughs": hf.billion_laughs,
    "quadratic-blowup": hf.quadratic_blowup,
    "amplification-under-expat-limit": hf.amplification_under_limit,
    "xxe-shared-strings": hf.xxe,
    "xxe-sheet": lambda d: hf.xxe(d, "xxe-sheet-2026-10.xlsx", part="xl/worksheets/sheet1.xml"),
    "xxe-workbook": lambda d: hf.xxe(d, "xxe-book-2026-10.xlsx", part="xl/workbook.xml"),
    "xxe-content-types": lambda d: hf.xxe(d, "xxe-ct-2026-10.xlsx", part="[Content_Types].xml"),
    "parameter-entity": hf.parameter_entity,
}


@pytest.mark.parametrize("kind", ENTITY_FILES)
def test_entity_declarations_are_refused(env: Env, kind: str) -> None:
    path = ENTITY_FILES[kind](env.files)
    ran = env.score(path)
    assert_refused(ran, path, "DOCTYPE", "ENTITY")
    env.assert_nothing_kept()


def test_xxe_never_pastes_a_local_file(env: Env) -> None:
    secret = env.root / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a", encoding="utf-8")
    path = hf.xxe(env.files, target=str(secret))
    for command in ("score", "check"):
        ran = env.cli(command, path, "--db", env.db, "--out", env.out, "--json") \
            if command == "score" else env.cli(command, path, "--db", env.db, "--json")
        assert_refused(ran, path, "DOCTYPE")
        assert "TOP-SECRET" not in ran.text
    env.assert_nothing_kept()


def test_entity_refusal_human_message_names_file_and_part(env: Env) -> None:
    path = hf.billion_laughs(env.files)
    ran = env.score(path, json_mode=False)
    assert ran.code == 1
    assert path.name in ran.stderr and "xl/sharedStrings.xml" in ran.stderr
    assert "未保存" in ran.stderr and "Traceback" not in ran.text
    env.assert_nothing_kept()


# ---------------------------------------------------------------- 3: zip bombs, lying sizes


def test_bomb_fixtures_are_small_and_quick_to_build(tmp_path: Path) -> None:
    start = time.monotonic()
    bomb = hf.sheet_bomb(tmp_path)
    strings = hf.strings_bomb(tmp_path)
    assert time.monotonic() - start < 5
    assert bomb.stat().st_size < 1_500_000 and strings.stat().st_size < 1_500_000
    with zipfile.ZipFile(bomb) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 300 * hf.MB
    with zipfile.ZipFile(strings) as zf:
        assert zf.getinfo("xl/sharedStrings.xml").file_size > 400 * hf.MB


BOMBS = {
    # declared honestly: the sum of declared sizes is over max_inflated_mb
    "sheet-320MB": (hf.sheet_bomb, ("压缩炸弹", "max_inflated_mb")),
    "shared-string-400MB": (hf.strings_bomb, ("压缩炸弹", "max_inflated_mb")),
    # under max_inflated_mb, but a 1000:1 ratio
    "sheet-200MB-ratio": (lambda d: hf.sheet_bomb(d, "bomb200-2026-10.xlsx", 200),
                          ("压缩炸弹", "max_ratio")),
    # declared 5 kB, really 320 MB (checksum of the whole)
    "sheet-320MB-declared-5kB": (
        lambda d: hf.sheet_bomb(d, "bomblie-2026-10.xlsx", 320, declared_size=5000),
        ("损坏", "压缩炸弹", "声明")),
    # declared size and checksum cover a harmless prefix; the stream hides XFD1048576
    "declared-prefix-hides-far-cell": (hf.lying_size, ("声明", "declared", "损坏", "范围")),
    # declared a tenth of the real size
    "declared-tenth": (hf.lying_size_crc_full, ("损坏", "声明")),
}


@pytest.mark.parametrize("kind", BOMBS)
def test_zip_bombs_and_lying_sizes_are_refused_in_bounded_memory(env: Env, kind: str) -> None:
    build, words = BOMBS[kind]
    path = build(env.files)
    ran = env.child_score(path, timeout=20)  # a child with a 1.5 GB address-space cap
    assert_refused(ran, path, *words, limit=20)
    env.assert_nothing_kept()


# ---------------------------------------------------------------- 4: far cells (subprocess)
# calamine allocates the whole rectangle up to the farthest cell and aborts the process
# when it cannot: these files are only ever opened by a child with a memory cap.

FAR_CELLS = {
    "XFD1048576": lambda d: hf.far_cell(d, "XFD1048576"),
    "XFD1048576-row-without-r": lambda d: hf.far_cell(d, "XFD1048576", name="norow-2026-10.xlsx",
                                                      row_attribute=False),
    "ZZ1048576-two-letters": lambda d: hf.far_cell(d, "ZZ1048576"),
    "GR1048576-within-each-limit": lambda d: hf.far_cell(d, "GR1048576"),
    # a stray cell at the export's own width: a million blank rows (was ~12 s, 800 MB)
    "Q1048576-stray": lambda d: hf.far_cell(d, "Q1048576"),
}


@pytest.mark.parametrize("kind", FAR_CELLS)
def test_far_cell_is_refused_quickly_naming_it_never_a_crash(env: Env, kind: str) -> None:
    path = FAR_CELLS[kind](env.files)
    ref = kind.split("-")[0]
    try:
        ran = env.child_score(path, timeout=8)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a cell at {ref} took more than 8 s to refuse")
    row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    matching = assert_refused(ran, path, "范围", limit=8)
    assert row in matching[0]["message"] and matching[0]["sheet"] == "业绩"  # where it is
    env.assert_nothing_kept()


SHEET_PARTS = {
    # stored under another extension, found through the relationship
    "upper-case-extension": ("xl/worksheets/sheet1.XML", None),
    "bin-extension": ("xl/worksheets/sheet1.bin", None),
}


@pytest.mark.parametrize("kind", SHEET_PARTS)
def test_sheet_part_under_another_name_is_still_checked(env: Env, kind: str) -> None:
    member, target = SHEET_PARTS[kind]
    path = hf.sheet_part_renamed(env.files, member, f"{kind}-2026-10.xlsx", target=target)
    ran = env.child_score(path, timeout=20)
    assert_refused(ran, path, "范围", limit=20)
    env.assert_nothing_kept()


@pytest.mark.parametrize("member, target", [
    ("xl/worksheets/sheet1.xml", "worksheets/Sheet1.xml"),
    ("xl/worksheets/SHEET1.xml", "worksheets/sheet1.xml"),
])
def test_sheet_part_named_in_another_case_is_still_checked(env: Env, member: str,
                                                           target: str) -> None:
    path = hf.sheet_part_renamed(env.files, member, "case-2026-10.xlsx", target=target)
    ran = env.child_score(path, timeout=20)
    assert_refused(ran, path, "范围", limit=20)
    env.assert_nothing_kept()


# ---------------------------------------------------------------- 5: <dimension> lies


def test_data_beyond_a_declared_dimension_of_a1_are_all_read(env: Env) -> None:
    path = hf.small_dimension(env.files, n=5)
    with zipfile.ZipFile(path) as zf:
        assert b'<dimension ref="A1:A1"/>' in zf.read("xl/worksheets/sheet1.xml")
    got = managers(env.score(path))
    assert sorted(got) == [f"E{i:04d}" for i in range(1, 6)]
    # E0005 (the last row, far outside A1:A1): 5 households × 2.5 points
    assert got["E0005"]["items"]["loan_households"] == "12.50"
    assert got["E0005"]["name"] == cm_row(5)[1]
    assert env.months() == ["2026-10"]


def test_a_huge_declared_dimension_with_little_data_is_read(env: Env) -> None:
    path = hf.huge_dimension(env.files)
    got = managers(env.score(path))
    assert sorted(got) == ["E0001", "E0002"]


# ---------------------------------------------------------------- 6, 8, 9: containers


@pytest.mark.parametrize("name", ["password-2026-10.xlsx", "password-2026-10.xls"])
def test_password_protected_file_is_refused(env: Env, name: str) -> None:
    path = hf.encrypted_xlsx(env.files, name)
    assert path.stat().st_size <= 4096
    assert_refused(env.score(path), path, "密码")
    env.assert_nothing_kept()


@pytest.mark.parametrize("name", ["macro-2026-10.xlsx", "macro-2026-10.xlsm"])
def test_workbook_with_macros_is_refused(env: Env, name: str) -> None:
    path = hf.macro_xlsx(env.files, name)
    assert_refused(env.score(path), path, "宏")
    env.assert_nothing_kept()


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_xlsx_is_refused(env: Env, fraction: float) -> None:
    full = hf.write_xlsx(env.root / "full.xlsx", cm_rows(40))
    data = full.read_bytes()
    path = env.files / "truncated-2026-10.xlsx"
    path.write_bytes(data[: int(len(data) * fraction)])
    assert_refused(env.score(path), path, "损坏", "截断")
    env.assert_nothing_kept()


def test_first_half_of_a_valid_file_is_refused(env: Env) -> None:
    path = hf.truncated_xlsx(env.files)
    assert_refused(env.score(path), path, "损坏", "截断")
    env.assert_nothing_kept()


# ---------------------------------------------------------------- 7: not what the name says


def test_html_table_saved_as_xls_is_read_and_said_to_be_html(env: Env) -> None:
    path = hf.html_as_xls(env.files, "2026-10.xls", rows=3)
    ran = env.score(path, "-q", json_mode=False)
    assert ran.code == 0, ran.text
    assert "HTML" in ran.stdout
    assert env.months() == ["2026-10"]
    check = env.cli("check", path, "--db", env.db, "--json")
    assert sorted(managers(check)) == ["E0001", "E0002", "E0003"]


def test_gbk_tab_separated_text_without_title_saved_as_xls_is_read(env: Env) -> None:
    path = env.files / "2026-10.xls"
    lines = ["\t".join(hf.HEADERS)] + ["\t".join(map(str, r)) for r in cm_rows(3)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    ran = env.score(path, "-q", json_mode=False)
    assert ran.code == 0, ran.text
    assert "文本" in ran.stdout and "GBK" in ran.stdout
    assert env.months() == ["2026-10"]


def test_gbk_tab_separated_text_with_title_saved_as_xls_is_read(env: Env) -> None:
    path = hf.gbk_tsv_as_xls(env.files, "2026-10.xls", rows=3)
    ran = env.score(path, "-q", json_mode=False)
    assert ran.code == 0, ran.text
    assert "文本" in ran.stdout
    assert env.months() == ["2026-10"]


# ---------------------------------------------------------------- 10: encodings


def test_gb18030_csv_with_a_rare_character_and_thousands_is_read_exactly(env: Env) -> None:
    path = hf.gb18030_csv(env.files)
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("gbk")  # 䶮 is outside GBK: only GB18030 reads it
    got = managers(env.score(path))
    assert got["E0001"]["name"] == "王䶮"
    assert env.figure("2026-10", "E0001", "放款金额") == Decimal("1234.5")


def test_undecodable_csv_is_refused_never_mojibake(env: Env) -> None:
    path = hf.undecodable_csv(env.files)
    ran = env.score(path)
    assert_refused(ran, path, "编码")
    env.assert_nothing_kept()


# ---------------------------------------------------------------- 11: the messy export

HIDDEN_ROW = 8  # title, group labels, item names, then data from row 4: the 5th CM


def _messy_rows() -> list[list[Any]]:
    return [
        cm_row(1, 放款金额="1,234.50"),
        cm_row(2, 银行卡="１２３"),
        cm_row(3, 姓名="\u3000李\u200b娜"),
        cm_row(4, 姓名="NA"),
        cm_row(5),  # on a hidden row
    ]


def test_messy_export_is_read_completely_and_cleanly(env: Env) -> None:
    path = hf.messy_export(env.files, rows=_messy_rows(), hidden_rows=[HIDDEN_ROW])
    got = managers(env.score(path))
    assert sorted(got) == [f"E{i:04d}" for i in range(1, 6)]  # the hidden row too
    assert got["E0003"]["name"] == "李娜"
    assert got["E0004"]["name"] == "NA"
    assert env.figure("2026-10", "E0001", "放款金额") == Decimal("1234.5")
    assert env.figure("2026-10", "E0002", "银行卡") == 123
    assert "X" not in got  # the hidden first sheet is never read
    assert env.months() == ["2026-10"]


def test_messy_export_total_row_disagreeing_is_refused_at_the_total(env: Env) -> None:
    rows = _messy_rows()
    true_sum = sum(hf.as_read(r[hf.HEADERS.index("放款户数")]) for r in rows)
    path = hf.messy_export(env.files, rows=rows, hidden_rows=[HIDDEN_ROW],
                           total={"放款户数": true_sum + 1})
    total_row = 3 + len(rows) + 1
    assert_refused(env.score(path), path, "合计", row=total_row, column="放款户数")
    env.assert_nothing_kept()


def test_messy_export_total_missing_a_hidden_row_is_refused(env: Env) -> None:
    """The 合计 of the visible rows only (as SUBTOTAL(109) would give) ≠ the rows read."""
    rows = _messy_rows()
    j = hf.HEADERS.index("管户户数")
    visible = sum(hf.as_read(r[j]) for r in rows[:-1])
    path = hf.messy_export(env.files, rows=rows, hidden_rows=[HIDDEN_ROW],
                           total={"管户户数": visible})
    assert_refused(env.score(path), path, "合计", row=3 + len(rows) + 1, column="管户户数")
    env.assert_nothing_kept()


MESSY_DEFECTS = {
    "percent-in-count": ({"放款户数": "85%"}, "放款户数", "百分号"),
    "18-digit-numeric-id": ({"工号": 110101199001011234.0}, "工号", "精度"),
    "negative-count": ({"银行卡": -2}, "银行卡", "负数"),
}


@pytest.mark.parametrize("defect", MESSY_DEFECTS)
def test_messy_export_defect_is_refused_at_its_cell(env: Env, defect: str) -> None:
    change, column, word = MESSY_DEFECTS[defect]
    rows = _messy_rows()
    rows[1] = cm_row(2, **change)
    path = hf.messy_export(env.files, rows=rows, hidden_rows=[HIDDEN_ROW])
    assert_refused(env.score(path), path, word, row=5, column=column)
    env.assert_nothing_kept()


def test_messy_export_reports_every_defect_at_once(env: Env) -> None:
    rows = _messy_rows()
    rows[0] = cm_row(1, 放款户数="85%")
    rows[2] = cm_row(3, 工号=110101199001011234.0)
    rows[4] = cm_row(5, 银行卡=-2)
    path = hf.messy_export(env.files, rows=rows, hidden_rows=[HIDDEN_ROW])
    ran = env.score(path)
    assert_refused(ran, path)
    located = {(p["row"], p["column"]) for p in problems_of(ran)}
    assert {(4, "放款户数"), (6, "工号"), (8, "银行卡")} <= located
    env.assert_nothing_kept()


@pytest.mark.parametrize("change", [{"姓名": "王小计"}, {"姓名": "李合计"}, {"机构": "总计路支行"}])
def test_a_cm_whose_name_or_branch_contains_a_total_word_is_kept(env: Env,
                                                                 change: dict[str, str]) -> None:
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [cm_row(1, **change), cm_row(2)])
    got = managers(env.score(path))
    assert sorted(got) == ["E0001", "E0002"]


def test_branch_subtotal_rows_without_an_id_are_skipped(env: Env) -> None:
    subtotal = ["", "城东支行小计", "城东支行", "", *[""] * (len(hf.HEADERS) - 4)]
    subtotal[hf.HEADERS.index("放款户数")] = cm_row(3)[hf.HEADERS.index("放款户数")]  # E0003's
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [cm_row(1), cm_row(2), subtotal, cm_row(3)])
    assert sorted(managers(env.score(path))) == ["E0001", "E0002", "E0003"]


def test_a_branch_subtotal_that_does_not_add_up_is_refused(env: Env) -> None:
    subtotal = ["", "城东支行小计", "城东支行", "", *[""] * (len(hf.HEADERS) - 4)]
    subtotal[hf.HEADERS.index("放款户数")] = 99  # 城东支行 is E0003 alone: 3
    path = hf.write_xlsx(env.files / "2026-10.xlsx", [cm_row(1), cm_row(2), subtotal, cm_row(3)])
    assert_refused(env.score(path), path, "城东支行", row=5, column="放款户数")
    env.assert_nothing_kept()


# ---------------------------------------------------------------- 12: formulas and errors


def _sheet_with(**changes: Any) -> list[Sheet]:
    return [Sheet(rows=export_rows([cm_row(1, **changes), cm_row(2)]))]


@pytest.mark.parametrize("cell", [
    Formula("SUM(1,2)"),  # never calculated: no cached value
    Formula("E4*2", cached=""),  # an empty cached value
])
def test_formula_without_cached_value_is_refused_naming_the_cell(env: Env, cell: Any) -> None:
    path = hf.write_xlsx(env.files / "formula-2026-10.xlsx", sheets=_sheet_with(放款户数=cell))
    if cell.cached == "":
        with zipfile.ZipFile(path) as zf:
            assert b"<v></v>" in zf.read("xl/worksheets/sheet1.xml")
    assert_refused(env.score(path), path, "E3", "公式", row=3, column="E3")
    env.assert_nothing_kept()


def test_shared_formula_without_cached_value_is_refused(env: Env) -> None:
    path = hf.write_xlsx(env.files / "shared-2026-10.xlsx", sheets=_sheet_with(放款户数=7))
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b'<c r="E3"><v>7</v></c>', b'<c r="E3"><f t="shared" si="0"/></c>')
    assert parts["xl/worksheets/sheet1.xml"] != sheet
    hf.write_zip(path, parts)
    assert_refused(env.score(path), path, "公式", row=3, column="E3")
    env.assert_nothing_kept()


@pytest.mark.parametrize("code", ["#DIV/0!", "#N/A", "#REF!", "#VALUE!"])
@pytest.mark.parametrize("column", ["放款户数", "姓名"])
def test_error_cells_are_refused_naming_the_cell(env: Env, code: str, column: str) -> None:
    path = hf.write_xlsx(env.files / "errors-2026-10.xlsx",
                         sheets=_sheet_with(**{column: Error(code)}))
    ref = f"{hf.col(hf.HEADERS.index(column))}3"
    assert_refused(env.score(path), path, code, row=3, column=ref)
    env.assert_nothing_kept()


def test_formula_resulting_in_div0_is_refused_never_zero(env: Env) -> None:
    path = hf.write_xlsx(env.files / "div0-2026-10.xlsx",
                         sheets=_sheet_with(放款户数=Error("#DIV/0!", formula="E9/0")))
    assert_refused(env.score(path), path, "#DIV/0!", row=3, column="E3")
    env.assert_nothing_kept()


def test_formula_resulting_in_na_in_a_name_is_refused_naming_the_error(env: Env) -> None:
    path = hf.write_xlsx(env.files / "na-2026-10.xlsx", sheets=_sheet_with(
        姓名=Error("#N/A", formula="VLOOKUP(A3,名单!A:B,2,0)")))
    assert_refused(env.score(path), path, "#N/A", row=3, column="B3")
    env.assert_nothing_kept()


def test_formulas_in_manager_rows_are_refused_whatever_they_cached(env: Env) -> None:
    """A cached value may be stale (issue 17): a manager's cells must be values."""
    path = hf.write_xlsx(env.files / "cached-2026-10.xlsx", sheets=_sheet_with(
        放款户数=Formula("1+1", cached=2), 姓名=Formula('"王"&"芳"', cached="王芳")))
    ran = env.score(path)
    assert_refused(ran, path, "公式", row=3, column="放款户数")
    assert_refused(ran, path, "公式", row=3, column="姓名")
    env.assert_nothing_kept()


def test_error_cells_on_a_hidden_sheet_do_not_matter(env: Env) -> None:
    path = hf.messy_export(env.files, rows=cm_rows(3))
    with zipfile.ZipFile(path) as zf:
        assert b'state="hidden"' in zf.read("xl/workbook.xml")
        assert b't="e"' in zf.read("xl/worksheets/sheet1.xml")
    assert sorted(managers(env.score(path))) == ["E0001", "E0002", "E0003"]


def refused(path: Path, rules: RuleSet) -> list[Problem]:
    """The problems ``read_export`` raises for ``path`` (it must raise)."""
    with pytest.raises(InputError) as caught:
        read_export(path, rules)
    return caught.value.problems
