"""One figure → points for a linear item (SPEC §4.1), exactly as the rule says.

Shared by the columns that score a whole category and by the sentences that explain
one manager's item, so both do the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal
from itertools import repeat

from cmscore.numbers import ZERO, round2_each
from cmscore.rules.ruleset import Item


def clamp(points: Decimal, cap: Decimal) -> Decimal:
    return min(max(points, ZERO), cap)


def linear_points(item: Item, figure: Decimal) -> Decimal:
    """rate × figure / unit; whole units only where the rule says so (SPEC §4.1)."""
    assert item.rate is not None and item.unit is not None
    if item.unit == 1 and not item.whole_units:
        return item.rate * figure
    units = figure / item.unit
    if item.whole_units:
        units = units.to_integral_value(rounding=ROUND_FLOOR)
    return item.rate * units


def linear_exact_each(item: Item, figures: list[Decimal]) -> Iterable[Decimal]:
    """``linear_points(item, f)`` for every figure (unclamped, unrounded), as C loops over
    Decimal's own methods: the same operations in the same order."""
    assert item.rate is not None and item.unit is not None
    if item.unit == 1 and not item.whole_units:
        return map(item.rate.__mul__, figures)
    units: Iterable[Decimal] = map(Decimal.__truediv__, figures, repeat(item.unit))
    if item.whole_units:
        units = map(Decimal.to_integral_value, units, repeat(ROUND_FLOOR))
    return map(item.rate.__mul__, units)


def linear_points_each(item: Item, figures: list[Decimal]) -> list[Decimal]:
    """``round2(clamp(linear_points(item, f), cap))`` for every figure, in C loops."""
    exact = linear_exact_each(item, figures)
    return round2_each(map(min, map(max, exact, repeat(ZERO)), repeat(item.cap)))
