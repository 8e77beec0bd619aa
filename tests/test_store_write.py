"""The store's write path and ``score --json`` a column at a time (issue 19, session 8):
the ``scores`` rows zipped from each frame's columns, the item columns and the first
month's running totals built without a step per manager are exactly what the per-manager
path stores, adjusted points included; the JSON document's managers come straight from
the frames, in the order ``ordered`` gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cmscore.console import json_text
from cmscore.engine.adjustments import TOTAL, Adjustment, apply
from cmscore.engine.scoring import MonthScores, score_month
from cmscore.inputs.reader import read_export
from cmscore.numbers import decimal_texts
from cmscore.outputs import scorejson
from cmscore.rules.ruleset import RuleSet
from cmscore.store import inputcols, itemcols, monthrows
from conftest import EXAMPLES

D = Decimal
figures = st.one_of(st.none(), st.decimals(min_value=-10**6, max_value=10**9, places=2),
                    st.decimals(min_value=0, max_value=10**4, places=8),
                    st.decimals(allow_nan=False, allow_infinity=False),
                    st.integers(10**26, 10**28 - 1).map(lambda n: Decimal(n).scaleb(-29)))


def adjusted_month(rules: RuleSet) -> MonthScores:
    """October's example month with an item, a capped and a total adjustment applied."""
    scores = score_month(read_export(EXAMPLES / "2026-10.xlsx", rules, None), rules)
    first, second = scores.scores[0].manager.id, scores.scores[1].manager.id

    def adj(k: int, cm: str, item: str, points: str) -> Adjustment:
        return Adjustment(id=k, month=scores.month, cm_id=cm, item=item, points=D(points),
                          reason="申诉", basis="文件", approved_by="张三")

    assert not apply(scores, [adj(1, first, "cards", "100"), adj(2, second, "cards", "-0.5"),
                              adj(3, second, TOTAL, "1.25")])
    return scores


def by_manager(scores: MonthScores) -> MonthScores:
    """The same month with no frames: the store's per-manager path (scores built by hand)."""
    return MonthScores(scores.month, list(scores.scores), [], scores.adjustments)


def test_scores_rows_from_columns_are_the_per_manager_rows(rules: RuleSet) -> None:
    scores = adjusted_month(rules)
    framed = list(monthrows.score_rows(scores))
    assert sorted(map(repr, framed)) == sorted(map(repr, monthrows.score_rows(by_manager(scores))))
    # by 工号 within each category; the export's figures are in input_columns (inputcols)
    for category in {r[4] for r in framed}:
        ids = [str(r[1]) for r in framed if r[4] == category]
        assert ids == sorted(ids)
    assert {r[10] for r in framed} == {""}


def test_item_columns_from_columns_are_the_per_manager_fields(rules: RuleSet) -> None:
    scores = adjusted_month(rules)
    moved = [c for f in scores.frames for c in f.items.values()
             if c.centi is not None and list(map(itemcols.to_centi, c.points)) != c.centi]
    assert moved  # the adjusted points differ from the column's hundredths as scored
    assert itemcols.compared(scores) == itemcols.compared(by_manager(scores))


def test_a_framed_month_takes_no_step_per_manager(rules: RuleSet,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    scores = score_month(read_export(EXAMPLES / "2026-10.xlsx", rules, None), rules)

    def per_manager(*_: object) -> None:
        raise AssertionError("a step per manager")
    monkeypatch.setattr(monthrows, "_npl", per_manager)
    monkeypatch.setattr(inputcols, "_grouped", per_manager)
    list(inputcols.parts(scores))
    assert len(list(monthrows.score_rows(scores))) == len(scores.scores)


@given(st.lists(figures, max_size=30))
def test_millionths_of_a_column_are_each_figures(values: list[Decimal | None]) -> None:
    assert itemcols.micro_column(values) == [itemcols.micro(v) for v in values]


@given(st.lists(st.one_of(figures, st.integers(-10**30, 10**30).map(Decimal),
                          st.integers(-10**4, 10**4).map(lambda n: Decimal(n).scaleb(2))),
                max_size=30))
# Found by hypothesis in session 11's clean-clone run: 29 digits, past Decimal's 28, where
# ``micro`` rounds and ``int`` of the text did not.
@example([Decimal("10000000000000000000000000001")])
def test_millionths_from_a_columns_texts_are_each_figures(values: list[Decimal | None]) -> None:
    assert itemcols.micro_of_texts(decimal_texts(values), values) == \
        [itemcols.micro(v) for v in values]


@given(st.lists(st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False)),
                max_size=30))
def test_a_column_of_decimal_texts_is_its_json(values: list[Decimal | None]) -> None:
    texts = [None if v is None else f"{v:f}" for v in values]
    assert inputcols.decimals_text(texts) == itemcols._dumps(texts)


@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), figures), unique_by=lambda t: t[0]))
def test_the_first_months_totals_are_those_added_to_nothing(
        rows: list[tuple[str, Decimal | None]]) -> None:
    ids = [cm for cm, _ in rows]
    texts = [None if f is None else f"{f:f}" for _, f in rows]
    micro = [itemcols.micro(f) for _, f in rows]
    assert itemcols._plus(None, ids, texts, micro) == itemcols._plus(([], []), ids, texts, micro)


def test_the_json_of_a_framed_month_is_built_from_its_frames(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    scores = adjusted_month(rules)
    want = json_text(scorejson.scores_json(by_manager(scores), rules))  # a dict per manager

    def regrouped(*_: object) -> None:
        raise AssertionError("ManagerScores grouped and sorted again")
    monkeypatch.setattr(scorejson, "ordered", regrouped)
    assert json_text(scorejson.scores_json(scores, rules)) == want


@given(st.lists(st.integers(-10**9, 10**9) | st.just(0), max_size=30))
def test_a_column_of_integers_is_its_json(values: list[int]) -> None:
    assert itemcols._integers_text(values) == itemcols._dumps(values)


def test_a_category_s_store_columns_are_made_when_its_rows_are_reached(
        rules: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beside a forked child every MB counts twice: the first row costs one category's
    columns, not every category's."""
    scores = score_month(read_export(EXAMPLES / "2026-10.xlsx", rules, None), rules)
    assert len(scores.frames) > 1
    made: list[str] = []
    columns = monthrows._frame_columns

    def counted(month: str, frame: Any) -> Any:
        made.append(frame.table.category)
        return columns(month, frame)
    monkeypatch.setattr(monthrows, "_frame_columns", counted)
    rows = monthrows.score_rows(scores)
    next(rows)
    assert len(made) == 1
    assert len(list(rows)) + 1 == len(scores.scores) and len(made) == len(scores.frames)
