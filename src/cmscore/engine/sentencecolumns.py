"""An item column's 计分说明 at once, byte for byte ``sentences.explain_item`` of each row.

A national month has a million item sentences: built row by row through ``ItemScore``
they cost 9 s at 100k managers. Here what repeats (a count's arithmetic, a tier, a band)
is written once per distinct value, and the per-row part (a figure, a baseline, the NPL
balances) fills a template made once for the item.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import repeat

from cmscore.engine.itemcolumns import ItemColumn
from cmscore.engine.points import linear_exact_each
from cmscore.engine.sentences import explain_item, num
from cmscore.numbers import ZERO
from cmscore.rules.ruleset import pct


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
        nb = texts.get(id(b))
        if nb is None:
            nb = texts[id(b)] = num(b)
        nd = texts.get(id(d))
        if nd is None:
            nd = texts[id(d)] = num(d)
        head = f"{lead}{nb} ÷ {nd} = {pct(round(ratio, 6))}"
        key = (ratio, ratio.is_signed(), id(points[i]), id(fund[i]) if fund else 0)
        tail = tails.get(key)
        if tail is None:  # the tier, points and fund: the same for equal keys
            full = explain_item(item, column.at(i))
            assert full.startswith(head)
            tail = tails[key] = full[len(head):]
        out.append(head + tail)
    return out


def nums(values: Iterable[Decimal]) -> list[str]:
    """``num`` of every value, in C loops (a national month writes millions of figures)."""
    out = list(map(format, map(Decimal.normalize, values), repeat("f")))
    for k in [k for k, text in enumerate(out) if text == "-0"]:
        out[k] = "0"
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
    # The tail (「x户 × 2.5分 = 5.00分（满分…）」) once per distinct (figure, points) object.
    distinct = dict(zip(keys, zip(figures, scored, strict=True), strict=True))
    firsts = [f if f is not None else ZERO for f, _ in distinct.values()]
    tails = dict(zip(distinct, (
        f"{text}{rate} = {p}分{limits}" if 0 <= exact <= cap else
        f"{text}{rate} = {num(exact)}{over}{p}分{limits}" if exact > cap else
        f"{text}{rate} = {num(exact)}分，减少不扣分 → {p}分{limits}"
        for text, exact, (_, p) in zip(nums(firsts), linear_exact_each(item, firsts),
                                       distinct.values(), strict=True)), strict=True))
    out = list(map(tails.__getitem__, keys))
    baseline, source = column.baseline, column.source
    if item.basis == "vs_baseline" and baseline is not None:
        # 「管户户数：12 − 上年末10 = 2户 × …」: the current figure and the baseline by row.
        current, label = column.roles.get("value"), item.baseline_label
        based = [k for k, i in enumerate(rows) if baseline[i] is not None]
        now = nums(ZERO if (v := current[rows[k]] if current is not None else None) is None
                   else v for k in based)
        was = nums(baseline[rows[k]] for k in based)  # type: ignore[misc]
        src = [source[rows[k]] if source is not None else "" for k in based]
        for k, a, b, s in zip(based, now, was, src, strict=True):
            out[k] = (f"{name}：{a} − {label}{b}"
                      f"{'' if s in ('', '导出文件') else f'（基数取自{s}）'} = {out[k]}")
        lead = f"{name}：净增 "
        unbased = set(range(len(rows))).difference(based)
        for k in unbased:
            out[k] = lead + out[k]
    else:
        out = list(map(f"{name}：{'净增 ' if item.basis == 'vs_baseline' else '新增'}".__add__,
                       out))
    if column.early:
        for k, i in enumerate(rows):
            if i in column.early:
                out[k] = explain_item(item, column.at(i))
    return out
