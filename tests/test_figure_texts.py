"""payroll's amounts handed to the writer as their cell text, made once per distinct value
(``celltext.Figures``, issue 19): the cells, and the widths measured on them, are those of
the Decimals they stand for."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cmscore.outputs import layout
from cmscore.outputs import payroll as out_payroll
from cmscore.outputs.celltext import Blocks, Figures, centi_text
from cmscore.outputs.xlsx import Book, Column
from conftest import Cli
from test_sheetparts import EXAMPLES, _cells


@pytest.mark.parametrize("kind", ["money", "points"])
def test_a_figures_column_is_as_wide_as_its_decimals(kind: str) -> None:
    texts = ["123456789.00", "-98765.43", None, "0.00", "1E+3"]
    columns = [Column("金额", 9, kind)]
    as_text = layout.fit_widths(columns, [Figures(texts)])
    as_decimals = layout.fit_widths(columns, [[None if t is None else Decimal(t) for t in texts]])
    assert as_text == as_decimals == [len("123,456,789.00" if kind == "money" else
                                          "123456789.00") + 2]


def test_centi_text_is_the_exact_text_of_the_hundredths() -> None:
    assert [centi_text(v) for v in (0, 5, -150, 123456)] == ["0.00", "0.05", "-1.50", "1234.56"]


def test_payroll_amounts_are_text_made_once_per_value_and_read_back_as_the_figures(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMSCORE_NO_FORK", "1")
    made: list[int] = []

    def counted(value: int) -> str:
        made.append(value)
        return centi_text(value)

    monkeypatch.setattr(out_payroll, "centi_text", counted)
    kinds: dict[str, list[set[str]]] = {}
    sheet = Book.sheet

    def spy(book: Book, name: str, columns: Any, rows: Any, note: str = "") -> None:
        if isinstance(rows, Blocks):
            blocks = list(rows)
            kinds[name] = [{type(b[j]).__name__ for b in blocks[:-1] or blocks}
                           for j in range(len(columns))]
            rows = Blocks(blocks)
        sheet(book, name, columns, rows, note)

    monkeypatch.setattr(Book, "sheet", spy)
    db = tmp_path / "c.db"
    for month in ("2026-01", "2026-02"):
        cli("score", EXAMPLES / f"{month}.xlsx", "--db", db, "--out", tmp_path, "--quiet",
            code=0)
    paid = cli("payroll", "--month", "2026-02", "--db", db, "--out", tmp_path, "--json", code=0)
    # Every amount column of the blocks (the totals line aside) is text, each value made once
    # (履职绩效工资 too: a text per base).
    assert [j for j, k in enumerate(kinds["绩效工资"]) if k == {"Figures"}] == [6, 7, 8, 9, 10]
    assert [j for j, k in enumerate(kinds[out_payroll.FUND_SHEET]) if k == {"Figures"}] == \
        [4, 5, 6, 7, 8]
    assert kinds["工资导入"][3] == {"Figures"}
    assert made and len(made) <= 3 * len(set(made))  # once a value in each of the 3 sheets
    cells = _cells(tmp_path / "payroll-2026-02.xlsx")["绩效工资"]
    by_id = {row[0]: row for row in cells[3:-1]}
    for line in json.loads(paid.stdout)["managers"]:
        row = by_id[line["id"]]
        assert row[7] == float(line["score"]) and row[8] == float(line["pay"])
        assert all(type(v) is float for v in row[7:11])
