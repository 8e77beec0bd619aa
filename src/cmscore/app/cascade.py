"""A correction flows through the year: later months re-scored, gradings marked stale,
paid months restated (issue 14; README "Corrections and the year").

Everything here runs inside the transaction that stores the corrected month (or the new
grading), so the store never holds a corrected month beside stale results built on it.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from cmscore.engine import adjustments
from cmscore.engine.grading import window
from cmscore.engine.pay import NPL_WARNING_MONTHS, PayLines
from cmscore.engine.scoring import MonthScores, score_month_managers
from cmscore.numbers import from_centi, to_centi
from cmscore.problems import fail, notify
from cmscore.rules.ruleset import RuleSet
from cmscore.store import adjustments as store_adjustments
from cmscore.store import db as store
from cmscore.store import history, itemcols, restate

if TYPE_CHECKING:
    from cmscore.engine.results import Restated


def totals(conn: sqlite3.Connection, month: str) -> dict[str, int]:
    return dict(conn.execute("SELECT cm_id, total_cp FROM scores WHERE month = ?", (month,)))


def rescore_dependents(conn: sqlite3.Connection, month: str, rules: RuleSet,
                       run_id: int, what: str = "") -> tuple[list[Restated], list[str]]:
    """Re-score, from their stored raw figures, the stored months that read ``month``;
    store those whose results changed under a run that says why. Refused, naming them,
    when a changed month is closed."""
    what = what or f"{month} 更正"
    redone: list[tuple[str, MonthScores, dict[str, int]]] = []
    for later in restate.dependents(conn, month):
        old_totals, old_items = totals(conn, later), itemcols.stored_compared(conn, later)
        old_effects = store_adjustments.effects_compared(conn, later)
        scores = rescore_stored(conn, later, rules)
        new_totals = {s.manager.id: to_centi(s.total) for s in scores.scores}
        # Anything stored that changed — a total, an item's row (its baseline included), or
        # what an adjustment moves — re-stores the month; its points alone are not enough.
        if new_totals != old_totals or itemcols.compared(scores) != old_items \
                or store_adjustments.effects_of(scores) != old_effects:
            redone.append((later, scores, old_totals))
    closed = [m for m, _, _ in redone if store.closed(conn, m)]
    if closed:
        raise fail(f"{what}会改变已结账月份 {'、'.join(closed)} 的得分（它们依赖该月：年度累计或上年末基数），"
                   f"已全部取消；确需更正请先 cmscore reopen {closed[0]} --reason \"…\"")
    restated: list[Restated] = []
    for later, scores, old_totals in redone:
        from cmscore.engine.results import Restated  # a correction's; a new month has none
        record = store.run_record(conn, later) or {}
        store.put_month(conn, scores, store.RunRecord(
            "score", later, str(record.get("file_name") or ""),
            str(record.get("file_sha256") or ""), rules.hashes,
            started_at=store.RunRecord.now(), note=f"因 {what}而重算（运行 {run_id}）"))
        restated += [Restated(later, s.manager.id, from_centi(old_totals.get(s.manager.id, 0)),
                              s.total) for s in scores.scores
                     if old_totals.get(s.manager.id) != to_centi(s.total)]
    return restated, [m for m, _, _ in redone]


def apply_stored(conn: sqlite3.Connection, scores: MonthScores) -> None:
    """The month's adjustments in force, applied on top of its computed points; one that
    cannot apply (its manager or item is no longer in the month) is said, never dropped:
    it stays stored, and applies again once a later scoring has its manager and item."""
    for got in adjustments.apply(scores, store_adjustments.active(conn, scores.month)):
        notify(f"调整 {got.adjustment.id}（工号 {got.adjustment.cm_id}，{got.adjustment.item}，"
               f"{got.adjustment.points} 分）：{got.note}")


def rescore_stored(conn: sqlite3.Connection, month: str, rules: RuleSet) -> MonthScores:
    """A stored month scored again from its stored raw figures, its adjustments applied."""
    scores = score_month_managers(month, history.stored_managers(conn, month), rules,
                                  store.StoreHistory(conn, month))
    apply_stored(conn, scores)
    return scores


def restate_pay(conn: sqlite3.Connection, months: list[str], rules: RuleSet, run_id: int,
                reason: str) -> int:
    """For each paid month among ``months``: what is due now against what was paid (and
    restated) so far, per CM; a difference becomes a restatement for the next payroll."""
    count = 0
    for month in sorted(set(months)):
        if not restate.paid(conn, month):
            continue
        lines = due_lines(conn, rules, month)
        # 月度应得工资 only: the risk fund released in December is not restated (README,
        # "Corrections and the year"), so a fund change never rides on another's line.
        paid = dict(conn.execute("SELECT cm_id, pay_fen FROM pay WHERE month = ?", (month,)))
        names = dict(zip(lines.id, lines.name, strict=True))
        names.update(conn.execute("SELECT cm_id, name FROM scores WHERE month = ?", (month,)))
        due = dict(zip(lines.id, lines.pay_fen, strict=True))
        before = restate.already_restated(conn, month)
        rows = []
        for cm in sorted(due.keys() | paid.keys()):
            so_far = paid.get(cm, 0) + before.get(cm, 0)
            if due.get(cm, 0) != so_far:
                rows.append((month, cm, names.get(cm, ""), so_far, due.get(cm, 0), reason))
        restate.add_restatements(conn, rows, run_id)
        count += len(rows)
    return count


def due_lines(conn: sqlite3.Connection, rules: RuleSet, month: str) -> PayLines:
    """The pay lines ``payroll`` would compute for ``month`` from the store as it is now."""
    # Imported here: only a month already paid needs it, and a plain month's `score` need
    # not load the payroll command with its readers and workbook (≈ 15 ms of a small run).
    from cmscore.app import payroll as app_payroll

    rows = history.pay_rows(conn, month)
    funds = history.accruals(conn, int(month[:4]), month)
    npl = history.npl_candidates(conn, window(month, NPL_WARNING_MONTHS))
    lines, _ = app_payroll.pay_lines(conn, rules.payroll, month, rows, funds, npl,
                                     rules.grading.pool)
    return lines


def after_correction(conn: sqlite3.Connection, month: str, rules: RuleSet, run_id: int,
                     own_changed: bool, what: str = "") -> list[Restated]:
    """Everything a stored (corrected or inserted) month sets in motion, in its transaction.
    ``month`` may be ``YYYY-00`` (the year's opening figures): every month of the year.
    ``what`` names the change in the run notes and restatements (default 「月份 更正」)."""
    what = what or f"{month} 更正"
    restated, changed = rescore_dependents(conn, month, rules, run_id, what)
    if own_changed:
        changed = [month, *changed]
    restate.mark_stale(conn, changed, run_id)
    restate_pay(conn, changed, rules, run_id, f"{what}（运行 {run_id}）")
    return restated
