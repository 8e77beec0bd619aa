"""Cells formatted as a date or a time holding a number no date can be.

calamine turns such a cell into a date or a duration as it reads the sheet, and a number
out of every date's range (``-1e20`` as 日期, ``1e15`` as ``[h]:mm:ss``: a figure typed or
pasted into a column some template had formatted as dates) stops the whole sheet:
Python's timedelta overflows or calamine panics. Nothing of the sheet is read then, so
these cells are found here, in the sheet's XML and the workbook's styles, only after the
read failed — the office is told which cells to reformat, not only that the sheet failed.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from cmscore.problems import Problem

# Excel's built-in number formats that show a date or a time (ECMA-376 §18.8.30).
_BUILTIN = frozenset(range(14, 23)) | frozenset(range(45, 48))
# Day 0 (1900-01-00) to 9999-12-31 in Excel's serial days: every date Excel can show.
_LAST_DAY = 2958466
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_ATTRIBUTE = re.compile(rb'\b([rst])="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_QUOTED = re.compile(r'"[^"]*"|\\.|\[(?![hms]+\])[^\]]*\]', re.IGNORECASE)

MESSAGE = ("单元格设为日期或时间格式，数值 {value} 却超出日期范围（1900-01-01 至 9999-12-31），"
           "这样的单元格使整张表无法读取；请在 Excel/WPS 中把该单元格的格式改为「常规」或「数值」后另存")


def no_date_can_be(exc: BaseException) -> bool:
    """Whether calamine stopped on such a cell: Python's timedelta overflowed, or calamine
    panicked on chrono's ``TimeDelta`` (pyo3's PanicException, not an Exception)."""
    return isinstance(exc, OverflowError) or "TimeDelta" in str(exc)


def _shows_a_date(code: str) -> bool:
    """Whether a custom format code shows a date or a time: a y, m, d, h or s outside
    quoted text, escaped characters and brackets other than [h], [mm], [ss]."""
    return any(c in "ymdhs" for c in _QUOTED.sub("", code).lower())


def date_styles(styles: bytes) -> frozenset[int]:
    """The indexes into ``cellXfs`` whose number format shows a date or a time."""
    try:
        root = ElementTree.fromstring(styles)
    except ElementTree.ParseError:
        return frozenset()
    dated = set(_BUILTIN)
    for fmt in root.iter():
        if fmt.tag.endswith("}numFmt") and _shows_a_date(fmt.get("formatCode", "")):
            dated.add(int(fmt.get("numFmtId", "-1")))
    found: set[int] = set()
    for xfs in root.iter():
        if xfs.tag.endswith("}cellXfs"):
            for k, xf in enumerate(x for x in xfs if x.tag.endswith("}xf")):
                if int(xf.get("numFmtId", "0")) in dated:
                    found.add(k)
    return frozenset(found)


def out_of_range(sheet: bytes, styles: bytes, file: str, name: str) -> list[Problem]:
    """Each number cell of ``sheet`` styled as a date or a time whose value no date has."""
    dated = date_styles(styles)
    problems: list[Problem] = []
    if not dated:
        return problems
    for attributes, body in _CELL.findall(sheet):
        attrs = dict(_ATTRIBUTE.findall(attributes))
        if attrs.get(b"t", b"n") != b"n" or not attrs.get(b"s", b"").isdigit() or \
                int(attrs[b"s"]) not in dated or not body:
            continue
        value = _VALUE.search(body)
        try:
            number = float(value.group(1)) if value else 0.0
        except ValueError:
            continue
        if not 0 <= number < _LAST_DAY:
            ref = attrs.get(b"r", b"").decode()
            row = int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or 0) or None
            problems.append(Problem(MESSAGE.format(value=value.group(1).decode() if value else ""),
                                    file=file, sheet=name, row=row, column=ref))
    return problems
