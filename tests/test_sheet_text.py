"""Issue 19 (sheets): the short ways of rendering rows give the text and heights the long
ways give, and fall back to them where their assumption does not hold."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmscore.engine.month import Manager
from cmscore.engine.scoring import score_month_managers
from cmscore.outputs import layout
from cmscore.outputs import scores as out_scores
from cmscore.outputs.celltext import Blocks
from cmscore.outputs.xlsx import Book, Column
from cmscore.problems import InputError
from cmscore.rules.ruleset import RuleSet
from conftest import FakeHistory
from test_columns import check_column_texts
from test_engine_templates import figures_of, history_for

# ASCII, 3-byte CJK, and what the column-wise rule must still count as the per-text rule
# does: 2-byte Latin, 4-byte characters, line breaks inside a part, empty parts.
_PART = st.text(alphabet="a1 .→×：不良率分元\u00e9\u0301\U0001f600\n", max_size=90)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_PART, min_size=3, max_size=3), min_size=0, max_size=5),
       st.sampled_from([72, 30, 10.25, 2, 1, 9.75, 48.5]))
def test_lines_counted_on_the_parts_equal_lines_counted_on_each_text(
        parts: list[list[str]], width: float) -> None:
    joined = layout.Joined(parts, 3)
    plain = ["\n".join(row) for row in zip(*parts, strict=True)] if parts else [""] * 3
    assert list(joined) == plain
    assert layout.row_heights([joined], [width]) == layout.row_heights([plain], [width])
    assert layout.row_heights([joined, plain], [width, 30]) == \
        layout.row_heights([plain, plain], [width, 30])


def test_a_joined_column_is_counted_without_a_step_per_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """明细's 计分说明: a national month's line counts take C loops over each item's
    sentences, not a Python step per manager (1.8 s of 100k managers' workbook)."""
    parts = [["放款户数：新增6户 × 2.5分 = 15.00分（满分10 / 高限20）"] * 1000,
             ["储蓄日均净增：1139.63 − 上年日均1087.5 = 52.13万元 × 1分 = 52.13分，超过高限按 30 "
              "分计（超额不延期）→ 30.00分（满分15 / 高限30）"] * 1000]
    expected = layout.row_heights([["\n".join(r) for r in zip(*parts, strict=True)]], [72])
    assert expected[0] == ' ht="45" customHeight="1"'

    def per_text(*_: object) -> None:
        raise AssertionError("counted text by text")
    monkeypatch.setattr(layout, "line_count", per_text)
    assert layout.row_heights([layout.Joined(parts, 1000)], [72]) == expected


def test_a_part_with_its_own_line_break_is_counted_text_by_text() -> None:
    """The short way assumes one line an item; a sentence with a break (a rule's name with a
    newline in it) is counted as the whole text is, every line of it."""
    parts = [["a" * 100 + "\n" + "b"], ["c"]]
    assert layout.row_heights([layout.Joined(parts, 1)], [72]) == [' ht="60" customHeight="1"']


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="计分说明&<>\x01a ", min_size=70,
                                               max_size=90)), min_size=1, max_size=5))
def test_prose_written_as_is_matches_escaping_each_value(column: list[str | None]) -> None:
    """A column of long, distinct text (明细's 计分说明) is looked at once as a whole."""
    check_column_texts(column)


figures = st.decimals(min_value=-50, max_value=5000, places=2, allow_nan=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(figures, min_size=20, max_size=20), min_size=2, max_size=40),
       st.sampled_from(["all", "none", "mixed"]), st.booleans())
def test_a_category_s_sentences_at_once_equal_each_manager_s(
        rules: RuleSet, people: list[list[Decimal]], baselines: str, history: bool) -> None:
    """明细's 计分说明 built a whole item column at a time (templates filled in C loops,
    clamped rows, rows with and without a baseline, baselines from the export or the
    store) is byte for byte each manager's own sentences."""
    managers = [Manager(f"{k:06d}", "张三", f"机构{k % 3}", category, k + 4,
                        figures_of(rules, category, values,
                                   baselines == "all" or (baselines == "mixed" and k % 2 == 1)))
                for k, values in enumerate(people) for category in ("支行", "分行公司")]
    past = history_for(managers, rules) if history else FakeHistory()
    try:
        scores = score_month_managers("2026-10", managers, rules, past)
    except InputError:  # a baseline missing from the export and the store
        return
    for _, members in out_scores.ordered(scores, rules):
        frame = out_scores.frame_of(members)
        assert frame is not None and len(members) > 1
        assert list(out_scores._sentences(members, frame)) == [  # noqa: SLF001
            "\n".join(v.text for v in s.items.values()) for s in members]


def test_a_block_ending_in_inline_text_writes_the_rows_one_at_a_time_would(
        tmp_path: Path) -> None:
    """The 明细's last cell, 2 KB of Chinese, is encoded apart from the ASCII rest of its
    row: the sheet is byte for byte the one written row by row (``Book._rows``)."""
    columns = [Column("工号", 12), Column("得分", 9, "points"), Column("计分说明", 72, "wrap")]
    texts = ["放款户数：新增6户 × 2.5分 = 15.00分（满分10 / 高限20）\n银行卡 <&> " * k
             for k in range(1, 40)]
    rows = [[f"{k:06d}", Decimal(k) / 4, t] for k, t in enumerate(texts)]
    sheets = []
    for name, written in (("blocks", Blocks([[list(c) for c in zip(*rows, strict=True)]])),
                        ("rows", rows)):
        book = Book(tmp_path / f"{name}.xlsx")
        book.sheet("明细", columns, written)
        book.close()
        with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as z:
            sheets.append(z.read("xl/worksheets/sheet1.xml"))
    assert sheets[0] == sheets[1]
    assert "银行卡 &lt;&amp;&gt;".encode() in sheets[0]
