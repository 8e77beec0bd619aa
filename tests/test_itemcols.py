"""The running year-to-date (store.itemcols): month after month, exactly the sum that
schema 9 took over every earlier month's item rows — value, decimal places and, for
figures of 28 significant digits, the same rounding — whatever the figures' places, the
managers present and their order."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.store import itemcols

IDS = ["A", "B", "C", "D"]
figures = st.one_of(st.none(), st.decimals(min_value=-10**6, max_value=10**9, places=2),
                    st.decimals(min_value=0, max_value=10**4, places=8),
                    st.integers(0, 500).map(Decimal),
                    # an NPL ratio: 28 significant digits, so sums round (order matters)
                    st.integers(10**26, 10**28 - 1).map(lambda n: Decimal(n).scaleb(-29)))
month = st.lists(st.tuples(st.sampled_from(IDS), figures), max_size=4,
                 unique_by=lambda t: t[0])


def schema_9_sum(months: list[list[tuple[str, Decimal | None]]]) -> dict[str, Decimal]:
    """store.StoreHistory._load_ytd at 68f2632: millionths summed in SQL, the rest added."""
    micro: dict[str, int] = {}
    for rows in months:
        for cm, f in rows:
            if itemcols.micro(f) is not None:
                micro[cm] = micro.get(cm, 0) + itemcols.micro(f)  # type: ignore[operator]
    out = {cm: Decimal(m).scaleb(-6) for cm, m in micro.items()}
    for rows in months:
        for cm, f in rows:
            if f is not None and itemcols.micro(f) is None:
                out[cm] = out.get(cm, Decimal(0)) + f
    return out


@settings(max_examples=300)
@given(st.lists(month, min_size=1, max_size=5))
def test_running_totals_are_the_sums_of_every_month_so_far(months: list[list[Any]]) -> None:
    running: itemcols.Totals | None = None
    for k, rows in enumerate(months):
        running = itemcols._plus(running, [cm for cm, _ in rows],
                                 [None if f is None else f"{f:f}" for _, f in rows],
                                 [itemcols.micro(f) for _, f in rows])
        got = {cm: itemcols.as_decimal(v) for cm, v in zip(*running, strict=True)}
        want = schema_9_sum(months[:k + 1])
        assert {cm: (v, v.as_tuple().exponent) for cm, v in got.items()} == \
            {cm: (v, v.as_tuple().exponent) for cm, v in want.items()}

