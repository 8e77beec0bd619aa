"""Issue 19 (session 11): the 明细 sheet's texts checked, escaped and measured a column at a
time by shorter paths give what the one-value-at-a-time functions give, byte for byte."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cmscore.outputs.celltext import (
    _CONTROL,
    Escaped,
    Shared,
    check_text,
    column_texts,
    escape,
    has_control,
)
from cmscore.outputs.layout import Joined, row_heights


@given(st.text(st.sampled_from("a1.中文分×÷−\x00\x08\t\n\r\x0b\x1f \ufffe\uffff\ufffd😀&")))
def test_has_control_finds_what_the_pattern_finds(text: str) -> None:
    assert has_control(text) == bool(_CONTROL.search(text))


PIECES = st.text(st.sampled_from("a1. 中文分户×÷−😀"), max_size=90)


@given(st.integers(1, 6).flatmap(lambda n: st.lists(st.lists(PIECES, min_size=n, max_size=n),
                                                    min_size=1, max_size=12)),
       st.sampled_from([10, 14, 72, 72.5, 9.75]))
def test_row_heights_of_joined_sentences_count_each_text_as_it_is(
        rows: list[list[str]], width: float) -> None:
    """A row's lines as the sum of its parts' (the 明细 sentences), or counted on each
    whole text: the same heights."""
    joined = Joined([list(part) for part in zip(*rows, strict=True)], len(rows))
    assert row_heights([joined], [width]) == row_heights([list(joined)], [width])


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
