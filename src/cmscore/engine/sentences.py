"""Each item's arithmetic as a sentence bank staff can check by hand (公示、申诉).

Built from the rule and the figures an item score carries, on demand: scoring a
100k-manager month does not pay for a million sentences nobody reads. The 明细 sheet
takes a whole item column's sentences at once (``sentence_column``): the same text,
filled from a template per item and computed once per distinct set of values.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from cmscore.engine.points import linear_points
from cmscore.numbers import ZERO
from cmscore.rules.ruleset import Item, pct

if TYPE_CHECKING:  # itemcolumns imports this module (through itemscore)
    from cmscore.engine.itemcolumns import ItemColumn


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
        return (f"{item.name}：提前完成年度任务（此前累计{num(s.year_to_date or ZERO)}"
                f"{item.unit_label} ≥ 年度任务{num(item.yearly_task)}{item.unit_label}），"
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
    return f"{item.name}：{' + '.join(parts)} {_result(item, exact, s.points)}"


def sentence_column(column: ItemColumn, rows: Sequence[int]) -> list[str]:
    """``explain_item(column.item, column.at(i))`` for each of ``rows``, byte for byte.

    A national month has a million item sentences: built row by row through ``ItemScore``
    they cost 9 s at 100k managers. Here what repeats (a count's arithmetic, a tier, a
    band) is written once per distinct value, and the per-row part (a figure, a baseline,
    the NPL balances) fills a template made once for the item. Early completion and the
    rarer forms (a ratio column, no loans) go through ``explain_item`` itself.
    """
    item = column.item
    if item.kind == "linear":
        return _linear_column(column, rows)
    if item.kind == "tiered" and set(column.roles) == {"numerator", "denominator"}:
        return _tiered_column(column, rows)
    roles = list(column.roles.values())
    points, figure, fund = column.points, column.figure, column.fund
    done: dict[tuple[object, ...], str] = {}
    out = []
    for i in rows:
        # Figures by value: they are written normalised (num, pct), so equal values give
        # equal text; a ratio's sign is kept apart (pct(-0) is "-0%"). Points by object:
        # written as they are (an adjusted 6 and a scored 6.00 differ).
        ratio = figure[i]
        key = (*(c[i] for c in roles), ratio, ratio is not None and ratio.is_signed(),
               id(points[i]), id(fund[i]) if fund else 0)
        text = done.get(key)
        if text is None:
            text = done[key] = explain_item(item, column.at(i))
        out.append(text)
    return out


def _tiered_column(column: ItemColumn, rows: Sequence[int]) -> list[str]:
    """The NPL item from its two balances: 「不良率 = 坏 ÷ 贷 = r%」 per row, the tier and
    points once per distinct (ratio, points, fund)."""
    item = column.item
    bad, base = column.roles["numerator"], column.roles["denominator"]
    figure, points, fund = column.figure, column.points, column.fund
    lead = f"{item.name}：不良率 = "
    tails: dict[tuple[object, ...], str] = {}
    texts: dict[int, str] = {}  # num() of a balance object
    out = []
    for i in rows:
        b, d, ratio = bad[i], base[i], figure[i]
        if ratio is None or b is None or d is None or not d:
            out.append(explain_item(item, column.at(i)))  # no loans, or not scored
            continue
        key = (ratio, ratio.is_signed(), id(points[i]), id(fund[i]) if fund else 0)
        tail = tails.get(key)
        if tail is None:
            full = explain_item(item, column.at(i))
            tail = tails[key] = full[full.index("（"):]  # from the tier on: the same for equal keys
        shown = f" = {pct(round(ratio, 6))}"
        nb = texts.get(id(b))
        if nb is None:
            nb = texts[id(b)] = num(b)
        nd = texts.get(id(d))
        if nd is None:
            nd = texts[id(d)] = num(d)
        out.append(f"{lead}{nb} ÷ {nd}{shown}{tail}")
    return out


def _linear_column(column: ItemColumn, rows: Sequence[int]) -> list[str]:
    item = column.item
    assert item.rate is not None and item.unit is not None
    name, cap = item.name, item.cap
    per = "" if item.unit == 1 else f" ÷ {num(item.unit)}{item.unit_label}"
    whole = "（取整）" if item.whole_units and item.unit != 1 else ""
    rate = f"{item.unit_label}{per}{whole} × {num(item.rate)}分"
    limits = f"（满分{num(item.full)} / 高限{num(cap)}）"
    over = f"分，超过高限按 {num(cap)} 分计（超额不延期）→ "
    figures = list(map(column.figure.__getitem__, rows))
    scored = list(map(column.points.__getitem__, rows))
    keys = list(zip(map(id, figures), map(id, scored), strict=True))  # objects alive meanwhile
    tails: dict[tuple[int, int], str] = {}  # (figure, points) → the sentence's tail
    for key, f, p in zip(keys, figures, scored, strict=True):
        if key in tails:
            continue
        fig = f if f is not None else ZERO
        exact = linear_points(item, fig)
        if exact > cap:
            note = f"= {num(exact)}{over}{p}分"
        elif exact < 0:
            note = f"= {num(exact)}分，减少不扣分 → {p}分"
        else:
            note = f"= {p}分"
        tails[key] = f"{num(fig)}{rate} {note}{limits}"
    out = list(map(tails.__getitem__, keys))
    baseline, source = column.baseline, column.source
    if item.basis == "vs_baseline" and baseline is not None:
        current, label = column.roles.get("value"), item.baseline_label
        for k, i in enumerate(rows):
            b = baseline[i]
            if b is None:
                out[k] = f"{name}：净增 {out[k]}"
                continue
            now = current[i] if current is not None else None
            src = source[i] if source is not None else ""
            out[k] = (f"{name}：{num(now if now is not None else ZERO)} − {label}{num(b)}"
                      f"{'' if src in ('', '导出文件') else f'（基数取自{src}）'} = {out[k]}")
    else:
        out = list(map(f"{name}：{'净增 ' if item.basis == 'vs_baseline' else '新增'}".__add__,
                       out))
    if column.early:
        for k, i in enumerate(rows):
            if i in column.early:
                out[k] = explain_item(item, column.at(i))
    return out
