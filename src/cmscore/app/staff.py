"""`roster` (and `grade --roster`): record the 花名册 — 任职日期, 离职日期, 状态, 休假月份 —
which grading then reads from the store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cmscore.app.common import sha256_of, writing
from cmscore.engine.staff import Staff
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
    warnings: list[str] = field(default_factory=list)  # where it disagrees with the exports


def read_checked(path: Path, rules: RuleSet) -> RosterFile:
    """The roster's rows, or every problem of the file at once (nothing stored)."""
    read = read_roster(path, rules)
    if read.problems:  # row by row, as a clerk fixes them
        raise InputError(sorted(read.problems, key=lambda p: p.row or 0))
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
                       sum(1 for s in people if s.leave), against_exports(conn, people))


def few(names: list[str], most: int = 10) -> str:
    """The first ``most`` of ``names`` for a message line, then 「等」."""
    return "、".join(names[:most]) + (" 等" if len(names) > most else "")


def against_exports(conn: sqlite3.Connection, people: list[Staff]) -> list[str]:
    """Where the roster and the stored exports disagree — said, not refused: a roster may
    be registered before a month is scored. A mistyped 工号 would otherwise silently take
    a manager's leave months away (his grade falls) and give them to nobody."""
    scored = {cm: (first, last) for cm, first, last in conn.execute(
        "SELECT cm_id, min(month), max(month) FROM scores GROUP BY cm_id")}
    latest = store.latest_month(conn)
    out = []
    never = sorted(s.id for s in people if s.id not in scored)
    if never and scored:
        out.append(f"花名册中 {len(never)} 个工号从未计分（{few(never)}）：请核对工号（是否丢了"
                   "前导零、是否录错）")
    named = {s.id for s in people}
    missing = sorted(cm for cm, (_, last) in scored.items() if last == latest and cm not in named)
    if missing:
        out.append(f"最近计分月份 {latest} 有 {len(missing)} 名客户经理不在花名册中（{few(missing)}）："
                   "其休假、离职无从得知")
    after = [f"{s.id}（离职日期 {s.left}，{scored[s.id][1]} 仍有计分）" for s in people
             if s.left and s.id in scored and scored[s.id][1] > s.left[:7]]
    if after:
        out.append(f"{len(after)} 人离职日期早于最后计分月份（{few(after)}）：请核对离职日期")
    return out


def record_roster(path: Path, *, db: Path | None = None,
                  rules_dir: Path | None = None) -> StaffResult:
    read = read_checked(path, load_rules(rules_dir))
    with writing(db) as conn:
        return store_roster(conn, read, path)
