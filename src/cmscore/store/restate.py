"""What each stored result was built from, and the corrections that flow from a change.

A month's early completion (提前完成) reads the year-to-date figures of the earlier months
of its year, and its stock items read the previous December's figures as baselines; a
grading reads its window's months; a payroll reads a month's scores and the grading in
effect. When one of those changes, the results built on it are re-computed (months), marked
stale (gradings) or restated (paid months: the difference is carried by the next payroll,
the paid lines are never rewritten).
"""

from __future__ import annotations

import sqlite3

from cmscore.engine.grading import months_between
from cmscore.engine.pay import Restatement
from cmscore.numbers import fmt2, from_centi
from cmscore.store import gradecols


def dependents(conn: sqlite3.Connection, month: str) -> list[str]:
    """Stored months whose results read ``month``: the later months of its year (their
    year-to-date), and, for a December, every stored month of the next year (baselines)."""
    year = month[:4]
    later = [m for (m,) in conn.execute(
        "SELECT month FROM months WHERE month > ? AND substr(month, 1, 4) = ? ORDER BY month",
        (month, year))]
    if month.endswith("-12"):
        later += [m for (m,) in conn.execute(
            "SELECT month FROM months WHERE substr(month, 1, 4) = ? ORDER BY month",
            (str(int(year) + 1),))]
    return later


def missing_in_year(conn: sqlite3.Connection, month: str) -> list[str]:
    """The months of ``month``'s year that would be missing between its first and last
    stored month once ``month`` is stored: year-to-date would count nothing for them."""
    year = month[:4]
    stored = {m for (m,) in conn.execute(
        "SELECT month FROM months WHERE substr(month, 1, 4) = ?", (year,))} | {month}
    through = opening_through(conn, year)
    if through:  # the opening file covers January to ``through``
        stored.update(months_between(f"{year}-01", through))
    return [m for m in months_between(min(stored), max(stored)) if m not in stored]


def year_starts(conn: sqlite3.Connection, month: str) -> str:
    """The first month of ``month``'s year that the store holds (``month`` included), when
    that is not January and is before ``month``: year-to-date is counted from it (a bank
    adopting cmscore in October). Empty otherwise."""
    if opening_through(conn, month[:4]):
        return ""  # the opening file carries the months before the first stored one
    (first,) = conn.execute("SELECT min(month) FROM months WHERE substr(month, 1, 4) = ?",
                            (month[:4],)).fetchone()
    first = min(first or month, month)
    return first if not first.endswith("-01") and first < month else ""


def opening_through(conn: sqlite3.Connection, year: str) -> str:
    """The last month the year's opening file (期初累计) covers; empty without one."""
    row = conn.execute("SELECT max(through) FROM opening_ytd WHERE year = ?", (year,)).fetchone()
    return row[0] or ""


def save_opening(conn: sqlite3.Connection, year: str, through: str,
                 rows: list[tuple[str, str, str]], run_id: int) -> None:
    """Replace the year's opening figures: rows of (cm_id, item_id, figure text)."""
    conn.execute("DELETE FROM opening_ytd WHERE year = ?", (year,))
    conn.executemany("INSERT INTO opening_ytd VALUES (?, ?, ?, ?, ?, ?)",
                     [(year, cm, item, figure, through, run_id) for cm, item, figure in rows])


def record_sources(conn: sqlite3.Connection, month: str) -> None:
    """Write down which stored runs ``month`` was scored from (its dependency record)."""
    conn.execute("DELETE FROM month_sources WHERE month = ?", (month,))
    year = month[:4]
    conn.execute(
        "INSERT INTO month_sources SELECT ?, month, run_id, 'year_to_date' FROM months"
        " WHERE month < ? AND substr(month, 1, 4) = ?", (month, month, year))
    conn.execute(
        "INSERT INTO month_sources SELECT ?, month, run_id, 'baseline' FROM months"
        " WHERE month = ?", (month, f"{int(year) - 1}-12"))


def record_grading_sources(conn: sqlite3.Connection, effective: str, months: list[str]) -> None:
    conn.execute("DELETE FROM grading_sources WHERE effective_month = ?", (effective,))
    conn.executemany(
        "INSERT INTO grading_sources SELECT ?, month, run_id FROM months WHERE month = ?",
        [(effective, m) for m in months])


def mark_stale(conn: sqlite3.Connection, changed: list[str], run_id: int) -> list[str]:
    """Gradings whose window holds a changed month become stale; their effective months."""
    out: list[str] = []
    for effective, start, end in conn.execute(
            "SELECT effective_month, window_start, window_end FROM gradings").fetchall():
        inside = [m for m in changed if start <= m <= end]
        if inside:
            _stale(conn, effective, f"窗口内月份 {'、'.join(inside)} 已被更正（运行 {run_id}）")
            out.append(effective)
    return out


def mark_next_annual_stale(conn: sqlite3.Connection, effective: str, before: dict[str, str],
                           run_id: int) -> tuple[str, str] | None:
    """The annual grading a year after ``effective`` read this one's grades for its 第九条
    flags: when they are new or changed (``before`` is what it read), it becomes stale.
    Its (effective month, window end), or None."""
    later = f"{int(effective[:4]) + 1}{effective[4:]}"
    found = conn.execute("SELECT window_end FROM gradings WHERE effective_month = ? AND months = 12",
                         (later,)).fetchone()
    if found is None:
        return None
    after = gradecols.grades_of(conn, effective)
    if after == before:
        return None
    _stale(conn, later, f"上一年度定级（{effective} 起执行）{'已重评' if before else '在其后才定级'}，"
                        f"第九条（连续两年一级/二级）标记需重算（运行 {run_id}）")
    return later, found[0]


def _stale(conn: sqlite3.Connection, effective: str, reason: str) -> None:
    """The grading of ``effective`` is stale for ``reason``: every reason since it was made
    is kept, not only the last one."""
    conn.execute("UPDATE gradings SET stale = CASE WHEN stale = '' THEN ? ELSE"
                 " stale || '；' || ? END WHERE effective_month = ?", (reason, reason, effective))


def governed(conn: sqlite3.Connection, table: str, effective: str) -> list[str]:
    """Months of ``table`` (``payrolls``, ``closed_months``) in which the grading taking
    effect in ``effective`` is in force: from it up to the next grading's effective month."""
    (nxt,) = conn.execute("SELECT min(effective_month) FROM gradings WHERE effective_month > ?",
                          (effective,)).fetchone()
    return [m for (m,) in conn.execute(
        f"SELECT month FROM {table} WHERE month >= ? AND (? IS NULL OR month < ?) ORDER BY month",
        (effective, nxt, nxt))]


def stale_in_force(conn: sqlite3.Connection, in_force: str | None
                   ) -> list[tuple[str, int, str, str, list[str]]]:
    """Stale gradings that a payroll may not price with: ``in_force`` (the one in force in
    the month being paid) or one in force in a paid month. Each as (effective, months,
    window end, why, the paid months it governs — empty when it is ``in_force``)."""
    out: list[tuple[str, int, str, str, list[str]]] = []
    for effective, months, end, why in conn.execute(
            "SELECT effective_month, months, window_end, stale FROM gradings WHERE stale != ''"
            " ORDER BY effective_month").fetchall():
        if effective == in_force:
            out.append((effective, months, end, why, []))
        elif paid_in := governed(conn, "payrolls", effective):
            out.append((effective, months, end, why, paid_in))
    return out


def stale_reason(conn: sqlite3.Connection, effective: str) -> str:
    row = conn.execute("SELECT stale FROM gradings WHERE effective_month = ?",
                       (effective,)).fetchone()
    return row[0] if row else ""


def paid(conn: sqlite3.Connection, month: str) -> bool:
    return conn.execute("SELECT 1 FROM payrolls WHERE month = ?", (month,)).fetchone() is not None


_COLUMNS = "id, month, cm_id, name, paid_fen, due_fen, difference_fen, reason"


def already_restated(conn: sqlite3.Connection, month: str) -> dict[str, int]:
    """CM → the differences already recorded for ``month`` (carried or pending, not void)."""
    return dict(conn.execute(
        "SELECT cm_id, sum(difference_fen) FROM restatements WHERE month = ? AND void_run IS NULL"
        " GROUP BY cm_id", (month,)))


def add_restatements(conn: sqlite3.Connection, rows: list[tuple[str, str, str, int, int, str]],
                     run_id: int) -> None:
    """rows: (month, cm_id, name, paid_fen, due_fen, reason); difference = due − paid."""
    conn.executemany(
        "INSERT INTO restatements (month, cm_id, name, paid_fen, due_fen, difference_fen,"
        " reason, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(m, cm, name, p, d, d - p, why, run_id) for m, cm, name, p, d, why in rows])


def pending(conn: sqlite3.Connection) -> list[Restatement]:
    return [Restatement(*r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM restatements WHERE carried_by IS NULL AND void_run IS NULL"
        " ORDER BY month, cm_id, id")]


def carried_by(conn: sqlite3.Connection, month: str) -> list[Restatement]:
    return [Restatement(*r) for r in conn.execute(
        f"SELECT {_COLUMNS} FROM restatements WHERE carried_by = ? AND void_run IS NULL"
        " ORDER BY month, cm_id, id", (month,))]


def carried_elsewhere(conn: sqlite3.Connection, month: str) -> list[str]:
    """The later payrolls that have carried differences of ``month``: once one has, the
    month's own payroll may not be re-run (the difference would be paid twice)."""
    return [m for (m,) in conn.execute(
        "SELECT DISTINCT carried_by FROM restatements WHERE month = ? AND carried_by IS NOT NULL"
        " AND carried_by != ? AND void_run IS NULL ORDER BY 1", (month, month))]


def release_carried(conn: sqlite3.Connection, month: str) -> None:
    """A payroll re-run gives back what its superseded run carried, to be carried again."""
    conn.execute("UPDATE restatements SET carried_by = NULL, carried_run = NULL"
                 " WHERE carried_by = ?", (month,))


def void_for(conn: sqlite3.Connection, month: str, run_id: int) -> None:
    """A month whose payroll is re-run pays its due in full: its pending differences go."""
    conn.execute("UPDATE restatements SET void_run = ? WHERE month = ? AND carried_by IS NULL"
                 " AND void_run IS NULL", (run_id, month))


def carry(conn: sqlite3.Connection, ids: list[int], month: str, run_id: int) -> None:
    conn.executemany("UPDATE restatements SET carried_by = ?, carried_run = ? WHERE id = ?",
                     [(month, run_id, i) for i in ids])


def explain_notes(conn: sqlite3.Connection, month: str, cm_id: str) -> list[str]:
    """What ``explain`` says when a paid month was restated: the pay above is what was
    paid; each difference, and the payroll that carried it (or that it is pending)."""
    out = []
    for paid_fen, due_fen, diff, reason, by in conn.execute(
            "SELECT paid_fen, due_fen, difference_fen, reason, carried_by FROM restatements"
            " WHERE month = ? AND cm_id = ? AND void_run IS NULL ORDER BY id", (month, cm_id)):
        kind = "补发" if diff > 0 else "扣回"
        when = f"已随 {by} 工资{kind}" if by else f"待随下次工资{kind}"
        out.append(f"该月工资按更正前的结果发放：已发 {fmt2(from_centi(paid_fen))} 元，更正后应发 "
                   f"{fmt2(from_centi(due_fen))} 元，差额 {fmt2(from_centi(diff))} 元{when}（{reason}）")
    return out

