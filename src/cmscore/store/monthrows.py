"""A scored month as the store's ``scores`` rows: one row per CM (its items go to
``itemcols``, its raw figures to ``inputcols``: the ``inputs`` field is left empty).

Built from the scoring columns (a national month is 100k CM rows), one category at a
time. Points and money become integers of hundredths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain, repeat
from typing import Any

from cmscore.engine.scoring import Frame, ManagerScore, MonthScores
from cmscore.numbers import ByValue, decimal_texts, to_centi


def score_rows(scores: MonthScores) -> Iterator[tuple[object, ...]]:
    """A row per CM, by 工号 within each category (a few sorted runs append fast): each
    category's rows zipped from its frame's columns, no Python step per manager."""
    loose: list[ManagerScore] = []
    if len(scores.scores) > sum(len(frame.managers) for frame in scores.frames):
        framed = {id(m) for frame in scores.frames for m in frame.managers}
        loose = sorted((s for s in scores.scores if id(s.manager) not in framed),
                       key=lambda s: s.manager.id)
    rows = [(scores.month, s.manager.id, s.manager.name, s.manager.branch, s.manager.category,
             to_centi(s.total), to_centi(s.risk_fund), s.rank, s.branch_rank, _npl(s),
             "") for s in loose]
    # Not strict: the month (and a missing NPL column) repeat without end. A category's
    # columns are made when its rows are reached, not all before the first: a national
    # month's NPL texts and picked columns at once were 10 MB more beside a forked child.
    return chain(rows, chain.from_iterable(zip(*_frame_columns(scores.month, frame),
                                               strict=False) for frame in scores.frames))


def _frame_columns(month: str, frame: Frame) -> list[Iterable[object]]:
    """The ``scores`` columns of one category, its managers by 工号; totals, funds and
    ranks from the frame's columns (after any adjustment, as ``rank_month`` left them)."""
    managers = frame.managers
    ids = [m.id for m in managers]
    order = sorted(range(len(ids)), key=ids.__getitem__)

    def pick(column: Sequence[Any]) -> list[Any]:
        return list(map(column.__getitem__, order))

    people = pick(managers)
    centi = ByValue(to_centi).__getitem__
    npl = frame.items.get("npl")
    return [repeat(month), pick(ids), [m.name for m in people], [m.branch for m in people],
            [m.category for m in people], map(centi, pick(frame.totals)),
            map(centi, pick(frame.funds)), pick(frame.ranks), pick(frame.branch_ranks),
            decimal_texts(pick(npl.figure)) if npl is not None else repeat(None), repeat("")]


def _npl(s: ManagerScore) -> str | None:
    if s.frame is not None:
        column = s.frame.items.get("npl")
        return None if column is None else _text(column.figure[s.row])
    return _text(s.items["npl"].figure) if "npl" in s.items else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"

