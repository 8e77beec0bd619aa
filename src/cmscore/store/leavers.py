"""Who left during the year: the one place the risk-fund ledger asks (SPEC §4.5, issue 15).

Without a roster file cmscore can only infer it from the exports (据导出推断): a manager
with risk fund accrued this year who is not scored in the pay month has left, as of his
last scored month. The roster in force (``cmscore roster``) comes first where it names
him: his 离职日期, or leave (休假) in the pay month, which is not leaving.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import replace

from cmscore.engine.pay import Leaver
from cmscore.store import staff

CHUNK = 500  # ids per IN (...) list, well under SQLite's bound on parameters


def leavers(conn: sqlite3.Connection, month: str,
            candidates: Iterable[str] | None = None) -> dict[str, Leaver]:
    """Managers with risk-fund points accrued in ``month``'s year before it and not scored
    in ``month``, each with name, 机构 and 类别 of his last scored month.

    ``candidates``: ids known to be absent from ``month`` (the payroll has them from its
    own reads: a national year is 1.2M rows, and finding them here takes a second)."""
    start = f"{month[:4]}-01"
    if candidates is None:
        candidates = [cm for (cm,) in conn.execute(
            "SELECT cm_id FROM scores WHERE month >= ? AND month < ? AND risk_fund_cp != 0"
            " EXCEPT SELECT cm_id FROM scores WHERE month = ?", (start, month, month))]
    gone = sorted(candidates)
    out: dict[str, Leaver] = {}
    for k in range(0, len(gone), CHUNK):
        part = gone[k:k + CHUNK]
        # With one max() SQLite takes the bare columns from the row that holds it.
        for cm, name, branch, category, last in conn.execute(
                "SELECT cm_id, name, branch, category, max(month) FROM scores WHERE month >= ?"
                f" AND month < ? AND cm_id IN ({','.join('?' * len(part))}) GROUP BY cm_id"
                " HAVING sum(risk_fund_cp != 0) > 0", (start, month, *part)):
            out[cm] = Leaver(cm, name, branch, category, last)
    return from_roster(conn, month, out)


def from_roster(conn: sqlite3.Connection, month: str, gone: dict[str, Leaver]
                ) -> dict[str, Leaver]:
    """The roster in force, where it names them, before the inference: a 离职日期 by the
    end of ``month`` is said as such, a 休假 month is leave (his fund is not 扣收)."""
    roster = staff.in_force(conn) if gone else None
    if roster is None:
        return gone
    people = roster[2]
    for cm, who in gone.items():
        if (s := people.get(cm)) is None:
            continue
        if s.left_by(month):
            gone[cm] = replace(who, source="花名册", left_on=s.left)
        elif month in s.leave:
            gone[cm] = replace(who, source="花名册", on_leave=month)
    return gone


def previous_in_year(conn: sqlite3.Connection, month: str) -> str | None:
    """The latest stored month of ``month``'s year before it (a gap may lie between)."""
    row = conn.execute("SELECT max(month) FROM months WHERE month >= ? AND month < ?",
                       (f"{month[:4]}-01", month)).fetchone()
    return row[0] if row else None


def gone_before(conn: sqlite3.Connection, month: str, now: dict[str, Leaver]
                ) -> dict[str, Leaver]:
    """``leavers`` as of the year's previous stored month: those of ``now`` gone since
    before it, and those scored in ``month`` but not in it (back after a gap)."""
    previous = previous_in_year(conn, month)
    if previous is None:
        return {}
    back = [cm for (cm,) in conn.execute(
        "SELECT cm_id FROM scores WHERE month = ? EXCEPT SELECT cm_id FROM scores WHERE month = ?",
        (month, previous))]
    return {**{cm: who for cm, who in now.items() if who.last_month < previous},
            **leavers(conn, previous, back)}
