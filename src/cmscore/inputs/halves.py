"""A large worksheet parsed as two halves at once, one on each core.

calamine gives the GIL up while it parses a sheet (0.25 of the 0.57 s that reading a
20k-row export costs, 1.5 s at 100k), and nothing else can run before the parse is done:
so the sheet's XML, already inflated by the preflight, is cut at a row in the middle
into two small workbooks of stored (not deflated) members, parsed by two threads, and
the two ranges put back together as one grid: the same rows, cells and merged ranges
that parsing the whole sheet gives (``tests/test_halves.py`` compares them).

The halves are files in a private temp folder (mode 0700), each deleted as soon as
calamine has opened it (POSIX only: Windows cannot delete an open file). Only a plain
case is cut: one ``<sheetData>`` without a namespace prefix (and the name nowhere else
but its closing tag), the row at
the cut carrying its number (``r="…"``: a row without one is numbered from the row
before it, which the second half would not have), every member named once. Anything
else, and any error of either half, reads the whole sheet as before, so calamine's own
message is the one shown.
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import threading
from typing import Any

from isal.isal_zlib import crc32

from cmscore.inputs.datecells import no_date_can_be

# Below this a sheet parses in ~0.05 s: a thread and two small workbooks gain nothing.
MIN_BYTES = 4 << 20

_CUT = re.compile(rb"<row\b[^>]*?\br=\"\d+\"")
_OPEN, _CLOSE, _NAME = b"<sheetData>", b"</sheetData>", b"sheetData"

Rows = list[list[Any]]


def halves(members: dict[str, bytes], part: str, name: str) -> tuple[Rows, Any] | None:
    """The rows of sheet ``name`` (its XML is member ``part``), as
    ``to_python(skip_empty_area=False)`` of the whole sheet gives them, and the calamine
    sheet that holds its merged ranges; None when the sheet is not cut (see above)."""
    data = members.get(part)
    # One <sheetData> and one </sheetData>: both hold the name, and it is there twice only
    # (one scan of the 80 MB instead of two; a name anywhere else reads the sheet whole).
    if os.name != "posix" or data is None or len(data) < MIN_BYTES or \
            data.count(_NAME) != 2 or sum(map(len, members.values())) >= 1 << 32:  # ZIP64
        return None
    opened, end = data.find(_OPEN), data.rfind(_CLOSE)
    if opened < 0 or end < 0:
        return None
    start = opened + len(_OPEN)
    cut = data.find(b"<row", start + (end - start) // 2, end)
    if cut < 0 or not _CUT.match(data, cut):
        return None
    # The first half keeps what follows the rows (the merged ranges); the second only
    # closes its elements. Each is written out as a file of stored members, from pieces
    # of the one inflated text: calamine opens a file without copying it under the GIL,
    # as it does a buffer (0.2 s for the two halves at 100k managers).
    import python_calamine  # noqa: F401  here, not in the thread: `--help` never needs it

    text = memoryview(data)
    pieces: list[list[Any]] = [[text[:cut], text[end:]],
                               [text[:start], text[cut:end], _CLOSE + b"</worksheet>"]]
    sheets: list[Any] = [None, None]
    try:
        with tempfile.TemporaryDirectory(prefix="cmscore-") as folder:
            # The first half parses on its thread while this one writes the second.
            side = threading.Thread(target=_parse, args=(
                _book(members, part, pieces[0], os.path.join(folder, "0.xlsx")), name, sheets, 0))
            side.start()
            try:
                second = _book(members, part, pieces[1], os.path.join(folder, "1.xlsx"))
                del pieces
                text.release()  # the inflated sheet (80 MB at 100k managers): the files have it
                del data, members[part]
                _parse(second, name, sheets, 1)
            finally:
                side.join()
    except (OSError, RuntimeError):  # no room in the temp folder, no thread to be had:
        return None  # the whole sheet is read instead
    for got in sheets:
        if isinstance(got, BaseException) and no_date_can_be(got):
            raise got  # the whole sheet would stop on the same cell (and calamine say so twice)
    if any(isinstance(got, BaseException) for got in sheets):
        return None
    (first, rows), (second, later) = sheets
    if first.end is not None and second.start is not None and \
            first.end[0] >= second.start[0]:  # rows out of order: not two runs of rows
        return None
    return _joined(first, rows, second, later), first


def _book(members: dict[str, bytes], part: str, pieces: list[Any], path: str) -> str:
    """The workbook at ``path`` with ``pieces`` joined as member ``part``, every member
    stored (a zip written by hand: ``zipfile`` would copy the 40–80 MB twice)."""
    out: list[Any] = []
    directory: list[bytes] = []
    at = 0
    for member, body in members.items():
        parts = pieces if member == part else [body]
        size = sum(map(len, parts))
        crc = 0
        for piece in parts:
            crc = crc32(piece, crc)
        name = member.encode()
        fields = (0, 0, 0, 0x21, crc, size, size, len(name), 0)  # stored, 1980-01-01
        out += [struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, *fields), name, *parts]
        directory += [struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, *fields,
                                  0, 0, 0, 0, at), name]
        at += 30 + len(name) + size
    listing = b"".join(directory)
    out += [listing, struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members),
                                 len(listing), at, 0)]
    with open(path, "wb") as fh:
        fh.writelines(out)
    return path


def _parse(path: str, name: str, out: list[Any], k: int) -> None:
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_path(path)
        os.unlink(path)  # open, it is read to the end; a kill from here leaves no copy
        sheet = book.get_sheet_by_name(name)
        # Its cells as Python objects here, under the GIL, while the other half may still
        # be parsing without it. The second half without the empty rows above it.
        out[k] = sheet, sheet.to_python(skip_empty_area=k == 1) if sheet.end is not None else []
    except (KeyboardInterrupt, SystemExit):  # the person's Ctrl-C stops the run, as ever
        raise
    except BaseException as exc:  # calamine panics too: the whole sheet is read instead,
        out[k] = exc  # and says what is wrong as it always did


def _joined(first: Any, rows: Rows, second: Any, later: Rows) -> Rows:
    """Both halves' cells as one grid from A1 (``rows`` from the first half's
    ``to_python(skip_empty_area=False)``, ``later`` from the second's, empty area skipped):
    rows to the last row of either, every row as wide as the widest, '' where neither
    has a cell (as calamine fills a range)."""
    ends = [s.end for s in (first, second) if s.end is not None]
    if not ends:
        return []
    width = max(column for _, column in ends) + 1
    if rows and len(rows[0]) < width:
        rows = [row + [""] * (width - len(row)) for row in rows]
    if second.end is None:
        return rows
    (top, left), right = second.start, second.end[1]
    rows += [[""] * width for _ in range(top - len(rows))]
    if left or right + 1 < width:
        later = [[""] * left + row + [""] * (width - right - 1) for row in later]
    return rows + later
