"""The fast paths of reading an export (issue 19, part "read") agree with the slow ones:
the same Decimals (value, digits and exponent), the same rows, the same located messages."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.numbers import centi_decimals, float_decimals

D = Decimal


def _one_by_one(values: list[float]) -> list[tuple[str, object]]:
    """Each float alone through Excel's 15-digit text, as ``float_to_decimal`` has always
    read it: the reference the column paths must equal, exponent included."""
    out = []
    for x in values:
        text = format(x, ".15g")
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
@given(st.lists(st.one_of(_figures(2), _figures(1), _figures(0), st.sampled_from([0.0, -0.0])),
                max_size=40), st.booleans())
def test_figures_of_two_places_take_the_integer_path_and_read_the_same(
        values: list[float], few_round: bool) -> None:
    got = centi_decimals(values, few_round)
    small = all(abs(x) < 1e13 for x in values)
    if got is None:  # refused only outside its bounds, for -0.0, or (few_round) many 0.1s
        assert not small or any(str(x) == "-0.0" for x in values) or few_round
    else:
        assert small and _shown(got) == _one_by_one(values)


def test_the_integer_path_refuses_what_it_cannot_write_exactly() -> None:
    assert centi_decimals([1.5, 2.25]) is not None
    assert centi_decimals([1.5, 2.125]) is None  # three places: the text path decides
    assert centi_decimals([0.1 + 0.2]) is None  # 0.30000000000000004 is not 0.3 exactly
    assert centi_decimals([-0.0]) is None  # 「-0」: no integer of hundredths says it
    assert centi_decimals([1e13]) is None  # 16 significant digits with its two places
    assert centi_decimals([float("nan")]) is None and centi_decimals([float("inf")]) is None
    assert centi_decimals([1.0, 2.0, 3.5], few_round=True) is None  # mostly round: dedupe
    assert _shown(centi_decimals([2390.5, 140.0, 0.07, -12.3])) == \
        _shown([D("2390.5"), D("140"), D("0.07"), D("-12.3")])
    assert float_decimals([1.0, float("nan")]) is None
