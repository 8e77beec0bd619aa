"""A scored month as the store's rows: one row per CM, one per CM and item.

Built from the scoring columns (a national month is 100k CM rows and a million item
rows), one category or one item at a time so the whole month is never held as rows.
Points and money become integers of hundredths; figures keep their decimal text and,
when exact, an integer of millionths that SQL can sum.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from itertools import repeat
from operator import itemgetter

from cmscore.engine.month import Manager
from cmscore.engine.scoring import ManagerScore, MonthScores
from cmscore.numbers import ByValue, decimal_texts, to_centi


def score_rows(scores: MonthScores) -> Iterator[tuple[object, ...]]:
    """A row per CM, by 工号 within each category (a few sorted runs append fast)."""
    framed = {id(m) for frame in scores.frames for m in frame.managers}
    by_manager = {id(s.manager): s for s in scores.scores}
    loose = sorted((s for s in scores.scores if id(s.manager) not in framed),
                   key=lambda s: s.manager.id)
    runs: list[tuple[list[ManagerScore], Iterator[str]]] = [
        (loose, (inputs_text(s.manager) for s in loose))]
    for frame in scores.frames:
        order = sorted(range(len(frame.managers)), key=lambda i: frame.managers[i].id)
        block = frame.managers[0].block if frame.managers else None
        members = [by_manager[id(frame.managers[i])] for i in order]
        if block is not None and block.managers == frame.managers:
            runs.append((members, block.inputs_json(order)))
        else:
            runs.append((members, (inputs_text(s.manager) for s in members)))
    for members, inputs in runs:
        for s, text in zip(members, inputs, strict=True):
            m = s.manager
            yield (scores.month, m.id, m.name, m.branch, m.category, to_centi(s.total),
                   to_centi(s.risk_fund), s.rank, s.branch_rank, _npl(s), text)


def _npl(s: ManagerScore) -> str | None:
    if s.frame is not None:
        column = s.frame.items.get("npl")
        return None if column is None else _text(column.figure[s.row])
    return _text(s.items["npl"].figure) if "npl" in s.items else None


def item_rows_by_item(scores: MonthScores) -> Iterator[list[tuple[object, ...]]]:
    """One item's rows for every CM, sorted by CM: the item's columns in each category
    zipped into rows. One item at a time, so a national month never holds a million
    rows at once."""
    month = scores.month
    framed = {id(m) for frame in scores.frames for m in frame.managers}
    loose: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for s in scores.scores:  # scores built by hand (tests) have no frames
        if id(s.manager) in framed:
            continue
        for item_id, got in s.items.items():
            loose[item_id].append((month, item_id, s.manager.id, to_centi(got.points),
                                   *_figure(got.figure), _text(got.baseline),
                                   1 if got.early else 0, to_centi(got.risk_fund)))
    item_ids = sorted({k for frame in scores.frames for k in frame.items} | set(loose))
    ids = [[m.id for m in frame.managers] for frame in scores.frames]
    for item_id in item_ids:
        rows = loose.pop(item_id, [])
        # Per item, so a column of distinct amounts cannot grow them past 100k entries.
        centi, micro = ByValue(to_centi).__getitem__, ByValue(_micro).__getitem__
        for frame, frame_ids in zip(scores.frames, ids, strict=True):
            c = frame.items.get(item_id)
            if c is None:
                continue
            n = len(frame.managers)
            early = [0] * n
            for i in c.early:
                early[i] = 1
            rows += zip(repeat(month), repeat(item_id), frame_ids,
                        map(centi, c.points),
                        decimal_texts(c.figure),
                        map(micro, c.figure),
                        decimal_texts(c.baseline) if c.baseline else repeat(None, n),
                        early, map(centi, c.fund) if c.fund else repeat(0, n))
        rows.sort(key=itemgetter(2))
        yield rows


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _figure(value: Decimal | None) -> tuple[str | None, int | None]:
    """A figure as text, and in millionths when that is exact, so SQL can sum it without floats."""
    return _text(value), _micro(value)


def _micro(value: Decimal | None) -> int | None:
    if value is None:
        return None
    scaled = value.scaleb(6)
    whole = int(scaled)
    return whole if whole == scaled else None


def inputs_text(manager: Manager) -> str:
    """The export's raw figures as JSON, item → role → decimal text: what `diff` re-scores."""
    return json.dumps({item: {role: _text(v) for role, v in roles.items()}
                       for item, roles in manager.figures.items()}, ensure_ascii=False,
                      separators=(",", ":"))
