"""`score --tasks` / `check --tasks`: the bank's assigned annual tasks (任务下达, issue 15)
read against the month and the year's stored months, and stored for the year so that
every month of it — a cascade after a correction, explain — uses the same tasks.

A tasks file that changes what the year's stored months were scored against (a first
file for a year already scored, or a different one) is refused unless
``--replace-tasks``; then the year's months are re-scored in the same transaction, as a
correction is (closed months refuse, paid months are restated).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from cmscore.app.common import sha256_of
from cmscore.engine.itemcolumns import History
from cmscore.engine.month import MonthExport
from cmscore.engine.sentences import num
from cmscore.engine.tasks import Tasks
from cmscore.problems import fail
from cmscore.rules.ruleset import RuleSet
from cmscore.store import db as store
from cmscore.store import tasks as stored_tasks
from cmscore.store.tasks import Row, tasks_of

__all__ = ["Row", "WithTasks", "must_store", "needs_file", "read_file", "save", "tasks_of",
           "year_tasks"]


class WithTasks:
    """A history whose tasks are the file's, not (yet) the store's."""

    def __init__(self, history: History, tasks: Tasks) -> None:
        self.history, self.assigned = history, tasks

    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        return self.history.baseline(cm_id, item_id)

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return self.history.year_to_date(cm_id, item_id)

    def years_to_date(self, ids: Sequence[str], item_id: str) -> list[Decimal]:
        return self.history.years_to_date(ids, item_id)

    def tasks(self) -> Tasks | None:
        return self.assigned


def needs_file(tasks: Path | None, replace: bool) -> None:
    """--replace-tasks alone would be silently ignored: say so."""
    if replace and tasks is None:
        raise fail("--replace-tasks 需与 --tasks 文件一起使用（用该文件替换该年度的下达任务）")


def read_file(path: Path, rules: RuleSet, export: MonthExport,
              conn: sqlite3.Connection | None) -> list[Row]:
    """The file's rows, each 工号/机构 checked against the month and the year's stored
    months (a manager who left in May may still have had a task)."""
    ids = {m.id: m.category for m in export.managers}
    branches = {m.branch for m in export.managers}
    if conn is not None:
        for cm, category, branch in conn.execute(
                "SELECT DISTINCT cm_id, category, branch FROM scores"
                " WHERE substr(month, 1, 4) = ?", (export.month[:4],)):
            ids.setdefault(cm, category)
            branches.add(branch)
    from cmscore.inputs.tasks import read_tasks  # only with --tasks: not on every score

    rows = read_tasks(path, rules, export.month, ids, branches)
    return sorted((r.scope, r.key, r.item_id, num(r.task)) for r in rows)


def must_store(conn: sqlite3.Connection, rows: list[Row], month: str, file: str,
               replace: bool) -> bool:
    """Whether the file's tasks are new for ``month``'s year (to be stored); refused when
    they would change stored months of the year and ``replace`` is not given."""
    year = month[:4]
    before = stored_tasks.stored(conn, year)
    if before == rows:
        return False
    scored = [m for m in store.stored_months(conn) if m[:4] == year and m != month]
    if (before or scored) and not replace:
        if before:
            got = stored_tasks.source(conn, year)
            what = (f"历史库已有 {year} 年的下达任务（{got[0] if got else ''}），{file} 与之不同")
        else:
            what = (f"{year} 年已有 {'、'.join(scored)} 按规则文件或默认年度任务计分，{file} 是该年"
                    "第一份下达任务")
        raise fail(f"{what}：启用它会改变已计分月份的提前完成。确认按 {file} 执行请加 "
                   f"--replace-tasks（{year} 年已计分月份按新任务重算，已发放月份的差额在下次发放时"
                   "补发/扣回）；否则去掉 --tasks，沿用历史库中的任务")
    return True


def save(conn: sqlite3.Connection, year: str, rows: list[Row], path: Path, run_id: int) -> None:
    """The year's tasks replaced by the file's, inside the month's transaction."""
    stored_tasks.save(conn, year, rows, (path.name, sha256_of(path)), run_id)


def year_tasks(conn: sqlite3.Connection | None, year: str) -> Tasks | None:
    return stored_tasks.year_tasks(conn, year) if conn is not None else None
