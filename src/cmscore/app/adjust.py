"""`adjust`: record adjustments (or revoke one) and recompute the months they touch (issue 16).

An adjustment changes its month's totals, so it rides on the corrections' machinery
(``cascade``): the month is re-scored from its stored raw figures with its adjustments
in force, stored under a new run, and whatever depends on it follows in the same
transaction (later months, stale gradings, a paid month's difference as a restatement).
A closed month refuses them until reopened.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from cmscore.app import cascade
from cmscore.app.common import sha256_of, writing
from cmscore.engine.adjustments import TOTAL, NewAdjustment
from cmscore.engine.results import Restated
from cmscore.inputs.adjustments import COLUMNS, read_adjustments
from cmscore.numbers import to_centi
from cmscore.problems import InputError, Problem, fail
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import adjustments as records
from cmscore.store import db as store
from cmscore.store import restate


@dataclass
class AdjustResult:
    ids: list[int]
    months: list[str]
    restated: list[Restated] = field(default_factory=list)  # later months' totals
    paid: list[str] = field(default_factory=list)  # paid months whose difference is restated


def _check_against_store(conn: sqlite3.Connection, rows: list[NewAdjustment], rules: RuleSet,
                         file: str, sheet: str, problems: list[Problem]) -> None:
    """Every row's month is scored and open, its 工号 scored in it and its item in the
    manager's table: with the file's own ``problems``, all at once, in row order."""
    problems = list(problems)
    months = set(store.stored_months(conn))
    for r in rows:
        def bad(key: str, message: str, r: NewAdjustment = r) -> None:
            problems.append(Problem(message, file=file, sheet=sheet, row=r.row,
                                    column=COLUMNS[key]))
        if r.month not in months:
            bad("month", f"{r.month} 尚未计分：请先 cmscore score 该月的导出文件")
            continue
        if store.closed(conn, r.month):
            bad("month", f"{r.month} 已结账，不能调整；确需调整请先 cmscore reopen {r.month} "
                         "--reason \"…\"")
            continue
        found = conn.execute("SELECT category FROM scores WHERE month = ? AND cm_id = ?",
                             (r.month, r.cm_id)).fetchone()
        if found is None:
            bad("id", f"{r.month} 没有工号 {r.cm_id} 的计分记录：请核对工号和月份")
            continue
        table = rules.tables.get(found[0])
        if r.item != TOTAL and (table is None or r.item not in {i.id for i in table.items}):
            bad("item", f"工号 {r.cm_id} 属于{found[0]}，其计分表中没有项目 {r.item}：请核对项目，"
                        "或写 总分")
    if problems:
        raise InputError(sorted(problems, key=lambda p: p.row or 0))


def _recompute(conn: sqlite3.Connection, month: str, rules: RuleSet, why: str,
               result: AdjustResult) -> None:
    """Inside the transaction: ``month`` again with its adjustments, and what follows."""
    old = cascade.totals(conn, month)
    scores = cascade.rescore_stored(conn, month, rules)
    record = store.run_record(conn, month) or {}
    run_id = store.put_month(conn, scores, store.RunRecord(
        "score", month, str(record.get("file_name") or ""), str(record.get("file_sha256") or ""),
        rules.hashes, started_at=store.RunRecord.now(), note=why))
    changed = old != {s.manager.id: to_centi(s.total) for s in scores.scores}
    result.restated += cascade.after_correction(conn, month, rules, run_id, changed, f"{month} 调整")
    if changed and restate.paid(conn, month):
        result.paid.append(month)


def _audit(conn: sqlite3.Connection, action: str, month: str, reason: str) -> None:
    conn.execute("INSERT INTO audit (at, who, action, month, reason) VALUES (?, ?, ?, ?, ?)",
                 (store.RunRecord.now(), store.current_user(), action, month, reason))


def adjust_file(path: Path, *, db: Path | None = None,
                rules_dir: Path | None = None) -> AdjustResult:
    """Record every adjustment of ``path`` and recompute their months; nothing is stored
    when any row has a problem."""
    rules = load_rules(rules_dir)
    read = read_adjustments(path, rules)
    sha = sha256_of(path)
    with writing(db) as conn:
        when = records.file_stored(conn, sha)
        if when:
            raise fail(f"这个调整文件（内容相同）已于 {when} 导入，不再重复导入；"
                       "如需撤销其中某条请用 cmscore adjust --revoke 编号 --reason \"…\"",
                       file=path.name)
        _check_against_store(conn, read.rows, rules, read.file, read.sheet, read.problems)
        months = sorted({r.month for r in read.rows})
        with store.transaction(conn):
            run_id = store.insert_run(conn, store.RunRecord(
                "adjust", months[0], path.name, sha, rules.hashes,
                started_at=store.RunRecord.now(), note=f"调整 {len(read.rows)} 条"))
            ids = records.insert(conn, read.rows, path.name, sha, run_id,
                                 store.RunRecord.now(), store.current_user())
            result = AdjustResult(ids, months)
            # Latest month first: an adjustment moves points, not figures, so recomputing a
            # month changes no later one — but its cascade re-scores the later months, and
            # a later month not yet recomputed would be restated under this month's name.
            for month in sorted(months, reverse=True):
                mine = [i for i, r in zip(ids, read.rows, strict=True) if r.month == month]
                why = f"调整 {'、'.join(map(str, mine))}（{path.name}，运行 {run_id}）"
                _audit(conn, "adjust", month, why)
                _recompute(conn, month, rules, why, result)
    return result


def revoke(adjustment_id: int, reason: str, *, db: Path | None = None,
           rules_dir: Path | None = None) -> AdjustResult:
    """Revoke one adjustment (it stays in the history, marked) and recompute its month."""
    if not reason.strip():
        raise fail("撤销调整必须写明原因（--reason）")
    rules = load_rules(rules_dir)
    with writing(db) as conn:
        # An id beyond SQLite's integers (a mistyped number) is no adjustment either.
        got = records.record(conn, adjustment_id) if 0 < adjustment_id < 2**63 else None
        if got is None:
            raise fail(f"没有编号为 {adjustment_id} 的调整；编号见 cmscore explain 或 "
                       "show --json 的 adjustments")
        month = str(got["month"])
        if got["revoked_at"]:
            raise fail(f"调整 {adjustment_id} 已于 {got['revoked_at']} 由 {got['revoked_by']} "
                       f"撤销（{got['revoke_reason']}），无需再次撤销")
        store.refuse_if_closed(conn, month, "撤销调整")
        with store.transaction(conn):
            run_id = store.insert_run(conn, store.RunRecord(
                "adjust-revoke", month, "", "", rules.hashes,
                started_at=store.RunRecord.now(), note=reason.strip()))
            records.revoke(conn, adjustment_id, reason.strip(), run_id,
                           store.RunRecord.now(), store.current_user())
            why = f"撤销调整 {adjustment_id}：{reason.strip()}（运行 {run_id}）"
            _audit(conn, "revoke-adjustment", month, why)
            result = AdjustResult([adjustment_id], [month])
            _recompute(conn, month, rules, why, result)
    return result
