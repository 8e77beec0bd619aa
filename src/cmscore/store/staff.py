"""The roster (花名册) in the store: each file recorded whole with who and when; the latest
one is the roster in force. And the months a manager was scored in another category."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from cmscore.engine.staff import Staff


def insert(conn: sqlite3.Connection, rows: Iterable[tuple[int, Staff]], file_name: str,
           sha256: str, sheet: str, run_id: int, at: str, who: str) -> int:
    """Record a roster file (rows: spreadsheet row, manager); it becomes the one in force."""
    file_id = conn.execute(
        "INSERT INTO staff_files (file_name, file_sha256, sheet, run_id, created_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)", (file_name, sha256, sheet, run_id, at, who)).lastrowid
    got = [(file_id, s.id, s.name, s.category, s.branch, s.appointed, s.left, s.status,
            json.dumps(sorted(s.leave)), row) for row, s in rows]
    conn.executemany("INSERT INTO staff (file_id, cm_id, name, category, branch, appointed,"
                     " left_on, status, leave, file_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     got)
    return len(got)


def in_force(conn: sqlite3.Connection) -> tuple[str, str, dict[str, Staff]] | None:
    """The latest roster: (file name, when recorded, CM → Staff), or None if none."""
    latest = conn.execute("SELECT id, file_name, created_at FROM staff_files"
                          " ORDER BY id DESC LIMIT 1").fetchone()
    if latest is None:
        return None
    people = {cm_id: Staff(cm_id, name, category, branch, appointed, left, status,
                           frozenset(json.loads(leave)))
              for cm_id, name, category, branch, appointed, left, status, leave in conn.execute(
                  "SELECT cm_id, name, category, branch, appointed, left_on, status, leave"
                  " FROM staff WHERE file_id = ?", (latest[0],))}
    return latest[1], latest[2], people


def categories(conn: sqlite3.Connection, months: list[str]) -> dict[str, dict[str, str]]:
    """CM → month → category, for the CMs scored in more than one category in ``months``.

    From ``month_points`` (one row a month, its ids and categories as JSON arrays): the
    usual window — the same managers in the same categories every month — is one
    comparison of texts, where a pass over the window's score rows took a second at 100k."""
    marks = ",".join("?" * len(months))
    where = f"FROM month_points WHERE month IN ({marks})"
    # Compared in SQLite, which holds no GIL (`grade` asks beside its other reads).
    if conn.execute(f"SELECT COUNT(*) FROM (SELECT DISTINCT cm_ids, category {where})",
                    months).fetchone()[0] <= 1:
        return {}
    rows = conn.execute(f"SELECT month, cm_ids, category {where} ORDER BY month",
                        months).fetchall()
    first: dict[str, str] = {}
    moved: set[str] = set()
    pairs = [(month, list(zip(json.loads(ids), json.loads(cats), strict=True)))
             for month, ids, cats in rows]
    for _, people in pairs:
        for cm, category in people:
            if first.setdefault(cm, category) != category:
                moved.add(cm)
    out: dict[str, dict[str, str]] = {cm: {} for cm in sorted(moved)}
    for month, people in pairs:
        for cm, category in people:
            if cm in out:
                out[cm][month] = category
    return out
