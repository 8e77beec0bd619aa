"""The column-at-a-time paths (issue 5) agree with one manager scored alone, and the
store's re-keyed items table keeps every row of an older store."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Sequence
from contextlib import closing
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmscore.engine.scoring import score_manager, score_month
from cmscore.inputs import cells, totals
from cmscore.inputs.reader import read_export
from cmscore.numbers import ByValue, clean_text, decimal_texts, to_centi
from cmscore.rules.ruleset import RuleSet
from cmscore.store import db as store
from cmscore.store import schema
from conftest import HEADERS, row, with_items, write_xlsx

D = Decimal
FIGURES = [h for h in HEADERS if h not in ("工号", "姓名", "机构", "类别", "不良率")]
amounts = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["支行", "分行个金", "分行公司"]),
                          st.lists(amounts, min_size=len(FIGURES), max_size=len(FIGURES)),
                          st.decimals(min_value=0, max_value=D("0.03"), places=4)),
                min_size=1, max_size=12))
def test_a_month_scored_by_columns_equals_each_manager_alone(
        tmp_path: Path, rules: RuleSet, people: list[tuple[str, list[Decimal], Decimal]]) -> None:
    data = []
    for k, (category, figures, npl) in enumerate(people):
        values = dict(zip(FIGURES, figures, strict=True))
        values["不良率"] = npl
        data.append(row(工号=f"{k:06d}", 类别=category, 机构=f"支行{k % 3}", **values))
    path = write_xlsx(tmp_path / "all-2026-10.xlsx", HEADERS, data)
    export = read_export(path, rules)
    month = score_month(export, rules)
    assert len(month.scores) == len(people)
    by_id = {r[0]: r for r in data}
    for s in month.scores:  # the same row read from a file of its own
        own = write_xlsx(tmp_path / f"{s.manager.id}-2026-10.xlsx", HEADERS, [by_id[s.manager.id]])
        [alone] = score_month(read_export(own, rules), rules).scores
        assert alone.total == s.total and alone.risk_fund == s.risk_fund
        assert {k: (v.points, v.figure, v.early) for k, v in alone.items.items()} == \
            {k: (v.points, v.figure, v.early) for k, v in s.items.items()}
        assert alone.manager.figures == s.manager.figures
        assert sum(s.items[i].points for i in s.items) == s.total
        lone = score_manager(rules.tables[s.manager.category], s.manager, _NoHistory())
        assert not isinstance(lone, list) and lone.total == s.total


class _NoHistory:
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        return None, ""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return D(0)

    def years_to_date(self, ids: Sequence[str], item_id: str) -> list[Decimal]:
        return [D(0)] * len(ids)

    def tasks(self) -> None:
        return None


@given(st.lists(st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False)),
                max_size=30))
def test_decimal_texts_are_fixed_point_text_of_every_value(values: list[Decimal | None]) -> None:
    assert decimal_texts(values) == [None if v is None else f"{v:f}" for v in values]


def test_by_value_converts_each_distinct_value_once() -> None:
    seen: list[Decimal] = []
    memo = ByValue(lambda v: seen.append(v) or to_centi(v))
    assert [memo[v] for v in (D("1.5"), D("1.50"), None, D("2.005"), D("1.5"))] == \
        [150, 150, None, 201, 150]
    assert seen == [D("1.5"), D("2.005")]


def test_an_older_store_keeps_its_items_when_they_are_rekeyed(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with closing(sqlite3.connect(db)) as conn:  # a store as version 3 left it
        for step in (1, 2, 3):
            conn.executescript(schema.MIGRATIONS[step])
        conn.execute("INSERT INTO runs VALUES (1, 'score', '2026-01', '', '', '{}', '0', '', NULL)")
        conn.execute("INSERT INTO months VALUES ('2026-01', 1)")
        rows = [("2026-01", cm, item, 100 * k, "1.5", 1500000, None, k % 2, 0)
                for k, (cm, item) in enumerate([("2", "cards"), ("1", "pos"), ("1", "cards")])]
        conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
    conn = with_items(store.connect(db))
    try:  # through migration 5 (rekeyed) and 12 (item columns), every row as it was
        got = conn.execute("SELECT month, cm_id, item_id, points_cp, figure, figure_micro,"
                           " baseline, early, risk_fund_cp FROM items ORDER BY cm_id, item_id")
        assert sorted(got) == sorted(rows)
        assert "items_by_month_item" not in {n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        conn.close()


def test_insert_rows_stores_every_row_whatever_the_batch_boundary() -> None:
    per = store.MAX_PARAMETERS // 9
    for n in (0, 1, per - 1, per, per + 1, 3 * per + 7):
        with closing(sqlite3.connect(":memory:")) as conn:
            conn.execute("CREATE TABLE t (a, b, c, d, e, f, g, h, i)")
            rows = [(k, f"{k:06d}", None, D(k).scaleb(-2).__str__(), k % 2, "文", -k, 0, "x")
                    for k in range(n)]
            store.insert_rows(conn, "t", 9, iter(rows))
            assert conn.execute("SELECT * FROM t ORDER BY rowid").fetchall() == rows


def _cell_by_cell(values: list[object], role: str) -> tuple[list[Decimal | None], list]:
    """figure_column's own per-cell path: a str in the column sends every cell through it."""
    out, found = cells.figure_column([*values, "0"], role, True)
    return out[:-1], found


@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                          st.floats(min_value=0, max_value=1),
                          st.sampled_from([0.0, -0.0, 1e-05, 1e16, 95.1, 0.1 + 0.2, 2.0])),
                max_size=30),
       st.sampled_from(["value", "increase", "ratio"]))
def test_a_column_of_plain_numbers_reads_as_cell_by_cell(values: list[float], role: str) -> None:
    fast, found = cells.figure_column(list(values), role, True)
    slow, slow_found = _cell_by_cell(values, role)
    assert [(v, str(v) if v is not None else None) for v in fast] == \
        [(v, str(v) if v is not None else None) for v in slow]
    assert found == slow_found


def test_a_nan_or_infinity_among_numbers_is_a_problem_not_a_crash() -> None:
    for bad in (float("nan"), float("inf")):
        out, found = cells.figure_column([1.0, bad, 2.5], "value", True)
        assert out[0] == 1 and out[1] is None and out[2] == D("2.5")
        assert [i for i, _ in found] == [1]


@given(st.lists(st.lists(st.one_of(
    st.none(), st.floats(allow_nan=False), st.integers(),
    st.sampled_from(["合计", "总计", "城东支行小计", "王小计", "张\u3000三", "㊣", "⼩计", "合\x00计",
                     "01000001", " ", ""]),
    st.text(alphabet="合计小总 \u200bab1", max_size=5)), max_size=7), max_size=12))
def test_rows_marked_as_totals_are_those_a_cell_by_cell_look_finds(rows: list[list[object]]) -> None:
    markers = {"合计", "总计", "小计"}
    marked = totals._marked_rows(rows, markers)
    by_cell = {i for i, r in enumerate(rows)
               if any(m in clean_text(c) for c in r[:6] for m in markers)}
    assert marked == by_cell


def test_a_sheet_given_as_column_blocks_reads_back_as_the_same_rows(tmp_path: Path) -> None:
    import openpyxl

    from cmscore.outputs.celltext import Blocks
    from cmscore.outputs.xlsx import Book, Column

    cols = [Column("工号", 12), Column("姓名", 10), Column("得分", 9, "points"),
            Column("人数", 6, "int"), Column("说明", 20)]
    blocks = [
        [["001", "002"], ["张三", "李<四>&"], [D("1.50"), None], [3, 4], ["", "提前完成"]],
        [["A&B"], ["王五"], [D("-0.25")], [None], ["ascii only"]],
        [["003"], ["赵六"], [D("2")], [True], ["布尔值走逐格写法"]],  # a bool: cell by cell
    ]
    rows = [list(r) for block in blocks for r in zip(*block, strict=True)]
    book = Book(tmp_path / "b.xlsx")
    book.sheet("列", cols, Blocks(blocks))
    book.sheet("行", cols, rows)
    book.close()
    with zipfile.ZipFile(tmp_path / "b.xlsx") as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
        # Chinese text of the column blocks went to the shared table: their rows are ASCII
        assert sheet.split(b'<row r="2">')[1].split(b'<row r="4">')[0].isascii()
        assert b't="s"' in sheet
        assert "李&lt;四&gt;&amp;".encode() in zf.read("xl/sharedStrings.xml")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    as_blocks = [[c.value for c in r] for r in wb["列"].iter_rows(min_row=2)]
    as_rows = [[c.value for c in r] for r in wb["行"].iter_rows(min_row=2)]
    assert as_blocks == as_rows
    assert as_blocks[1] == ["002", "李<四>&", None, 4, "提前完成"]
    assert wb["列"]["C2"].number_format == "0.00" and wb["列"]["C2"].value == 1.5


def test_a_column_block_refuses_what_rows_refuse(tmp_path: Path) -> None:
    import pytest

    from cmscore.outputs.celltext import Blocks
    from cmscore.outputs.xlsx import Book, Column

    with pytest.raises(ValueError, match="非有限数"):
        Book(tmp_path / "a.xlsx").sheet("列", [Column("得分", 9, "points")],
                                        Blocks([[[D("1"), D("NaN")]]]))
    with pytest.raises(ValueError, match="控制字符"):
        Book(tmp_path / "b.xlsx").sheet("字", [Column("姓名", 9)], Blocks([[["张\x01三"]]]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0aZ &<>\x01\x1f\t", max_size=4),
                          st.sampled_from(["张三", "x" * 32768])), max_size=6))
def test_a_text_column_written_as_is_matches_escaping_each_value(column: list[str | None]) -> None:
    check_column_texts(column)


def check_column_texts(column: list[str | None]) -> None:
    """``column_texts`` of a text column gives each value's escaped text (looked up in the
    shared strings when it indexes them), and refuses what each value refuses."""
    from cmscore.outputs import celltext

    def each() -> list[str | None]:
        return [None if v is None or v == "" else celltext.escape(celltext.check_text(v))
                for v in column]

    try:
        expected = each()
    except ValueError as exc:
        with pytest.raises(ValueError, match=str(exc)[:6]):
            celltext.column_texts(column, True, celltext.Escaped(), celltext.Shared())
        return
    got = celltext.column_texts(column, True, celltext.Escaped(),
                                 shared := celltext.Shared())
    assert got is not None
    texts, is_shared = got
    if is_shared:  # indices into the shared table: look them up
        texts = [None if t is None else shared.texts[int(t)] for t in texts]
    assert texts == expected


_ODD_TEXT = ["张伟", "张\u3000伟", "Zhang  Wei", " 城东支行", "支行\u200b", "ＡＢ１", "①", "e\u0301",
             "a\x00b", "\x1b[31m", "x" * 201, "", "011771", "王\u202e小", "\u00a0", "Ⅻ"]


@given(st.lists(st.one_of(st.sampled_from(_ODD_TEXT),
                          st.text(alphabet="张伟城东支行 \u3000\u200b\u0301\x00\x1bＡa1①", max_size=6)),
                min_size=1, max_size=12),
       st.sampled_from(["id", "name", "branch", "category"]))
def test_a_column_of_clean_text_reads_as_cell_by_cell(values: list[str], key: str) -> None:
    """The whole-column predicates (issue 19) take the short way only where every cell, read
    alone, is its own clean text with no problem; else the same texts and problems."""
    fast = cells.identity_column(key, list(values))
    by_cell = [cells._identity(key, v) for v in values]
    assert fast[0] == [text for text, _ in by_cell]
    assert fast[1] == [(i, m) for i, (_, found) in enumerate(by_cell) for m in found]
    if cells._clean_texts(list(values)):
        assert all(not found and text == v for v, (text, found) in zip(values, by_cell,
                                                                       strict=True))


def test_a_clean_column_takes_no_step_per_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A national column of Chinese names is checked as one text, not cell by cell."""
    def per_cell(*_: object) -> None:
        raise AssertionError("checked cell by cell")
    monkeypatch.setattr(cells, "_identity", per_cell)
    names = ["张伟", "王芳", "城东第2支行", "Zhang"] * 5000
    assert cells.identity_column("name", list(names)) == (names, [])


def test_equal_net_increases_share_one_object_and_keep_their_text() -> None:
    from cmscore.engine.itemcolumns import one_per_text

    got = one_per_text([D("1.0"), D("1.00"), D("1.0"), None, D("-0"), D("0"), D("1.0")])
    assert list(map(str, filter(None, got))) == ["1.0", "1.00", "1.0", "1.0"]
    assert got[0] is got[2] is got[6] and got[1] is not got[0] and got[3] is None
    assert str(got[4]) == "-0" and str(got[5]) == "0" and got[4] is not got[5]


def test_a_month_holds_one_object_per_distinct_net_increase(tmp_path: Path,
                                                            rules: RuleSet) -> None:
    """What a forked run holds twice (aside): 管户户数 130/126 and 131/127 both grew by 4."""
    data = [row(工号=f"{k:06d}", 管户户数=130 + k, 上年末管户户数=126 + k) for k in range(3)]
    month = score_month(read_export(write_xlsx(tmp_path / "m-2026-10.xlsx", HEADERS, data),
                                    rules), rules)
    [frame] = month.frames
    figure = frame.items["managed_households"].figure
    assert figure == [D(4)] * 3 and figure[0] is figure[1] is figure[2]
