"""A sheet's XML is deflated on a second thread only when the sheet is large (issue 19): a
thread started and joined for each of 公示's 30-row sheets cost more than it overlapped.
Either way the workbook holds the same cells."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from cmscore.outputs import layout, xlsx
from cmscore.outputs.celltext import BLOCK_ROWS, Blocks
from cmscore.outputs.xlsx import Book, Column


def _write(path: Path, rows: list[tuple[str, Decimal]], blocks: bool) -> list[list[Any]]:
    book = Book(path)
    columns = [Column("姓名", 10), Column("得分", 9, "points")]
    given: Any = Blocks([[[r[0] for r in rows[k:k + BLOCK_ROWS]],
                          [r[1] for r in rows[k:k + BLOCK_ROWS]]]
                         for k in range(0, len(rows), BLOCK_ROWS)]) if blocks else rows
    book.sheet("表", columns, given)
    book.close()
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python()


@pytest.mark.parametrize("blocks", [False, True])
def test_only_a_large_sheet_is_deflated_behind_and_the_cells_are_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocks: bool) -> None:
    started: list[int] = []
    behind = xlsx._WriteBehind

    class Counted(behind):  # type: ignore[misc, valid-type]
        def __init__(self, entry: Any) -> None:
            started.append(1)
            super().__init__(entry)

    monkeypatch.setattr(xlsx, "_WriteBehind", Counted)
    small = [(f"张{k}", Decimal(k).scaleb(-2)) for k in range(30)]
    assert _write(tmp_path / "small.xlsx", small, blocks) == \
        [["姓名", "得分"], *([n, float(v)] for n, v in small)]
    assert started == []
    large = [(f"李{k % 97}", Decimal(k).scaleb(-2)) for k in range(xlsx.BEHIND_CELLS)]
    assert _write(tmp_path / "large.xlsx", large, blocks) == \
        [["姓名", "得分"], *([n, float(v)] for n, v in large)]
    assert started == [1]


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12), max_size=8))
def test_widest_text_is_the_largest_display_width(texts: list[str]) -> None:
    assert layout.widest_text(texts) == max(map(layout.display_width, texts), default=0)


def test_widths_of_columns_of_one_type_or_mixed_are_measured_alike() -> None:
    columns = [Column("甲", 4), Column("乙", 4, "money"), Column("丙", 4, "money"),
               Column("丁", 4, "int")]
    sample = [["工商银行", "a\nbbbbbbbbbbbb", None, ""],
              [Decimal("1234567.5"), Decimal("-3"), Decimal("NaN"), None],
              [Decimal("12.5"), 123456789, "合计", None],
              [7, -1234567, None, None]]
    assert layout.fit_widths(columns, sample) == [14, 14, 16, 10]
