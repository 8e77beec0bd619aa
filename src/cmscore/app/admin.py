"""`close`, `reopen` and `db backup`: the store's bookkeeping commands."""

from __future__ import annotations

from pathlib import Path

from cmscore.engine.month import check_month
from cmscore.problems import fail
from cmscore.store import db as store


def close_month(month: str, *, db: Path | None = None) -> None:
    check_month(month, "月份")
    db = db or store.default_path()
    with store.locked(db):
        conn = store.connect(db)
        try:
            store.close_month(conn, month)
        finally:
            conn.close()


def reopen_month(month: str, reason: str, *, db: Path | None = None) -> None:
    check_month(month, "月份")
    db = db or store.default_path()
    with store.locked(db):
        conn = store.connect(db)
        try:
            store.reopen_month(conn, month, reason)
        finally:
            conn.close()


def backup_store(target: Path, *, db: Path | None = None) -> Path:
    db = db or store.default_path()
    if not db.exists():
        raise fail(f"历史库 {db} 不存在")
    conn = store.connect(db)
    try:
        store.backup(conn, target)
    finally:
        conn.close()
    return target
