"""Score typed rows against a table: pure functions, Decimal only (SPEC §4).

History (baselines from the previous December, year-to-date totals for early
completion) comes in through the ``History`` protocol, so this module never
touches the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Protocol

from .numbers import ZERO, round2
from .problems import InputError, Problem
from .reader import Manager, MonthExport
from .rules import Item, RuleSet, Table


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


@dataclass(slots=True)  # a million of these in a national month: no __dict__, no frozen setattr
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


@dataclass
class ManagerScore:
    manager: Manager
    items: dict[str, ItemScore]
    total: Decimal
    risk_fund: Decimal
    groups: dict[str, Decimal]
    rank: int = 0
    branch_rank: int = 0


@dataclass
class MonthScores:
    month: str
    scores: list[ManagerScore] = field(default_factory=list)

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


def score_linear(item: Item, figures: dict[str, Decimal | None], cm_id: str,
                 history: History) -> ItemScore | str:
    """A linear item, monthly or against a baseline; a str return is a problem."""
    baseline = None
    source = ""
    if item.basis == "vs_baseline" and figures.get("increase") is None:
        current = figures["value"]
        assert current is not None
        baseline, source = figures.get("baseline"), "导出文件"
        if baseline is None:
            baseline, source = history.baseline(cm_id, item.id)
        if baseline is None:
            return (f"{item.name}缺少基数：导出文件没有「{item.columns['baseline'][0]}」，"
                    "历史库中也没有该客户经理上年 12 月的数据")
        figure = current - baseline
    else:
        figure = figures["increase" if item.basis == "vs_baseline" else "value"]  # type: ignore[assignment]
        assert figure is not None
    exact = linear_points(item, figure)
    if item.early_completion:
        done = history.year_to_date(cm_id, item.id)
        if done >= item.yearly_task:
            points = round2(clamp(item.full + max(exact, ZERO), item.cap))
            return ItemScore(item.id, points, "", figure, early=True, year_to_date=done,
                             item=item, figures=figures)
    return ItemScore(item.id, round2(clamp(exact, item.cap)), "", figure, baseline, source,
                     item=item, figures=figures)


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


def score_tiered(item: Item, figures: dict[str, Decimal | None]) -> ItemScore | str:
    """The NPL item: ratio → tier points, and as much again into the risk fund (§4.4, §4.5)."""
    ratio = npl_ratio(figures)
    if isinstance(ratio, str):
        return f"{item.name}：{ratio}"
    tier = next(t for t in item.tiers if t.contains(ratio))
    points = round2(clamp(tier.points, item.full))
    fund = round2(clamp(tier.points, item.cap - item.full)) if item.risk_fund else ZERO
    return ItemScore(item.id, points, "", ratio, risk_fund=fund, item=item, figures=figures)


def score_per_client(item: Item, figures: dict[str, Decimal | None]) -> ItemScore:
    """代发工资: clients counted per headcount band, each band's points per client."""
    exact = ZERO
    count = ZERO
    for tier in item.client_tiers:
        n = figures.get(tier.label) or ZERO
        count += n
        exact += n * tier.points
    return ItemScore(item.id, round2(clamp(exact, item.cap)), "", count, item=item,
                     figures=figures)


def score_manager(table: Table, manager: Manager, history: History) -> ManagerScore | list[str]:
    items: dict[str, ItemScore] = {}
    problems: list[str] = []
    for item in table.items:
        figures = manager.figures.get(item.id, {})
        result: ItemScore | str
        if item.kind == "linear":
            result = score_linear(item, figures, manager.id, history)
        elif item.kind == "tiered":
            result = score_tiered(item, figures)
        else:
            result = score_per_client(item, figures)
        if isinstance(result, str):
            problems.append(result)
        else:
            items[item.id] = result
    if problems:
        return problems
    groups = {g.id: sum((items[i.id].points for i in g.items), ZERO) for g in table.groups}
    total = sum((s.points for s in items.values()), ZERO)
    fund = sum((s.risk_fund for s in items.values()), ZERO)
    return ManagerScore(manager, items, total, fund, groups)


def competition_ranks(values: list[Decimal]) -> list[int]:
    """1, 2, 2, 4: ties share the best rank (SPEC §4.7). ``values`` in any order."""
    order = sorted(range(len(values)), key=lambda i: values[i], reverse=True)
    ranks = [0] * len(values)
    for pos, i in enumerate(order):
        prev = order[pos - 1] if pos else None
        ranks[i] = ranks[prev] if prev is not None and values[prev] == values[i] else pos + 1
    return ranks


def _rank(scores: Iterable[ManagerScore], key: Callable[[ManagerScore], str],
          set_rank: Callable[[ManagerScore, int], None]) -> None:
    groups: dict[str, list[ManagerScore]] = defaultdict(list)
    for s in scores:
        groups[key(s)].append(s)
    for members in groups.values():
        for s, r in zip(members, competition_ranks([m.total for m in members]), strict=True):
            set_rank(s, r)


def score_month(export: MonthExport, rules: RuleSet, history: History | None = None) -> MonthScores:
    """Score every manager of an export; rank within category and within branch."""
    return score_month_managers(export.month, export.managers, rules, history,
                                file=export.file, sheet=export.sheet)


def score_month_managers(month: str, managers: list[Manager], rules: RuleSet,
                         history: History | None = None, file: str = "",
                         sheet: str = "") -> MonthScores:
    history = history or NoHistory()
    out = MonthScores(month)
    problems: list[Problem] = []
    for manager in managers:
        table = rules.tables.get(manager.category)
        if table is None:
            problems.append(Problem(f"工号 {manager.id}：规则中没有类别 {manager.category}",
                                    file=file, sheet=sheet, row=manager.row or None))
            continue
        result = score_manager(table, manager, history)
        if isinstance(result, list):
            problems += [Problem(f"工号 {manager.id}：{p}", file=file, sheet=sheet,
                                 row=manager.row or None) for p in result]
        else:
            out.scores.append(result)
    if problems:
        raise InputError(problems)
    _rank(out.scores, lambda s: s.manager.category, lambda s, r: setattr(s, "rank", r))
    _rank(out.scores, lambda s: f"{s.manager.category}\0{s.manager.branch}",
          lambda s, r: setattr(s, "branch_rank", r))
    order = {c: i for i, c in enumerate(rules.tables)}
    out.scores.sort(key=lambda s: (order.get(s.manager.category, 99), s.rank, s.manager.id))
    return out
