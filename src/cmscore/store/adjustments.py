"""Adjustments in the store: the records (never deleted; a revocation is written on the
record) and what each moved in its month as last stored (issue 16)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from cmscore.engine.adjustments import Adjustment, NewAdjustment
from cmscore.engine.scoring import MonthScores
from cmscore.numbers import from_centi, to_centi

_FIELDS = "id, month, cm_id, item, points_cp, reason, basis, approved_by"


def _adjustment(row: tuple[object, ...]) -> Adjustment:
    i, month, cm, item, points, reason, basis, approved = row
    return Adjustment(str(month), str(cm), str(item), from_centi(int(points)),  # type: ignore[call-overload]
                      str(reason), str(basis), str(approved), id=int(i))  # type: ignore[call-overload]


def active(conn: sqlite3.Connection, month: str) -> list[Adjustment]:
    """The month's adjustments in force (not revoked), in the order they were recorded."""
    return [_adjustment(r) for r in conn.execute(
        f"SELECT {_FIELDS} FROM adjustments WHERE month = ? AND revoked_at IS NULL ORDER BY id",
        (month,))]


def file_stored(conn: sqlite3.Connection, sha256: str) -> str | None:
    """When a file with these bytes was recorded already: the time it was."""
    row = conn.execute("SELECT min(created_at) FROM adjustments WHERE file_sha256 = ?",
                       (sha256,)).fetchone()
    return row[0] if row and row[0] else None


def insert(conn: sqlite3.Connection, rows: Iterable[NewAdjustment], file_name: str,
           sha256: str, run_id: int, at: str, who: str) -> list[int]:
    ids = []
    for r in rows:
        got = conn.execute(
            "INSERT INTO adjustments (month, cm_id, item, points_cp, reason, basis, approved_by,"
            " file_name, file_sha256, file_row, run_id, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r.month, r.cm_id, r.item, to_centi(r.points), r.reason, r.basis, r.approved_by,
             file_name, sha256, r.row, run_id, at, who)).lastrowid
        assert got is not None
        ids.append(got)
    return ids


def record(conn: sqlite3.Connection, adjustment_id: int) -> dict[str, object] | None:
    row = conn.execute(
        f"SELECT {_FIELDS}, file_name, created_at, created_by, revoked_at, revoked_by,"
        " revoke_reason FROM adjustments WHERE id = ?", (adjustment_id,)).fetchone()
    if row is None:
        return None
    keys = ("id", "month", "cm_id", "item", "points_cp", "reason", "basis", "approved_by",
            "file_name", "created_at", "created_by", "revoked_at", "revoked_by", "revoke_reason")
    return dict(zip(keys, row, strict=True))


def revoke(conn: sqlite3.Connection, adjustment_id: int, reason: str, run_id: int, at: str,
           who: str) -> None:
    conn.execute("UPDATE adjustments SET revoked_at = ?, revoked_by = ?, revoke_reason = ?,"
                 " revoke_run = ? WHERE id = ?", (at, who, reason, run_id, adjustment_id))


def put_effects(conn: sqlite3.Connection, scores: MonthScores) -> None:
    """Inside the month's transaction: what each adjustment moved as the month is stored."""
    conn.execute("DELETE FROM adjustment_effects WHERE month = ?", (scores.month,))
    conn.executemany(
        "INSERT INTO adjustment_effects VALUES (?, ?, ?, ?, ?)",
        [(scores.month, a.adjustment.id, cm, to_centi(a.applied), a.note)
         for cm, applied in scores.adjustments.items() for a in applied])


def effects_compared(conn: sqlite3.Connection, month: str) -> list[tuple[object, ...]]:
    """What each adjustment moved in the stored month, as ``effects_of`` gives it."""
    return sorted(conn.execute("SELECT adjustment_id, cm_id, applied_cp, note FROM"
                               " adjustment_effects WHERE month = ?", (month,)).fetchall())


def effects_of(scores: MonthScores) -> list[tuple[object, ...]]:
    """What each adjustment moves in a scored month (put_effects stores it)."""
    return sorted((a.adjustment.id, cm, to_centi(a.applied), a.note)
                  for cm, applied in scores.adjustments.items() for a in applied)


def effects(conn: sqlite3.Connection, month: str,
            cm_id: str | None = None) -> dict[str, list[dict[str, object]]]:
    """CM → each adjustment in force in the stored month: what was asked, what it moved."""
    where, args = ("AND e.cm_id = ?", (month, cm_id)) if cm_id else ("", (month,))
    out: dict[str, list[dict[str, object]]] = {}
    for i, cm, item, points, reason, basis, approved, applied, note in conn.execute(
            "SELECT a.id, e.cm_id, a.item, a.points_cp, a.reason, a.basis, a.approved_by,"
            " e.applied_cp, e.note FROM adjustment_effects e JOIN adjustments a"
            f" ON a.id = e.adjustment_id WHERE e.month = ? {where} ORDER BY a.id", args):
        out.setdefault(cm, []).append({
            "id": i, "item": item, "points": from_centi(points), "reason": reason,
            "basis": basis, "approved_by": approved, "applied": from_centi(applied),
            "note": note})
    return out


def history_of(conn: sqlite3.Connection, month: str, cm_id: str) -> list[dict[str, object]]:
    """Every adjustment ever recorded for the CM's month, revoked ones included."""
    keys = ("id", "item", "points", "reason", "basis", "approved_by", "created_at",
            "created_by", "revoked_at", "revoked_by", "revoke_reason")
    return [dict(zip(keys, (r[0], r[1], from_centi(r[2]), *r[3:]), strict=True))
            for r in conn.execute(
                "SELECT id, item, points_cp, reason, basis, approved_by, created_at, created_by,"
                " revoked_at, revoked_by, revoke_reason FROM adjustments"
                " WHERE month = ? AND cm_id = ? ORDER BY id", (month, cm_id))]
