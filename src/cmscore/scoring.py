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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from itertools import repeat
from typing import Protocol

from .numbers import ZERO, ByValue, from_centi, round2, round2_each, to_centi
from .problems import InputError, Problem
from .reader import Block, Manager, MonthExport
from .rules import Item, RuleSet, Table

Column = list[Decimal | None]


class History(Protocol):
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        """The CM's previous-December figure for a stock item, and where it came from."""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        """Sum of the item's monthly figures in earlier months of the same year."""


class NoHistory:
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        return None, ""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return ZERO


@dataclass(slots=True)
class ItemScore:
    item_id: str
    points: Decimal
    given_text: str = ""  # a fixed explanation; otherwise it is built on demand
    figure: Decimal | None = None  # what was scored: count, amount, increase or ratio
    baseline: Decimal | None = None
    baseline_source: str = ""
    early: bool = False
    risk_fund: Decimal = ZERO
    year_to_date: Decimal | None = None  # for early completion: the earlier months' total
    item: Item | None = field(default=None, repr=False, compare=False)
    figures: dict[str, Decimal | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The arithmetic as a Chinese sentence; built only when someone reads it."""
        if self.given_text or self.item is None:
            return self.given_text
        from .explain import explain_item

        return explain_item(self.item, self)


@dataclass(slots=True)
class ItemColumn:
    """One item scored for every manager of a category, row i = manager i."""

    item: Item
    points: list[Decimal]
    figure: Column
    roles: dict[str, Column]  # the export's figures by role, as read
    baseline: Column | None = None
    source: list[str] | None = None
    early: dict[int, Decimal] = field(default_factory=dict)  # row → earlier months' total
    fund: list[Decimal] | None = None

    def at(self, i: int) -> ItemScore:
        ytd = self.early.get(i)
        return ItemScore(self.item.id, self.points[i], "", self.figure[i],
                         self.baseline[i] if self.baseline else None,
                         self.source[i] if self.source else "", ytd is not None,
                         self.fund[i] if self.fund else ZERO, ytd, self.item,
                         {role: got for role, column in self.roles.items()
                          if (got := column[i]) is not None or role == "baseline"})


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


class ManagerScore:
    """One manager's month; ``items`` and ``groups`` come from the frame when first read."""

    __slots__ = ("manager", "total", "risk_fund", "rank", "branch_rank", "_items", "_groups",
                 "frame", "row")

    def __init__(self, manager: Manager, items: dict[str, ItemScore] | None = None,
                 total: Decimal = ZERO, risk_fund: Decimal = ZERO,
                 groups: dict[str, Decimal] | None = None, rank: int = 0, branch_rank: int = 0,
                 *, frame: Frame | None = None, row: int = 0) -> None:
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

    def by_category(self) -> dict[str, list[ManagerScore]]:
        out: dict[str, list[ManagerScore]] = defaultdict(list)
        for s in self.scores:
            out[s.manager.category].append(s)
        return dict(out)


def clamp(points: Decimal, cap: Decimal) -> Decimal:
    return min(max(points, ZERO), cap)


def linear_points(item: Item, figure: Decimal) -> Decimal:
    """rate × figure / unit; whole units only where the rule says so (SPEC §4.1)."""
    assert item.rate is not None and item.unit is not None
    if item.unit == 1 and not item.whole_units:
        return item.rate * figure
    units = figure / item.unit
    if item.whole_units:
        units = units.to_integral_value(rounding=ROUND_FLOOR)
    return item.rate * units


def linear_points_each(item: Item, figures: list[Decimal]) -> list[Decimal]:
    """``round2(clamp(linear_points(item, f), cap))`` for every figure, as C loops over
    Decimal's own methods: the same operations in the same order."""
    assert item.rate is not None and item.unit is not None
    if item.unit == 1 and not item.whole_units:
        exact: Iterable[Decimal] = map(item.rate.__mul__, figures)
    else:
        units: Iterable[Decimal] = map(Decimal.__truediv__, figures, repeat(item.unit))
        if item.whole_units:
            units = map(Decimal.to_integral_value, units, repeat(ROUND_FLOOR))
        exact = map(item.rate.__mul__, units)
    return round2_each(map(min, map(max, exact, repeat(ZERO)), repeat(item.cap)))


Problems = list[tuple[int, str]]  # (row, message)


def linear_column(item: Item, roles: dict[str, Column], ids: Sequence[str], history: History,
                  problems: Problems) -> ItemColumn:
    """A linear item, monthly or against a baseline (SPEC §4.1–4.3)."""
    n = len(ids)
    increase, value, given = roles.get("increase"), roles.get("value"), roles.get("baseline")
    vs_baseline = item.basis == "vs_baseline"
    baseline: Column | None = None
    source: list[str] | None = None
    if vs_baseline and (increase is None or None in increase):
        figure: Column = [None] * n
        baseline, source = [None] * n, [""] * n
        for i in range(n):
            if increase is not None and increase[i] is not None:
                figure[i] = increase[i]
                continue
            b, src = (given[i], "导出文件") if given is not None else (None, "")
            if b is None:
                b, src = history.baseline(ids[i], item.id)
            if b is None:
                problems.append((i, f"{item.name}缺少基数：导出文件没有「{item.columns['baseline'][0]}」，"
                                    "历史库中也没有该客户经理上年 12 月的数据"))
                continue
            current = value[i] if value is not None else None
            assert current is not None
            figure[i], baseline[i], source[i] = current - b, b, src
    else:
        figure = increase if vs_baseline else value  # type: ignore[assignment]
        assert figure is not None
    cap = item.cap
    # Once per distinct figure object (the reader shares one per distinct value): counts
    # repeat a lot, amounts rarely. Keyed by id, as hashing a Decimal costs 6× an int's.
    keys = list(map(id, figure))
    objects = dict(zip(keys, figure, strict=True))
    objects.pop(id(None), None)
    by_object = dict(zip(objects, linear_points_each(item, list(objects.values())),  # type: ignore[arg-type]
                         strict=True))
    by_object[id(None)] = ZERO
    points = list(map(by_object.__getitem__, keys))
    out = ItemColumn(item, points, figure, roles, baseline, source)
    if item.early_completion:
        task = item.yearly_task
        for i, f in enumerate(figure):
            done = history.year_to_date(ids[i], item.id)
            if f is not None and done >= task:
                exact = linear_points(item, f)
                points[i] = round2(clamp(item.full + max(exact, ZERO), cap))
                out.early[i] = done
    return out


def npl_ratio(figures: dict[str, Decimal | None]) -> Decimal | str:
    """The NPL ratio from a ratio column or from two balances (no loans → 0)."""
    if "ratio" in figures:
        ratio = figures["ratio"]
        assert ratio is not None
        return ratio
    bad, base = figures["numerator"], figures["denominator"]
    assert bad is not None and base is not None
    if base == 0 and bad > 0:
        return f"不良贷款余额 {bad:f} 大于 0，但发放贷款余额为 0"
    return bad / base if base else ZERO


def tiered_column(item: Item, roles: dict[str, Column], n: int,
                  problems: Problems) -> ItemColumn:
    """The NPL item: ratio → tier points, and as much again into the risk fund (§4.4, §4.5)."""
    figure: Column = [None] * n
    points, fund = [ZERO] * n, [ZERO] * n
    tiers: dict[Decimal, tuple[Decimal, Decimal]] = {}  # ratio → (points, fund): 0 for most
    for i, ratio in enumerate(_ratios(roles, n)):
        if isinstance(ratio, str):
            problems.append((i, f"{item.name}：{ratio}"))
            continue
        scored = tiers.get(ratio)
        if scored is None:
            tier = next(t for t in item.tiers if t.contains(ratio))
            scored = tiers[ratio] = (
                round2(clamp(tier.points, item.full)),
                round2(clamp(tier.points, item.cap - item.full)) if item.risk_fund else ZERO)
        figure[i] = ratio
        points[i], fund[i] = scored
    return ItemColumn(item, points, figure, roles, fund=fund)


def _ratios(roles: dict[str, Column], n: int) -> Iterator[Decimal | str]:
    """``npl_ratio`` of each of the ``n`` rows; from the two balance columns without a
    dict a row, the usual case."""
    def given(i: int) -> dict[str, Decimal | None]:
        return {k: got for k in roles if (got := roles[k][i]) is not None}

    if set(roles) != {"numerator", "denominator"}:
        yield from (npl_ratio(given(i)) for i in range(n))
        return
    for i, (bad, base) in enumerate(zip(roles["numerator"], roles["denominator"],
                                        strict=True)):
        if bad is None or base is None or (not base and bad > 0):
            yield npl_ratio(given(i))
        else:
            yield bad / base if base else ZERO


def per_client_column(item: Item, roles: dict[str, Column], n: int) -> ItemColumn:
    """代发工资: clients counted per headcount band, each band's points per client."""
    bands = [(roles.get(t.label), t.points) for t in item.client_tiers]
    columns = [column if column is not None else [None] * n for column, _ in bands]
    # Once per distinct set of count objects (a dozen in a national month), by id: a
    # count written 2 and one written 2.0 stay as written, as row by row.
    keys = list(zip(*(map(id, c) for c in columns), strict=True)) if bands else [()] * n
    firsts = dict(zip(keys, zip(*columns, strict=True) if bands else [()] * n, strict=True))
    scored: dict[tuple[int, ...], tuple[Decimal, Decimal]] = {}
    for key, counted in firsts.items():
        exact = count = ZERO
        for got, (_, each) in zip(counted, bands, strict=True):
            if got:
                count += got
                exact += got * each
        scored[key] = count, round2(clamp(exact, item.cap))
    counts, points = (list(c) for c in zip(*map(scored.__getitem__, keys), strict=True)) \
        if n else ([], [])
    return ItemColumn(item, points, counts, roles)  # type: ignore[arg-type]


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
    for item in table.items:
        roles = {role: column for (item_id, role), column in block.columns.items()
                 if item_id == item.id} if block else figure_columns(managers, item)
        if item.kind == "linear":
            items[item.id] = linear_column(item, roles, ids, history, problems)
        elif item.kind == "tiered":
            items[item.id] = tiered_column(item, roles, n, problems)
        else:
            items[item.id] = per_client_column(item, roles, n)
    # Subtotals, totals and funds are summed in integer hundredths (points are 2-place):
    # a third of the Decimal sums' time. Sums of capped points take a few thousand
    # values, so each is one shared Decimal (half a million objects, ~50 MB, otherwise;
    # twice over while the workbook is written in a forked child).
    centi: Callable[[Decimal], int] = ByValue(to_centi).__getitem__  # type: ignore[assignment]
    points: Callable[[int], Decimal] = ByValue(from_centi).__getitem__  # type: ignore[assignment]
    group_cp = {g.id: list(map(sum, zip(*(map(centi, items[i.id].points) for i in g.items),
                                       strict=True))) for g in table.groups} if n else {}
    groups = {k: list(map(points, column)) for k, column in group_cp.items()} \
        if n else {g.id: [] for g in table.groups}
    # The groups partition the items (rules.Table).
    totals = list(map(points, map(sum, zip(*group_cp.values(), strict=True)))) if n else []
    funds_of = [c.fund for c in items.values() if c.fund is not None]
    funds = list(map(points, map(sum, zip(*(map(centi, f) for f in funds_of), strict=True)))) \
        if funds_of else [ZERO] * n
    return Frame(table, list(managers), items, totals, funds, groups)


def score_manager(table: Table, manager: Manager, history: History) -> ManagerScore | list[str]:
    """One manager alone (explain): the same column arithmetic with one row."""
    problems: Problems = []
    frame = score_frame(table, [manager], history, problems)
    if problems:
        return [p for _, p in problems]
    return ManagerScore(manager, None, frame.totals[0], frame.funds[0], frame=frame, row=0)


def competition_ranks(values: list[Decimal]) -> list[int]:
    """1, 2, 2, 4: ties share the best rank (SPEC §4.7). ``values`` in any order."""
    order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
    ranks = [0] * len(values)
    previous: Decimal | None = None
    rank = 0
    for pos, i in enumerate(order, start=1):
        if values[i] != previous:
            rank, previous = pos, values[i]
        ranks[i] = rank
    return ranks


def _branch_ranks(frame: Frame) -> list[int]:
    rows: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(frame.managers):
        rows[m.branch].append(i)
    out = [0] * len(frame.managers)
    for members in rows.values():
        for i, r in zip(members, competition_ranks([frame.totals[i] for i in members]),
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
        frame.ranks = competition_ranks(frame.totals)
        frame.branch_ranks = _branch_ranks(frame)
        out.frames.append(frame)
    if found:
        found.sort(key=lambda p: (p[0], p[1]))
        raise InputError([Problem(f"工号 {managers[pos].id}：{message}", file=file, sheet=sheet,
                                  row=managers[pos].row or None) for pos, _, message in found])
    for frame in out.frames:
        order = sorted(range(len(frame.managers)), key=list(zip(
            frame.ranks, [m.id for m in frame.managers], strict=True)).__getitem__)
        out.scores += [ManagerScore(frame.managers[i], None, frame.totals[i], frame.funds[i],
                                    rank=frame.ranks[i], branch_rank=frame.branch_ranks[i],
                                    frame=frame, row=i) for i in order]
    return out


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


def score_per_client(item: Item, figures: dict[str, Decimal | None]) -> ItemScore:
    return per_client_column(item, {k: [v] for k, v in figures.items()}, 1).at(0)
