"""The year's assigned tasks (任务下达, issue 15) as stored: every month of the year —
scored, re-scored by a cascade, explained — reads the same tasks from here."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from cmscore.engine.tasks import Tasks

Row = tuple[str, str, str, str]  # (scope 工号/机构, key, item id, task text)


def stored(conn: sqlite3.Connection, year: str) -> list[Row]:
    return [tuple(r) for r in conn.execute(  # type: ignore[misc]
        "SELECT scope, key, item_id, task FROM tasks WHERE year = ? ORDER BY scope, key, item_id",
        (year,))]


def source(conn: sqlite3.Connection, year: str) -> tuple[str, int] | None:
    """The file the year's tasks came from and the run that stored them."""
    row = conn.execute("SELECT file_name, run_id FROM tasks WHERE year = ? LIMIT 1",
                       (year,)).fetchone()
    return (str(row[0] or ""), int(row[1])) if row else None


def year_tasks(conn: sqlite3.Connection, year: str) -> Tasks | None:
    rows = stored(conn, year)
    if not rows:
        return None
    found = source(conn, year)
    return tasks_of(rows, found[0] if found else "")


def tasks_of(rows: list[Row], file: str) -> Tasks:
    by_cm = {(key, item): Decimal(task) for scope, key, item, task in rows if scope == "工号"}
    by_branch = {(key, item): Decimal(task) for scope, key, item, task in rows
                 if scope == "机构"}
    return Tasks(by_cm, by_branch, file)


def save(conn: sqlite3.Connection, year: str, rows: list[Row], file: tuple[str, str],
         run_id: int) -> None:
    """Replace the year's tasks (inside the caller's transaction); ``file``: its name and
    SHA-256."""
    conn.execute("DELETE FROM tasks WHERE year = ?", (year,))
    conn.executemany("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [(year, *row, *file, run_id) for row in rows])
