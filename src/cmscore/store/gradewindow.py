"""The window a grading reads (``grade``): every CM scored in its months, with the name,
branch and category of their latest month in it and their total in each month.

A national window is 1.2M managers' months: the totals come from ``month_points`` as
one JSON array a month (``history._columns``), the last month's names, branches and
categories as SQLite's arrays read in a thread beside them (``history.read_beside``).
"""

from __future__ import annotations

import sqlite3
from contextlib import nullcontext
from operator import itemgetter
from pathlib import Path
from typing import Any

from cmscore.engine.grading import Columns, Member
from cmscore.numbers import one_each
from cmscore.store.history import _columns, read_beside
from cmscore.store.paycols import json_arrays

_FIRST = itemgetter(0)
_WHO_SQL = "SELECT cm_id, name, branch, category FROM scores WHERE month = ?"
_WHO = ("cm_id", "name", "branch", "category")
Who = tuple[str, str, str, str]


def _month_who(conn: sqlite3.Connection, month: str) -> list[list[str]]:
    """The ids, names, branches and categories of every CM scored in ``month``, as four
    columns read as SQLite's arrays."""
    return json_arrays(conn, _WHO, _WHO_SQL, (month,))


def _latest_who(conn: sqlite3.Connection, months: list[str], everyone: list[str],
                ids_by_month: dict[str, list[str]], last: list[Who] | None = None
                ) -> dict[str, Who]:
    """CM → (id, name, branch, category) from their latest month among ``months``;
    ``last`` may hold the last month's rows, read already."""
    if months and ids_by_month.get(months[-1]) == everyone:  # the usual case: all in the last
        got = last if last is not None else conn.execute(_WHO_SQL, (months[-1],)).fetchall()
        return dict(zip(map(_FIRST, got), got, strict=True))  # keyed in C: a national month
    who: dict[str, Who] = {}
    left = set(everyone)
    sql = _WHO_SQL
    for month in reversed(months):
        ids = ids_by_month.get(month, [])
        wanted = left.intersection(ids)
        if not wanted:
            continue
        rows: Any = last if last is not None and month == months[-1] else None
        if len(wanted) == len(ids):  # the usual case: the whole month
            got = rows or conn.execute(sql, (month,)).fetchall()
            who.update(zip(map(_FIRST, got), got, strict=True))  # keyed in C: a national month
        elif len(wanted) * 4 > len(ids):
            who.update((r[0], r) for r in rows or conn.execute(sql, (month,))
                       if r[0] in wanted)
        else:  # a few who left the month after: look them up
            chosen = sorted(wanted)
            for k in range(0, len(chosen), 500):
                part = chosen[k:k + 500]
                who.update((r[0], r) for r in conn.execute(
                    f"{sql} AND cm_id IN ({','.join('?' * len(part))})", (month, *part)))
        left -= wanted
        if not left:
            break
    return who


def window_members(conn: sqlite3.Connection, months: list[str],
                   db: Path | None = None) -> list[Member]:
    """Every CM scored in ``months``, in id order, as grading takes them: name, branch and
    category from their latest month in the window, and their total in every month.

    Given the store's path, the last month's names are read beside the totals (read_beside)."""
    return list(zip(*window_columns(conn, months, db), strict=True))


def window_columns(conn: sqlite3.Connection, months: list[str],
                   db: Path | None = None) -> Columns:
    """``window_members`` as five columns (``grading.grade_table``): the ids, names,
    branches and categories, and each CM's totals, without a tuple per CM in between."""
    beside = read_beside(db, lambda c: _month_who(c, months[-1])) \
        if db is not None and months else nullcontext(lambda: None)
    with beside as last:
        everyone, ids_by_month, columns, _ = _columns(conn, months, "total_cp", None)
        who = last()
        # The usual window: everyone in its last month, read in 工号 order, taken as read.
        if who is None or who[0] != everyone:
            latest = _latest_who(conn, months, everyone, ids_by_month,
                                 None if who is None else list(zip(*who, strict=True)))
            who = list(map(list, zip(*map(latest.__getitem__, everyone), strict=True))) \
                or [[], [], [], []]
    ids, names, branches, categories = who
    # A few hundred branches and three categories, each text one object (parsed, each of
    # the 100k was its own): every later pass over them then reads memory the cache holds.
    return (ids, names, one_each(branches), one_each(categories),
            list(zip(*columns, strict=True)))
