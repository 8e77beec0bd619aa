"""`close`, `reopen`, `db backup` and `db migrate`: the store's bookkeeping commands."""

from __future__ import annotations

from pathlib import Path

from cmscore.app.common import existing_store
from cmscore.engine.month import check_month
from cmscore.problems import fail
from cmscore.store import access
from cmscore.store import db as store


def close_month(month: str, *, db: Path | None = None) -> None:
    check_month(month, "月份")
    db = existing_store(db)
    with store.locked(db):
        conn = store.connect(db)
        try:
            store.close_month(conn, month)
        finally:
            conn.close()


def reopen_month(month: str, reason: str, *, db: Path | None = None) -> None:
    check_month(month, "月份")
    db = existing_store(db)
    with store.locked(db):
        conn = store.connect(db)
        try:
            store.reopen_month(conn, month, reason)
        finally:
            conn.close()


def backup_store(target: Path, *, db: Path | None = None) -> Path:
    conn = access.open_read(existing_store(db))
    try:
        store.backup(conn, target)
    finally:
        conn.close()
    return target


def migrate_store(*, db: Path | None = None) -> tuple[int, int]:
    """Bring the store's schema up to this version (the commands that write do it on
    their own; those that only read never do). Returns the versions before and after."""
    db = db or store.default_path()
    if not db.exists():
        raise fail(f"历史库 {db} 不存在")
    with store.locked(db):
        before = access.schema_version(db)
        store.connect(db).close()
        return before, access.schema_version(db)
