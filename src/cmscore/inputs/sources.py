"""Open an export file as plain grids of cells, one per worksheet.

Only this module knows file formats; everything after it sees ``Grid``s whose
row numbers are the ones Excel shows, so every later problem can be located.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmscore.inputs.datecells import no_date_can_be, out_of_range
from cmscore.inputs.halves import halves
from cmscore.inputs.panics import panics_quiet
from cmscore.inputs.preflight import Checked, sniff
from cmscore.numbers import CONTROLS
from cmscore.problems import InputError, Problem, fail
from cmscore.rules.files import Limits

SPREADSHEET = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT = {".csv", ".txt", ".tsv"}


@dataclass
class Grid:
    """The cells of one worksheet; ``rows[i]`` is spreadsheet row ``i + 1``."""

    file: str
    sheet: str
    rows: list[list[Any]]
    encoding: str = ""  # for text files: how the bytes were decoded
    actual: str = ""  # what the file really is when its name says otherwise
    # merged ranges as (first row, first column, last row, last column), from 0
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (row, column) from 0 → formula text, for every formula cell (xlsx only)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as Excel names columns)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def open_grids(path: Path, limits: Limits | None = None) -> list[Grid]:
    """Every visible worksheet of ``path`` (hidden sheets are never read).

    What the file is comes from its bytes, not its name: an HTML page or a text file
    saved as .xls is read as what it is, and said so.
    """
    if not path.exists():
        raise fail("文件不存在", file=str(path))
    if path.is_dir():
        raise fail("这是一个文件夹，不是导出文件", file=str(path))
    if not path.is_file():  # a named pipe would make the read below wait forever
        raise fail("这不是普通文件（是命名管道、设备或套接字），cmscore 不读取它；请指定导出的 "
                   "Excel 或 CSV 文件", file=str(path))
    if CONTROLS.search(path.name):
        raise fail("文件名含控制字符或双向文字控制符（终端会执行或倒排它们，能把扩展名伪装成别的）；"
                   "请把文件改名后重新运行", file=path.name)
    suffix = path.suffix.lower()
    if suffix not in TEXT | SPREADSHEET:
        raise fail(f"不支持的文件类型 {path.suffix or '（无扩展名）'}；"
                   "请提供 .xlsx、.xls 或 .csv", file=path.name)
    checked = sniff(path, limits or Limits())
    if checked.kind == "text" and suffix in {".xlsx", ".xlsm", ".xlsb", ".ods"}:
        raise fail(f"文件不是表格：扩展名为 {suffix}，内容却是文本；如是 CSV，请把扩展名改为 .csv",
                   file=path.name)
    if checked.kind == "text":
        grid = _read_text(path)
        if suffix in SPREADSHEET:
            grid.actual = f"文件名为 {suffix}，实际是文本文件"
        return [grid]
    if checked.kind == "html":
        text, encoding = decode(path.read_bytes(), path.name)
        from cmscore.inputs.htmltable import read_table  # html.parser: only for web pages

        rows, merges = read_table(text)
        if not rows:
            raise fail("文件是网页（HTML），不是 Excel，且其中没有表格；请在 Excel/WPS 中打开后"
                       "另存为 .xlsx", file=path.name)
        return [Grid(path.name, "", rows, encoding, "实际是网页（HTML）表格", merges=merges)]
    if checked.kind == "spreadsheetml":
        raise fail("文件是「XML 电子表格 2003」格式，不是 .xls；请在 Excel/WPS 中另存为 .xlsx",
                   file=path.name)
    return _read_workbook(path, checked)


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Bytes → text, choosing UTF-8 (with or without BOM), UTF-16 (with its BOM, as
    Excel saves 「Unicode 文本」) or GB18030, never guessing.

    GB18030 is a superset of GBK and GB2312, so one decoder serves all three. A
    file that is none of them is refused rather than read as mojibake.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise fail(f"文件以 UTF-16 字节顺序标记开头，但第 {exc.start} 字节起不是有效的 UTF-16；"
                       "请在 Excel/WPS 中另存为「CSV UTF-8」或 .xlsx", file=name) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise _undecodable(name, exc) from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030/GBK"
    except UnicodeDecodeError as exc:
        raise _undecodable(name, exc) from exc


def _undecodable(name: str, exc: UnicodeDecodeError) -> InputError:
    return fail(f"无法识别文件编码：第 {exc.start} 字节起既不是 UTF-8 也不是 GBK/GB18030；"
                "请在 Excel/WPS 中另存为「CSV UTF-8」或 .xlsx", file=name)


def _read_text(path: Path) -> Grid:
    text, encoding = decode(path.read_bytes(), path.name)
    if "\x00" in text:
        raise fail("文件含有 NUL 字符，不是文本 CSV（是否为改了扩展名的表格文件？）",
                   file=path.name)
    # Title rows above the header carry no delimiters, so look at the first lines together.
    head = "\n".join(text.split("\n", 20)[:20])
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    rows: list[list[object]] = [list(r) for r in csv.reader(io.StringIO(text, newline=""),
                                                            delimiter=delimiter)]
    return Grid(path.name, "", rows, encoding)


def _unreadable(exc: BaseException, path: Path, parts: list[str], name: str) -> list[Problem]:
    """Why sheet ``name`` could not be read. A number no date can be, in a cell formatted
    as a date or a time, stops calamine's whole sheet (Python's timedelta overflows, or
    calamine panics on ``TimeDelta``): those cells are found and named (``datecells``)."""
    if no_date_can_be(exc) and len(parts) == 1:
        try:
            with zipfile.ZipFile(path) as archive:  # the preflight has vouched for its size
                sheet, styles = archive.read(parts[0]), archive.read("xl/styles.xml")
        except (OSError, KeyError, zipfile.BadZipFile):
            sheet = styles = b""
        found = out_of_range(sheet, styles, path.name, name)
        if found:
            return found
    return [Problem(f"无法读取该工作表（{exc}）", file=path.name, sheet=name)]


def _read_workbook(path: Path, checked: Checked) -> list[Grid]:
    import python_calamine as pc  # imported here so `cmscore --help` stays fast

    try:
        book = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError as exc:
        raise fail("文件有密码保护；请在 Excel/WPS 中取消密码后另存", file=path.name) from exc
    except Exception as exc:  # calamine's errors: zip, xml, unknown format
        raise fail(f"无法作为表格文件读取（{type(exc).__name__}: {exc}）；"
                   "文件可能已损坏、被截断，或并非 Excel 文件", file=path.name) from exc
    grids: list[Grid] = []
    problems: list[Problem] = []
    for meta in book.sheets_metadata:
        if str(meta.visible) != "SheetVisibleEnum.Visible" or \
                str(meta.typ) != "SheetTypeEnum.WorkSheet":
            continue
        try:
            parts = [p for p, n in checked.sheets.items() if n == meta.name]
            with panics_quiet():  # its panic is told below as a problem, not in Rust's words
                cut = halves(checked.members, parts[0], meta.name) if len(parts) == 1 else None
                if cut is not None:
                    rows, sheet = cut
                else:
                    sheet = book.get_sheet_by_name(meta.name)
                    rows = sheet.to_python(skip_empty_area=False)
            merges = _merges(sheet) or checked.merges.get(meta.name, [])
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # calamine's panics (pyo3's PanicException) are not Exceptions
            problems.extend(_unreadable(exc, path, parts, meta.name))
            continue
        problems.extend(checked.cell_problems.get(meta.name, []))
        grids.append(Grid(path.name, meta.name, rows, merges=merges,
                          formulas=checked.formulas.get(meta.name, {})))
    if problems:
        raise InputError(problems)
    if not grids:
        raise fail("文件中没有可见的工作表", file=path.name)
    return grids


def _merges(sheet: Any) -> list[tuple[int, int, int, int]]:
    """The sheet's merged ranges, as far as calamine knows them for its format."""
    try:
        ranges = sheet.merged_cell_ranges or ()
    except Exception:  # a format without merge records
        return []
    return [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges]
