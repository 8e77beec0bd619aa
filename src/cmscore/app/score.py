"""`check` and `score`: read an export, score it, store the month and write its workbook."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from cmscore.app import cascade
from cmscore.app import tasks as app_tasks
from cmscore.app.common import no_gc, open_read_only, sha256_of
from cmscore.engine.grading import (
    window,
)
from cmscore.engine.itemcolumns import History, NoHistory
from cmscore.engine.month import MonthExport
from cmscore.engine.pay import (
    NPL_WARNING_MONTHS,
    npl_warning,
)
from cmscore.engine.roster import RosterChanges, compare, refusal
from cmscore.engine.scoring import MonthScores, score_month
from cmscore.inputs.reader import read_export
from cmscore.numbers import to_centi
from cmscore.outputs import sheetparts
from cmscore.outputs.aside import alongside
from cmscore.outputs.files import stored_workbook
from cmscore.outputs.scores import DETAIL, detail_sheet, notice_fits, write_notice, write_scores
from cmscore.outputs.tasks import task_summary
from cmscore.problems import fail
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import db as store
from cmscore.store import history, restate

if TYPE_CHECKING:  # only named here: engine.results is five more dataclasses score never makes
    from cmscore.engine.results import Restated

@dataclass
class ScoreResult:
    export: MonthExport
    scores: MonthScores
    rules: RuleSet
    output: Path | None
    run: dict[str, object]
    warnings: dict[str, str] = field(default_factory=dict)  # CM → 第十六条 warning
    restated: list[Restated] = field(default_factory=list)  # later months' changed totals
    gap: list[str] = field(default_factory=list)  # months year-to-date counts nothing for
    ytd_from: str = ""  # the year's first stored month, when the store starts the year late
    notice: Path | None = None  # the 公示 workbook, when the month has one
    roster: RosterChanges | None = None  # 人员变动 against the previous stored month
    tasks_file: str = ""  # the 任务下达 file the year's tasks came from, when there are any
    prepared: object = None  # what ``score_file``'s ``prepare`` made of the scored month


def roster_changes(conn: sqlite3.Connection | None, export: MonthExport, rules: RuleSet,
                   accept: bool) -> RosterChanges:
    """The month's 人员变动 against the latest stored month before it; refused (exit 1)
    when it looks like a broken file, unless ``accept`` (--accept-roster-change)."""
    months = [m for m in store.stored_months(conn) if m < export.month] if conn else []
    previous = months[-1] if months else ""
    before = [row[:4] for row in history.month_rows(conn, previous)] if conn and previous else []
    changes = compare(export.month, previous, before,
                      ((m.id, m.name, m.branch, m.category) for m in export.managers))
    checks = rules.export.roster
    reasons = refusal(changes, checks.max_new_share, checks.category_may_vanish)
    if reasons and not accept:
        raise fail(f"人员变动异常，未计分：{'；'.join(reasons)}。常见原因：工号被表格软件"
                   f"存成了数字、丢了前导零（011771 → 11771；请把工号列设为文本后重新导出，或在 "
                   f"export.yaml 设 id_width），或选错了文件（别的月份、别的机构的报表）。"
                   f"核对无误、确属人员变动时，请加 --accept-roster-change",
                   file=export.file, sheet=export.sheet, column="工号")
    return changes


def _history(conn: sqlite3.Connection | None, month: str) -> History:
    return store.StoreHistory(conn, month) if conn is not None else NoHistory()


def _with_tasks(history: History, rows: list[app_tasks.Row] | None, tasks: Path | None,
                conn: sqlite3.Connection | None, year: str) -> tuple[History, str]:
    """The history scoring reads, with the file's tasks when given; and the tasks' file."""
    if rows is not None and tasks is not None:
        return app_tasks.WithTasks(history, app_tasks.tasks_of(rows, tasks.name)), tasks.name
    stored = app_tasks.year_tasks(conn, year)
    return history, stored.file if stored is not None else ""


def check_file(path: Path, *, rules_dir: Path | None = None, db: Path | None = None,
               month: str | None = None, accept_roster: bool = False,
               tasks: Path | None = None, replace_tasks: bool = False) -> ScoreResult:
    """Validate and score an export exactly as ``score`` would; store and write nothing."""
    app_tasks.needs_file(tasks, replace_tasks)
    rules = load_rules(rules_dir)
    export = read_export(path, rules, month)
    conn = open_read_only(db or store.default_path())
    try:
        rows = app_tasks.read_file(tasks, rules, export, conn) if tasks else None
        if rows is not None and tasks is not None and conn is not None:
            app_tasks.must_store(conn, rows, export.month, tasks.name, replace_tasks)
        past, task_file = _with_tasks(_history(conn, export.month), rows, tasks, conn,
                                      export.month[:4])
        scores = score_month(export, rules, past)
        if conn is not None:  # as score would store it: the month's adjustments applied
            cascade.apply_stored(conn, scores)
        changes = roster_changes(conn, export, rules, accept_roster)
    finally:
        if conn is not None:
            conn.close()
    return ScoreResult(export, scores, rules, None, {}, roster=changes, tasks_file=task_file)


Step = Callable[[str], None]


def _quiet(name: str) -> None:
    """The default progress callback: say nothing."""


SCORE_STEPS = 4


def score_file(path: Path, *, rules_dir: Path | None = None, db: Path | None = None,
               out_dir: Path | None = None, month: str | None = None,
               replace: bool = False, step: Step = _quiet,
               allow_gap: bool = False, accept_roster: bool = False,
               tasks: Path | None = None, replace_tasks: bool = False,
               prepare: Callable[[MonthScores, RuleSet], object] | None = None) -> ScoreResult:
    """Read, score, store and write one month. Nothing is stored or written on any problem.

    ``step`` is told the name of each of the SCORE_STEPS phases as it starts. ``prepare``
    (e.g. the ``--json`` document) runs once the month's rows are stored, before COMMIT:
    in a forked run that is while the child still writes the workbook, on the other core.
    """
    app_tasks.needs_file(tasks, replace_tasks)
    rules = load_rules(rules_dir)
    with no_gc():
        step("读取并校验导出文件")
        export = read_export(path, rules, month)
        db = db or store.default_path()
        with store.locked(db):
            return _score_locked(path, export, rules, db, out_dir, replace, step, allow_gap,
                                 accept_roster, tasks, replace_tasks, prepare)


def _write_books(path: Path, notice: Path | None, scores: MonthScores, export: MonthExport,
                 rules: RuleSet, run: dict[str, object], changes: RosterChanges,
                 split: sheetparts.Split | None = None) -> None:
    """The scores workbook at ``path`` and, when ``notice`` is given (a month of at most
    ``NOTICE_MAX_SHEETS`` 机构), the 公示 workbook there. With ``split``, the 明细
    sheet's blocks are shared with the parent, which finishes the workbook
    (``sheetparts.helped``)."""
    write_scores(path, scores, export, rules, run, changes, split)
    if notice is not None:
        write_notice(notice, scores, rules)


def _score_locked(path: Path, export: MonthExport, rules: RuleSet, db: Path,
                  out_dir: Path | None, replace: bool, step: Step,
                  allow_gap: bool = False, accept_roster: bool = False,
                  tasks: Path | None = None, replace_tasks: bool = False,
                  prepare: Callable[[MonthScores, RuleSet], object] | None = None
                  ) -> ScoreResult:
    conn = store.connect(db)
    try:
        if export.month in store.stored_months(conn) and not replace:
            raise fail(f"{export.month} 已经计分并存入历史库；如需重新计分请加 --replace")
        through = restate.opening_through(conn, export.month[:4])
        if through and export.month <= through:
            raise fail(f"{export.month} 在 {export.month[:4]} 年的期初累计（截至 {through}）之内，"
                       "计分会重复计入年度累计；如需逐月计分，请先用 cmscore opening --replace "
                       "导入截至更早月份的期初累计")
        gap = restate.missing_in_year(conn, export.month)
        ytd_from = restate.year_starts(conn, export.month)
        if gap and not allow_gap:
            raise fail(f"{export.month[:4]} 年缺少 {'、'.join(gap)} 的计分：提前完成按年度累计计算，"
                       f"缺月会使累计偏少。请先 cmscore score 这些月份的导出文件；确认缺月无数据时"
                       f"加 --allow-gap（运行记录和输出会注明这些月份不计入年度累计）")
        changes = roster_changes(conn, export, rules, accept_roster)
        rows = app_tasks.read_file(tasks, rules, export, conn) if tasks else None
        new_tasks = rows is not None and tasks is not None and app_tasks.must_store(
            conn, rows, export.month, tasks.name, replace_tasks)
        old_totals = cascade.totals(conn, export.month)
        step(f"计分 {len(export.managers)} 名客户经理")
        year = export.month[:4]
        past, task_file = _with_tasks(store.StoreHistory(conn, export.month), rows, tasks,
                                      conn, year)
        scores = score_month(export, rules, past)
        cascade.apply_stored(conn, scores)
        note = f"年度累计不含 {'、'.join(gap)}（--allow-gap）" if gap else ""
        run = store.RunRecord("score", export.month, path.name, sha256_of(path), rules.hashes,
                              started_at=store.RunRecord.now(), note=note)
        # Only a month stored before (--replace) has totals to compare with: a new national
        # month's 100k totals in hundredths were 0.08 s before the fork, built for nothing.
        new_totals = {s.manager.id: to_centi(s.total) for s in scores.scores} \
            if old_totals else {}
        restated: list[Restated] = []

        def flow(run_id: int) -> None:
            # The workbooks are this run's, not the cascade's runs inserted after it.
            for pending in filter(None, (book, notice_book)):
                pending.run_id = run_id
            if new_tasks and rows is not None and tasks is not None:  # the year's months read them
                app_tasks.save(conn, year, rows, tasks, run_id)
            restated.extend(cascade.after_correction(
                conn, f"{year}-00" if new_tasks else export.month, rules, run_id,
                bool(old_totals) and old_totals != new_totals,
                f"{year} 年下达任务（{task_file}）" if new_tasks else ""))
        target = (out_dir or Path.cwd()) / f"scores-{export.month}.xlsx"
        record: dict[str, object] = {"file_sha256": run.file_sha256, "tool_version": run.tool_version,
                  "started_at": run.started_at, "tasks": task_summary(scores, task_file)}
        # The workbook is complete in a temp file before the month is committed, and
        # moved into place only after: a failure at any step leaves neither behind.
        notice = target.with_name(f"公示-{export.month}.xlsx") \
            if notice_fits(scores, rules) else None
        # The scores workbook innermost: a write that fails (a full disk) is said of it.
        with (stored_workbook(conn, notice) if notice else nullcontext(None)) as notice_book, \
                stored_workbook(conn, target) as book, \
                sheetparts.sharing(len(scores.scores), book.tmp) as split:
            step(f"写出 {target.name}")
            # A forked run shares the 明细 sheet's blocks: the child renders while this
            # process stores, this process takes what is left once stored (sheetparts).
            with alongside(len(scores.scores), _write_books, book.tmp,
                           notice_book.tmp if notice_book else None, scores,
                           export, rules, record, changes, split) as written:
                step("存入历史库")
                whole = sheetparts.helped(split, book.tmp, DETAIL,
                                          partial(detail_sheet, scores, rules), written)
                prepared: list[object] = []

                def then(run_id: int) -> None:
                    flow(run_id)
                    if prepare is not None:  # before this process takes its 明细 blocks
                        prepared.append(prepare(scores, rules))

                ready = book.ready(notice_book.ready(whole) if notice_book else whole)
                store.save_month(conn, scores, run, replace=replace, ready=ready, then=then)
        span = window(export.month, NPL_WARNING_MONTHS)
        # Only CMs with an NPL in each of the months can be warned: a few, not 100k.
        warnings = {cm: w for cm, ratios in history.npl_candidates(conn, span).items()
                    if (w := npl_warning(ratios))}
    finally:
        conn.close()
    return ScoreResult(export, scores, rules, target, record, warnings, restated, gap,
                       ytd_from, notice, changes, task_file, prepared[0] if prepared else None)
