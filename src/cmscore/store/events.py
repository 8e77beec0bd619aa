"""第十六条 events in the store (issue 16): recorded with who, when and the file, never
changed; read per manager by date."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from cmscore.engine.events import Event


def file_stored(conn: sqlite3.Connection, sha256: str) -> str | None:
    row = conn.execute("SELECT min(created_at) FROM events WHERE file_sha256 = ?",
                       (sha256,)).fetchone()
    return row[0] if row and row[0] else None


def insert(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str, str, int]],
           file_name: str, sha256: str, run_id: int, at: str, who: str) -> int:
    """rows: (cm_id, date, kind, description, source, file row)."""
    got = [(*r, file_name, sha256, run_id, at, who) for r in rows]
    conn.executemany(
        "INSERT INTO events (cm_id, date, kind, description, source, file_row, file_name,"
        " file_sha256, run_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        got)
    return len(got)


def of(conn: sqlite3.Connection, until: str, cm_id: str | None = None) -> dict[str, list[Event]]:
    """CM → their events dated on or before the end of month ``until``, by date: every
    manager's (events are few), or only ``cm_id``'s."""
    where, args = ("AND cm_id = ?", (until, cm_id)) if cm_id else ("", (until,))
    out: dict[str, list[Event]] = {cm_id: []} if cm_id else {}
    for row in conn.execute(
            "SELECT id, cm_id, date, kind, description, source FROM events"
            f" WHERE substr(date, 1, 7) <= ? {where} ORDER BY date, id", args):
        out.setdefault(row[1], []).append(Event(*row))
    return out
