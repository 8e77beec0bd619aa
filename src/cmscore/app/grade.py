"""`grade`: grade the pool over a window of stored months; store the grading and write its workbook."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from cmscore.app.cascade import restate_pay
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
from cmscore.store import history, restate


@dataclass
class GradeResult:
    grading: Grading
    output: Path
    # (effective, window end) of later gradings this one outdated (第九条)
    made_stale: list[tuple[str, str]] = field(default_factory=list)


def grade_window(months: int, *, end: str | None = None, db: Path | None = None,
                 out_dir: Path | None = None, rules_dir: Path | None = None,
                 replace: bool = False) -> GradeResult:
    """Grade grading.yaml's pool over ``months`` months ending at ``end``; store and write."""
    if months < 1:
        raise fail("--months 必须是正整数")
    check_month(end, "--end")
    rules = load_rules(rules_dir)
    allowed = rules.grading.windows
    if months not in allowed:
        where = rules.files.get("grading", "grading.yaml（未提供，按默认）")
        raise fail(f"--months {months} 不是允许的定级窗口：允许 "
                   f"{'、'.join(str(m) for m in allowed)} 个月（{where} 的 windows；"
                   f"6 为过渡期定级，第六条；12 为年度定级，第八条）")
    db = existing_store(db)
    with store.locked(db), no_gc():
        return _grade_locked(months, end, db, out_dir, rules, replace)


def _restate(conn: sqlite3.Connection, effective: str, rules: RuleSet,
             before: dict[str, str] | None, made_stale: list[tuple[str, str]],
             run_id: int) -> None:
    """Paid months in which the new grades are in force: the difference is restated; and
    the next annual grading, whose 第九条 flags read these grades, is marked stale if they
    changed (``before``: the grades this one replaces; None for a 6-month grading)."""
    if before is not None and (later := restate.mark_next_annual_stale(conn, effective, before,
                                                                      run_id)):
        made_stale.append(later)
    restate_pay(conn, restate.governed(conn, "payrolls", effective), rules, run_id,
                f"{effective} 起定级重评（运行 {run_id}）")


def _grade_locked(months: int, end: str | None, db: Path, out_dir: Path | None,
                  rules: RuleSet, replace: bool = False) -> GradeResult:
    conn = store.connect(db)
    try:
        end = end or store.latest_month(conn)
        span = window(end, months)
        require_months(conn, span, f"{months} 个月定级（{span[0]} 至 {span[-1]}）")
        effective = month_after(end)
        closed = restate.governed(conn, "closed_months", effective)
        if closed:
            raise fail(f"{effective} 起执行的定级会改变已结账月份 {'、'.join(closed)} 的等级，"
                       f"不能定级；确需修改请先 cmscore reopen {closed[0]} --reason \"…\"")
        if history.grades_of(conn, effective) and not replace:
            raise fail(f"{effective} 起执行的定级已经存在；如需重新定级请加 --replace"
                       "（原运行保留并标记为已被替代，已发放月份的差额转入下次发放）")
        before = history.grades_of(conn, effective) if months == 12 else None
        made_stale: list[tuple[str, str]] = []
        result = grade_members(span, history.window_members(conn, span, db),
                               history.previous_annual(conn, effective) if months == 12 else None,
                               rules.grading.pool)
        run = store.RunRecord("grade", effective, "", "", rules.hashes,
                              started_at=store.RunRecord.now())
        target = (out_dir or Path.cwd()) / f"grades-{end}.xlsx"
        with stored_workbook(conn, target) as book, alongside(
                len(result.decisions), out_grades.write_grades, book.tmp, result, run) as written:
            history.save_grading(conn, result, run, ready=book.ready(written),
                                 then=partial(_restate, conn, effective, rules, before,
                                                 made_stale))
    finally:
        conn.close()
    return GradeResult(result, target, made_stale)
