"""A grading's grades as the store keeps them since schema 13: one row of ``grade_columns``
per grading, each field a JSON array over its managers in 工号 order (as ``month_points``
holds a month). A national grading is 100k managers; their rows were only ever read whole.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from operator import attrgetter, itemgetter
from typing import Any

from cmscore.engine.grading import GRADES, Grading
from cmscore.numbers import ByValue, from_centi, to_centi

# The row's fields as Decision fields, in GRADE_FIELDS' order.
_FIELDS = [attrgetter(f) for f in ("id", "name", "branch", "category", "average", "rank",
                                   "grade", "reason", "boundary", "flags")]
_ID = _FIELDS[0]
# grade_columns' fields after the effective month, each a JSON array in 工号 order.
GRADE_FIELDS = ("cm_ids", "names", "branches", "categories", "average_cp", "ranks", "grades",
                "reasons", "boundaries", "flags")


def _array(values: Iterable[object]) -> str:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def grading_row(grading: Grading) -> tuple[str, ...]:
    """The grading's ``grade_columns`` row: its effective month, then GRADE_FIELDS as JSON
    arrays made in C (100k rows took 0.4 s of a national grading to insert). Each field is
    read in the decisions' order, as they lie in memory (rank), and only the references
    put in 工号 order: read in 工号 order, the decisions were a cache miss each, ten times."""
    decisions = grading.decisions
    ids = list(map(_ID, decisions))
    order = sorted(range(len(ids)), key=ids.__getitem__)
    by_id = itemgetter(*order) if len(order) > 1 else lambda column: [column[k] for k in order]
    ordered = [by_id(list(map(field, decisions))) for field in _FIELDS]
    grades = ordered[6]
    if not set(grades) <= set(GRADES):  # what the table's CHECK said before schema 13
        raise ValueError(f"等级只能是 {'、'.join(GRADES)}：{sorted(set(grades) - set(GRADES))}")
    ordered[4] = map(ByValue(to_centi).__getitem__, ordered[4])
    return (grading.effective, *map(_array, ordered))


def grading_columns(conn: sqlite3.Connection, effective: str, *fields: str
                    ) -> list[list[Any]] | None:
    """``fields`` (of GRADE_FIELDS) of the grading effective in ``effective``, each a list
    over its managers in 工号 order; None when there is no such grading."""
    assert fields and set(fields) <= set(GRADE_FIELDS)
    row = conn.execute(f"SELECT {', '.join(fields)} FROM grade_columns"
                       " WHERE effective_month = ?", (effective,)).fetchone()
    return None if row is None else list(map(json.loads, row))


def grades_of(conn: sqlite3.Connection, effective: str) -> dict[str, str]:
    got = grading_columns(conn, effective, "cm_ids", "grades")
    return {} if got is None else dict(zip(*got, strict=True))


def grading_flags(conn: sqlite3.Connection, first: str, last: str
                  ) -> list[tuple[str, str, list[str]]]:
    """(effective month, 工号, flags) of every manager flagged by a grading that took effect
    from ``first`` to ``last``, by effective month and 工号."""
    out: list[tuple[str, str, list[str]]] = []
    for effective, ids, flags in conn.execute(
            "SELECT effective_month, cm_ids, flags FROM grade_columns WHERE effective_month"
            " BETWEEN ? AND ? ORDER BY effective_month", (first, last)):
        out += [(effective, cm, f) for cm, f in zip(json.loads(ids), json.loads(flags),
                                                    strict=True) if f]
    return out


def grade_row(conn: sqlite3.Connection, effective: str, cm_id: str) -> dict[str, object] | None:
    window = conn.execute("SELECT window_start, window_end, pool_size FROM gradings"
                          " WHERE effective_month = ?", (effective,)).fetchone()
    got = grading_columns(conn, effective, "cm_ids", "grades", "reasons", "boundaries",
                          "average_cp", "ranks")
    if window is None or got is None or cm_id not in got[0]:
        return None
    k = got[0].index(cm_id)
    grade, reason, boundary, average, rank = (column[k] for column in got[1:])
    return {"grade": grade, "reason": reason, "boundary": boundary,
            "average": None if average is None else from_centi(average), "rank": rank,
            "start": window[0], "end": window[1], "pool": window[2]}
