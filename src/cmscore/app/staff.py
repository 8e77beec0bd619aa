"""`roster` (and `grade --roster`): record the 花名册 — 任职日期, 离职日期, 状态, 休假月份 —
which grading then reads from the store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cmscore.app.common import sha256_of, writing
from cmscore.inputs.roster import RosterFile, read_roster
from cmscore.problems import InputError
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import db as store
from cmscore.store import staff as records


@dataclass
class StaffResult:
    file: str
    count: int
    left: int  # with a 离职日期
    on_leave: int  # with months of leave


def read_checked(path: Path, rules: RuleSet) -> RosterFile:
    """The roster's rows, or every problem of the file at once (nothing stored)."""
    read = read_roster(path, rules)
    if read.problems:
        raise InputError(read.problems)
    return read


def store_roster(conn: sqlite3.Connection, read: RosterFile, path: Path) -> StaffResult:
    """Record ``read`` as the roster in force, under a run of its own."""
    with store.transaction(conn):
        run_id = store.insert_run(conn, store.RunRecord(
            "roster", store.latest_month(conn), path.name, sha256_of(path), {},
            started_at=store.RunRecord.now(), note=f"花名册 {len(read.rows)} 人"))
        count = records.insert(conn, read.rows, path.name, sha256_of(path), read.sheet, run_id,
                               store.RunRecord.now(), store.current_user())
    people = [s for _, s in read.rows]
    return StaffResult(path.name, count, sum(1 for s in people if s.left),
                       sum(1 for s in people if s.leave))


def record_roster(path: Path, *, db: Path | None = None,
                  rules_dir: Path | None = None) -> StaffResult:
    read = read_checked(path, load_rules(rules_dir))
    with writing(db) as conn:
        return store_roster(conn, read, path)
