"""The fast paths of reading an export (issue 19, part "read") agree with the slow ones:
the same Decimals (value, digits and exponent), the same rows, the same located messages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cmscore.inputs import cells, totals
from cmscore.inputs.origin import merged_and_formula_cells
from cmscore.inputs.preflight import contains
from cmscore.inputs.reader import read_export
from cmscore.inputs.sources import Grid
from cmscore.numbers import float_decimals, shortest_decimals
from cmscore.rules.ruleset import RuleSet
from conftest import HEADERS, TITLE, row, write_xlsx

D = Decimal


def _one_by_one(values: list[float]) -> list[tuple[str, object]]:
    """Each float alone through Excel's 15-digit text, as ``float_to_decimal`` has always
    read it: the reference the column paths must equal, exponent included. A column is
    converted once per value, and 0.0 == -0.0: every zero reads as the column's first."""
    out: list[tuple[str, object]] = []
    zero = next((x for x in values if x == 0), 0.0)
    for x in values:
        text = format(zero if x == 0 else x, ".15g")
        d = D(text).normalize() if "e" in text else D(text)
        out.append((str(d), d.as_tuple()))
    return out


def _shown(values: list[Decimal] | None) -> list[tuple[str, object]] | None:
    return None if values is None else [(str(d), d.as_tuple()) for d in values]


def _figures(places: int) -> st.SearchStrategy[float]:
    """Floats read from a cell holding a figure of ``places`` decimals."""
    return st.integers(min_value=-10**15, max_value=10**15).map(lambda k: k / 10**places)


_odd = st.sampled_from([0.0, -0.0, 0.1 + 0.2, 1e-05, 1e13, 9999999999999.99, 1e15, 1e16,
                        -1e16, 123456789012345.67, 2390.5, 140.0, 1e300, 5e-324])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(*(_figures(p) for p in range(7)), _odd,
                          st.floats(allow_nan=False, allow_infinity=False)), max_size=40))
def test_a_column_of_floats_reads_as_each_value_alone(values: list[float]) -> None:
    assert _shown(float_decimals(values)) == _one_by_one(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(*(_figures(p) for p in range(7)), st.sampled_from([0.0, -0.0, 140.0])),
                max_size=40))
def test_figures_of_up_to_15_digits_take_the_short_path_and_read_the_same(
        values: list[float]) -> None:
    got = shortest_decimals(values)
    if got is None:  # refused only for a text of more than 15 characters or an exponent
        assert any(len(repr(x)) > 15 or "e" in repr(x) for x in values)
    else:
        assert _shown(got) == [_one_by_one([x])[0] for x in values]


def test_the_short_path_refuses_what_its_text_cannot_say() -> None:
    assert shortest_decimals([0.1 + 0.2]) is None  # 17 digits: Excel shows 0.3
    assert shortest_decimals([1e16]) is None and shortest_decimals([1e-05]) is None  # 1e+16
    assert shortest_decimals([float("nan")]) is None and shortest_decimals([float("inf")]) is None
    assert _shown(shortest_decimals([2390.5, 140.0, 0.07, -12.3, -0.0])) == \
        _shown([D("2390.5"), D("140"), D("0.07"), D("-12.3"), D("-0")])
    assert float_decimals([1.0, float("nan")]) is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(_figures(2), _figures(4), _odd), min_size=256, max_size=400),
       st.integers(min_value=0, max_value=300))
def test_a_long_column_of_distinct_amounts_reads_as_each_value_alone(
        values: list[float], zeros: int) -> None:
    """Long enough for the no-dedupe route (and, with many zeros, the dedupe one)."""
    column = [0.0] * zeros + values
    assert _shown(float_decimals(column)) == _one_by_one(column)


def _split_one_by_one(grid: Grid, header: list[object], header_at: int, first_data: int,
                      rules: RuleSet) -> tuple[totals.Rows, totals.Rows]:
    """``split_rows`` as it was before issue 19: every row looked at one by one."""
    look = totals.Splitter(grid, header, header_at, first_data, rules)
    split: dict[str, totals.Rows] = {"manager": [], "totals": [], "": []}
    for i in range(first_data, len(grid.rows)):
        split[look.kind(i, grid.rows[i])].append((i + 1, grid.rows[i]))
    return split["manager"], split["totals"]


_HEAD = ["序号", *HEADERS]
_UNIT = ["单位：万元、户"]
_KINDS: list[list[object]] = [
    [], [None, None], ["", " "], ["\u200b", None, "\u3000"], [" ", "E001"], [None, "E002"],
    _HEAD, [TITLE], _UNIT, ["序号"], [None, "合计", None, None, None, 3.0],
    ["", "城东支行小计", "", "城东支行"], ["合计"], [None, "王小计", "王小计"], ["张三", "E003"],
    ["\u3000E004", "E004"], [True, "E005"], [7, "E006"], ["e7", "E007"], ["-", "E008"],
    ["工号", "工号", "姓名", "机构", "类别"], [9.0, "合计", None, None, None, 1.0],
    ["T1", "小计", "T1"], [None, "", "", "", "", "（万元）"], [2.0, "", "", "", "", "（万元）"],
]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
# Found by hypothesis after the merge: a copied header, a blank row, then the header's
# second row (a 序号 in its first cell) is dropped one by one, so it must be looked at.
@example([_HEAD, [], [2.0, "", "", "", "", "（万元）"]], True, True)
@given(st.lists(st.one_of(st.sampled_from([*_KINDS, "page"]),
                          st.integers(min_value=1, max_value=99)),
                max_size=30), st.booleans(), st.booleans())
def test_rows_split_a_column_at_a_time_as_one_by_one(rules: RuleSet, kinds: list[object],
                                                     numbered: bool, two_rows: bool) -> None:
    """Manager rows (a number in 序号, or a 工号 first), blanks, copied headers (of one or
    two rows) and titles, totals rows and odd first cells: the same body and totals rows."""
    head = _HEAD if numbered else HEADERS
    lower: list[list[object]] = [list(_KINDS[-1] if numbered else _KINDS[-1][1:])] * two_rows
    body = []
    for k in kinds:
        if isinstance(k, int):  # a manager row
            cells = row(工号=f"E{k:03d}")
            body.append([float(k), *cells] if numbered else cells)
        elif k == "page":  # the header repeated at the top of a printed page, both rows
            body += [list(head), *(lower or [[2.0, "", "", "", "", "（万元）"][1 - numbered:]])]
        else:
            body.append(list(k) if numbered else list(k)[1:])
    grid = Grid("x.xlsx", "Sheet1", [[TITLE], _UNIT, list(head), *lower, *body])
    header: list[object] = list(head)
    assert totals.split_rows(grid, header, 2, 3 + two_rows, rules) == \
        _split_one_by_one(grid, header, 2, 3 + two_rows, rules)


_cells = st.one_of(
    *(_figures(p) for p in range(7)), _odd, st.floats(), st.just(""), st.none(),
    st.sampled_from(["12", "abc", " ", "\u3000", "1,234.5", "85%", "#N/A", "-3", True, 7]))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_cells, st.just(""), _figures(2)), max_size=40),
       st.sampled_from(["value", "increase", "ratio", "baseline"]), st.booleans(),
       st.sampled_from([None, 10**6, 10**12]))
def test_a_figure_column_reads_as_cell_by_cell(values: list[object], role: str,
                                               blank_is_zero: bool, limit: int | None) -> None:
    """Numbers, blanks, text in number cells, errors, NaN, huge and negative values: the
    same Decimals (digits and exponent) and the same problems at the same cells as the
    cell-by-cell path, which a text cell ("0", valid everywhere) at the end forces."""
    fast, found = cells.figure_column(list(values), role, blank_is_zero, limit)
    slow, slow_found = cells.figure_column([*values, "0"], role, blank_is_zero, limit)
    assert [None if v is None else (str(v), v.as_tuple()) for v in fast] == \
        [None if v is None else (str(v), v.as_tuple()) for v in slow[:-1]]
    assert found == slow_found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, 2.5, 0.25, 1e15, 123456.78, -3.0,
                                 float("nan"), float("inf"), float("-inf")]),
                min_size=1, max_size=60),
       st.sampled_from(["value", "increase", "ratio", "baseline"]),
       st.sampled_from([None, 10**6, 10**12]))
def test_a_column_of_repeated_floats_reads_as_cell_by_cell(values: list[float], role: str,
                                                           limit: int | None) -> None:
    """A column of numbers only, few distinct (its bounds taken over the distinct values):
    ±0, NaN and ±inf anywhere in it read as the cell-by-cell path reads them."""
    fast, found = cells.figure_column(list(values), role, False, limit)
    slow, slow_found = cells.figure_column([*values, "0"], role, False, limit)
    assert [None if v is None else (str(v), v.as_tuple()) for v in fast] == \
        [None if v is None else (str(v), v.as_tuple()) for v in slow[:-1]]
    assert found == slow_found


def test_a_column_of_numbers_and_blanks_takes_no_step_per_cell() -> None:
    values: list[object] = [1.5, "", 2.25, None, 3.0] * 1000
    assert cells._floats_and_blanks(values, "value", None) is not None
    assert cells._floats_and_blanks(values, "baseline", None)[1] is None  # type: ignore[index]
    assert cells._floats_and_blanks([*values, " "], "value", None) is None  # a space: by cell
    assert cells._floats_and_blanks([*values, -1.0], "value", None) is None  # a problem


def test_managers_of_interleaved_categories_keep_their_rows_and_blocks(
        tmp_path: Path, rules: RuleSet) -> None:
    """Managers come back in file order with their Excel row, and each is its block's
    manager at its index, whose figures are its own row's (a blank row in between)."""
    people = [("E001", "支行", 3), ("E002", "分行个金", 5), ("E003", "支行", 7), None,
              ("E004", "分行公司", 9), ("E005", "支行", 11)]
    body = [[""] * len(HEADERS) if p is None else row(工号=p[0], 类别=p[1], 放款户数=p[2])
            for p in people]
    export = read_export(write_xlsx(tmp_path / "x.xlsx", HEADERS, body), rules)
    assert [(m.id, m.category, m.row) for m in export.managers] == [
        ("E001", "支行", 3), ("E002", "分行个金", 4), ("E003", "支行", 5),
        ("E004", "分行公司", 7), ("E005", "支行", 8)]
    for m in export.managers:
        assert m.block is export.blocks[m.category] and m.block.managers[m.index] is m
        assert m.figures["loan_households"]["value"] == [p for p in people if p and p[0] == m.id][0][2]


def test_a_merge_reaching_the_first_or_last_manager_row_is_still_found() -> None:
    """Merges are looked at only where they reach the manager rows (the title's is not);
    one from the header into the first manager row, or from the last one across and
    down, still is."""
    rows: list[list[object]] = [[TITLE], list(HEADERS), row(), row(工号="E002")]
    for merge, cell in (((1, 4, 2, 4), (0, 4)), ((3, 3, 4, 4), (1, 3))):
        grid = Grid("x.xlsx", "业绩", rows, merges=[(0, 0, 0, 16), merge])
        marks, _ = merged_and_formula_cells(grid, [3, 4], {3, 4}, True)
        assert [(pos, j) for pos, j, _ in marks] == [cell]
        assert "是合并单元格" in marks[0][2]
    title_only = Grid("x.xlsx", "业绩", rows, merges=[(0, 0, 0, 16)])
    assert merged_and_formula_cells(title_only, [3, 4], {4}, True) == ([], set())


_text_numbers = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.sampled_from(["+5", "5.", ".5", "-0", "007", "0.0", "", "", " ", "1,234", "85%", "１２",
                     "1\n2", "12\n", "abc", "1e5", "2²", "1 2", "-", "."]))


@settings(max_examples=500, deadline=None)
@given(st.lists(_text_numbers, max_size=30),
       st.sampled_from(["value", "increase", "ratio", "baseline"]), st.booleans(),
       st.sampled_from([None, 10**6]))
def test_a_column_of_text_numbers_reads_as_cell_by_cell(values: list[str], role: str,
                                                        blank_is_zero: bool,
                                                        limit: int | None) -> None:
    """A CSV's column (text only): the same Decimals and the same problems at the same
    cells as parse_decimal cell by cell, which a number (0) at the end forces."""
    fast, found = cells.figure_column(list(values), role, blank_is_zero, limit)
    slow, slow_found = cells.figure_column([*values, 0], role, blank_is_zero, limit)
    assert [None if v is None else (str(v), v.as_tuple()) for v in fast] == \
        [None if v is None else (str(v), v.as_tuple()) for v in slow[:-1]]
    assert found == slow_found


@given(st.lists(st.one_of(st.decimals(allow_nan=False, allow_infinity=False),
                          st.decimals(min_value=-2, max_value=2, places=2),
                          st.sampled_from([D(0), D(1), D("1.01"), D(10**6), D(10**6 + 1)])),
                min_size=1, max_size=8),
       st.sampled_from(["value", "increase", "ratio", "baseline"]),
       st.sampled_from([None, 0, 1, 10**6]))
def test_the_range_shortcut_passes_exactly_the_columns_every_check_passes(
        values: list[Decimal], role: str, limit: int | None) -> None:
    each = all((0 <= v <= 1 if role == "ratio" else role == "increase" or v >= 0) and
               (limit is None or abs(v) <= limit) for v in values)
    assert cells._inside(min(values), max(values), role, limit) == each


def test_a_csv_column_takes_no_step_per_cell() -> None:
    assert cells._plain_texts(["1", "", "2.5", "+3"], "value", True) == [D(1), D(0), D("2.5"), D(3)]
    assert cells._plain_texts(["1", ""], "value", False) is None  # 单元格为空: by cell
    assert cells._plain_texts(["1", "1\n2"], "value", True) is None  # a cell of two lines
    assert cells._plain_texts(["1", "1,234"], "value", True) is None  # thousands: by cell


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=60) | st.lists(st.sampled_from([b"<", b"f", b"!", b"a", b"<f", b"f<"]),
                                        max_size=200).map(b"".join),
       st.sampled_from([b"<f", b"<!"]))
def test_a_two_byte_search_through_its_rare_byte_is_in(data: bytes, needle: bytes) -> None:
    """Near misses (「f」 after another byte) past the 64 looked at one by one included."""
    assert contains(data, needle) == (needle in data)
    assert contains(b"f" * 100 + data, needle) == (needle in b"f" * 100 + data)


def test_equal_amounts_share_one_decimal_and_equal_names_one_text() -> None:
    """A national month holds every figure and name twice once it forks (aside): an amount,
    name or branch that repeats is one object, read with the same digits and exponent."""
    amounts = [k / 100 for k in range(100_000, 100_400)] * 3 + [0.0, -0.0, 7.0, 7.0]
    got, found = cells.figure_column(list(amounts), "value", False)
    assert not found
    assert len(set(map(id, got))) == len(set(amounts)) == 402
    assert got[-4] is got[-3] and str(got[-3]) == "0" and str(got[-1]) == "7"
    slow, _ = cells.figure_column([*amounts, "0"], "value", False)
    assert [(str(v), v.as_tuple()) for v in got] == \
        [(str(v), v.as_tuple()) for v in slow[:-1]]  # type: ignore[union-attr]
    names = ["".join(("张", "伟")) for _ in range(3)] + ["李娜"]
    texts, _ = cells.identity_column("name", names)
    assert texts == names and texts[0] is texts[2] and texts[3] is names[3]
    ids = ["".join(("0", "1")) for _ in range(2)]
    assert cells.identity_column("id", ids)[0][1] is ids[1]  # 工号: as they are


def test_a_month_keeps_no_text_object_of_the_sheet_s_cells(tmp_path: Path, rules: RuleSet,
                                                           monkeypatch: Any) -> None:
    """CPython gives an arena back only when all of it is free: a 工号, 姓名 or 机构 kept
    from the cells held the whole grid's memory (a national month: 75 MB at the fork)."""
    from cmscore.inputs import reader

    data = [row(工号=f"0{k:05d}", 姓名=["张伟", "李娜"][k % 2], 机构=f"支行{k % 3}")
            for k in range(12)]
    path = write_xlsx(tmp_path / "m-2026-10.xlsx", HEADERS, data)
    grids: list[Grid] = []
    real = reader.open_grids

    def kept(*args: Any) -> list[Grid]:
        grids.extend(real(*args))
        return grids
    monkeypatch.setattr(reader, "open_grids", kept)
    export = read_export(path, rules)
    cells = {id(c) for g in grids for r in g.rows for c in r if isinstance(c, str)}
    texts = [(m.id, m.name, m.branch) for m in export.managers]
    assert texts == [(r[0], r[1], r[2]) for r in data]
    assert cells and not cells & {id(t) for three in texts for t in three}
    names = [m.name for m in export.managers]
    assert names[0] is names[2]  # and one object per distinct text
