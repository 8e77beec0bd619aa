"""`events`: record the 第十六条 events of a file and say whom they bring to 第十六条."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmscore.app.common import sha256_of, writing
from cmscore.engine.events import warnings
from cmscore.inputs.events import COLUMNS, read_events
from cmscore.problems import InputError, Problem, fail
from cmscore.rules.ruleset import load_rules
from cmscore.store import db as store
from cmscore.store import events as records


@dataclass
class EventsResult:
    count: int
    # CM → (name, the month looked at: the latest event's, the warnings as of it)
    warnings: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)


def record_events(path: Path, *, db: Path | None = None,
                  rules_dir: Path | None = None) -> EventsResult:
    """Store every event of ``path`` (nothing while any row has a problem); its 工号 are
    padded as the export's are (export.yaml's id_width)."""
    read = read_events(path, id_width=load_rules(rules_dir).export.id_width)
    sha = sha256_of(path)
    with writing(db) as conn:
        when = records.file_stored(conn, sha)
        if when:
            raise fail(f"这个事件文件（内容相同）已于 {when} 导入，不再重复导入", file=path.name)
        names = dict(conn.execute("SELECT cm_id, name FROM scores GROUP BY cm_id"))
        problems = list(read.problems)
        problems += [Problem(f"历史库中没有工号 {r.cm_id} 的计分记录：请核对工号",
                             file=read.file, sheet=read.sheet, row=r.row, column=COLUMNS["id"])
                     for r in read.rows if r.cm_id not in names]
        if problems:
            raise InputError(sorted(problems, key=lambda p: p.row or 0))
        with store.transaction(conn):
            months = sorted({r.date[:7] for r in read.rows})
            run_id = store.insert_run(conn, store.RunRecord(
                "events", months[-1], path.name, sha, {}, started_at=store.RunRecord.now(),
                note=f"第十六条事件 {len(read.rows)} 条"))
            count = records.insert(
                conn, [(r.cm_id, r.date, r.kind, r.description, r.source, r.row)
                       for r in read.rows], path.name, sha, run_id, store.RunRecord.now(),
                store.current_user())
        result = EventsResult(count)
        latest: dict[str, str] = {}
        for r in read.rows:
            latest[r.cm_id] = max(latest.get(r.cm_id, ""), r.date[:7])
        for cm, month in sorted(latest.items()):
            said = warnings(records.of(conn, month, cm)[cm], month)
            if said:
                result.warnings[cm] = (names[cm], month, said)
    return result
