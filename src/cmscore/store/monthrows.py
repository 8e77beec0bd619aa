"""A scored month as the store's ``scores`` rows: one row per CM (its items go to
``itemcols``).

Built from the scoring columns (a national month is 100k CM rows), one category at a
time. Points and money become integers of hundredths; raw figures keep their decimal text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

from cmscore.engine.month import Manager
from cmscore.engine.scoring import ManagerScore, MonthScores
from cmscore.numbers import to_centi


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


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def inputs_text(manager: Manager) -> str:
    """The export's raw figures as JSON, item → role → decimal text: what `diff` re-scores."""
    return json.dumps({item: {role: _text(v) for role, v in roles.items()}
                       for item, roles in manager.figures.items()}, ensure_ascii=False,
                      separators=(",", ":"))
