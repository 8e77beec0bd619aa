"""The fast paths of reading an export (issue 19, part "read") agree with the slow ones:
the same Decimals (value, digits and exponent), the same rows, the same located messages."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.numbers import float_decimals, shortest_decimals

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
