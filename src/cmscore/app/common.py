"""What every command of the app layer shares: file hashes, the read-only store, the months a command needs, and no garbage collection while a national month is built."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cmscore.outputs.files import stored_workbook
from cmscore.problems import fail
from cmscore.store import db as store
from cmscore.store.access import open_read
from cmscore.store.workbooks import sha256_of as sha256_of


def existing_store(db: Path | None) -> Path:
    """The store a command works on that needs months already scored: reading never
    creates a store, nor its lock file, where none was (a mistyped --db left both)."""
    path = db or store.default_path()
    if not path.is_file():
        raise fail(f"历史库 {path} 不存在；请先运行 cmscore score 计分，或用 --db"
                   "（或 cmscore.toml 的 db）指向已有的历史库")
    return path


def open_read_only(db: Path) -> sqlite3.Connection | None:
    """The store for reading, without creating it (``check`` must write nothing)."""
    if not db.exists():
        return None
    return open_read(db)


@contextmanager
def writing(db: Path | None) -> Iterator[sqlite3.Connection]:
    """An existing store (``db`` or the default; never created here, as ``existing_store``),
    locked for the whole run and opened to write."""
    path = existing_store(db)
    with store.locked(path):
        conn = store.connect(path)
        try:
            yield conn
        finally:
            conn.close()


@contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a command builds a national month's or year's
    objects: they hold no cycles (a 100k score run: 6 full passes collected nothing), and
    the passes cost ~0.5 s a grade or payroll run and ~1 s of a score run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def require_months(conn: sqlite3.Connection, months: list[str], why: str) -> None:
    stored = set(store.stored_months(conn))
    missing = [m for m in months if m not in stored]
    if missing:
        raise fail(f"{why}需要的月份尚未计分：{'、'.join(missing)}；请先 cmscore score 这些月份"
                   f"（已计分：{'、'.join(sorted(stored)) or '无'}）")


def rewrite_recorded(db: Path, month: str, target: Path,
                     write: Callable[[Path], object]) -> Path:
    """Write a stored month's workbook again (``write`` fills the temp file) and record it
    as the workbook of the month's current run, so the store and the file agree again:
    ``show MONTH --write`` and ``publish`` after a cascade or a lost file."""
    with store.locked(db):
        conn = store.connect(db)
        try:
            (run_id,) = conn.execute("SELECT run_id FROM months WHERE month = ?",
                                     (month,)).fetchone()
            with stored_workbook(conn, target) as book:
                write(book.tmp)
                book.run_id = run_id
                with store.transaction(conn, book.ready(lambda: None)):
                    pass  # the transaction records the finished workbook and its hash
        finally:
            conn.close()
    return target
