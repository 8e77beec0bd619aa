"""An item column's 计分说明 at once, byte for byte ``sentences.explain_item`` of each row.

A national month has a million item sentences: built row by row through ``ItemScore``
they cost 9 s at 100k managers. Here what repeats (a count's arithmetic, a tier, a band)
is written once per distinct value, and the per-row part (a figure, a baseline, the NPL
balances) fills a template made once for the item.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import compress, repeat

from cmscore.engine.itemcolumns import ItemColumn
from cmscore.engine.points import linear_exact_each
from cmscore.engine.sentences import explain_item, num
from cmscore.numbers import ZERO, has_none
from cmscore.rules.bounds import HUNDRED
from cmscore.rules.ruleset import Item, pct


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
    # Figures by value: they are written normalised (num, pct), so equal values give equal
    # text; a ratio's sign is kept apart (pct(-0) is "-0%"). Points by object: written as
    # they are (an adjusted 6 and a scored 6.00 differ). Keys built in C loops.
    ratios = list(map(figure.__getitem__, rows))
    signs: Iterable[bool]
    if not has_none(ratios):
        signs = map(Decimal.is_signed, ratios)  # type: ignore[arg-type]
    elif not any(map(operator.is_not, ratios, repeat(None))):  # no ratio at all
        signs = repeat(False)
    else:
        signs = [r is not None and r.is_signed() for r in ratios]
    keys = list(zip(*(map(c.__getitem__, rows) for c in roles), ratios, signs,
                    map(id, map(points.__getitem__, rows)),
                    map(id, map(fund.__getitem__, rows)) if fund else repeat(0), strict=False))
    first = dict(zip(reversed(keys), reversed(rows), strict=True))  # each key's first row
    done = {key: explain_item(item, column.at(i)) for key, i in first.items()}
    return list(map(done.__getitem__, keys))


def _tiered_column(column: ItemColumn, rows: Sequence[int]) -> list[str]:
    """The NPL item from its two balances: 「不良率 = 坏 ÷ 贷 = r%」 per row in C loops, the
    tier, points and fund once per distinct (tier, points, fund) through ``explain_item``
    (a national month's ratios hardly repeat, its tiers and points do). A column with a
    row of no loans or not scored goes row by row."""
    item = column.item
    bads = list(map(column.roles["numerator"].__getitem__, rows))
    bases = list(map(column.roles["denominator"].__getitem__, rows))
    ratios: list[Decimal] = list(map(column.figure.__getitem__, rows))  # type: ignore[arg-type]
    if has_none(bads) or has_none(bases) or not all(bases) or \
            has_none(ratios):  # type: ignore[arg-type]
        return _tiered_rows(column, rows)
    percents = map(format, map(Decimal.normalize, map(operator.mul, map(
        round, ratios, repeat(6)), repeat(HUNDRED))), repeat("f"))  # pct(round(ratio, 6))
    heads = list(map(f"{_lit(item.name)}：不良率 = %s ÷ %s = %s%%".__mod__, zip(
        nums(bads), nums(bases), percents, strict=True)))  # type: ignore[arg-type]
    tier_of = {r: next(k for k, t in enumerate(item.tiers) if t.contains(r))
               for r in set(ratios)}
    fund, points = column.fund, column.points
    keys = list(zip(map(tier_of.__getitem__, ratios), map(id, map(points.__getitem__, rows)),
                    map(id, map(fund.__getitem__, rows)) if fund else repeat(0), strict=False))
    tails = {}
    for key, k in dict(zip(keys, range(len(keys)), strict=True)).items():  # a row a key
        full = explain_item(item, column.at(rows[k]))
        assert full.startswith(heads[k])
        tails[key] = full[len(heads[k]):]
    return list(map(str.__add__, heads, map(tails.__getitem__, keys)))


def _tiered_rows(column: ItemColumn, rows: Sequence[int]) -> list[str]:
    """``_tiered_column`` row by row, for a column with rows of no loans or not scored."""
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
    if "-0" in out:  # a look in C; a negative zero is rare
        for k in [k for k, text in enumerate(out) if text == "-0"]:
            out[k] = "0"
    return out


def _lit(text: str) -> str:
    """``text`` as the constant part of a %-template."""
    return text.replace("%", "%%")


def _tails(item: Item, figures: list[Decimal], scored: list[Decimal]) -> list[str]:
    """「x户 × 2.5分 = 5.00分（满分…）」 for each (figure, points), as ``explain_item``
    writes it: one %-template filled in a C loop, the clamped rows (above 高限, below 0)
    written again with their arithmetic."""
    assert item.rate is not None and item.unit is not None
    cap = item.cap
    per = "" if item.unit == 1 else f" ÷ {num(item.unit)}{item.unit_label}"
    whole = "（取整）" if item.whole_units and item.unit != 1 else ""
    rate = _lit(f"{item.unit_label}{per}{whole} × {num(item.rate)}分")
    limits = _lit(f"（满分{num(item.full)} / 高限{num(cap)}）")
    texts = nums(figures)
    exact = list(linear_exact_each(item, figures))
    points = list(map(str, scored))
    out = list(map(f"%s{rate} = %s分{limits}".__mod__, zip(texts, points, strict=True)))
    over = list(compress(range(len(exact)), map(cap.__lt__, exact)))
    under = [k for k in compress(range(len(exact)), map(ZERO.__gt__, exact))
             if not exact[k] > cap]
    for rows, form in ((over, f"%s{rate} = %s分，超过高限按 {num(cap)} 分计（超额不延期）→ "
                              f"%s分{limits}"),
                       (under, f"%s{rate} = %s分，减少不扣分 → %s分{limits}")):
        if rows:
            written = map(form.__mod__, zip(map(texts.__getitem__, rows),
                                            nums(map(exact.__getitem__, rows)),
                                            map(points.__getitem__, rows), strict=True))
            for k, text in zip(rows, written, strict=True):
                out[k] = text
    return out


def _linear_column(column: ItemColumn, rows: Sequence[int]) -> list[str]:
    item = column.item
    name = _lit(item.name)
    figures = list(map(column.figure.__getitem__, rows))
    scored: list[Decimal] = list(map(column.points.__getitem__, rows))
    # The tail (「x户 × 2.5分 = 5.00分（满分…）」) once per distinct (figure, points) object
    # where they repeat (counts); row by row where they hardly do (amounts).
    if 2 * len(set(map(id, figures))) > len(figures):
        out = _tails(item, [ZERO if f is None else f for f in figures]
                     if has_none(figures) else figures, scored)  # type: ignore[arg-type]
    else:
        keys = list(zip(map(id, figures), map(id, scored), strict=True))  # objects alive
        distinct = dict(zip(keys, zip(figures, scored, strict=True), strict=True))
        firsts = [f if f is not None else ZERO for f, _ in distinct.values()]
        tails = dict(zip(distinct, _tails(item, firsts, [p for _, p in distinct.values()]),
                         strict=True))
        out = list(map(tails.__getitem__, keys))
    baseline, source = column.baseline, column.source
    if item.basis == "vs_baseline" and baseline is not None:
        # 「管户户数：12 − 上年末10 = 2户 × …」: the current figure and the baseline by row.
        current, label = column.roles.get("value"), _lit(item.baseline_label)
        was = list(map(baseline.__getitem__, rows))
        now: list[Decimal | None] = list(map(current.__getitem__, rows)) \
            if current is not None else [None] * len(rows)
        src = set(map(source.__getitem__, rows)) if source is not None else {""}
        if not has_none(was) and src <= {"", "导出文件"}:  # every row against its baseline
            if has_none(now):
                now = [ZERO if v is None else v for v in now]
            out = list(map(f"{name}：%s − {label}%s = %s".__mod__, zip(
                nums(now), nums(was), out, strict=True)))  # type: ignore[arg-type]
        else:
            _some_based(column, rows, out)
    else:
        out = list(map(f"{item.name}：{'净增 ' if item.basis == 'vs_baseline' else '新增'}".__add__,
                       out))
    if column.early:
        for k, i in enumerate(rows):
            if i in column.early:
                out[k] = explain_item(item, column.at(i))
    return out


def _some_based(column: ItemColumn, rows: Sequence[int], out: list[str]) -> None:
    """The leads of a column where some rows have no baseline or take it from elsewhere."""
    item, baseline, source = column.item, column.baseline, column.source
    assert baseline is not None
    name, current, label = item.name, column.roles.get("value"), item.baseline_label
    based = [k for k, i in enumerate(rows) if baseline[i] is not None]
    now = nums(ZERO if (v := current[rows[k]] if current is not None else None) is None
               else v for k in based)
    was = nums(baseline[rows[k]] for k in based)  # type: ignore[misc]
    src = [source[rows[k]] if source is not None else "" for k in based]
    for k, a, b, s in zip(based, now, was, src, strict=True):
        out[k] = (f"{name}：{a} − {label}{b}"
                  f"{'' if s in ('', '导出文件') else f'（基数取自{s}）'} = {out[k]}")
    lead = f"{name}：净增 "
    for k in set(range(len(rows))).difference(based):
        out[k] = lead + out[k]
