"""Which workbook each run wrote, and its SHA-256: the store is the truth of a month and
the workbook its view, so the store says which file that view is.

``outputs.files`` writes a run's workbook to a temp file, has it recorded here in the
run's own transaction and moves it into place after COMMIT. A run killed in between
leaves the record unplaced; the next command that opens the store to write puts the
workbook in place (``settle``, from ``db.connect``), or says it is missing.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

from cmscore.problems import notify


@dataclass(frozen=True)
class Written:
    run_id: int
    command: str
    month: str
    path: str
    sha256: str
    temp: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record(conn: sqlite3.Connection, path: str, sha256: str, temp: str,
           run_id: int | None = None) -> int:
    """Inside the run's transaction: run ``run_id`` (default: the run just inserted) wrote
    ``path``, now waiting complete at ``temp``. Returns the run's id. A correction's
    cascade inserts runs of its own after the one that wrote, hence ``run_id``."""
    if run_id is None:
        (run_id,) = conn.execute("SELECT max(id) FROM runs").fetchone()
    # OR REPLACE: ``show MONTH --write`` writes a month's workbook again for the same run.
    conn.execute("INSERT OR REPLACE INTO workbooks (run_id, path, sha256, temp) VALUES (?, ?, ?, ?)",
                 (run_id, path, sha256, temp))
    return int(run_id)


def mark_placed(conn: sqlite3.Connection, run_id: int, path: str) -> None:
    """The workbook is in place. Best effort: if even this cannot be written (a full
    disk), the next run finds the file in place with its hash and marks it then."""
    try:
        conn.execute("UPDATE workbooks SET placed = 1 WHERE run_id = ? AND path = ?",
                     (run_id, path))
    except sqlite3.Error:
        pass


def place(tmp: Path, target: Path) -> None:
    """Move the finished ``tmp`` over ``target``: a file it replaces keeps its mode, a new
    one keeps the temp file's 0600."""
    try:
        os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
    except FileNotFoundError:
        pass
    os.replace(tmp, target)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def settle(conn: sqlite3.Connection) -> None:
    """Put in place every workbook an earlier run stored but did not place (killed after
    COMMIT), and say where the store and a workbook still disagree."""
    for w in _unplaced(conn):
        target, tmp = Path(w.path), Path(w.temp)
        if _digest(target) == w.sha256:  # placed; the run ended before saying so
            mark_placed(conn, w.run_id, w.path)
            continue
        if _digest(tmp) == w.sha256:
            try:
                place(tmp, target)
            except OSError as exc:
                notify(f"{w.command} {w.month} 已存入历史库，但它的工作簿仍未能放到 {target}："
                       f"{exc.strerror}；写好的工作簿在 {tmp}")
                continue
            mark_placed(conn, w.run_id, w.path)
            notify(f"已把 {w.command} {w.month} 的工作簿放到 {target}（上次运行存入历史库后、"
                   "放置工作簿前中断）")
            continue
        # A month's workbook is written again from the store; a grading's or a payroll's
        # by running the command again with --replace.
        again = (f"cmscore {w.command} --replace" if w.command != "score"
                 else f"cmscore publish {w.month}" if target.name.startswith("公示-")
                 else f"cmscore show {w.month} --write")
        notify(f"{target} 不是 {w.command} {w.month} 存入历史库时写出的工作簿（那次运行在放置"
               f"工作簿前中断，写好的文件已不在）；请用 {again} 重新生成它")


def _unplaced(conn: sqlite3.Connection) -> list[Written]:
    """The newest workbook of each path, where its run ended before moving it into place."""
    return [Written(*row) for row in conn.execute(
        "SELECT w.run_id, r.command, r.month, w.path, w.sha256, w.temp FROM workbooks w"
        " JOIN runs r ON r.id = w.run_id WHERE w.placed = 0"
        " AND w.run_id = (SELECT max(run_id) FROM workbooks WHERE path = w.path)"
        " ORDER BY w.run_id")]


def _digest(path: Path) -> str | None:
    try:
        return sha256_of(path) if path.is_file() else None
    except OSError:
        return None
