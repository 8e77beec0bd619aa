"""Score typed rows against a table: pure functions, Decimal only (SPEC §4).

A month is scored a column at a time (one item for every manager of a category):
a national month is a million item scores, and a Python object per item score cost
more than the arithmetic. ``ItemScore`` and ``ManagerScore`` are views built from the
columns when someone looks at one manager (explain, JSON, tests).

History (baselines from the previous December, year-to-date totals for early
completion) comes in through the ``History`` protocol, so this module never
touches the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import TypeVar

from cmscore.engine.adjustrecords import Applied
from cmscore.engine.itemcolumns import (
    Column,
    History,
    ItemColumn,
    NoHistory,
    Problems,
    linear_column,
    per_client_column,
    tiered_column,
)
from cmscore.engine.itemscore import ItemScore
from cmscore.engine.month import Block, Manager, MonthExport
from cmscore.engine.tasks import task_column
from cmscore.numbers import ZERO, ByValue, from_centi, to_centi
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import Item, RuleSet, Table

T = TypeVar("T")


@dataclass
class Frame:
    """A category's managers and their scores as columns (input order)."""

    table: Table
    managers: list[Manager]
    items: dict[str, ItemColumn]
    totals: list[Decimal]
    funds: list[Decimal]
    groups: dict[str, list[Decimal]]
    ranks: list[int] = field(default_factory=list)
    branch_ranks: list[int] = field(default_factory=list)
    # The totals in integer hundredths as scored (before any adjustment): what the first
    # ranking compares, without converting 100k totals back (``centi_of``).
    scored_centi: list[int] | None = None


class ManagerScore:
    """One manager's month; ``items`` and ``groups`` come from the frame when first read."""

    __slots__ = ("manager", "total", "risk_fund", "rank", "branch_rank", "_items", "_groups",
                 "frame", "row")

    def __init__(self, manager: Manager, items: dict[str, ItemScore] | None = None,
                 total: Decimal = ZERO, risk_fund: Decimal = ZERO,
                 groups: dict[str, Decimal] | None = None, rank: int = 0, branch_rank: int = 0,
                 frame: Frame | None = None, row: int = 0) -> None:
        self.manager, self.total, self.risk_fund = manager, total, risk_fund
        self.rank, self.branch_rank = rank, branch_rank
        self._items, self._groups, self.frame, self.row = items, groups, frame, row

    @property
    def items(self) -> dict[str, ItemScore]:
        if self._items is None:
            assert self.frame is not None
            self._items = {k: c.at(self.row) for k, c in self.frame.items.items()}
        return self._items

    @property
    def groups(self) -> dict[str, Decimal]:
        if self._groups is None:
            assert self.frame is not None
            self._groups = {k: c[self.row] for k, c in self.frame.groups.items()}
        return self._groups

    def __repr__(self) -> str:
        return f"ManagerScore({self.manager.id}, total={self.total}, rank={self.rank})"


@dataclass
class MonthScores:
    month: str
    scores: list[ManagerScore] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)  # empty when built by hand (tests)
    # CM → the manual adjustments applied on top of the computed points (engine.adjustments)
    adjustments: dict[str, list[Applied]] = field(default_factory=dict)

    def by_category(self) -> dict[str, list[ManagerScore]]:
        out: dict[str, list[ManagerScore]] = defaultdict(list)
        for s in self.scores:
            out[s.manager.category].append(s)
        return dict(out)


def figure_columns(managers: Sequence[Manager], item: Item) -> dict[str, Column]:
    """The item's figures by role for these managers (a role absent for all is left out)."""
    rows = [m.figures.get(item.id, {}) for m in managers]
    names = dict.fromkeys(role for r in rows for role in r)
    return {role: [r.get(role) for r in rows] for role in names}


def score_frame(table: Table, managers: Sequence[Manager], history: History,
                problems: Problems, block: Block | None = None) -> Frame:
    """Every item of ``table`` for these managers; problems as (row, message).

    ``block``: the reader's columns for exactly these managers, used as they are.
    """
    ids = [m.id for m in managers]
    n = len(ids)
    items: dict[str, ItemColumn] = {}
    assigned = history.tasks()
    branches = [m.branch for m in managers] if assigned is not None else [""] * n
    for item in table.items:
        roles = {role: column for (item_id, role), column in block.columns.items()
                 if item_id == item.id} if block else figure_columns(managers, item)
        task = task_column(item, ids, branches, assigned) if item.early_completion else None
        if item.kind == "linear":
            items[item.id] = linear_column(item, roles, ids, history, problems, task)
        elif item.kind == "tiered":
            items[item.id] = tiered_column(item, roles, n, problems)
        else:
            items[item.id] = per_client_column(item, roles, n, ids, history, task)
    # Subtotals, totals and funds are summed in integer hundredths (points are 2-place):
    # a third of the Decimal sums' time. Sums of capped points take a few thousand
    # values, so each is one shared Decimal (half a million objects, ~50 MB, otherwise;
    # twice over while the workbook is written in a forked child).
    centi: Callable[[Decimal], int] = ByValue(to_centi).__getitem__  # type: ignore[assignment]
    points: Callable[[int], Decimal] = ByValue(from_centi).__getitem__  # type: ignore[assignment]
    def hundredths(column: ItemColumn) -> Iterable[int]:
        return column.centi if column.centi is not None else map(centi, column.points)

    group_cp = {g.id: list(map(sum, zip(*(hundredths(items[i.id]) for i in g.items),
                                       strict=True))) for g in table.groups} if n else {}
    groups = {k: list(map(points, column)) for k, column in group_cp.items()} \
        if n else {g.id: [] for g in table.groups}
    # The groups partition the items (rules.Table).
    total_cp = list(map(sum, zip(*group_cp.values(), strict=True))) if n else []
    totals = list(map(points, total_cp))
    funds_of = [c.fund_centi if c.fund_centi is not None else map(centi, c.fund)
                for c in items.values() if c.fund is not None]
    funds = list(map(points, map(sum, zip(*funds_of, strict=True)))) if funds_of else [ZERO] * n
    return Frame(table, list(managers), items, totals, funds, groups, scored_centi=total_cp)


def score_manager(table: Table, manager: Manager, history: History) -> ManagerScore | list[str]:
    """One manager alone (explain): the same column arithmetic with one row."""
    problems: Problems = []
    frame = score_frame(table, [manager], history, problems)
    if problems:
        return [p for _, p in problems]
    return ManagerScore(manager, None, frame.totals[0], frame.funds[0], frame=frame, row=0)


def competition_ranks(values: Sequence[Decimal | int]) -> list[int]:
    """1, 2, 2, 4: ties share the best rank (SPEC §4.7). ``values`` in any order."""
    order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
    ranks = [0] * len(values)
    previous: Decimal | int | None = None
    rank = 0
    for pos, i in enumerate(order, start=1):
        if values[i] != previous:
            rank, previous = pos, values[i]
        ranks[i] = rank
    return ranks


def centi_of(values: list[Decimal]) -> list[int] | None:
    """The values in integer hundredths when every one is exactly that (totals are
    2-place, adjusted ones too), else None; once per distinct object (totals are shared
    objects: a few thousand in a national month)."""
    keys = list(map(id, values))
    memo = {}
    for key, v in dict(zip(keys, values, strict=True)).items():  # distinct, in C
        scaled = v.scaleb(2)
        memo[key] = whole = int(scaled)
        if whole != scaled:
            return None
    return list(map(memo.__getitem__, keys))


def _branch_ranks(frame: Frame, totals: Sequence[Decimal | int]) -> list[int]:
    rows: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(frame.managers):
        rows[m.branch].append(i)
    out = [0] * len(frame.managers)
    for members in rows.values():
        for i, r in zip(members, competition_ranks([totals[i] for i in members]),
                        strict=True):
            out[i] = r
    return out


def score_month(export: MonthExport, rules: RuleSet, history: History | None = None) -> MonthScores:
    """Score every manager of an export; rank within category and within branch."""
    return score_month_managers(export.month, export.managers, rules, history,
                                file=export.file, sheet=export.sheet, blocks=export.blocks)


def score_month_managers(month: str, managers: list[Manager], rules: RuleSet,
                         history: History | None = None, file: str = "",
                         sheet: str = "", blocks: dict[str, Block] | None = None) -> MonthScores:
    history = history or NoHistory()
    found: list[tuple[int, int, str]] = []  # (manager position, item position, message)
    by_category: dict[str, list[tuple[int, Manager]]] = defaultdict(list)
    for pos, manager in enumerate(managers):
        if manager.category not in rules.tables:
            found.append((pos, -1, f"规则中没有类别 {manager.category}"))
        else:
            by_category[manager.category].append((pos, manager))
    out = MonthScores(month)
    for category, table in rules.tables.items():
        members = by_category.get(category)
        if not members:
            continue
        problems: Problems = []
        chosen = [m for _, m in members]
        block = (blocks or {}).get(category)
        if block is not None and (len(block.managers) != len(chosen) or any(
                a is not b for a, b in zip(block.managers, chosen, strict=True))):
            block = None  # not the reader's rows as read: gather the figures per manager
        frame = score_frame(table, chosen, history, problems, block)
        found += [(members[i][0], 0, message) for i, message in problems]
        out.frames.append(frame)
    if found:
        found.sort(key=lambda p: (p[0], p[1]))
        raise InputError([Problem(f"工号 {managers[pos].id}：{message}", file=file, sheet=sheet,
                                  row=managers[pos].row or None) for pos, _, message in found])
    rank_month(out, as_scored=True)
    return out


def rank_month(out: MonthScores, as_scored: bool = False) -> None:
    """Rank each frame by its totals (again, after adjustments changed them) and list the
    month's managers in rank order. ``as_scored``: the totals are as ``score_frame`` made
    them, so their hundredths are at hand."""
    out.scores = []
    for frame in out.frames:
        # Compared in integer hundredths, which sort faster than Decimals; as Decimals when
        # a total has more places (never from a file: an adjustment's points have two).
        totals: Sequence[Decimal | int] = (frame.scored_centi if as_scored else None) or \
            centi_of(frame.totals) or frame.totals
        frame.ranks = competition_ranks(totals)
        frame.branch_ranks = _branch_ranks(frame, totals)
        # By (rank, 工号): by 工号, then stably by rank — two sorts on plain keys, no tuples.
        order = sorted(range(len(frame.managers)), key=[m.id for m in frame.managers].__getitem__)
        order.sort(key=frame.ranks.__getitem__)
        # Each column read in that order, the objects made by map: no Python step (nor
        # keywords) a manager.
        out.scores += map(ManagerScore, _in(order, frame.managers), repeat(None),
                          _in(order, frame.totals), _in(order, frame.funds), repeat(None),
                          _in(order, frame.ranks), _in(order, frame.branch_ranks),
                          repeat(frame), order)


def _in(order: list[int], column: Sequence[T]) -> Iterable[T]:
    """``column``'s values in ``order``."""
    return map(column.__getitem__, order)


# One manager's item, for tests and callers that score a single figure set.
def _single(column: ItemColumn, problems: Problems) -> ItemScore | str:
    return problems[0][1] if problems else column.at(0)


def score_linear(item: Item, figures: dict[str, Decimal | None], cm_id: str,
                 history: History) -> ItemScore | str:
    problems: Problems = []
    column = linear_column(item, {k: [v] for k, v in figures.items()}, [cm_id], history,
                           problems)
    return _single(column, problems)


def score_tiered(item: Item, figures: dict[str, Decimal | None]) -> ItemScore | str:
    problems: Problems = []
    column = tiered_column(item, {k: [v] for k, v in figures.items()}, 1, problems)
    return _single(column, problems)


def score_per_client(item: Item, figures: dict[str, Decimal | None], cm_id: str = "",
                     history: History | None = None) -> ItemScore:
    return per_client_column(item, {k: [v] for k, v in figures.items()}, 1, [cm_id],
                             history).at(0)
