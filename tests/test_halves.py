"""A large sheet parsed as two halves on two threads (``inputs.halves``) reads as the whole
sheet does: the same rows, the same cells of the same types, the same merged ranges."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from cmscore.inputs import halves, sources
from cmscore.rules.files import Limits

_cells = st.one_of(st.none(), st.integers(-10**9, 10**9),
                   st.floats(allow_nan=False, allow_infinity=False, width=64),
                   st.text(alphabet="ab客户经理 <&\"'", max_size=6), st.booleans(),
                   st.sampled_from([datetime(2026, 10, 31), datetime(2026, 1, 1, 8, 30)]))


def _typed(rows: list[list[Any]]) -> list[list[tuple[str, Any]]]:
    return [[(type(c).__name__, c) for c in row] for row in rows]


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    """(rows, merges) read whole and read in halves, and how many sheets were cut."""
    cuts: list[object] = []
    real = halves.halves

    def spy(*args: Any) -> Any:
        got = real(*args)
        cuts.append(got)
        return got
    monkeypatch.setattr(sources, "halves", spy)
    monkeypatch.setattr(halves, "MIN_BYTES", 1 << 40)
    whole = sources.open_grids(path, Limits())
    monkeypatch.setattr(halves, "MIN_BYTES", 0)
    cut = sources.open_grids(path, Limits())
    return ([(_typed(g.rows), g.merges) for g in whole], [(_typed(g.rows), g.merges) for g in cut],
            sum(c is not None for c in cuts))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_cells, max_size=9), min_size=2, max_size=30),
       st.integers(0, 6), st.booleans())
def test_a_sheet_read_in_halves_is_the_whole_sheet(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   rows: list[list[Any]], skip: int,
                                                   merge: bool) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:  # rows and columns left empty, at the top and in between
                sheet.cell(row=i + 1 + skip * (i // 3), column=j + 1 + skip, value=value)
    if merge:
        sheet.merge_cells("A1:C1")
    path = tmp_path / "x.xlsx"
    book.save(path)
    whole, cut, _ = _both(path, monkeypatch)
    assert cut == whole


def test_an_export_is_cut_and_reads_the_same(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    whole, cut, cuts = _both(Path("examples/2026-10.xlsx"), monkeypatch)
    assert cuts == 1 and cut == whole


def _rewritten(source: Path, path: Path, change: Any) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for member in old.infolist():
            data = old.read(member)
            new.writestr(member, change(data) if member.filename.startswith(
                "xl/worksheets/") else data)
    return path


@pytest.mark.parametrize("change", [
    lambda x: x.replace(b'<row r="', b'<row x="'),  # rows numbered by position
    lambda x: x.replace(b"</sheetData>", b"</sheetData><!-- </sheetData> -->"),  # twice
    lambda x: x.replace(b"<sheetData>", b"<!-- sheetData --><sheetData>"),  # its name again
])
def test_a_sheet_it_cannot_cut_safely_is_read_whole(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    change: Any) -> None:
    path = _rewritten(Path("examples/2026-10.xlsx"), tmp_path / "x.xlsx", change)
    whole, cut, cuts = _both(path, monkeypatch)
    assert cuts == 0 and cut == whole


def test_rows_out_of_order_are_read_whole(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The first half holding a row below the second's first: not two runs of rows."""
    def swap(data: bytes) -> bytes:
        start = data.index(b"<row ")
        last = data.rindex(b"<row ")
        end = data.index(b"</sheetData>")
        return data[:start] + data[last:end] + data[start:last] + data[end:]
    path = _rewritten(Path("examples/2026-10.xlsx"), tmp_path / "x.xlsx", swap)
    whole, cut, cuts = _both(path, monkeypatch)
    assert cuts == 0 and cut == whole


def test_the_halves_leave_nothing_in_the_temp_folder(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "temp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    _, _, cuts = _both(Path("examples/2026-10.xlsx"), monkeypatch)
    assert cuts == 1 and list(folder.iterdir()) == []


def test_no_thread_to_be_had_reads_the_whole_sheet(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: object) -> None:
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr("threading.Thread.start", refused)
    whole, cut, cuts = _both(Path("examples/2026-10.xlsx"), monkeypatch)
    assert cuts == 0 and cut == whole


def test_the_first_half_parses_while_the_second_is_written(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    said: list[str] = []
    real_book, real_start = halves._book, halves.threading.Thread.start

    def book(*args: Any) -> str:
        said.append(f"book {args[3][-6]}")
        return real_book(*args)

    def start(self: Any) -> None:
        said.append("thread")
        real_start(self)
    monkeypatch.setattr(halves, "_book", book)
    monkeypatch.setattr("threading.Thread.start", start)
    whole, cut, cuts = _both(Path("examples/2026-10.xlsx"), monkeypatch)
    assert cuts == 1 and cut == whole and said == ["book 0", "thread", "book 1"]


def test_no_room_for_the_second_half_reads_the_whole_sheet(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    real_book = halves._book

    def book(*args: Any) -> str:
        if args[3].endswith("1.xlsx"):
            raise OSError(28, "No space left on device")
        return real_book(*args)
    monkeypatch.setattr(halves, "_book", book)
    whole, cut, cuts = _both(Path("examples/2026-10.xlsx"), monkeypatch)
    assert cuts == 0 and cut == whole
