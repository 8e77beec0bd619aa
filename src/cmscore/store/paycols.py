"""The year's risk-fund points per manager, summed per span, in the usual case of a year
whose months all hold the same managers (``history.accruals``; the general case is
``history._columns``).

A national year before December is eleven months of 100k managers: ``month_points``
holds each month as JSON arrays in 工号 order, so when the months' id arrays are the same
text, the managers are the same, in the same order, and a span's sums are its columns
added position by position. The part accrued outside the grade pool then needs each
month's categories only where they differ from month to month: with the same categories
all year it is the span's sum where the category is outside, 0 elsewhere. Both are exact
integer sums, equal to the general path's (a test compares them).

The month's pay rows are read as columns too, through ``json_arrays``, which the grading
window's read of names (``gradewindow``) shares.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from operator import mul
from typing import Any


def span_sums(conn: sqlite3.Connection, months: list[str], spans: list[list[int]],
              inside: Collection[str], then: str | None = None
              ) -> tuple[list[str], list[list[int]], list[list[int]], bool] | None:
    """(ids, per span the points of each id, per span the part outside ``inside``, whether
    the month ``then`` holds exactly these managers) over ``months`` (each span: indexes
    into ``months``), or None when the months do not all hold the same managers (or one
    has no stored row): the general path reads them."""
    if not months:
        return None
    marks = ",".join("?" * len(months))
    # SQLite compares the months' id and category arrays (1 MB each at 100k, and holds no
    # GIL while it does): only the first month's ids and categories, each month's points
    # and a month's categories where they differ from the first month's come to Python.
    same, count = conn.execute(f"SELECT count(DISTINCT cm_ids), count(*) FROM month_points"
                               f" WHERE month IN ({marks})", months).fetchone()
    if (same, count) != (1, len(months)):
        return None
    ids_text, first, kept = conn.execute(
        "SELECT cm_ids, category, coalesce((SELECT cm_ids FROM month_points WHERE month = ?)"
        " = cm_ids, 0) FROM month_points WHERE month = ?", (then, months[0])).fetchone()
    rows = {month: (values, categories or first) for month, values, categories in conn.execute(
        "SELECT month, risk_fund_cp, nullif(category, ?) FROM month_points"
        f" WHERE month IN ({marks})", (first, *months))}
    ids: list[str] = json.loads(ids_text)
    flags: dict[str, list[int]] = {}  # categories as stored → 1 outside the pool, else 0

    def outside_of(categories: str) -> list[int]:
        if categories not in flags:  # month after month the same text: parsed once
            names = json.loads(categories)
            flag = {c: int(c not in inside) for c in set(names)}  # a few categories
            flags[categories] = list(map(flag.__getitem__, names))
        return flags[categories]

    points: list[list[int]] = []
    outside: list[list[int]] = []
    for span in spans:
        # Each month's points and, where they differ from the first month's, categories.
        values = [json.loads(rows[months[k]][0]) for k in span]
        texts = [rows[months[k]][1] for k in span]
        points.append(_added(values))
        if len(set(texts)) == 1:  # one set of categories all span long
            outside.append(list(map(mul, points[-1], outside_of(texts[0]))))
        else:
            outside.append(_added([list(map(mul, v, outside_of(t)))
                                   for v, t in zip(values, texts, strict=True)]))
    # The same text is the same managers in the same order: none of them has left.
    return ids, points, outside, bool(kept)


class PayColumns(tuple[list[Any], ...]):
    """A month's pay rows as the seven columns of ``history.PayRow`` (id, name, branch,
    category, total, risk fund, NPL ratio), in the scores workbook's order."""

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*self, strict=True))


def json_arrays(conn: sqlite3.Connection, fields: tuple[str, ...], query: str,
                params: tuple[object, ...]) -> list[list[Any]]:
    """Each field of ``query``'s rows (it selects ``fields``, in its order) as a list, read
    as one JSON array built by SQLite: read beside other work, a row at a time took the
    GIL back from it a hundred thousand times (0.15 s); SQLite's arrays hold no GIL."""
    arrays = ", ".join(f"json_group_array({f})" for f in fields)
    return list(map(json.loads, conn.execute(f"SELECT {arrays} FROM ({query})", params)
                    .fetchone()))


PAY_FIELDS = ("cm_id", "name", "branch", "category", "total_cp", "risk_fund_cp", "npl_ratio")


def pay_columns(conn: sqlite3.Connection, month: str) -> PayColumns:
    """``history.pay_rows`` as columns: each field one JSON array built by SQLite, which
    holds no GIL (read beside others), parsed into a list and left a list — the payroll
    works a column at a time, and 100k rows zipped and unzipped again took 0.03 s."""
    return PayColumns(json_arrays(conn, PAY_FIELDS, f"SELECT {', '.join(PAY_FIELDS)} FROM "
                                  "scores WHERE month = ? ORDER BY category, rank, cm_id",
                                  (month,)))


def _added(columns: list[list[int]]) -> list[int]:
    """The columns' sums position by position, each in a C loop."""
    return list(map(sum, zip(*columns, strict=True)))
