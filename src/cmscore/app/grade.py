"""`grade`: grade the pool over a window of stored months; store the grading and write its workbook."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from operator import and_, attrgetter, eq, is_
from pathlib import Path
from typing import TYPE_CHECKING

from cmscore.app.common import existing_store, no_gc, require_months
from cmscore.engine.grading import (
    Columns,
    Grading,
    grade_table,
    month_after,
    window,
)
from cmscore.engine.month import check_month
from cmscore.engine.staff import Staff, within_category
from cmscore.outputs import grades as out_grades
from cmscore.outputs import sheetparts
from cmscore.outputs.aside import alongside
from cmscore.outputs.files import stored_workbook
from cmscore.problems import fail
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import db as store
from cmscore.store import gradewindow, history, restate
from cmscore.store import staff as staff_records

if TYPE_CHECKING:  # app.staff, and the roster's reader under it, only when a roster is given
    from cmscore.inputs.roster import RosterFile

_RANK, _GRADE, _BASIS = attrgetter("rank"), attrgetter("grade"), attrgetter("basis")


@dataclass
class GradeResult:
    grading: Grading
    output: Path
    # (effective, window end) of later gradings this one outdated (第九条)
    made_stale: list[tuple[str, str]] = field(default_factory=list)


def grade_window(months: int, *, end: str | None = None, db: Path | None = None,
                 out_dir: Path | None = None, rules_dir: Path | None = None,
                 replace: bool = False, roster: Path | None = None) -> GradeResult:
    """Grade grading.yaml's pool over ``months`` months ending at ``end``; store and write.
    ``roster``: a 花名册 to record first (as ``cmscore roster`` does), then grade with."""
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
    read: RosterFile | None = None
    if roster is not None:
        from cmscore.app import staff

        read = staff.read_checked(roster, rules)
    db = existing_store(db)
    with store.locked(db), no_gc():
        return _grade_locked(months, end, db, out_dir, rules, replace,
                             (read, roster) if read is not None and roster is not None else None)


def said(result: Grading, need: int, roster: tuple[str, str, dict[str, Staff]] | None,
         moved: dict[str, list[str]]) -> list[str]:
    """What the grading took from the roster, or inferred from the exports without one."""
    decisions = result.decisions  # counted in C loops: a national grading is 100k
    short = sum(map(and_, map(is_, map(_RANK, decisions), repeat(None)),
                    map(eq, map(_GRADE, decisions), repeat("三级"))))
    fewer = len(list(filter(None, map(_BASIS, decisions))))
    out = [f"花名册：{roster[0]}（{roster[1][:10]} 登记）；休假月份不计入应计分月数，离职人员按 "
           "grading.yaml 的 count_in_n.leavers" if roster else
           "未登记花名册（cmscore roster）：按各月导出推定——某月导出中没有该工号即该月未计分，"
           "窗口内晚于首月才出现的按新增人员；休假、离职无从得知"]
    out.append(f"计分不少于 {need} 个月的按实际计分月份平均参加排名（{fewer} 人少于窗口月数）；"
               f"少于 {need} 个月的 {short} 人定为三级（grading.yaml 的 min_months）")
    if moved:
        out.append(f"类别变更 {len(moved)} 人：只按窗口末所在类别的月份平均，不跨表平均")
    people = roster[2] if roster else {}
    differ = [f"{d.id} {d.name}（花名册 {people[d.id].category}，导出 {d.category}）"
              for d in decisions if d.id in people and people[d.id].category != d.category] \
        if people else []
    if differ:
        from cmscore.app import staff

        out.append(f"花名册类别与窗口末导出不一致 {len(differ)} 人，定级按导出（当月计分所用的表）："
                   f"{staff.few(differ)}；请核对花名册")
    return out


def _within_category(span: list[str], table: Columns, moves: dict[str, dict[str, str]]
                     ) -> tuple[Columns, dict[str, list[str]]]:
    """``within_category`` on the window's columns; the usual window, where no one changed
    category (``moves`` empty), is left as read."""
    if not moves:
        return table, {}
    members, moved = within_category(span, zip(*table, strict=True), moves)
    return tuple(zip(*members, strict=True)) if members else table, moved  # type: ignore[return-value]


def _restate(conn: sqlite3.Connection, effective: str, rules: RuleSet,
             before: dict[str, str] | None, made_stale: list[tuple[str, str]],
             run_id: int) -> None:
    """Paid months in which the new grades are in force: the difference is restated; and
    the next annual grading, whose 第九条 flags read these grades, is marked stale if they
    changed (``before``: the grades this one replaces; None for a 6-month grading)."""
    if before is not None and (later := restate.mark_next_annual_stale(conn, effective, before,
                                                                      run_id)):
        made_stale.append(later)
    paid = restate.governed(conn, "payrolls", effective)
    if paid:  # imported only then: app.cascade and what it loads are 5 ms of start-up
        from cmscore.app.cascade import restate_pay

        restate_pay(conn, paid, rules, run_id, f"{effective} 起定级重评（运行 {run_id}）")


def _grade_locked(months: int, end: str | None, db: Path, out_dir: Path | None,
                  rules: RuleSet, replace: bool = False,
                  new_roster: tuple[RosterFile, Path] | None = None) -> GradeResult:
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
        roster_said: list[str] = []
        if new_roster is not None:  # recorded once the grading is known to be allowed
            from cmscore.app import staff

            roster_said = [f"花名册与导出不一致：{w}"
                           for w in staff.store_roster(conn, *new_roster).warnings]
        # Who changed category, asked of SQLite beside the window's read.
        with history.read_beside(db, lambda c: staff_records.categories(c, span)) as moves:
            table, moved = _within_category(span, gradewindow.window_columns(conn, span, db),
                                            moves())
        roster = staff_records.in_force(conn)
        result = grade_table(span, table,
                             history.previous_annual(conn, effective) if months == 12 else None,
                             rules.grading.pool, rules.grading, roster[2] if roster else None,
                             moved)
        result.notes[:0] = said(result, rules.grading.required(months), roster, moved) + \
            roster_said
        run = store.RunRecord("grade", effective, "", "", rules.hashes,
                              started_at=store.RunRecord.now())
        target = (out_dir or Path.cwd()) / f"grades-{end}.xlsx"
        rows = len(result.decisions)
        # A forked run shares the 定级 sheet's blocks: the child renders while this process
        # stores, this process takes what is left once stored (sheetparts).
        with stored_workbook(conn, target) as book, \
                sheetparts.sharing(rows, book.tmp) as split, \
                alongside(rows, out_grades.write_grades, book.tmp, result, run, split) as written:
            whole = sheetparts.helped(split, book.tmp, out_grades.SHEET,
                                      partial(out_grades.grade_sheet, result), written)
            history.save_grading(conn, result, run, ready=book.ready(whole),
                                 then=partial(_restate, conn, effective, rules, before,
                                              made_stale))
    finally:
        conn.close()
    return GradeResult(result, target, made_stale)
