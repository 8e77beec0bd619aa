"""Reads and writes of grades and pay in the store (the month scores live in ``store``)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from decimal import Decimal

from .grading import Grading, Seen
from .numbers import from_centi, to_centi
from .pay import PayLine, SupervisorLine
from .reader import Manager
from .store import RunRecord, insert_run, transaction


def seen_in(conn: sqlite3.Connection, months: list[str]) -> dict[str, dict[str, Seen]]:
    """CM → month → what was stored for the given months.

    Name, branch and category are read once per CM (from their latest month in the
    window, which is what grading uses), not once per stored month.
    """
    marks = ",".join("?" * len(months))
    who = {cm: (name, branch, category) for cm, name, branch, category, _ in conn.execute(
        "SELECT cm_id, name, branch, category, max(month) FROM scores"
        f" WHERE month IN ({marks}) GROUP BY cm_id", months)}
    out: dict[str, dict[str, Seen]] = {cm: {} for cm in who}
    for cm_id, month, total in conn.execute(
            f"SELECT cm_id, month, total_cp FROM scores WHERE month IN ({marks})", months):
        out[cm_id][month] = Seen(*who[cm_id], from_centi(total))
    return out


def save_grading(conn: sqlite3.Connection, grading: Grading, run: RunRecord) -> None:
    """Store grades effective the month after the window; the same effective month is replaced."""
    with transaction(conn):
        run_id = insert_run(conn, run)
        conn.execute("DELETE FROM grades WHERE effective_month = ?", (grading.effective,))
        conn.execute("DELETE FROM gradings WHERE effective_month = ?", (grading.effective,))
        conn.execute("INSERT INTO gradings VALUES (?, ?, ?, ?, ?, ?)",
                     (grading.effective, grading.months[0], grading.months[-1],
                      len(grading.months), grading.pool_size, run_id))
        conn.executemany(
            "INSERT INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(grading.effective, d.id, d.name, d.branch, d.category,
              None if d.average is None else to_centi(d.average), d.rank, d.grade, d.reason,
              d.boundary, json.dumps(d.flags, ensure_ascii=False)) for d in grading.decisions])


def grades_of(conn: sqlite3.Connection, effective: str) -> dict[str, str]:
    return dict(conn.execute("SELECT cm_id, grade FROM grades WHERE effective_month = ?",
                             (effective,)))


def in_effect(conn: sqlite3.Connection, month: str) -> str | None:
    """The effective month of the grading in force in ``month``, if any."""
    row = conn.execute("SELECT max(effective_month) FROM gradings WHERE effective_month <= ?",
                       (month,)).fetchone()
    return row[0]


def previous_annual(conn: sqlite3.Connection, effective: str) -> dict[str, str] | None:
    """Grades of the annual (12-month) grading that took effect a year before ``effective``."""
    earlier = f"{int(effective[:4]) - 1}{effective[4:]}"
    row = conn.execute("SELECT 1 FROM gradings WHERE effective_month = ? AND months = 12",
                       (earlier,)).fetchone()
    return grades_of(conn, earlier) if row else None


def month_rows(conn: sqlite3.Connection, month: str) -> list[tuple[str, str, str, str, Decimal,
                                                                   Decimal | None]]:
    """(id, name, branch, category, total, npl ratio) of every CM scored in ``month``."""
    return [(cm, name, branch, cat, from_centi(total), None if npl is None else Decimal(npl))
            for cm, name, branch, cat, total, npl in conn.execute(
                "SELECT cm_id, name, branch, category, total_cp, npl_ratio FROM scores"
                " WHERE month = ? ORDER BY category, rank, cm_id", (month,))]


def npl_history(conn: sqlite3.Connection, months: list[str]) -> dict[str, list[Decimal | None]]:
    """CM → NPL ratio per month (None where not scored), oldest first."""
    out: dict[str, list[Decimal | None]] = defaultdict(lambda: [None] * len(months))
    marks = ",".join("?" * len(months))
    for cm, month, npl in conn.execute(
            f"SELECT cm_id, month, npl_ratio FROM scores WHERE month IN ({marks})", months):
        out[cm][months.index(month)] = None if npl is None else Decimal(npl)
    return dict(out)


def accruals(conn: sqlite3.Connection, year: int, upto: str) -> dict[str, list[tuple[str, Decimal]]]:
    """CM → [(first month of a span, risk-fund points over it)] for the year up to ``upto``.

    Spans are cut where a grading takes effect, so every month in a span has one base
    pay; ``upto`` is always the last span on its own. Summing points per span in SQL
    gives the same exact value as month by month, with a row per span, not per month.
    """
    start = f"{year}-01"
    cuts = [e for (e,) in conn.execute(
        "SELECT effective_month FROM gradings WHERE effective_month > ? AND effective_month < ?"
        " ORDER BY effective_month", (start, upto))]
    bounds = [start, *cuts, upto]
    out: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        for cm, points in conn.execute(
                "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month >= ? AND month < ?"
                " GROUP BY cm_id", (lo, hi)):
            out[cm].append((lo, from_centi(points)))
    for cm, points in conn.execute("SELECT cm_id, risk_fund_cp FROM scores WHERE month = ?",
                                   (upto,)):
        out[cm].append((upto, from_centi(points)))
    return dict(out)


def save_payroll(conn: sqlite3.Connection, month: str, lines: list[PayLine],
                 supervisors: list[SupervisorLine], run: RunRecord) -> None:
    with transaction(conn):
        run_id = insert_run(conn, run)
        conn.execute("DELETE FROM pay WHERE month = ?", (month,))
        conn.execute("DELETE FROM supervisor_pay WHERE month = ?", (month,))
        conn.execute("INSERT OR REPLACE INTO payrolls VALUES (?, ?)", (month, run_id))
        conn.executemany("INSERT INTO pay VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (month, p.id, p.grade, to_centi(p.base), to_centi(p.score), to_centi(p.pay),
             to_centi(p.risk_fund_release), to_centi(p.risk_fund_forfeit)) for p in lines])
        conn.executemany("INSERT INTO supervisor_pay VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (month, s.id, s.name, s.title, s.scope, to_centi(s.wage), to_centi(s.average),
             to_centi(s.pay)) for s in supervisors])


def stored_managers(conn: sqlite3.Connection, month: str,
                    cm_id: str | None = None) -> list[Manager]:
    """The month's managers rebuilt from the stored raw figures, ready to be re-scored."""
    where, args = ("WHERE month = ?", [month]) if cm_id is None else \
        ("WHERE month = ? AND cm_id = ?", [month, cm_id])
    managers: list[Manager] = []
    for cm, name, branch, category, inputs in conn.execute(
            "SELECT cm_id, name, branch, category, inputs FROM scores"
            f" {where} ORDER BY category, rank, cm_id", args):
        figures = {item: {role: None if v is None else Decimal(v) for role, v in roles.items()}
                   for item, roles in json.loads(inputs).items()}
        managers.append(Manager(cm, name, branch, category, 0, figures))
    return managers


def grade_row(conn: sqlite3.Connection, effective: str, cm_id: str) -> dict[str, object] | None:
    row = conn.execute(
        "SELECT g.grade, g.reason, g.boundary, g.average_cp, g.rank, w.window_start,"
        " w.window_end, w.pool_size FROM grades g JOIN gradings w USING (effective_month)"
        " WHERE g.effective_month = ? AND g.cm_id = ?", (effective, cm_id)).fetchone()
    if row is None:
        return None
    keys = ("grade", "reason", "boundary", "average", "rank", "start", "end", "pool")
    out = dict(zip(keys, row, strict=True))
    out["average"] = None if row[3] is None else from_centi(row[3])
    return out


def pay_row(conn: sqlite3.Connection, month: str, cm_id: str) -> dict[str, Decimal | str] | None:
    row = conn.execute("SELECT grade, base_fen, score_cp, pay_fen, release_fen, forfeit_fen"
                       " FROM pay WHERE month = ? AND cm_id = ?", (month, cm_id)).fetchone()
    if row is None:
        return None
    return {"grade": row[0], "base": from_centi(row[1]), "score": from_centi(row[2]),
            "pay": from_centi(row[3]), "release": from_centi(row[4]),
            "forfeit": from_centi(row[5])}
