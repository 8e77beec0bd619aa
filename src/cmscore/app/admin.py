"""`close`, `reopen` and `db backup`: the store's bookkeeping commands."""

from __future__ import annotations

from pathlib import Path

from cmscore.app.common import existing_store
from cmscore.engine.month import check_month
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
    db = existing_store(db)
    conn = store.connect(db)
    try:
        store.backup(conn, target)
    finally:
        conn.close()
    return target
