"""`grade`: grade the pool over a window of stored months; store the grading and write its workbook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cmscore.app.common import existing_store, no_gc, require_months
from cmscore.engine.grading import (
    Grading,
    grade_members,
    month_after,
    window,
)
from cmscore.engine.month import check_month
from cmscore.outputs import grades as out_grades
from cmscore.outputs.aside import alongside
from cmscore.outputs.files import stored_workbook
from cmscore.problems import fail
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import db as store
from cmscore.store import history


@dataclass
class GradeResult:
    grading: Grading
    output: Path


def grade_window(months: int, *, end: str | None = None, db: Path | None = None,
                 out_dir: Path | None = None, rules_dir: Path | None = None) -> GradeResult:
    """Grade the 支行 pool over ``months`` months ending at ``end``; store and write."""
    if months < 1:
        raise fail("--months 必须是正整数")
    check_month(end, "--end")
    rules = load_rules(rules_dir)
    db = existing_store(db)
    with store.locked(db), no_gc():
        return _grade_locked(months, end, db, out_dir, rules)


def _grade_locked(months: int, end: str | None, db: Path, out_dir: Path | None,
                  rules: RuleSet) -> GradeResult:
    conn = store.connect(db)
    try:
        end = end or store.latest_month(conn)
        span = window(end, months)
        require_months(conn, span, f"{months} 个月定级（{span[0]} 至 {span[-1]}）")
        effective = month_after(end)
        store.refuse_if_closed(conn, effective, f"重新定级（{effective} 起执行的定级）")
        result = grade_members(span, history.window_members(conn, span, db),
                               history.previous_annual(conn, effective) if months == 12 else None)
        run = store.RunRecord("grade", effective, "", "", rules.hashes,
                              started_at=store.RunRecord.now())
        target = (out_dir or Path.cwd()) / f"grades-{end}.xlsx"
        with stored_workbook(conn, target) as book, alongside(
                len(result.decisions), out_grades.write_grades, book.tmp, result, run) as written:
            history.save_grading(conn, result, run, ready=book.ready(written))
    finally:
        conn.close()
    return GradeResult(result, target)
