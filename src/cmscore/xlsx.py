"""Write workbooks with xlsxwriter, safely: text stays text, files appear whole or not at all."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

MAX_CELL = 32767
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success fsync it and move it into place.

    A crash or kill at any point leaves the previous ``target`` untouched.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        tmp_path.unlink(missing_ok=True)


def check_text(value: str) -> str:
    """Refuse text no spreadsheet should carry: control characters, over-long cells."""
    if len(value) > MAX_CELL:
        raise ValueError(f"文字超过 Excel 单元格上限 {MAX_CELL} 字符：{value[:20]}…")
    if _CONTROL.search(value):
        raise ValueError(f"文字含控制字符：{value[:40]!r}")
    return value


@dataclass
class Column:
    header: str
    width: float = 10
    kind: str = "text"  # text | points | money | int | ratio | number


class Book:
    """A thin layer over xlsxwriter: typed columns, frozen header row, no formulas ever."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter  # lazily: keeps `cmscore --help` fast

        # constant_memory: rows go to disk as they are written, so a 100k-row month
        # does not hold every cell in memory. Rows must be written in order (they are).
        self.wb = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                                  "strings_to_formulas": False,
                                                  "strings_to_urls": False,
                                                  "strings_to_numbers": False})
        self.formats = {
            "header": self.wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                                          "text_wrap": True, "valign": "vcenter"}),
            "points": self.wb.add_format({"num_format": "0.00"}),
            "money": self.wb.add_format({"num_format": "#,##0.00"}),
            "int": self.wb.add_format({"num_format": "0"}),
            "ratio": self.wb.add_format({"num_format": "0.00%"}),
            "number": self.wb.add_format({"num_format": "General"}),
            "text": self.wb.add_format({"num_format": "@"}),
            "bold": self.wb.add_format({"bold": True}),
        }

    def sheet(self, name: str, columns: Sequence[Column], rows: Iterator[Sequence[Any]] | list,
              note: str = "") -> None:
        ws = self.wb.add_worksheet(name)
        start = 0
        if note:
            ws.write_string(0, 0, check_text(note), self.formats["bold"])
            start = 2
        for j, col in enumerate(columns):
            ws.write_string(start, j, col.header, self.formats["header"])
            ws.set_column(j, j, col.width)
        ws.freeze_panes(start + 1, 0)
        kinds = [col.kind for col in columns]
        width = len(kinds)
        for i, row in enumerate(rows, start=start + 1):
            if len(row) != width:
                raise ValueError(f"{name} 第 {i + 1} 行有 {len(row)} 列，表头 {width} 列")
            for j, value in enumerate(row):
                if value is not None and value != "":
                    self.write(ws, i, j, kinds[j], value)
        if columns:
            ws.autofilter(start, 0, start, len(columns) - 1)

    def write(self, ws: Any, i: int, j: int, kind: str, value: Any) -> None:
        """One non-blank cell (constant_memory: a blank without a format is not written)."""
        if kind == "text" or not isinstance(value, Decimal | int):
            ws.write_string(i, j, check_text(str(value)), self.formats["text"])
        else:
            # Excel cells hold doubles; the value is already rounded exactly, so the
            # cell shows the same digits as the Decimal it came from.
            ws.write_number(i, j, float(value), self.formats[kind])

    def close(self) -> None:
        self.wb.close()
