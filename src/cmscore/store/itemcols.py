"""A month's item scores laid out for their queries (issue 19, migration 12).

``item_columns``: one row per month and item, each field a JSON array over that item's
managers (ids, points, figure, …, aligned by position): a national month is 11 rows of a
few MB instead of 1.1M item rows, written and read by SQLite's and Python's C code.

``ytd``: the running year-to-date of each item and manager *through* each stored month
(in millionths when every figure is, see ``Total`` otherwise), so early completion
reads one row per item — the latest stored month before the one being scored — instead
of summing every earlier month's rows. Storing a month rolls it forward from that month
to the year's last stored month, so a correction leaves no stale running total.

``month_points``: per month, the managers' columns a year's grading and payroll read
(ids in order, totals, risk fund, category, NPL ratio) as JSON arrays, copied from
``scores`` by SQLite when the month is stored: 12 rows instead of 1.2M for a national year.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from itertools import compress, repeat
from operator import add, eq, is_not, mul
from typing import Any, cast

from cmscore.engine.scoring import MonthScores
from cmscore.numbers import ZERO, ByValue, decimal_texts, has_none, to_centi
from cmscore.store.inputcols import decimals_text

# The old ``items`` table's columns, in its order: what ``item_rows`` gives back.
ITEM_COLUMNS = ("month", "item_id", "cm_id", "points_cp", "figure", "figure_micro",
                "baseline", "early", "risk_fund_cp")
_FIELDS = "cm_ids, points_cp, figure, figure_micro, baseline, early, risk_fund_cp"
# The C encoder: 8 ms for a column of 100k managers, faster than joining the texts by hand.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def micro(value: Decimal | None) -> int | None:
    """A figure in millionths when that is exact, so sums stay integers."""
    if value is None:
        return None
    scaled = value.scaleb(6)
    whole = int(scaled)
    return whole if whole == scaled else None


def micro_column(values: list[Decimal | None]) -> list[int | None]:
    """``micro`` of every value, the scaling and the check done in C loops (a national
    month has 1.1M figures; a Python call per distinct one was a tenth of storing it)."""
    present = [v for v in values if v is not None] if has_none(values) else values
    scaled = list(map(Decimal.scaleb, present, repeat(6)))  # type: ignore[arg-type]
    whole: list[int | None] = list(map(int, scaled))
    if not all(map(eq, whole, scaled)):
        whole = [w if w == x else None for w, x in zip(whole, scaled, strict=True)]
    if present is values:
        return whole
    got = iter(whole)
    return [None if v is None else next(got) for v in values]


def _integers_text(values: list[int]) -> str:
    """``_dumps`` of a column of integers (never None): most early flags and risk funds,
    and some items' points, are all 0, written without looking at each."""
    if values and not any(values):
        return "[" + "0," * (len(values) - 1) + "0]"
    return _dumps(values)


def micro_of_texts(texts: list[str | None], values: list[Decimal | None]) -> list[int | None]:
    """``micro_column(values)`` given their decimal texts: a column of whole numbers (7
    of the 11 items' figures are counts) by ``int`` of each text, in C, no Decimal made."""
    # Up to 22 characters (21 digits and a sign) the figure in millionths has at most 28
    # digits, which ``micro``'s Decimal keeps exactly; a longer one (no export figure is:
    # limits.max_figure ≤ 9×10¹²) goes the Decimal way, so both ways always agree.
    whole = cast("list[str]", texts)  # when None is not in it
    if None not in texts and "." not in "".join(whole) and max(map(len, whole), default=0) <= 22:
        return list(map(mul, map(int, whole), repeat(1_000_000)))
    return micro_column(values)


def put_items(conn: sqlite3.Connection, scores: MonthScores) -> None:
    """The month's item columns, one row per item, and the year's running totals rolled
    forward from it (inside the month's transaction). One item at a time: a national
    month's columns all at once were ~100 MB more at the peak (beside a forked child
    writing the workbook, which counts twice)."""
    months = stored_months_of_year(conn, scores.month[:4])
    at = months.index(scores.month)
    previous = months[at - 1] if at else None
    conn.execute("DELETE FROM item_columns WHERE month = ?", (scores.month,))
    ids_text: dict[tuple[object, ...], tuple[str, bool]] = {}  # most items: every manager
    totals: dict[str, tuple[str, str]] = {}
    for item_id, (ids, *fields) in item_columns(scores):
        key = tuple(ids)
        if key not in ids_text:
            ids_text[key] = (_dumps(ids), len(set(ids)) == len(ids))
        text, unique = ids_text[key]
        texts = [(decimals_text if k in (1, 3) else _integers_text if k in (0, 4, 5)
                  else _dumps)(field) for k, field in enumerate(fields)]
        conn.execute(f"INSERT INTO item_columns (month, item_id, {_FIELDS}) VALUES"
                     " (?, ?, ?, ?, ?, ?, ?, ?, ?)", (scores.month, item_id, text, *texts))
        before = None if previous is None else _ytd_row(conn, previous, item_id)
        new = _plus(before, ids, fields[1], fields[2], unique)
        # The year's first month: its totals are its own ids and millionths, as just written.
        totals[item_id] = (text, texts[2]) if new[0] is ids and new[1] is fields[2] \
            else (_dumps(new[0]), _dumps(new[1]))
    roll_ytd(conn, scores.month, totals)


def columns_of(scores: MonthScores) -> dict[str, list[list[Any]]]:
    """Item → its fields as lists over managers (``item_columns``)."""
    return dict(item_columns(scores))


def item_columns(scores: MonthScores) -> Iterator[tuple[str, list[list[Any]]]]:
    """Each item, by id, and its fields as lists over managers (cm_id, points_cp, figure,
    figure_micro, baseline, early, risk_fund_cp): each category's column appended in frame
    order, managers built by hand (tests) after them. Points in hundredths are the
    column's own (``centi``) but where an adjustment moved them."""
    loose = len(scores.scores) > sum(len(frame.managers) for frame in scores.frames)
    framed = {id(m) for frame in scores.frames for m in frame.managers} if loose else set()
    strays = [s for s in scores.scores if id(s.manager) not in framed] if loose else []
    adjusted = {cm for cm, applied in scores.adjustments.items() if applied}
    ids = [[m.id for m in frame.managers] for frame in scores.frames]
    moved = [[i for i, cm in enumerate(column) if cm in adjusted] if adjusted else []
             for column in ids]
    items = sorted({item for frame in scores.frames for item in frame.items}
                   | {item for s in strays for item in s.items})
    for item_id in items:
        out: list[list[Any]] = [[] for _ in range(7)]
        for frame, cms, rows in zip(scores.frames, ids, moved, strict=True):
            c = frame.items.get(item_id)
            if c is None:
                continue
            n = len(cms)
            centi = ByValue(to_centi).__getitem__
            points = list(map(centi, c.points)) if c.centi is None else list(c.centi)
            for i in rows:
                points[i] = to_centi(c.points[i])
            early = [0] * n
            for i in c.early:
                early[i] = 1
            out[0] += cms
            out[1] += points
            figure = decimal_texts(c.figure)
            out[2] += figure
            out[3] += micro_of_texts(figure, c.figure)
            out[4] += decimal_texts(c.baseline) if c.baseline else [None] * n
            out[5] += early
            out[6] += (c.fund_centi if c.fund_centi is not None else map(centi, c.fund)) \
                if c.fund else [0] * n
        for s in strays:  # scores built by hand (tests) have no frames
            got = s.items.get(item_id)
            if got is None:
                continue
            for k, value in enumerate((
                    s.manager.id, to_centi(got.points), _text(got.figure), micro(got.figure),
                    _text(got.baseline), 1 if got.early else 0, to_centi(got.risk_fund))):
                out[k].append(value)
        yield item_id, out


def compared(scores: MonthScores) -> list[tuple[object, ...]]:
    """Every stored field of every item score (cm, item, points, figure, its millionths,
    baseline, early, risk fund), sorted: what a cascade compares with ``stored_compared``
    to know whether a re-scored month changed. Figures and baselines too: a December
    correction can move January's baseline and net increase without moving its points
    (a decrease scores 0 either way), and the stored rows must still follow."""
    return sorted((cm, item, *fields) for item, (ids, *columns) in columns_of(scores).items()
                  for cm, *fields in zip(ids, *columns, strict=True))


def stored_compared(conn: sqlite3.Connection, month: str) -> list[tuple[object, ...]]:
    return sorted((r[2], r[1], *r[3:]) for r in item_rows(conn, month))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


ItemRow = tuple[str, str, str, int, str | None, int | None, str | None, int, int]


def item_rows(conn: sqlite3.Connection, month: str,
              item_id: str | None = None) -> Iterator[ItemRow]:
    """The month's item scores as the rows the ``items`` table held before migration 12
    (``ITEM_COLUMNS``), item by item, each item's managers in stored order."""
    where, args = ("month = ?", (month,)) if item_id is None else \
        ("month = ? AND item_id = ?", (month, item_id))
    for item, *fields in conn.execute(
            f"SELECT item_id, {_FIELDS} FROM item_columns WHERE {where} ORDER BY item_id", args):
        ids, points, figure, mic, baseline, early, fund = map(json.loads, fields)
        for i, cm in enumerate(ids):
            yield (month, item, cm, points[i], figure[i], mic[i], baseline[i], early[i],
                   fund[i])


def points_by_category(conn: sqlite3.Connection, month: str) -> dict[tuple[str, str],
                                                                      tuple[int, int]]:
    """(category, item) → (sum of points, managers) over the month's scored managers."""
    category = dict(conn.execute("SELECT cm_id, category FROM scores WHERE month = ?", (month,)))
    sums: dict[tuple[str, str], tuple[int, int]] = {}
    for item, ids, points in conn.execute(
            "SELECT item_id, cm_ids, points_cp FROM item_columns WHERE month = ?", (month,)):
        for cm, p in zip(json.loads(ids), json.loads(points), strict=True):
            if cm in category:
                total, n = sums.get((category[cm], item), (0, 0))
                sums[(category[cm], item)] = (total + p, n + 1)
    return sums


def stored_months_of_year(conn: sqlite3.Connection, year: str) -> list[str]:
    return [m for (m,) in conn.execute(
        "SELECT month FROM months WHERE month >= ? AND month <= ? ORDER BY month",
        (f"{year}-01", f"{year}-12"))]


# A manager's running total: whole millionths (int), or, once a figure is not a whole number
# of them, [millionths or None, [those figures' texts, in month order]] — kept apart, not
# summed, because a figure of 28 significant digits (an NPL ratio) rounds when added, and
# schema 9 added them, in month order, onto the millionths' sum: so does ``as_decimal``.
Total = int | list[Any]
Totals = tuple[list[str], list[Total]]


def _ytd_row(conn: sqlite3.Connection, month: str, item_id: str) -> Totals | None:
    row = conn.execute("SELECT cm_ids, totals FROM ytd WHERE month = ? AND item_id = ?",
                       (month, item_id)).fetchone()
    return None if row is None else (json.loads(row[0]), json.loads(row[1]))


def _plus(before: Totals | None, ids: list[str], figure: list[str | None],
          mic: list[int | None], unique: bool = False) -> Totals:
    """``before`` with one month's figures added (``Total``). Integers only (the usual
    case) are added in C; the rest one manager at a time. ``unique``: ``ids`` are known
    to be distinct (a month's items share one id list: checked once, not per item)."""
    out: dict[str, Total] = dict(zip(*before, strict=True)) if before else {}
    keep = list(map(is_not, figure, repeat(None)))
    if not all(keep):  # managers without a figure add nothing
        ids, figure, mic = (list(compress(ids, keep)), list(compress(figure, keep)),
                            list(compress(mic, keep)))
    if before is None and (unique or len(set(ids)) == len(ids)):  # the year's first month
        if None not in mic:
            return ids, mic  # type: ignore[return-value]
        return ids, [m if m is not None else [None, [text]] for text, m in
                     zip(figure, mic, strict=True)]
    if None not in mic and list not in set(map(type, out.values())):
        if before is not None and ids == before[0]:
            return ids, list(map(add, before[1], mic))  # type: ignore[arg-type]
        sums = list(map(add, map(out.get, ids, repeat(0)), mic))  # type: ignore[arg-type]
        out.update(zip(ids, sums, strict=True))
        return list(out), list(out.values())
    for cm, text, m in zip(ids, figure, mic, strict=True):
        had = out.get(cm)
        if type(had) is list:
            had = out[cm] = [had[0], list(had[1])]  # never the list of the month before
        if m is not None:
            if type(had) is list:
                had[0] = (had[0] or 0) + m
            else:
                out[cm] = (had or 0) + m  # type: ignore[operator]
        elif type(had) is list:
            had[1].append(text)
        else:
            out[cm] = [had, [text]]
    return list(out), list(out.values())


def as_decimal(value: Total) -> Decimal:
    """A running total as stored (``Total``) as schema 9's SQL sum gave it."""
    if type(value) is int:
        return Decimal(value).scaleb(-6)
    whole, texts = value  # type: ignore[misc]
    total = ZERO if whole is None else Decimal(whole).scaleb(-6)
    for text in texts:
        total += Decimal(text)
    return total


def roll_ytd(conn: sqlite3.Connection, month: str,
             fresh: dict[str, tuple[str, str]] | None = None) -> None:
    """Bring the running year-to-date up to date from ``month`` (just stored) to the year's
    last stored month; a month whose totals come out as already stored ends the walk.
    ``fresh``: ``month``'s running totals as stored (ids and totals as JSON texts) of
    each item it has, when ``put_items`` has just worked them out."""
    months = stored_months_of_year(conn, month[:4])
    at = months.index(month)
    previous = months[at - 1] if at else None
    for current in months[at:]:
        changed = False
        given = fresh if fresh is not None and current == month else None
        figures = {} if given is not None else {
            item: (json.loads(ids), json.loads(fig), json.loads(mic))
            for item, ids, fig, mic in conn.execute(
                "SELECT item_id, cm_ids, figure, figure_micro FROM item_columns"
                " WHERE month = ?", (current,))}
        items = set(figures) | set(given or ())
        if previous is not None:
            items |= {i for (i,) in conn.execute("SELECT item_id FROM ytd WHERE month = ?",
                                                 (previous,))}
        stored = {item: (ids, totals) for item, ids, totals in conn.execute(
            "SELECT item_id, cm_ids, totals FROM ytd WHERE month = ?", (current,))}
        for item in sorted(items):
            if given is not None and item in given:
                texts = given[item]
            else:
                before = None if previous is None else _ytd_row(conn, previous, item)
                new = _plus(before, *figures.get(item, ([], [], [])))
                texts = (_dumps(new[0]), _dumps(new[1]))
            if stored.pop(item, None) != texts:
                changed = True
                conn.execute("INSERT OR REPLACE INTO ytd (month, item_id, cm_ids, totals)"
                             " VALUES (?, ?, ?, ?)", (current, item, *texts))
        if stored:  # items the month no longer has
            changed = True
            conn.executemany("DELETE FROM ytd WHERE month = ? AND item_id = ?",
                             [(current, item) for item in stored])
        if not changed and current != month:
            return
        previous = current


def ytd_before(conn: sqlite3.Connection, month: str, item_id: str) -> dict[str, Decimal]:
    """Each manager's running total of ``item_id`` over the stored months of ``month``'s
    year before it; the opening file (期初累计) is not in it."""
    row = conn.execute("SELECT max(month) FROM months WHERE month >= ? AND month < ?",
                       (f"{month[:4]}-01", month)).fetchone()
    got = None if row[0] is None else _ytd_row(conn, row[0], item_id)
    if got is None:
        return {}
    same: dict[int, Decimal] = {}  # one conversion per distinct whole total
    return {cm: as_decimal(v) if type(v) is list else
            same[v] if v in same else same.setdefault(v, as_decimal(v))  # type: ignore[index, arg-type]
            for cm, v in zip(*got, strict=True)}


def put_points(conn: sqlite3.Connection, month: str) -> None:
    """The month's ``month_points`` row from its ``scores`` rows, just stored."""
    conn.execute("DELETE FROM month_points WHERE month = ?", (month,))
    conn.execute(
        "INSERT INTO month_points SELECT month, json_group_array(cm_id),"
        " json_group_array(total_cp), json_group_array(risk_fund_cp),"
        " json_group_array(category), json_group_array(npl_ratio) FROM (SELECT month, cm_id,"
        " total_cp, risk_fund_cp, category, npl_ratio FROM scores WHERE month = ?"
        " ORDER BY cm_id) GROUP BY month", (month,))


def fill_new(conn: sqlite3.Connection) -> None:
    """Migration 12's tables that need more than SQL: every month's points and running totals."""
    for (month,) in conn.execute("SELECT month FROM months ORDER BY month").fetchall():
        put_points(conn, month)
    rebuild_ytd(conn)


def rebuild_ytd(conn: sqlite3.Connection) -> None:
    """Every year's running totals from its first stored month (migration 12)."""
    conn.execute("DELETE FROM ytd")
    firsts = [m for (m,) in conn.execute(
        "SELECT min(month) FROM months GROUP BY substr(month, 1, 4) ORDER BY 1")]
    for first in firsts:
        roll_ytd(conn, first)
