"""One item scored for every manager of a category at once: linear items, the tiered NPL
item and per-client items (SPEC §4.1–4.4), exactly: a linear column in integers when its
figures pass ``fixedpoint``'s checks, else in Decimal.

A column is a list with row i for manager i. Points are computed once per distinct figure
where the arithmetic allows, in C loops over Decimal's own methods. ``ItemColumn.at``
gives one manager's ``ItemScore``, built only when someone looks.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress
from typing import Protocol

from cmscore.engine.fixedpoint import early_centi, linear_centi
from cmscore.engine.itemscore import ItemScore
from cmscore.engine.points import clamp, linear_points, linear_points_each
from cmscore.engine.tasks import TaskColumn, Tasks, task_column
from cmscore.numbers import ZERO, from_centi, has_none, round2, to_centi
from cmscore.rules.ruleset import Item

Column = list[Decimal | None]


class History(Protocol):
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        """The CM's previous-December figure for a stock item, and where it came from."""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        """Sum of the item's monthly figures in earlier months of the same year."""

    def years_to_date(self, ids: Sequence[str], item_id: str) -> list[Decimal]:
        """``year_to_date`` of each of ``ids``, in order: one call a column, not a manager
        (a national month asks 600k times)."""

    def tasks(self) -> Tasks | None:
        """The year's assigned annual tasks (任务下达), when the bank gave them."""


class NoHistory:
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        return None, ""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return ZERO

    def years_to_date(self, ids: Sequence[str], item_id: str) -> list[Decimal]:
        return [ZERO] * len(ids)

    def tasks(self) -> Tasks | None:
        return None


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
    task: TaskColumn | None = None  # early-completion items: each row's annual task
    # The points and the fund in integer hundredths, as scored (before any adjustment):
    # what the frame's subtotals, totals and funds are summed from.
    centi: list[int] | None = None
    fund_centi: list[int] | None = None

    def at(self, i: int) -> ItemScore:
        ytd = self.early.get(i)
        return ItemScore(self.item.id, self.points[i], "", self.figure[i],
                         self.baseline[i] if self.baseline else None,
                         self.source[i] if self.source else "", ytd is not None,
                         self.fund[i] if self.fund else ZERO, ytd, self.item,
                         {role: got for role, column in self.roles.items()
                          if (got := column[i]) is not None or role == "baseline"},
                         annual_task=self.task[0][i] if self.task else None,
                         task_source=self.task[1][i] if self.task else "")


Problems = list[tuple[int, str]]  # (row, message)


def one_per_text(column: Column) -> Column:
    """``column`` with one object per distinct text (digits, exponent and sign: all that
    anyone reading a figure sees; 1.0 and 1.00 stay apart). A national month's net
    increases and NPL ratios repeat (300k of 400k, 24 MB): a forked run holds each twice.
    Later steps work once per distinct object."""
    first: dict[str, Decimal | None] = {}
    return list(map(first.setdefault, map(str, column), column))


def linear_column(item: Item, roles: dict[str, Column], ids: Sequence[str], history: History,
                  problems: Problems, task: TaskColumn | None = None) -> ItemColumn:
    """A linear item, monthly or against a baseline (SPEC §4.1–4.3); ``task``: each row's
    annual task for early completion (default: the rule file's, or 12 × monthly)."""
    n = len(ids)
    increase, value, given = roles.get("increase"), roles.get("value"), roles.get("baseline")
    vs_baseline = item.basis == "vs_baseline"
    baseline: Column | None = None
    source: list[str] | None = None
    figure: Column
    if vs_baseline and increase is None and value is not None and given is not None and \
            not has_none(value) and not has_none(given):
        # The usual stock item: this month's and the base figure on every row, both read
        # from the export — the differences in one C loop, as the loop below makes them.
        figure = one_per_text(list(map(operator.sub, value, given)))
        baseline, source = list(given), ["导出文件"] * n
    elif vs_baseline and (increase is None or has_none(increase)):
        figure = [None] * n
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
        figure = one_per_text(figure)
    else:
        figure = increase if vs_baseline else value  # type: ignore[assignment]
        assert figure is not None
    centi = _each_figure(item, figure)
    if centi is not None:
        out = ItemColumn(item, list(map(from_centi, centi)), figure, roles, baseline, source,
                         centi=centi)
    else:
        out = _by_object(item, figure, roles, baseline, source)
    if item.early_completion:
        out.task = task = task or task_column(item, ids, [""] * n, None)
        early_completion(out, ids, task[0], history)
    return out


def _each_figure(item: Item, figure: Column) -> list[int] | None:
    """The column's centi-points figure by figure, for a column of amounts (nearly every
    figure its own object or most, none missing) that passes fixedpoint's checks: five C passes
    over the figures instead of building three maps of them; None otherwise (repeating
    counts are worked out once per distinct object by ``_by_object``)."""
    sample = figure[:256]
    if len(sample) < 256 or len(set(map(id, sample))) <= 128 or has_none(figure):
        return None
    return linear_centi(item, figure)  # type: ignore[arg-type]


def _by_object(item: Item, figure: Column, roles: dict[str, Column], baseline: Column | None,
               source: list[str] | None) -> ItemColumn:
    # Once per distinct figure object (the reader shares one per distinct value): counts
    # repeat a lot, amounts rarely. Keyed by id, as hashing a Decimal costs 6× an int's.
    keys = list(map(id, figure))
    objects = dict(zip(keys, figure, strict=True))
    objects.pop(id(None), None)
    values: list[Decimal] = list(objects.values())  # type: ignore[arg-type]
    # Integers when the column passes the exactness checks (fixedpoint), else Decimal.
    exact = linear_centi(item, values)
    if exact is None:
        exact = list(map(to_centi, linear_points_each(item, values)))
    by_object = dict(zip(objects, exact, strict=True))
    shared = dict(zip(objects, map(from_centi, exact), strict=True))
    by_object[id(None)], shared[id(None)] = 0, ZERO  # no figure: 0 as written before ("0")
    centi = list(map(by_object.__getitem__, keys))
    return ItemColumn(item, list(map(shared.__getitem__, keys)), figure, roles, baseline,
                      source, centi=centi)


def early_completion(column: ItemColumn, ids: Sequence[str], tasks: Sequence[Decimal],
                     history: History) -> None:
    """Rows whose earlier months of the year reached their annual task (``tasks``, row by
    row) score full marks plus this month's points, capped (SPEC §4.3)."""
    item, figure, points, centi = column.item, column.figure, column.points, column.centi
    assert centi is not None
    done = history.years_to_date(ids, item.id)
    reached = list(map(operator.ge, done, tasks))  # a C loop: few rows have reached it
    rows = [i for i in compress(range(len(reached)), reached) if figure[i] is not None]
    figures: list[Decimal] = [figure[i] for i in rows]  # type: ignore[misc]
    got = early_centi(item, figures)
    if got is None:  # not exact in integers: Decimal decides
        got = [to_centi(round2(clamp(item.full + max(linear_points(item, f), ZERO), item.cap)))
               for f in figures]
    for i, c in zip(rows, got, strict=True):
        centi[i], points[i] = c, from_centi(c)
        column.early[i] = done[i]


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


class _Tiers(dict[Decimal, tuple[Decimal, Decimal, int, int]]):
    """An NPL ratio → (points, fund, both in hundredths), worked out once per distinct
    ratio: 0 for most managers."""

    def __init__(self, item: Item) -> None:
        super().__init__()
        self.item = item
        self.by_tier: dict[int, tuple[Decimal, Decimal, int, int]] = {}  # a few tiers

    def __missing__(self, ratio: Decimal) -> tuple[Decimal, Decimal, int, int]:
        item = self.item
        k = next(k for k, t in enumerate(item.tiers) if t.contains(ratio))
        scored = self.by_tier.get(k)
        if scored is None:
            tier = item.tiers[k]
            got = round2(clamp(tier.points, item.full))
            kept = round2(clamp(tier.points, item.cap - item.full)) if item.risk_fund else ZERO
            scored = self.by_tier[k] = (got, kept, to_centi(got), to_centi(kept))
        self[ratio] = scored
        return scored


def tiered_column(item: Item, roles: dict[str, Column], n: int,
                  problems: Problems) -> ItemColumn:
    """The NPL item: ratio → tier points, and as much again into the risk fund (§4.4, §4.5)."""
    tiers = _Tiers(item)
    bad, base = roles.get("numerator"), roles.get("denominator")
    if n and set(roles) == {"numerator", "denominator"} and bad is not None \
            and base is not None and not has_none(bad) and not has_none(base) and 0 not in base:
        # The usual month: two balances on every row, every 发放贷款余额 above 0 — the
        # ratios and their tiers in C loops.
        ratios = one_per_text(list(map(operator.truediv, bad, base)))
        points, fund, centi, fund_centi = (list(c) for c in zip(
            *map(tiers.__getitem__, ratios), strict=True))  # type: ignore[arg-type]
        return ItemColumn(item, points, ratios, roles, fund=fund,
                          centi=centi, fund_centi=fund_centi)
    figure: Column = [None] * n
    points, fund = [ZERO] * n, [ZERO] * n
    centi, fund_centi = [0] * n, [0] * n
    for i, ratio in enumerate(_ratios(roles, n)):
        if isinstance(ratio, str):
            problems.append((i, f"{item.name}：{ratio}"))
            continue
        figure[i] = ratio
        points[i], fund[i], centi[i], fund_centi[i] = tiers[ratio]
    return ItemColumn(item, points, one_per_text(figure), roles, fund=fund, centi=centi,
                      fund_centi=fund_centi)


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


def per_client_column(item: Item, roles: dict[str, Column], n: int,
                      ids: Sequence[str] = (), history: History | None = None,
                      task: TaskColumn | None = None) -> ItemColumn:
    """代发工资: clients counted per headcount band, each band's points per client. With
    ``early_completion`` in the rule, a manager whose earlier months' clients (the count,
    both bands) reached the annual task scores full + this month's clients, up to the cap."""
    bands = [(roles.get(t.label), t.points) for t in item.client_tiers]
    columns = [column if column is not None else [None] * n for column, _ in bands]
    # Once per distinct set of count objects (a dozen in a national month), by id: a
    # count written 2 and one written 2.0 stay as written, as row by row.
    keys = list(zip(*(map(id, c) for c in columns), strict=True)) if bands else [()] * n
    firsts = dict(zip(keys, zip(*columns, strict=True) if bands else [()] * n, strict=True))
    scored: dict[tuple[int, ...], tuple[Decimal, Decimal, int, Decimal]] = {}
    for key, counted in firsts.items():
        exact = count = ZERO
        for got, (_, each) in zip(counted, bands, strict=True):
            if got:
                count += got
                exact += got * each
        points = round2(clamp(exact, item.cap))
        scored[key] = count, points, to_centi(points), exact
    counts, column, centi, exacts = (list(c) for c in zip(*map(scored.__getitem__, keys),
                                                          strict=True)) if n else ([], [], [], [])
    out = ItemColumn(item, column, counts, roles, centi=centi)  # type: ignore[arg-type]
    if item.early_completion and history is not None and len(ids) == n:
        out.task = task = task or task_column(item, ids, [""] * n, None)
        for i in range(n):
            done = history.year_to_date(ids[i], item.id)
            if done >= task[0][i]:
                column[i] = got = round2(clamp(item.full + exacts[i], item.cap))
                centi[i] = to_centi(got)
                out.early[i] = done
    return out
