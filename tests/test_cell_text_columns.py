"""Issue 19 (session 11): the 明细 sheet's texts checked, escaped and measured a column at a
time by shorter paths give what the one-value-at-a-time functions give, byte for byte."""

from __future__ import annotations

import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from cmscore.outputs.celltext import (
    _CONTROL,
    Blocks,
    Escaped,
    Shared,
    check_text,
    column_texts,
    escape,
    has_control,
)
from cmscore.outputs.layout import Joined
from cmscore.outputs.xlsx import Book, Column


@given(st.text(st.sampled_from("a1.中文分×÷−\x00\x08\t\n\r\x0b\x1f \ufffe\uffff\ufffd😀&")))
def test_has_control_finds_what_the_pattern_finds(text: str) -> None:
    assert has_control(text) == bool(_CONTROL.search(text))


@given(st.integers(1, 4).flatmap(lambda n: st.lists(
    st.lists(st.text(st.sampled_from("a1中<>&;分 "), min_size=70, max_size=90),
             min_size=n, max_size=n), min_size=1, max_size=8, unique_by=tuple)))
def test_sentences_escaped_by_their_parts_are_the_texts_escaped(rows: list[list[str]]) -> None:
    """计分说明 escaped only in the items' parts that need it, joined again: each text's
    own escape (prose: long, distinct texts)."""
    joined = Joined([list(part) for part in zip(*rows, strict=True)], len(rows))
    got = column_texts(joined, True, Escaped(), Shared())
    assert got == ([escape(check_text(t)) for t in joined], False)
    assert column_texts(list(joined), True, Escaped(), Shared()) == got


_ROW = st.tuples(st.sampled_from(["", "011771", "A&B<1>", "x"]),
                 st.none() | st.decimals(-999, 999, places=2),
                 st.none() | st.integers(-5, 10**6))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=30), st.integers(1, 7), st.booleans())
def test_blocks_write_the_rows_one_at_a_time_would(
        tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[object, ...]],
        size: int, prose: bool) -> None:
    """A block's row template filled with its row number by ``str.replace`` and its values
    by %: blanks, numbers, text to escape, with and without a last wrapping column of
    prose, the same sheet byte for byte as written row by row (``Book._rows``)."""
    columns = [Column("工号", 12), Column("得分", 9, "points"), Column("户数", 8, "int")]
    table = [list(row) for row in rows]
    if prose:
        columns.append(Column("计分说明", 72, "wrap"))
        for k, row in enumerate(table):
            row.append(f"第{k}行：新增6户 × 2.5分 = 15.00分（满分10 / 高限20）< 1%\n" * (k % 3 + 2))
    blocks = [[list(c) for c in zip(*table[k:k + size], strict=True)]
              for k in range(0, len(table), size)]
    folder = tmp_path_factory.mktemp("blocks")
    sheets = []
    for name, written in (("blocks", Blocks(blocks)), ("rows", table)):
        book = Book(folder / f"{name}.xlsx")
        book.sheet("明细", columns, written, note="注")
        book.close()
        with zipfile.ZipFile(folder / f"{name}.xlsx") as z:
            sheet = z.read("xl/worksheets/sheet1.xml")
        # The rows (the widths are fit on the first block, or on the first rows).
        sheets.append(sheet[sheet.index(b"<sheetData>"):sheet.index(b"</sheetData>")])
    assert sheets[0] == sheets[1]


# An item sentence: ASCII, CJK, a 4-byte character, text to escape; long enough that the
# column is prose (written inline, escaped by parts), its length either side of the
# 计分说明 column's room (72 wide: 141 half cells a line).
_SENTENCE = st.text(alphabet="a 1%：存款分<>&😀", min_size=33, max_size=160)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_SENTENCE, min_size=2, max_size=4), min_size=1, max_size=12),
       st.integers(1, 5), st.sampled_from(["all", "one", "none"]))
def test_a_joined_column_after_a_blank_column_writes_what_rows_would(
        tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]], size: int,
        adjusted: str) -> None:
    """Red team, session 11: 明细 as ``scores`` gives it — an 调整 column blank in every row
    of a block but one (or all, or none), then 计分说明 as a ``Joined`` whose item parts are
    escaped only where one needs it and whose row heights come from the parts — the same
    cells and row heights as its rows written one at a time as plain texts."""
    width = min(map(len, rows))
    parts = [list(part) for part in zip(*(row[:width] for row in rows), strict=True)]
    n = len(rows)
    ids = [f"E{k:04d}" for k in range(n)]
    adjustments: list[object] = [None] * n
    if adjusted == "all":
        adjustments = [k % 3 - 1 for k in range(n)]
    elif adjusted == "one":
        adjustments[n // 2] = -2
    columns = [Column("工号", 12), Column("调整", 9, "points"), Column("计分说明", 72, "wrap")]
    blocks = [[ids[k:k + size], adjustments[k:k + size],
               Joined([part[k:k + size] for part in parts], len(ids[k:k + size]))]
              for k in range(0, n, size)]
    table = [[cm, adj, text] for cm, adj, text in zip(ids, adjustments, Joined(parts, n),
                                                      strict=True)]
    folder = tmp_path_factory.mktemp("joined")
    seen = []
    for name, written in (("blocks", Blocks(blocks)), ("rows", table)):
        book = Book(folder / f"{name}.xlsx")
        book.sheet("明细", columns, written)
        book.close()
        with zipfile.ZipFile(folder / f"{name}.xlsx") as z:
            sheet = z.read("xl/worksheets/sheet1.xml").decode()
        # A block's short Chinese texts (duplicated sentences are not prose) are shared
        # strings, a row's are inline: compared as Excel reads the cells, with the heights.
        cells = CalamineWorkbook.from_path(str(folder / f"{name}.xlsx")) \
            .get_sheet_by_name("明细").to_python(skip_empty_area=False)
        seen.append((cells, re.findall(r'<row r="(\d+)"( ht="[^"]*")?', sheet)))
    assert seen[0] == seen[1]
    assert seen[1][0][1:] == [[cm, "" if adj is None else adj, text]
                              for cm, adj, text in table]
