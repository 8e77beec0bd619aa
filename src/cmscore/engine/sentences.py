"""Each item's arithmetic as a sentence bank staff can check by hand (公示、申诉).

Built from the rule and the figures an item score carries, on demand: scoring a
100k-manager month does not pay for a million sentences nobody reads. The 明细 sheet
takes a whole item column's sentences at once (``sentencecolumns``): the same text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from cmscore.engine.points import linear_points
from cmscore.numbers import ZERO
from cmscore.rules.ruleset import Item, pct


def num(value: Decimal) -> str:
    """A figure as staff write it: 3, 12.5, 0.3 (no exponent, no trailing zeros)."""
    text = f"{value.normalize():f}"
    return text if text != "-0" else "0"


def _rate(item: Item, figure: Decimal) -> str:
    assert item.rate is not None and item.unit is not None
    per = "" if item.unit == 1 else f" ÷ {num(item.unit)}{item.unit_label}"
    whole = "（取整）" if item.whole_units and item.unit != 1 else ""
    return f"{num(figure)}{item.unit_label}{per}{whole} × {num(item.rate)}分"


def _result(item: Item, exact: Decimal, points: Decimal) -> str:
    """「= 22.5分，超过高限按 20 分计 → 20.00分（满分…）」: the arithmetic stays true when clamped."""
    if exact > item.cap:
        note = f"= {num(exact)}分，超过高限按 {num(item.cap)} 分计（超额不延期）→ {points}分"
    elif exact < 0:
        note = f"= {num(exact)}分，减少不扣分 → {points}分"
    else:
        note = f"= {points}分"
    return f"{note}（满分{num(item.full)} / 高限{num(item.cap)}）"


class Scored(Protocol):
    """What a sentence reads of one manager's item (``itemscore.ItemScore`` has it)."""

    points: Decimal
    figure: Decimal | None
    baseline: Decimal | None
    baseline_source: str
    early: bool
    risk_fund: Decimal
    year_to_date: Decimal | None
    figures: dict[str, Decimal | None]
    annual_task: Decimal | None
    task_source: str


def explain_item(item: Item, score: Scored) -> str:
    if item.kind == "linear":
        return _linear(item, score)
    if item.kind == "tiered":
        return _tiered(item, score)
    return _per_client(item, score)


def _linear(item: Item, s: Scored) -> str:
    figure = s.figure if s.figure is not None else ZERO
    exact = linear_points(item, figure)
    if s.early:
        early_exact = item.full + max(exact, ZERO)
        return (f"{item.name}：{_early(item, s)}"
                f"按满分{num(item.full)}分 + 本月新增{_rate(item, figure)} "
                f"{_result(item, early_exact, s.points)}")
    if item.basis == "vs_baseline" and s.baseline is not None:
        current = s.figures.get("value")
        source = "" if s.baseline_source in ("", "导出文件") else f"（基数取自{s.baseline_source}）"
        lead = (f"{item.name}：{num(current if current is not None else ZERO)} − "
                f"{item.baseline_label}{num(s.baseline)}{source} = ")
    elif item.basis == "vs_baseline":
        lead = f"{item.name}：净增 "
    else:
        lead = f"{item.name}：新增"
    return f"{lead}{_rate(item, figure)} {_result(item, exact, s.points)}"


def _early(item: Item, s: Scored) -> str:
    """「提前完成年度任务（此前累计48户 ≥ 年度任务48户，下达任务），」: whose task it was."""
    unit = item.unit_label or ("户" if item.kind == "per_client" else "")
    task = s.annual_task if s.annual_task is not None else item.yearly_task
    source = f"，{s.task_source}" if s.task_source else ""
    return (f"提前完成年度任务（此前累计{num(s.year_to_date or ZERO)}{unit} ≥ "
            f"年度任务{num(task)}{unit}{source}），")


def _tiered(item: Item, s: Scored) -> str:
    ratio = s.figure if s.figure is not None else ZERO
    f = s.figures
    if "ratio" in f:
        lead = f"{item.name}：不良率{pct(ratio)}"
    elif f.get("denominator"):
        lead = (f"{item.name}：不良率 = {num(f['numerator'] or ZERO)} ÷ "
                f"{num(f['denominator'] or ZERO)} = {pct(round(ratio, 6))}")
    else:
        lead = f"{item.name}：无发放贷款，不良率按 0%"
    tier = next(t for t in item.tiers if t.contains(ratio))
    text = f"{lead}（{tier.label()}）→ {s.points}分"
    if item.risk_fund:
        text += f"；风险金计提{s.risk_fund}分（年末无不良时发放）"
    return text


def _per_client(item: Item, s: Scored) -> str:
    parts = []
    exact = ZERO
    for tier in item.client_tiers:
        n = s.figures.get(tier.label) or ZERO
        exact += n * tier.points
        parts.append(f"{tier.label}{num(n)}户 × {num(tier.points)}分")
    if s.early:
        return (f"{item.name}：{_early(item, s)}按满分{num(item.full)}分 + 本月新增"
                f"{' + '.join(parts)} {_result(item, item.full + exact, s.points)}")
    return f"{item.name}：{' + '.join(parts)} {_result(item, exact, s.points)}"
