"""A month's raw export figures as columns (issue 19, migration 14): what ``diff``,
``explain`` and a cascade re-score from, and where next year's baselines come from.

``input_columns``: one row per month and *part*, a part being managers that share their
columns (a category's block, in file order): their ids, the (item, role) of each column
in the export's order, and each column's decimal texts (``null`` where the cell was
empty) as JSON arrays aligned by position. Until schema 13 every ``scores`` row carried
its manager's figures as a JSON object (≈ 430 bytes; 43 MB and 0.5 s a national month);
a month stored from schema 14 on leaves ``scores.inputs`` empty and is read from here.
Months stored before keep their JSON (a national year is 1.2M rows to rewrite, which a
first open would pay for): every reader takes either, a month at a time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from cmscore.engine.month import Figures, Manager
from cmscore.engine.scoring import MonthScores
from cmscore.numbers import decimal_texts

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# (item, role) of a column; role None for an item the manager has with no figure at all.
Key = tuple[str, str | None]
Part = tuple[list[str], list[Key], Iterable[list[str | None]]]


def decimals_text(texts: list[str | None]) -> str:
    """``_dumps`` of a column of decimal texts, which never need escaping: joined, four
    times faster than the encoder, when none is missing."""
    if not texts or None in texts:
        if texts and texts.count(None) == len(texts):  # most items' baselines: none at all
            return "[" + "null," * (len(texts) - 1) + "null]"
        return _dumps(texts)
    return '["' + '","'.join(texts) + '"]'  # type: ignore[arg-type]


def parts(scores: MonthScores) -> Iterator[Part]:
    """The month's managers in parts: each category's block as read (its columns' texts,
    no step per manager, made a column at a time: a national block's columns all at once
    were 70 MB beside the forked child), then managers without one grouped by their keys."""
    framed: set[int] = set()
    loose: list[Manager] = []
    for frame in scores.frames:
        managers = frame.managers
        block = managers[0].block if managers else None
        framed.update(map(id, managers))
        if block is not None and block.managers == managers:
            yield ([m.id for m in managers], list(block.columns),
                   map(decimal_texts, block.columns.values()))
        else:
            loose += managers
    if len(scores.scores) > len(framed):  # scores built by hand (tests) have no frames
        loose += [s.manager for s in scores.scores if id(s.manager) not in framed]
    if loose:
        yield from _grouped(loose)


def _grouped(managers: list[Manager]) -> Iterator[Part]:
    """Managers built one at a time (tests, a cascade's re-scored month), a part per
    distinct set of keys in their order, so each manager's figures come back as they were."""
    by_keys: dict[tuple[Key, ...], list[Figures]] = {}
    ids: dict[tuple[Key, ...], list[str]] = {}
    for m in managers:
        figures = m.figures
        keys = tuple((item, role) for item, roles in figures.items()
                     for role in (roles or (None,)))
        by_keys.setdefault(keys, []).append(figures)
        ids.setdefault(keys, []).append(m.id)
    for keys, rows in by_keys.items():
        yield ids[keys], list(keys), [
            [] if role is None else decimal_texts([f[item][role] for f in rows])
            for item, role in keys]


def put_inputs(conn: sqlite3.Connection, scores: MonthScores) -> None:
    """The month's ``input_columns`` rows (inside the month's transaction), a part at a time."""
    conn.execute("DELETE FROM input_columns WHERE month = ?", (scores.month,))
    conn.executemany(
        "INSERT INTO input_columns (month, part, cm_ids, columns, figures) VALUES (?, ?, ?, ?, ?)",
        ((scores.month, k, _dumps(ids), _dumps(keys),
          "[" + ",".join(map(decimals_text, columns)) + "]")
         for k, (ids, keys, columns) in enumerate(parts(scores))))


def _stored(conn: sqlite3.Connection, month: str) -> Iterator[tuple[list[str], list[list[Any]],
                                                                    list[list[str | None]]]]:
    for ids, keys, figures in conn.execute(
            "SELECT cm_ids, columns, figures FROM input_columns WHERE month = ? ORDER BY part",
            (month,)):
        yield json.loads(ids), json.loads(keys), json.loads(figures)


def figures_of(conn: sqlite3.Connection, month: str,
               cm_id: str | None = None) -> dict[str, Figures]:
    """Each manager's figures (item → role → Decimal) as the export gave them, from the
    month's columns; only ``cm_id``'s when given."""
    out: dict[str, Figures] = {}
    decimals: dict[str, Decimal] = {}  # one Decimal per distinct text: counts repeat
    for ids, keys, columns in _stored(conn, month):
        rows = range(len(ids)) if cm_id is None else [i for i, cm in enumerate(ids) if cm == cm_id]
        for i in rows:
            figures: Figures = {}
            for (item, role), column in zip(keys, columns, strict=True):
                roles = figures.setdefault(item, {})
                if role is not None:
                    text = column[i]
                    roles[role] = None if text is None else \
                        decimals.get(text) or decimals.setdefault(text, Decimal(text))
            out[ids[i]] = figures
    return out


def baselines(conn: sqlite3.Connection, month: str) -> dict[tuple[str, str], Decimal]:
    """(manager, item) → the month's ``value`` figure where it has one: next year's
    baseline (``StoreHistory.baseline``). Months stored before schema 14 from their JSON."""
    out: dict[tuple[str, str], Decimal] = {}
    columns = False
    for cm, inputs in conn.execute("SELECT cm_id, inputs FROM scores WHERE month = ?", (month,)):
        if not inputs:
            columns = True
            continue
        for item, roles in json.loads(inputs).items():
            if roles.get("value") is not None:
                out[(cm, item)] = Decimal(roles["value"])
    if columns:
        for ids, keys, figures in _stored(conn, month):
            for (item, role), column in zip(keys, figures, strict=True):
                if role == "value":
                    out.update(((cm, item), Decimal(text))
                               for cm, text in zip(ids, column, strict=True) if text is not None)
    return out
