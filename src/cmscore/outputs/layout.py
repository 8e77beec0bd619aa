"""How a sheet looks on screen and on paper: the OOXML elements Excel writes for it.

``xlsx.Book`` streams the cells; this module gives it what surrounds them. Column widths
are measured on the first rows in display cells (a Chinese character is two), header
and wrapped rows get the height their lines need (LibreOffice keeps a row at the sheet's
default height otherwise, so a wrapped cell shows one line), 工号 and 姓名 stay frozen,
and every sheet prints fitted to one page wide with its header rows repeated and a
footer naming the sheet and the page.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any, Protocol

from cmscore.outputs.celltext import Figures, escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
LINE_HEIGHT = 15  # points a line of 11-point text takes, as Excel's default row height
MAX_WIDTH = 48  # a text column wider than this wraps instead (a 申诉 note, a reason)
# Wider than a portrait A4 page at 100%: printed landscape; wider still, on A3.
LANDSCAPE_FROM, A3_FROM = 100, 240
# Kinds of column (see ``xlsx.STYLE``) whose cells are text that may wrap onto lines.
WRAPPED = {"wrap"}


# "wrap" is text that wraps onto lines, "rank" a centred count (so 机构内排名 never reads
# as part of the 工号 beside it), "value" a column of text and numbers (运行记录's 内容).
STYLE = {"text": 1, "points": 2, "money": 3, "int": 4, "ratio": 5, "number": 6, "header": 7,
         "bold": 8, "wrap": 9, "rank": 10, "value": 11, "title": 12}
TEXT_KINDS = {"text", "wrap"}


class Spec(Protocol):
    header: str
    width: float
    kind: str


def _line_cells(line: str) -> float:
    """Display cells of one line: UTF-8 takes three bytes for a CJK character (two cells)
    and one for ASCII (one cell), so (characters + bytes) / 2 counts both in C."""
    return (len(line) + len(line.encode("utf-8"))) / 2


def display_width(text: str) -> int:
    """Display cells of the widest line of ``text``: a CJK character takes two."""
    if text.isascii() and "\n" not in text:
        return len(text)
    return math.ceil(max(map(_line_cells, text.split("\n")), default=0))


def line_count(text: str, width: float) -> int:
    """Lines ``text`` takes in a wrapping cell ``width`` characters wide."""
    room = max(width - 1.5, 1)
    if "\n" not in text:
        cells = _line_cells(text)
        return 1 if cells <= room else math.ceil(cells / room)
    return sum(max(1, math.ceil(_line_cells(line) / room)) for line in text.split("\n"))


class _Lines(dict[Any, int]):
    """Text → the lines it takes at one width, once per distinct text (reasons repeat)."""

    def __init__(self, width: float) -> None:
        super().__init__({None: 1, "": 1})
        self.width = width

    def __missing__(self, key: Any) -> int:
        value = self[key] = line_count(key, self.width) if type(key) is str else 1
        return value


def _shown(value: Any, kind: str) -> int:
    """Display cells of ``value`` as its column's number format shows it."""
    if type(value) is str:
        return display_width(value)
    if kind == "money":
        return len(f"{value:,.2f}")
    if kind == "points":
        return len(f"{value:.2f}")
    if kind == "ratio":
        return len(f"{value * 100:.2f}%")
    return len(str(value))


def widest_text(texts: list[str]) -> int:
    """The largest ``display_width`` of ``texts`` (0 for none): without a line break in
    any, in C loops (``_line_cells`` of each, doubled), as the ceiling of the largest."""
    if "\n" in "".join(texts):
        return max(map(display_width, texts), default=0)
    doubled = max(map(operator.add, map(len, texts), map(len, map(str.encode, texts))),
                  default=0)
    return (doubled + 1) // 2


def fit_widths(columns: Sequence[Spec], sample: Sequence[Sequence[Any]] | None) -> list[float]:
    """Each column at least its given width, and wide enough for the values of ``sample``
    (the first rows, as columns) up to ``MAX_WIDTH``; a wrapping column keeps its width."""
    widths: list[float] = []
    for j, c in enumerate(columns):
        width = c.width
        if sample is not None and j < len(sample) and c.kind not in WRAPPED:
            values = set(sample[j])  # (a row of the wrong length is refused by the writer)
            values.discard(None)
            values.discard("")
            if type(sample[j]) is Figures:  # a number column given as its text: the exact
                values = set(map(Decimal, values))  # figures again, shown as their format shows
            kinds = set(map(type, values))  # most columns are of one type: C loops then
            texts = list(values) if kinds == {str} else \
                [] if str not in kinds else [v for v in values if type(v) is str]
            # A number's shown width grows with its magnitude: the largest and the most
            # negative are enough (a national month's column has thousands of values).
            # (NaN is left for the writer, which refuses it by name.)
            figures: list[Any] = [] if kinds == {str} else list(values) if kinds == {int} else \
                list(filter(Decimal.is_finite, values)) if kinds == {Decimal} else \
                [v for v in values if type(v) is int or (type(v) is Decimal and v.is_finite())]
            ends = [max(figures), min(figures)] if figures else []
            widest = max([widest_text(texts), *(_shown(v, c.kind) for v in ends)])
            width = max(width, min(widest + 2, MAX_WIDTH))
        # A header wraps, but never inside a word of four characters: 「机构内排名」 needs two lines.
        widths.append(max(width, min(display_width(c.header), 8) + 2))
    return widths


def header_height(columns: Sequence[Spec], widths: Sequence[float]) -> float:
    lines = max((line_count(c.header, w) for c, w in zip(columns, widths, strict=True)),
                default=1)
    return lines * LINE_HEIGHT + 3


class Joined(list[str]):
    """A wrapping column whose every text is its row of ``parts`` joined by "\\n" (明细's
    计分说明: one item's sentence a line), the parts kept so that lines are counted on them,
    a column at a time, instead of splitting every text again."""

    def __init__(self, parts: list[list[str]], rows: int) -> None:
        super().__init__(map("\n".join, zip(*parts, strict=True)) if parts else [""] * rows)
        self.parts = parts


def _part_lines(part: list[str], room2: int) -> list[int] | None:
    """``line_count`` of each text of ``part`` (no "\\n" in any) at a width of ``room2`` half
    cells, in C loops: 2 × cells = characters + UTF-8 bytes, and ⌈2 × cells ÷ room2⌉, at
    least one line, in integers, looked up in a table of every length up to the longest;
    None when every text takes one line (most of 明细's item sentences)."""
    doubled = list(map(operator.add, map(len, part), map(len, map(str.encode, part))))
    longest = max(doubled, default=0)
    if longest <= room2:
        return None
    lines = [1] * (room2 + 1) + [(k + room2 - 1) // room2 for k in range(room2 + 1, longest + 1)]
    return list(map(lines.__getitem__, doubled))


def _joined_lines(texts: Joined, width: float) -> list[int] | None:
    """The lines of each text of ``texts`` as the sum of its parts' lines; None where the
    short way does not hold (a part with a line break of its own, a width whose room is
    not a whole number of half cells): then each text is counted as it is."""
    room2 = 2 * float(max(width - 1.5, 1))
    parts = texts.parts
    if not parts or not room2.is_integer() or room2 > 1 << 20:
        return None
    if sum(map(str.count, texts, repeat("\n"))) != len(texts) * (len(parts) - 1):
        return None
    total: list[int] | None = None
    ones = 0  # the parts whose every text takes one line
    for part in parts:
        counted = _part_lines(part, int(room2))
        if counted is None:
            ones += 1
        else:
            total = counted if total is None else list(map(operator.add, total, counted))
    if total is None:
        return [ones] * len(texts)
    return list(map(operator.add, total, repeat(ones))) if ones else total


def _column_lines(texts: Sequence[Any], width: float) -> list[int]:
    got = _joined_lines(texts, width) if isinstance(texts, Joined) else None
    return got if got is not None else list(map(_Lines(width).__getitem__, texts))


def row_heights(texts: Sequence[Sequence[Any]], widths: Sequence[float]) -> list[str]:
    """The ``ht`` attribute of each row whose wrapping cells (``texts``: one list per wrapping
    column, ``widths`` theirs) take more than one line; "" for the rest."""
    columns = [_column_lines(t, w) for t, w in zip(texts, widths, strict=True)]
    lines = list(map(max, *columns)) if len(columns) > 1 else columns[0]
    attrs = {n: f' ht="{n * LINE_HEIGHT}" customHeight="1"' for n in set(lines) if n > 1}
    attrs[1] = ""
    return list(map(attrs.__getitem__, lines))


def sheet_start(columns: Sequence[Spec], widths: Sequence[float], start: int,
                frozen_columns: int) -> str:
    """From the XML declaration to ``<sheetData>``: fit-to-page, panes, widths."""
    first = f"{_letter(frozen_columns)}{start + 1}"
    if frozen_columns:
        pane = (f'<pane xSplit="{frozen_columns}" ySplit="{start}" topLeftCell="{first}"'
                ' activePane="bottomRight" state="frozen"/>'
                '<selection pane="topRight"/><selection pane="bottomLeft"/>'
                f'<selection pane="bottomRight" activeCell="{first}" sqref="{first}"/>')
    else:
        pane = (f'<pane ySplit="{start}" topLeftCell="{first}" activePane="bottomLeft"'
                f' state="frozen"/><selection pane="bottomLeft" activeCell="{first}"'
                f' sqref="{first}"/>')
    cols = "".join(f'<col min="{j + 1}" max="{j + 1}" width="{w:g}" customWidth="1"/>'
                   for j, w in enumerate(widths))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="{LINE_HEIGHT}"/>'
            + (f"<cols>{cols}</cols>" if columns else "") + "<sheetData>")


def sheet_end(filter_ref: str, widths: Sequence[float]) -> str:
    """From ``</sheetData>`` to the end: filter, margins, page setup, footer."""
    total = sum(widths)
    orientation = "landscape" if total > LANDSCAPE_FROM else "portrait"
    paper = 8 if total > A3_FROM else 9  # A3, A4
    footer = escape("&L&A&R第 &P 页 / 共 &N 页")
    return ("</sheetData>"
            + (f'<autoFilter ref="{filter_ref}"/>' if filter_ref else "")
            + '<printOptions horizontalCentered="1"/>'
            '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3"'
            ' footer="0.3"/>'
            f'<pageSetup paperSize="{paper}" orientation="{orientation}" fitToWidth="1"'
            ' fitToHeight="0"/>'
            f"<headerFooter><oddFooter>{footer}</oddFooter></headerFooter></worksheet>")


def frozen_columns(columns: Sequence[Spec]) -> int:
    """Columns frozen at the left: up to and including 姓名, so 工号 and 姓名 stay in view."""
    headers = [c.header for c in columns]
    return headers.index("姓名") + 1 if "姓名" in headers else 0


def defined_names(index: int, name: str, start: int, last_column: str, last_row: int,
                  filtered: bool) -> list[tuple[str, str]]:
    """Filter, print area and print titles (the title and header rows on every page), as
    (defined name, its XML); ``Book.close`` lists them sorted by name, as Excel does."""
    quoted = "'" + escape(name).replace("'", "''") + "'"
    names = []
    if filtered:
        names.append(("_xlnm._FilterDatabase",
                      f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}"'
                      f' hidden="1">{quoted}!$A${start}:${last_column}${start}</definedName>'))
    names.append(("_xlnm.Print_Area", f'<definedName name="_xlnm.Print_Area" localSheetId='
                  f'"{index}">{quoted}!$A$1:${last_column}${max(last_row, 1)}</definedName>'))
    names.append(("_xlnm.Print_Titles", f'<definedName name="_xlnm.Print_Titles" localSheetId='
                  f'"{index}">{quoted}!$1:${start}</definedName>'))
    return names


def core_properties(title: str, month: str) -> str:
    """docProps/core.xml: the title a file browser and the print queue show, the month."""
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:dcterms="http://purl.org/dc/terms/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:subject>{escape(month)}</dc:subject>"
            f"<dc:creator>cmscore</dc:creator><cp:keywords>{escape(month)}</cp:keywords>"
            "</cp:coreProperties>")


APP_PROPERTIES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
                  'extended-properties"><Application>cmscore</Application></Properties>')


def _letter(index: int) -> str:
    from cmscore.inputs.sources import column_letter

    return column_letter(index)


_TOP = ' applyAlignment="1"><alignment vertical="top"/></xf>'
# Text is indented one step: left-aligned text right after a right-aligned number (96.30
# then 一级, 1 then 011771) would otherwise read as one figure.
_TEXT = ' applyAlignment="1"><alignment horizontal="left" vertical="top" indent="1"/></xf>'
# cellXfs in STYLE order: 0 default, 1 text (@), 2 points (0.00), 3 money (#,##0.00),
# 4 int (0), 5 ratio (0.00%), 6 number (General), 7 header, 8 bold, 9 wrap (@, wrapped),
# 10 rank (0, centred), 11 value (General), 12 title (bold, 14 pt). Built-in formats only;
# data cells align to the top, as a tall 计分说明 cell beside them reads from its top.
STYLES = (
    f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="3"><font><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="等线"/><family val="2"/></font>'
    '<font><b/><sz val="14"/><name val="等线"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/>'
    '</right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/>'
    "</bottom><diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="13">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"' + _TEXT
    + '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"' + _TOP
    + '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"' + _TOP
    + '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"' + _TOP
    + '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
    + _TOP + '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"' + _TOP
    + '<xf numFmtId="49" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1"'
    ' applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center"'
    ' wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
    ' applyAlignment="1"><alignment horizontal="left" vertical="top" wrapText="1"'
    ' indent="1"/></xf>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"'
    ' applyAlignment="1"><alignment horizontal="center" vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment horizontal="left" vertical="top" indent="1"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")
