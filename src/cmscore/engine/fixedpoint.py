"""Exact fixed-point points for a linear item column: integers, no Decimal arithmetic.

A figure column is taken as integers ``X`` at a scale ``10^k`` only when ``X / 10^k``
gives back every figure exactly (the round-trip check); a linear item's points are then
the rational ``rate × units`` worked out in integers and rounded half up to hundredths
(centi-points):  ``(2·N + D) // (2·D)`` for ``N / D ≥ 0``. When the check fails (more
than 6 places, or figures so long that Decimal's 28 digits would round), or
the unit would not divide into a terminating decimal, ``None`` says so and the caller
scores that column with Decimal (``points.linear_points_each``), as before. Either way
the points are the same: ``tests/test_fixedpoint.py`` checks it on random figures, rates,
units and caps.

Pure Python integers, not numpy: converting a column of Decimals to integers is most of
the cost (0.036 s for 100k amounts against 0.12 s for the Decimal points and their
hundredths), and numpy's import (0.08 s) and arrays gained nothing on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import repeat

from cmscore.numbers import to_centi
from cmscore.rules.ruleset import Item

# Scales tried for a column, in order: counts and 2-place amounts (万元 to the 元) hold at
# 10², others at 10⁶; a larger scale holds whatever a smaller one does.
MAX_PLACES = (2, 6)
DIGITS = 27  # below Decimal's 28 significant digits: its products and quotients stay exact


def ratio_of(value: Decimal) -> tuple[int, int] | None:
    """``value`` as ``(numerator, 10^places)``, or None for a non-finite value."""
    if not value.is_finite():
        return None
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    whole = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    return (whole * 10 ** exponent, 1) if exponent >= 0 else (whole, 10 ** -exponent)


def scaled(values: Sequence[Decimal]) -> tuple[list[int], int] | None:
    """The values as integers at the smallest scale of MAX_PLACES that holds them all
    exactly (checked value by value), or None."""
    for k in MAX_PLACES:
        at = list(map(Decimal.scaleb, values, repeat(k)))
        try:
            ints = list(map(int, at))
        except (ValueError, OverflowError):  # NaN or infinity: never scored as integers
            return None
        if ints == at:  # int == Decimal compares exactly
            return ints, k
    return None


def _terminating(unit: int) -> int | None:
    """How many places dividing by ``unit`` can add (its 2s and 5s), or None when the
    quotient may not terminate (a factor other than 2 and 5)."""
    twos = fives = 0
    while unit % 2 == 0:
        unit //= 2
        twos += 1
    while unit % 5 == 0:
        unit //= 5
        fives += 1
    return max(twos, fives) if unit == 1 else None


class LinearForm:
    """A linear item over a column at scale ``10^k``: the exact points of row ``n`` are
    ``multiplier · n / den``, with ``n`` the scaled figure, or its whole units when the
    rule counts whole units only."""

    def __init__(self, item: Item, k: int, bound: int) -> None:
        assert item.rate is not None and item.unit is not None
        (r, ra), (u, ub) = ratio_of(item.rate) or (0, 1), ratio_of(item.unit) or (0, 1)
        scale = 10 ** k
        self.whole = item.whole_units
        self.bound = bound
        if item.unit == 1 and not item.whole_units:  # rate × figure
            self.multiplier, self.den, self.down, self.up = r, ra * scale, 1, 1
        elif not item.whole_units:  # rate × (figure ÷ unit)
            self.multiplier, self.den, self.down, self.up = r * ub, ra * scale * u, 1, 1
        else:  # rate × floor(figure ÷ unit)
            self.multiplier, self.den, self.down, self.up = r, ra, scale * u, ub

    def units(self, ints: list[int]) -> list[int]:
        if not self.whole:
            return ints
        up, down = self.up, self.down
        return [(x * up) // down for x in ints]


def linear_form(item: Item, ints: list[int], k: int) -> LinearForm | None:
    """The item's integer form for these scaled figures, or None when Decimal's own
    arithmetic might round (so the Decimal path must decide) or the rule has a value
    the integers do not cover (negative rate or cap, a unit ≤ 0)."""
    if item.rate is None or item.unit is None:
        return None
    rate, unit, cap = ratio_of(item.rate), ratio_of(item.unit), ratio_of(item.cap)
    if rate is None or unit is None or cap is None or rate[0] < 0 or unit[0] <= 0 \
            or cap[0] < 0:
        return None
    extra = _terminating(unit[0])
    if extra is None:
        return None
    bound = 10 ** (DIGITS - len(str(rate[0])) - extra)
    if ints and (max(ints) >= bound or -min(ints) >= bound):
        return None
    return LinearForm(item, k, bound)


def linear_centi(item: Item, figures: Sequence[Decimal]) -> list[int] | None:
    """``to_centi(round2(clamp(linear_points(item, f), ZERO, cap)))`` for every figure,
    in integers; None when the column does not pass the exactness checks."""
    got = scaled(figures)
    if got is None:
        return None
    form = linear_form(item, *got)
    if form is None:
        return None
    m, den = form.multiplier, form.den
    c, cd = ratio_of(item.cap) or (0, 1)
    capped, limit, twice = to_centi(item.cap), c * den, 2 * den
    return [0 if n <= 0 or m == 0 else capped if m * n * cd > limit else
            (200 * m * n + den) // twice for n in form.units(got[0])]


def early_centi(item: Item, figures: Sequence[Decimal]) -> list[int] | None:
    """Early completions' points (full + max(exact, 0), capped; SPEC §4.3) in
    centi-points for these figures, or None when they do not pass the checks."""
    got = scaled(figures)
    form = linear_form(item, *got) if got is not None else None
    full, cap = ratio_of(item.full), ratio_of(item.cap)
    if got is None or form is None or full is None or cap is None:
        return None
    (fn, fd), (c, cd), den, m = full, cap, form.den, form.multiplier
    total_d = fd * den
    base, limit, twice, capped = fn * den, c * total_d, 2 * total_d, to_centi(item.cap)
    out = []
    for n in form.units(got[0]):
        total_n = base + fd * max(m * n, 0)
        out.append(0 if total_n <= 0 else capped if total_n * cd > limit else
                   (200 * total_n + total_d) // twice)
    return out
