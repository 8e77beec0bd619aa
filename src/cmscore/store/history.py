"""Reads and writes of grades and pay in the store (the month scores live in ``store``)."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress, repeat
from operator import itemgetter, mul
from pathlib import Path
from typing import Any, TypeVar

from cmscore.engine.grading import Grading
from cmscore.engine.month import Figures, Manager
from cmscore.engine.pay import PayLines, SupervisorLine
from cmscore.numbers import ByValue, from_centi, one_each, to_centi
from cmscore.rules.grading import DEFAULT_POOL
from cmscore.store import inputcols
from cmscore.store.db import BUSY_TIMEOUT_S, RunRecord, insert_rows, insert_run, transaction
from cmscore.store.gradecols import grades_of as grades_of  # read here, and by payroll
from cmscore.store.gradecols import grading_row
from cmscore.store.paycols import pay_columns, span_sums
from cmscore.store.restate import record_grading_sources

T = TypeVar("T")


@contextmanager
def read_beside(db: Path, read: Callable[[sqlite3.Connection], T]) -> Iterator[Callable[[], T]]:
    """Run ``read`` on a connection of its own in a thread while the body reads on; the
    yielded function waits for its result (or raises its error).

    SQLite lets go of the GIL while it steps through rows, so two reads of a national
    year run on both cores. The caller holds the store's lock: nothing is written meanwhile.
    """
    got: dict[str, Any] = {}

    def run() -> None:
        try:
            conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S)
            try:
                got["value"] = read(conn)
            finally:
                conn.close()
        except BaseException as exc:  # raised again where the result is asked for
            got["error"] = exc

    thread = threading.Thread(target=run, name="cmscore-read", daemon=True)
    thread.start()

    def result() -> T:
        thread.join()
        if "error" in got:
            raise got["error"]
        return got["value"]  # type: ignore[no-any-return]

    try:
        yield result
    finally:
        thread.join()


def _columns(conn: sqlite3.Connection, months: list[str], column: str,
             fill: int | None, outside: frozenset[str] | None = None
             ) -> tuple[list[str], dict[str, list[str]], list[list[int | None]],
                        list[list[int | None]]]:
    """Every CM scored in any of ``months`` (sorted), each month's CMs, and per month the
    integer ``column`` of every CM (``fill`` where not scored in it); given the categories
    of a pool (``outside``), per month too the same figures of the CMs in a category
    outside it, 0 for the others.

    One row a month from ``month_points`` (store.itemcols), its ids and values as JSON
    arrays: a national year is 1.2M managers' months, and a row each took seconds.
    """
    if not months:
        return [], {}, [], []
    assert column in ("total_cp", "risk_fund_cp")
    marks = ",".join("?" * len(months))
    found: dict[str, tuple[list[str], list[int], list[int]]] = {}
    # One int object per distinct value (a few thousand): the million references then
    # point at memory the cache holds, which makes every later pass over them 3× faster.
    same: dict[int, int] = {}
    last_ids: str | None = None
    last_list: list[str] = []
    flags: dict[str, list[int]] = {}  # categories as stored → 1 outside the pool, else 0
    for month, ids, values, categories in conn.execute(
            f"SELECT month, cm_ids, {column}, {'category' if outside else 'NULL'}"
            f" FROM month_points WHERE month IN ({marks}) ORDER BY month", months):
        id_list = last_list if ids == last_ids else json.loads(ids)
        value_list = json.loads(values)
        value_list = one_each(value_list, same)
        last_ids, last_list = ids, id_list
        apart: list[int] = []
        if outside is not None:
            if categories not in flags:  # month after month the same text: parsed once
                flags[categories] = [int(c not in outside) for c in json.loads(categories)]
            apart = list(map(mul, value_list, flags[categories]))
        found[month] = id_list, value_list, apart
    lists = [ids for ids, _, _ in found.values()]
    if all(ids is lists[0] for ids in lists[1:]):  # the usual case: the same CMs every month
        everyone = sorted(lists[0]) if lists else []
    else:
        everyone = sorted(set().union(*lists))
    at: dict[str, int] | None = None
    columns: list[list[int | None]] = []
    aside: list[list[int | None]] = []
    for month in months:
        ids, values, apart = found.get(month, ([], [], []))
        for got, into, empty in ((values, columns, fill), (apart, aside, 0)):
            if into is aside and outside is None:
                continue
            if ids == everyone:
                into.append(got)  # type: ignore[arg-type]
                continue
            if at is None:
                at = {cm: i for i, cm in enumerate(everyone)}
            column_of: list[int | None] = [empty] * len(everyone)
            for i, value in zip(map(at.__getitem__, ids), got, strict=True):
                column_of[i] = value
            into.append(column_of)
    return everyone, {m: ids for m, (ids, _, _) in found.items()}, columns, aside


def save_grading(conn: sqlite3.Connection, grading: Grading, run: RunRecord,
                 ready: Callable[[], None] | None = None,
                 then: Callable[[int], None] | None = None) -> None:
    """Store grades effective the month after the window. A grading of the same effective
    month is replaced, its run kept and marked superseded; the window's month runs are
    recorded, so a later correction inside the window marks this grading stale."""
    row = grading_row(grading)  # made before the store is locked for writing
    with transaction(conn, ready):
        run_id = insert_run(conn, run)
        old = conn.execute("SELECT run_id FROM gradings WHERE effective_month = ?",
                           (grading.effective,)).fetchone()
        if old:
            conn.execute("UPDATE runs SET superseded_by = ? WHERE id = ?", (run_id, old[0]))
        conn.execute("DELETE FROM grade_columns WHERE effective_month = ?", (grading.effective,))
        conn.execute("DELETE FROM grading_sources WHERE effective_month = ?", (grading.effective,))
        conn.execute("DELETE FROM gradings WHERE effective_month = ?", (grading.effective,))
        conn.execute("INSERT INTO gradings (effective_month, window_start, window_end, months,"
                     " pool_size, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                     (grading.effective, grading.months[0], grading.months[-1],
                      len(grading.months), grading.pool_size, run_id))
        conn.execute("INSERT INTO grade_columns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        record_grading_sources(conn, grading.effective, grading.months)
        if then is not None:
            then(run_id)


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


PayRow = tuple[str, str, str, str, int, int, str | None]


def pay_rows(conn: sqlite3.Connection, month: str) -> list[PayRow]:
    """(id, name, branch, category, total, risk fund, NPL ratio as stored) of every CM
    scored in ``month``, in the scores workbook's order; points in hundredths. Each field
    comes as one JSON array built by SQLite, which holds no GIL (read beside others)."""
    return pay_columns(conn, month).rows


def npl_candidates(conn: sqlite3.Connection, months: list[str], floor: Decimal | None = None
                   ) -> dict[str, list[Decimal | None]]:
    """CM → NPL ratio per month, only for CMs with a ratio other than 0 stored in every one of
    ``months``: no one else can reach the warning (第十六条第五项), and they are few. One
    read; ids parsed once when the months share them; candidates picked in C loops. With
    ``floor``, only those at ``floor`` or above in every month (the warning's ratio)."""
    marks = ",".join("?" * len(months))
    stored = {month: (ids, ratios) for month, ids, ratios in conn.execute(
        f"SELECT month, cm_ids, npl_ratio FROM month_points WHERE month IN ({marks})", months)}
    if len(stored) < len(months):  # a month not stored: no one has a ratio in each
        return {}
    found: list[dict[str, str]] = []
    last: tuple[str | None, list[str]] = (None, [])
    for month in months:
        ids_text, ratios_text = stored[month]
        ids = last[1] if ids_text == last[0] else json.loads(ids_text)
        last = ids_text, ids
        ratios = json.loads(ratios_text)
        kept = list(map({None: False, "0": False}.get, ratios, repeat(True)))  # can warn
        found.append(dict(zip(compress(ids, kept), compress(ratios, kept), strict=True)))
    common = set(found[0]).intersection(*found[1:]) if found else set()
    if floor is not None:  # month by month, a Decimal made only for those still in
        for ratios in found:  # (a national month's candidates: 18k, none at 1%)
            common = {cm for cm in common if Decimal(ratios[cm]) >= floor}
    # By 工号: a set's order changes from run to run (string hashing), and the warnings
    # `score` prints and stores in --json must come out the same every time.
    return {cm: [Decimal(ratios[cm]) for ratios in found] for cm in sorted(common)}


@dataclass
class Accruals:
    """Risk-fund points of the year before the pay month, summed per span.

    Spans start in January and where a grading takes effect, so every month in a span
    has one base pay; ``points[s][i]`` is what ``ids[i]`` accrued over span ``starts[s]``
    (0 where they were not scored), and ``outside[s][i]`` the part of it accrued in months
    in which they were in a category outside ``pool`` (grading.yaml's): those months are
    valued at the 一级 base whatever the grading says (第六条), e.g. after an appointment to
    分行. Summing integers per span gives the same exact value as month by month.
    """

    ids: list[str]
    starts: list[str]
    points: list[list[int]]
    outside: list[list[int]]
    pool: frozenset[str]
    kept: bool = False  # the pay month holds exactly ``ids``: no one has left (paycols)


def accruals(conn: sqlite3.Connection, year: int, upto: str,
             pool: Collection[str] = DEFAULT_POOL) -> Accruals:
    """The year's accruals before ``upto`` (the pay month's own accrual is on its row), in
    one read of ``month_points`` with the categories they were accrued in."""
    start = f"{year}-01"
    cuts = [e for (e,) in conn.execute(
        "SELECT effective_month FROM gradings WHERE effective_month > ? AND effective_month < ?"
        " ORDER BY effective_month", (start, upto))]
    months = [m for (m,) in conn.execute(
        "SELECT month FROM months WHERE month >= ? AND month < ? ORDER BY month", (start, upto))]
    inside = frozenset(pool)
    bounds = [start, *cuts, upto]
    spans = [(lo, [k for k, m in enumerate(months) if lo <= m < hi])
             for lo, hi in zip(bounds, bounds[1:], strict=False)]
    spans = [(lo, span) for lo, span in spans if span]
    # The usual year (the same managers every month) in fewer passes: paycols.
    if (summed := span_sums(conn, months, [span for _, span in spans], inside, upto)) \
            is not None:
        return Accruals(*summed[:1], [lo for lo, _ in spans], *summed[1:3], inside, summed[3])
    ids, _, columns, apart = _columns(conn, months, "risk_fund_cp", 0, inside)
    return Accruals(ids, [lo for lo, _ in spans],
                    [_sums([columns[k] for k in span]) for _, span in spans],
                    [_sums([apart[k] for k in span]) for _, span in spans], inside)


def _sums(columns: list[list[int | None]]) -> list[int]:
    return list(map(sum, zip(*columns, strict=True)))  # type: ignore[arg-type]


def save_payroll(conn: sqlite3.Connection, month: str, lines: PayLines,
                 supervisors: list[SupervisorLine], run: RunRecord,
                 ready: Callable[[], None] | None = None,
                 then: Callable[[int], None] | None = None) -> None:
    """Store a month's pay; a re-run supersedes the old run, which is kept. The payroll
    records the score run and the grading it was computed from."""
    bases = ByValue(to_centi)
    with transaction(conn, ready):
        run_id = insert_run(conn, run)
        old = conn.execute("SELECT run_id FROM payrolls WHERE month = ?", (month,)).fetchone()
        if old:
            conn.execute("UPDATE runs SET superseded_by = ? WHERE id = ?", (run_id, old[0]))
        conn.execute("DELETE FROM pay WHERE month = ?", (month,))
        conn.execute("DELETE FROM supervisor_pay WHERE month = ?", (month,))
        conn.execute(
            "INSERT OR REPLACE INTO payrolls (month, run_id, score_run, grading) VALUES"
            " (?, ?, (SELECT run_id FROM months WHERE month = ?), ?)",
            (month, run_id, month, in_effect(conn, month)))
        # In 工号 order (the key's): the rows zipped from the columns, sorted on their ids
        # alone (100k tuples compared field by field took 0.1 s; the positions sorted and
        # each column taken in their order, 0.2 s).
        insert_rows(conn, "pay", 8, sorted(zip(
            repeat(month), lines.id, lines.grade, map(bases.__getitem__, lines.base),
            lines.score_cp, lines.pay_fen, _or_zero(lines.release_fen),
            _or_zero(lines.forfeit_fen)), key=_ID))
        conn.executemany("INSERT INTO supervisor_pay VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (month, s.id, s.name, s.title, s.scope, to_centi(s.wage), to_centi(s.average),
             to_centi(s.pay)) for s in supervisors])
        if then is not None:
            then(run_id)


_ID = itemgetter(1)  # a pay row's 工号


def _or_zero(column: list[int | None]) -> list[int]:
    """A column of amounts where None (not released, not forfeited) is stored as 0."""
    return [0] * len(column) if not any(column) else [v or 0 for v in column]


def stored_managers(conn: sqlite3.Connection, month: str,
                    cm_id: str | None = None) -> list[Manager]:
    """The month's managers rebuilt from the stored raw figures, ready to be re-scored."""
    where, args = ("WHERE month = ?", [month]) if cm_id is None else \
        ("WHERE month = ? AND cm_id = ?", [month, cm_id])
    managers: list[Manager] = []
    columns: dict[str, Figures] | None = None  # a month stored from schema 14 on (inputcols)
    for cm, name, branch, category, inputs in conn.execute(
            "SELECT cm_id, name, branch, category, inputs FROM scores"
            f" {where} ORDER BY category, rank, cm_id", args):
        if inputs:
            figures = {item: {role: None if v is None else Decimal(v)
                              for role, v in roles.items()}
                       for item, roles in json.loads(inputs).items()}
        else:
            if columns is None:
                columns = inputcols.figures_of(conn, month, cm_id)
            figures = columns[cm]
        managers.append(Manager(cm, name, branch, category, 0, figures))
    return managers


def pay_row(conn: sqlite3.Connection, month: str, cm_id: str) -> dict[str, Decimal | str] | None:
    row = conn.execute("SELECT grade, base_fen, score_cp, pay_fen, release_fen, forfeit_fen"
                       " FROM pay WHERE month = ? AND cm_id = ?", (month, cm_id)).fetchone()
    if row is None:
        return None
    return {"grade": row[0], "base": from_centi(row[1]), "score": from_centi(row[2]),
            "pay": from_centi(row[3]), "release": from_centi(row[4]),
            "forfeit": from_centi(row[5])}
