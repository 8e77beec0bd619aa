"""One item scored for every manager of a category at once: linear items, the tiered NPL
item and per-client items (SPEC §4.1–4.4), Decimal only.

A column is a list with row i for manager i. Points are computed once per distinct figure
where the arithmetic allows, in C loops over Decimal's own methods. ``ItemColumn.at``
gives one manager's ``ItemScore``, built only when someone looks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from cmscore.engine.itemscore import ItemScore
from cmscore.engine.points import clamp, linear_points, linear_points_each
from cmscore.engine.tasks import TaskColumn, Tasks, task_column
from cmscore.numbers import ZERO, round2
from cmscore.rules.ruleset import Item

Column = list[Decimal | None]


class History(Protocol):
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        """The CM's previous-December figure for a stock item, and where it came from."""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        """Sum of the item's monthly figures in earlier months of the same year."""

    def tasks(self) -> Tasks | None:
        """The year's assigned annual tasks (任务下达), when the bank gave them."""


class NoHistory:
    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        return None, ""

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return ZERO

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


def linear_column(item: Item, roles: dict[str, Column], ids: Sequence[str], history: History,
                  problems: Problems, task: TaskColumn | None = None) -> ItemColumn:
    """A linear item, monthly or against a baseline (SPEC §4.1–4.3); ``task``: each row's
    annual task for early completion (default: the rule file's, or 12 × monthly)."""
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
        out.task = task = task or task_column(item, ids, [""] * n, None)
        for i, f in enumerate(figure):
            done = history.year_to_date(ids[i], item.id)
            if f is not None and done >= task[0][i]:
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
    scored: dict[tuple[int, ...], tuple[Decimal, Decimal, Decimal]] = {}
    for key, counted in firsts.items():
        exact = count = ZERO
        for got, (_, each) in zip(counted, bands, strict=True):
            if got:
                count += got
                exact += got * each
        scored[key] = count, round2(clamp(exact, item.cap)), exact
    counts, points, exacts = (list(c) for c in zip(*map(scored.__getitem__, keys), strict=True)) \
        if n else ([], [], [])
    out = ItemColumn(item, points, counts, roles)  # type: ignore[arg-type]
    if item.early_completion and history is not None and len(ids) == n:
        out.task = task = task or task_column(item, ids, [""] * n, None)
        for i in range(n):
            done = history.year_to_date(ids[i], item.id)
            if done >= task[0][i]:
                points[i] = round2(clamp(item.full + exacts[i], item.cap))
                out.early[i] = done
    return out
