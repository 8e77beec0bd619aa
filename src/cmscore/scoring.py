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
from .rules import Item, RuleSet, Table, pct


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


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    points: Decimal
    text: str
    figure: Decimal | None = None  # what was scored: count, amount, increase or ratio
    baseline: Decimal | None = None
    baseline_source: str = ""
    early: bool = False
    risk_fund: Decimal = ZERO


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


def num(value: Decimal) -> str:
    """A figure as staff write it: 3, 12.5, 0.3 (no exponent, no trailing zeros)."""
    text = f"{value.normalize():f}"
    return text if text != "-0" else "0"


def clamp(points: Decimal, cap: Decimal) -> Decimal:
    return min(max(points, ZERO), cap)


def linear_points(item: Item, figure: Decimal) -> Decimal:
    """rate × figure / unit; whole units only where the rule says so (SPEC §4.1)."""
    assert item.rate is not None and item.unit is not None
    units = figure / item.unit
    if item.whole_units:
        units = units.to_integral_value(rounding=ROUND_FLOOR)
    return item.rate * units


def _rate_text(item: Item, figure: Decimal) -> str:
    assert item.rate is not None and item.unit is not None
    per = "" if item.unit == 1 else f" ÷ {num(item.unit)}{item.unit_label}"
    whole = "（取整）" if item.whole_units and item.unit != 1 else ""
    return f"{num(figure)}{item.unit_label}{per}{whole} × {num(item.rate)}分"


def _limits(item: Item, exact: Decimal, points: Decimal) -> str:
    note = ""
    if exact > item.cap:
        note = f"，超过高限按 {num(item.cap)} 分计（超额不延期）"
    elif exact < 0:
        note = "，减少不扣分，按 0 分计"
    return f"{note}（满分{num(item.full)} / 高限{num(item.cap)}）"


def score_linear(item: Item, figures: dict[str, Decimal | None], cm_id: str,
                 history: History) -> ItemScore | str:
    """A linear item, monthly or against a baseline; a str return is a problem."""
    baseline = source = None
    if item.basis == "vs_baseline":
        if figures.get("increase") is not None:
            figure = figures["increase"]
            assert figure is not None
            lead = f"{item.name}：净增 "
        else:
            current = figures["value"]
            assert current is not None
            baseline, source = figures.get("baseline"), "导出文件"
            if baseline is None:
                baseline, source = history.baseline(cm_id, item.id)
            if baseline is None:
                return (f"{item.name}缺少基数：导出文件没有「{item.columns['baseline'][0]}」，"
                        "历史库中也没有该客户经理上年 12 月的数据")
            figure = current - baseline
            lead = f"{item.name}：{num(current)} − {item.baseline_label}{num(baseline)} = "
    else:
        figure = figures["value"]
        assert figure is not None
        lead = f"{item.name}：新增"
    exact = linear_points(item, figure)
    if item.early_completion:
        done = history.year_to_date(cm_id, item.id)
        if done >= item.yearly_task:
            exact_early = item.full + max(exact, ZERO)
            points = round2(clamp(exact_early, item.cap))
            text = (f"{item.name}：提前完成年度任务（此前累计{num(done)}{item.unit_label} ≥ "
                    f"年度任务{num(item.yearly_task)}{item.unit_label}），按满分{num(item.full)}分"
                    f" + 本月新增{_rate_text(item, figure)} = {points}分"
                    f"{_limits(item, exact_early, points)}")
            return ItemScore(item.id, points, text, figure, early=True)
    points = round2(clamp(exact, item.cap))
    text = f"{lead}{_rate_text(item, figure)} = {points}分{_limits(item, exact, points)}"
    return ItemScore(item.id, points, text, figure, baseline, source or "")


def score_tiered(item: Item, figures: dict[str, Decimal | None]) -> ItemScore | str:
    """The NPL item: ratio → tier points, and as much again into the risk fund (§4.4, §4.5)."""
    if "ratio" in figures:
        ratio = figures["ratio"]
        assert ratio is not None
        lead = f"{item.name}：不良率{pct(ratio)}"
    else:
        bad, base = figures["numerator"], figures["denominator"]
        assert bad is not None and base is not None
        if base == 0 and bad > 0:
            return f"{item.name}：不良贷款余额 {num(bad)} 大于 0，但发放贷款余额为 0"
        ratio = bad / base if base else ZERO
        lead = (f"{item.name}：不良率 = {num(bad)} ÷ {num(base)} = {pct(round(ratio, 6))}"
                if base else f"{item.name}：无发放贷款，不良率按 0%")
    tier = next(t for t in item.tiers if t.contains(ratio))
    points = round2(clamp(tier.points, item.full))
    fund = round2(clamp(tier.points, item.cap - item.full)) if item.risk_fund else ZERO
    text = f"{lead}（{tier.label()}）→ {points}分"
    if item.risk_fund:
        text += f"；风险金计提{fund}分（年末无不良时发放）"
    return ItemScore(item.id, points, text, ratio, risk_fund=fund)


def score_per_client(item: Item, figures: dict[str, Decimal | None]) -> ItemScore:
    """代发工资: clients counted per headcount band, each band's points per client."""
    exact = ZERO
    parts = []
    count = ZERO
    for tier in item.client_tiers:
        n = figures.get(tier.label) or ZERO
        count += n
        exact += n * tier.points
        parts.append(f"{tier.label}{num(n)}户 × {num(tier.points)}分")
    points = round2(clamp(exact, item.cap))
    text = f"{item.name}：{' + '.join(parts)} = {points}分{_limits(item, exact, points)}"
    return ItemScore(item.id, points, text, count)


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
    history = history or NoHistory()
    out = MonthScores(export.month)
    problems: list[Problem] = []
    for manager in export.managers:
        table = rules.tables[manager.category]
        result = score_manager(table, manager, history)
        if isinstance(result, list):
            problems += [Problem(f"工号 {manager.id}：{p}", file=export.file, sheet=export.sheet,
                                 row=manager.row) for p in result]
        else:
            out.scores.append(result)
    if problems:
        raise InputError(problems)
    _rank(out.scores, lambda s: s.manager.category, lambda s, r: setattr(s, "rank", r))
    _rank(out.scores, lambda s: f"{s.manager.category}\0{s.manager.branch}",
          lambda s, r: setattr(s, "branch_rank", r))
    out.scores.sort(key=lambda s: (s.manager.category, s.rank, s.manager.id))
    return out
