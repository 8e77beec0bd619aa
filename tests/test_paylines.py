"""payroll's lines kept as columns (engine.paylines): no object per manager on the way to
the workbook, the import file and the store; the columns give back the lines one at a time."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.engine.pay import (
    NPL_WARNING_RATIO,
    FundLine,
    FundLines,
    Leaver,
    PayLine,
    PayLines,
    npl_warning,
)
from cmscore.outputs import payroll as out_payroll
from cmscore.outputs.celltext import centi_text
from cmscore.outputs.common import Texts
from cmscore.store import db as store
from cmscore.store import history
from history_helpers import cm, query, run, span, store_months

pytestmark = pytest.mark.usefixtures("short_windows")


def test_a_payroll_makes_no_line_object_per_manager(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """December with NPL warnings, 扣收 and releases, written and stored --quiet: not one
    PayLine or FundLine made (a national payroll made 200k of them before the columns)."""
    made: list[str] = []
    for kind in (PayLine, FundLine):
        init = kind.__init__

        def counted(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            made.append(type(self).__name__)
            _init(self, *args, **kwargs)
        monkeypatch.setattr(kind, "__init__", counted)
    months = {m: {"A": cm("90.00", npl="0.02"), "B": cm("80.00"),
                  "C": cm("70.00", category="分行公司", npl="0.015")}
              for m in span("2026-10", "2026-12")}
    db = store_months(tmp_path / "h.db", months)
    result = run("payroll", "--db", db, "--out", tmp_path, "--month", "2026-12", "--quiet")
    assert made == [] and "绩效工资合计" in result.stdout
    stored = query(db, "SELECT cm_id, release_fen, forfeit_fen FROM pay ORDER BY cm_id")
    assert [r[0] for r in stored] == ["A", "B", "C"] and stored[1][1] > 0 and stored[0][2] > 0


def pay_line(k: int, warnings: list[str]) -> PayLine:
    return PayLine(f"{k:04d}", f"姓名{k}", "城东支行", "支行", "一级", "", Decimal(1500),
                   8000 + k, 12000 + k, k % 3 or None, None if k % 3 else 5, warnings)


def test_pay_lines_as_columns_give_back_the_lines() -> None:
    lines = [pay_line(k, ["预警"] * (k % 2)) for k in range(7)]
    columns = PayLines.of(lines)
    assert len(columns) == 7 and list(columns) == lines and columns[-1] == lines[-1]
    assert columns.pay_fen == [p.pay_fen for p in lines]
    assert columns.warning_texts() == ["；".join(p.warnings) for p in lines]
    columns[0].warnings.append("新")  # one manager's line shares the columns' warnings
    assert columns.warning_texts()[0] == "新" and columns != PayLines.of(lines)
    assert PayLines.of([]) == PayLines() and len(PayLines()) == 0
    with pytest.raises(IndexError):
        columns[7]  # noqa: B018


def test_fund_lines_as_columns_keep_the_leavers_last() -> None:
    who = Leaver("L", "离", "城东支行", "支行", "2026-05")
    lines = [FundLine("A", "甲", "城东支行", "支行", 300, 50, 0, 0, "注"),
             FundLine("L", "离", "城东支行", "支行", 120, 0, 0, 120, leaver=who),
             FundLine("B", "乙", "城东支行", "分行公司", 10, 5, 15, 0)]
    fund = FundLines.of(lines)
    assert fund.id == ["A", "B"] and [f.id for f in fund.leavers] == ["L"] and len(fund) == 3
    assert list(fund) == [lines[0], lines[2], lines[1]]
    assert fund.closing_fen() == [350, 0]
    assert fund.total("forfeited_fen") == 120 and fund.total("opening_fen") == 430


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_an_amounts_cell_text_is_its_csv_text(fen: int) -> None:
    """The salary import's workbook and CSV share one text per amount."""
    assert centi_text(fen) == Texts()[fen]


fields = st.text(alphabet=st.sampled_from(list('ab1,"\r\n 工号é\t')), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(fields, fields, st.sampled_from(["P01", "R,02"]), fields),
                max_size=8), st.booleans())
def test_the_import_csv_is_what_csv_writer_writes(rows: list[tuple[str, ...]],
                                                  plain_head: bool) -> None:
    """Joined in C loops when nothing needs quotes, else by csv.writer: the same text."""
    head = ["工号", "姓名", "工资项目代码", "金额" if plain_head else "金额,元"]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows(rows)
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], [], []]
    assert out_payroll._csv(head, *columns) == text.getvalue()


def test_npl_candidates_at_the_warning_ratio_are_those_that_warn(tmp_path: Path) -> None:
    """payroll asks only for managers at 1% or more in each month (a national month's
    18k candidates with some NPL: none there): the same warnings, and only those."""
    ratios = ["0.0100", "0.02", "0.0099", "0.5", "0", "0.012"]
    months = {m: {f"N{k:02d}": cm("80.00", npl=ratios[(k + j) % len(ratios)])
                  for k in range(12)} | {"W": cm("70.00", npl=f"0.0{j + 1}")}
              for j, m in enumerate(span("2026-01", "2026-03"))}
    db = store_months(tmp_path / "h.db", months)
    conn = store.connect(db)
    try:
        window = list(months)
        every = history.npl_candidates(conn, window)
        few = history.npl_candidates(conn, window, NPL_WARNING_RATIO)
    finally:
        conn.close()
    warned = {c: npl_warning(r) for c, r in every.items() if npl_warning(r)}
    assert set(few) == set(warned) and "W" in few and len(few) < len(every)
    assert {c: npl_warning(r) for c, r in few.items()} == warned and list(few) == sorted(few)
