"""report-YYYY-MM.html: one self-contained page for 公示 and management (SPEC §8 `report`).

All inline — one <style>, hand-written SVG, no script, no address of any kind — so it opens
from disk, prints and can be mailed. Figures are Decimals shown with two places (floats only
place SVG shapes); all text from the store goes through ``html.escape``.
"""

from __future__ import annotations

import math
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal
from html import escape

from cmscore import __version__
from cmscore.engine.grading import window
from cmscore.engine.pay import NPL_WARNING_MONTHS, npl_warning
from cmscore.numbers import ZERO, fmt2, from_centi, round2
from cmscore.problems import fail
from cmscore.rules.ruleset import RuleSet
from cmscore.store import db as store
from cmscore.store import gradecols, history, itemcols

COLORS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#4a5568")
GRADE_ORDER = ("一级", "二级", "三级", "过渡期")
BINS = 12  # histogram of totals: 0–10, …, 110–120 (120 and above fall in the last bin)
TOP_N = 10

CSS = """@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  "SimHei", "WenQuanYi Micro Hei", sans-serif; color: #1a202c; margin: 0 auto; padding: 24px;
  max-width: 1120px; font-size: 14px; line-height: 1.5; background: #fff;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h1 { font-size: 26px; margin: 0 0 8px; border-bottom: 3px solid #2b6cb0; padding-bottom: 6px; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-left: 8px; border-left: 5px solid #2b6cb0; }
h3 { font-size: 15px; margin: 14px 0 6px; } h2, h3 { break-after: avoid; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; break-inside: avoid; }
th, td { border: 1px solid #cbd5e0; padding: 3px 9px; } th { background: #edf2f7; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.meta td:first-child { background: #f7fafc; white-space: nowrap; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 28px; align-items: flex-start; }
figure { margin: 6px 0 12px; break-inside: avoid; } svg { max-width: 100%; height: auto; }
figcaption, .note { font-size: 13px; color: #4a5568; }
svg text { font-size: 12px; fill: #2d3748; } svg .axis { stroke: #718096; }
svg .gridline { stroke: #e2e8f0; } .warn h2 { border-left-color: #c53030; color: #9b2c2c; }
footer { margin-top: 32px; color: #718096; font-size: 12px; border-top: 1px solid #e2e8f0; }
@media print { body { padding: 0; max-width: none; } }"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _money(value: Decimal) -> str:
    return f"{round2(value):,.2f}"


def _pct(ratio: Decimal) -> str:
    return f"{fmt2(ratio * 100)}%"


def _mean(values: list[Decimal]) -> Decimal:
    return round2(sum(values, ZERO) / len(values))


def _table(headers: list[str], rows: list[list[str]], numeric: Iterable[int] = (),
           cls: str = "") -> str:
    """A table of text cells; every cell is escaped here, numeric columns right-aligned."""
    numeric = set(numeric)
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{_e(c)}</td>' if j in numeric else f"<td>{_e(c)}</td>"
        for j, c in enumerate(r)) + "</tr>" for r in rows)
    return f'<table{f" class={cls!r}" if cls else ""}><thead><tr>{head}</tr></thead>' \
           f"<tbody>{body}</tbody></table>"


def _svg(width: float, height: float, parts: list[str], label: str) -> str:
    return (f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
            f'height="{height:.0f}" role="img" aria-label="{_e(label)}">'
            f'<title>{_e(label)}</title>{"".join(parts)}</svg>')


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{_e(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> str:
    title = f"<title>{_e(tip)}</title>" if tip else ""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
            f'fill="{fill}">{title}</rect>')


def _line(x1: float, y1: float, x2: float, y2: float, cls: str = "axis") -> str:
    return f'<line class="{cls}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'


def histogram(totals: list[Decimal], color: str, label: str) -> str:
    counts = [0] * BINS
    for t in totals:
        counts[min(max(int(t // 10), 0), BINS - 1)] += 1
    w, h, left, right, top, bottom = 340, 210, 30, 12, 24, 40
    pw, ph = w - left - right, h - top - bottom
    step = max(1, math.ceil(max(counts) / 5))
    ymax = step * max(1, math.ceil(max(counts) / step))
    parts = []
    for v in range(0, ymax + 1, step):
        y = top + ph - ph * v / ymax
        parts += [_line(left, y, left + pw, y, "gridline"), _text(left - 5, y + 4, str(v), "end")]
    bw = pw / BINS
    for i, c in enumerate(counts):
        bh = ph * c / ymax
        x = left + i * bw
        parts.append(_rect(x + 1, top + ph - bh, bw - 2, bh, color,
                           f"{i * 10}–{i * 10 + 10} 分：{c} 人"))
        if c:
            parts.append(_text(x + bw / 2, top + ph - bh - 3, str(c), "middle"))
    for i in range(0, BINS + 1, 2):
        parts.append(_text(left + i * bw, top + ph + 14, str(i * 10), "middle"))
    parts += [_line(left, top + ph, left + pw, top + ph), _line(left, top, left, top + ph),
              _text(left + pw / 2, h - 6, "总分（分）", "middle"), _text(2, 12, "人数")]
    return _svg(w, h, parts, label)


Bar = tuple[Decimal, str, int]  # value, colour, inset from the row's top and bottom


def hbars(rows: list[tuple[str, list[Bar], str]], scale: Decimal, label: str,
          legend: tuple[tuple[str, str], ...] = ()) -> str:
    """Horizontal bars: per row a label, bars drawn over each other, a note after the longest."""
    w, left, right, rh, top = 820, 190, 140, 26, 26 if legend else 8
    pw, h, unit = w - left - right, top + rh * len(rows) + 24, float(scale)
    parts = [p for k, (fill, what) in enumerate(legend)
             for p in (_rect(left + 80 * k, 6, 12, 10, fill), _text(left + 80 * k + 16, 15, what))]
    for k in range(0, int(scale) + 1, 20 if scale > 60 else 5):
        x = left + pw * k / unit
        parts += [_line(x, top, x, h - 24, "gridline"), _text(x, h - 8, str(k), "middle")]
    for i, (name, bars, note) in enumerate(rows):
        y = top + i * rh
        parts += [_text(left - 8, y + rh / 2 + 4, name, "end")]
        parts += [_rect(left, y + inset, pw * float(v) / unit, rh - 2 * inset, fill,
                        f"{name}：{note}") for v, fill, inset in bars]
        end = max(float(v) for v, _, _ in bars)
        parts.append(_text(left + pw * end / unit + 6, y + rh / 2 + 4, note))
    return _svg(w, h, parts + [_line(left, top, left, h - 24)], label)


def line_chart(months: list[str], series: list[tuple[str, str, list[Decimal | None]]],
               label: str) -> str:
    """One polyline per category over the months; a missing month breaks the line."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    hi = max(values, default=Decimal(100))
    lo = min(values, default=ZERO)
    ymax = max(math.ceil(hi / 10) * 10, 20)
    ymin = max(0, min(math.floor(lo / 10) * 10, ymax - 20))
    rotate = len(months) > 12
    w, left, right, top, bottom = 860, 44, 40, 34, 70 if rotate else 40
    h = top + 240 + bottom
    pw, ph = w - left - right, 240
    step = 10 if ymax - ymin <= 100 else 20

    def xy(i: int, v: Decimal) -> tuple[float, float]:
        x = left + (pw * i / (len(months) - 1) if len(months) > 1 else pw / 2)
        return x, top + ph - ph * float(v - ymin) / (ymax - ymin)

    parts = []
    for k in range(ymin, ymax + 1, step):
        _, y = xy(0, Decimal(k))
        parts += [_line(left, y, left + pw, y, "gridline"), _text(left - 6, y + 4, str(k), "end")]
    for i, m in enumerate(months):
        x, _ = xy(i, Decimal(ymin))
        extra = f' transform="rotate(-45 {x:.1f} {top + ph + 16:.1f})"' if rotate else ""
        parts.append(_text(x, top + ph + 16, m, "end" if rotate else "middle", extra))
    dots = []
    for j, (name, color, vs) in enumerate(series):
        parts += [f'<path d="M{left + j * 130} 12h22" stroke="{color}" stroke-width="3"/>',
                  _text(left + j * 130 + 28, 16, name)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
                continue
            x, y = xy(i, v)
            runs[-1].append((x, y))
            dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                        f"<title>{_e(f'{months[i]} {name}：{fmt2(v)}')}</title></circle>")
        parts += [f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" '
                  f'fill="none" stroke="{color}" stroke-width="2.5"/>' for run in runs if run]
    parts += [_line(left, top + ph, left + pw, top + ph), _line(left, top, left, top + ph)]
    return _svg(w, h, parts + dots, label)


Section = tuple[str, str, str] | None  # (anchor id, heading, inner HTML), None: not shown
Rows = dict[str, list[tuple[str, str, str, Decimal, int]]]  # category → (id, name, branch, total, rank)


def build_report(conn: sqlite3.Connection, month: str, rules: RuleSet, office: str = "",
                 extra: Iterable[Section] = ()) -> str:
    """The whole HTML document for a scored ``month``, ``extra`` sections last (htmlrecords)."""
    months = store.stored_months(conn)
    if month not in months:
        raise fail(f"{month} 尚未计分，无法生成报告（历史库中已计分的月份："
                   f"{'、'.join(months) or '无'}）")
    by_cat: Rows = defaultdict(list)
    for cm, name, branch, cat, total, rank in conn.execute(
            "SELECT cm_id, name, branch, category, total_cp, rank FROM scores"
            " WHERE month = ? ORDER BY category, rank, cm_id", (month,)):
        by_cat[cat].append((cm, name, branch, from_centi(total), rank))
    cats = [c for c in rules.tables if c in by_cat] + sorted(set(by_cat) - set(rules.tables))
    color = {c: COLORS[i % len(COLORS)] for i, c in enumerate(cats)}
    sections = [_overview(by_cat, cats, color), _branches(by_cat, cats, color),
                _items(conn, month, rules, cats, color), _ranks(by_cat, cats),
                _trend(conn, [m for m in months if m <= month], cats, color),
                _grades(conn, month, cats), _pay(conn, month), _npl(conn, month), *extra]
    body = "".join(f'<section id="{sid}"{" class=warn" * (sid == "npl")}>'
                   f"<h2>{'一二三四五六七八九十'[i]}、{_e(title)}</h2>{html}</section>"
                   for i, (sid, title, html) in enumerate(filter(None, sections)))
    title = f"{office}{' ' * bool(office)}{month[:4]}年{month[5:]}月 客户经理考核报告"
    count = sum(map(len, by_cat.values()))
    return ("<!DOCTYPE html>\n"
            f'<html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{_e(title)}</h1>{_run_record(conn, month, count)}</header>"
            f"{body}<footer>由 cmscore {_e(__version__)} 根据历史库生成。本页为单一文件，"
            f"不引用任何外部资源，可离线打开和打印；图中数值以表格为准。</footer>"
            "</body></html>\n")


def _run_record(conn: sqlite3.Connection, month: str, count: int) -> str:
    run = store.run_record(conn, month) or {}
    hashes = run.get("rules") or {}
    assert isinstance(hashes, dict)
    return _table(["项目", "内容"], [
        ["考核月份", month], ["客户经理人数", f"{count} 人"],
        ["数据文件", str(run.get("file_name") or "")],
        ["文件 SHA-256（前 16 位）", str(run.get("file_sha256") or "")[:16]],
        ["计分时间", str(run.get("started_at") or "")],
        ["计分规则文件", "；".join(f"{n}（{str(h)[:12]}）" for n, h in sorted(hashes.items()))],
        ["工具版本", str(run.get("tool_version") or "")],
        ["月份状态", "已结账" if store.closed(conn, month) else "未结账"]], cls="meta")


def _overview(by_cat: Rows, cats: list[str], color: dict[str, str]) -> Section:
    rows, figures = [], []
    for c in cats:
        totals = [t for _, _, _, t, _ in by_cat[c]]
        rows.append([c, str(len(totals)), fmt2(_mean(totals)),
                     fmt2(round2(statistics.median(totals))), fmt2(max(totals)),
                     fmt2(min(totals))])
        over = sum(1 for t in totals if t >= BINS * 10)
        note = f"（另有 {over} 人 ≥ {BINS * 10} 分，计入最后一组）" if over else ""
        figures.append(f"<figure><figcaption>{_e(c)}：总分分布（每组 10 分）{_e(note)}"
                       f"</figcaption>{histogram(totals, color[c], f'{c} 总分分布')}</figure>")
    table = _table(["类别", "人数", "平均分", "中位数", "最高分", "最低分"], rows, {1, 2, 3, 4, 5})
    return "overview", "总体情况", table + f'<div class="grid">{"".join(figures)}</div>'


def _branches(by_cat: Rows, cats: list[str], color: dict[str, str]) -> Section:
    groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for c in cats:
        for _, _, branch, total, _ in by_cat[c]:
            groups[(c, branch)].append(total)
    multi = {b for (c, b) in groups if sum(1 for (_, b2) in groups if b2 == b) > 1}
    bars, rows = [], []
    for c, b in sorted(groups, key=lambda k: (cats.index(k[0]), -_mean(groups[k]), k[1])):
        ts = groups[(c, b)]
        bars.append((f"{b}·{c}" if b in multi else b, [(_mean(ts), color[c], 4)],
                     f"{fmt2(_mean(ts))} 分（{len(ts)} 人）"))
        rows.append([b, c, str(len(ts)), fmt2(_mean(ts)), fmt2(max(ts)), fmt2(min(ts))])
    legend = "　".join(f'<span style="color:{color[c]}">■</span> {_e(c)}' for c in cats)
    return ("branches", "各机构对比",
            f'<p class="note">各机构平均总分（颜色表示类别：{legend}）。不同类别按不同计分表考核，'
            f"跨类别比较仅供参考。</p>{hbars(bars, max([Decimal(100)] + [b[1][0][0] for b in bars]), '各机构平均总分')}"
            + _table(["机构", "类别", "人数", "平均分", "最高分", "最低分"], rows, {2, 3, 4, 5}))


def _items(conn: sqlite3.Connection, month: str, rules: RuleSet, cats: list[str],
           color: dict[str, str]) -> Section:
    sums = itemcols.points_by_category(conn, month)
    html = ['<p class="note">各项目平均得分与满分、高限的对照；风险金计提不计入得分。</p>']
    for c in cats:
        table = rules.table_for(c)
        if table is None:
            html.append(f'<h3>{_e(c)}</h3><p class="note">当前规则中没有类别「{_e(c)}」的计分表。</p>')
            continue
        items, rows = [], []
        for item in table.items:
            total, n = sums.get((c, item.id), (0, 0))
            mean = round2(from_centi(total) / n) if n else ZERO
            items.append((item.name, [(item.cap, "#edf2f7", 3), (item.full, "#a0aec0", 3),
                                      (mean, color[c], 8)], f"{fmt2(mean)} / {fmt2(item.full)}"))
            rows.append([item.name, fmt2(item.full), fmt2(item.cap), fmt2(mean),
                         _pct(mean / item.full) if item.full else "—"])
        html.append(f"<h3>{_e(c)}（{_e(table.table)} {_e(table.title)}）</h3>"
                    + hbars(items, max(i.cap for i in table.items), f"{c} 各项目平均得分",
                            ((color[c], "平均得分"), ("#a0aec0", "满分"), ("#edf2f7", "高限")))
                    + _table(["项目", "满分", "高限", "平均得分", "平均得分 / 满分"], rows,
                             {1, 2, 3, 4}))
    return "items", "各项目得分贡献", "".join(html)


def _ranks(by_cat: Rows, cats: list[str]) -> Section:
    def table(members: list[tuple[str, str, str, Decimal, int]]) -> str:
        return _table(["排名", "工号", "姓名", "机构", "总分"],
                      [[str(r), cm, nm, b, fmt2(t)] for cm, nm, b, t, r in members], {0, 4})

    html = []
    for c in cats:
        ms = by_cat[c]
        html.append(f"<h3>{_e(c)}：全部 {len(ms)} 人</h3>{table(ms)}" if len(ms) <= TOP_N else
                    f'<h3>{_e(c)}（共 {len(ms)} 人）</h3><div class="grid">'
                    f"<div><h3>前 {TOP_N} 名</h3>{table(ms[:TOP_N])}</div>"
                    f"<div><h3>后 {TOP_N} 名</h3>{table(ms[-TOP_N:])}</div></div>")
    return "ranks", "排名前十与后十", "".join(html)


def _trend(conn: sqlite3.Connection, months: list[str], cats: list[str],
           color: dict[str, str]) -> Section:
    means = {(m, cat): round2(from_centi(total) / n) for m, cat, total, n in conn.execute(
        "SELECT month, category, sum(total_cp), count(*) FROM scores WHERE month <= ?"
        " GROUP BY month, category", (months[-1],))}
    series = [(c, color[c], [means.get((m, c)) for m in months]) for c in cats]
    rows = [[m] + [fmt2(v) if (v := means.get((m, c))) is not None else "—" for c in cats]
            for m in months]
    return ("trend", "月度趋势",
            f'<p class="note">各类别平均总分，{_e(months[0])} 至 {_e(months[-1])}，'
            f"共 {len(months)} 个月。</p>" + line_chart(months, series, "各类别平均总分月度趋势")
            + _table(["月份"] + [f"{c} 平均分" for c in cats], rows, set(range(1, len(cats) + 1))))


def _grades(conn: sqlite3.Connection, month: str, cats: list[str]) -> Section:
    effective = history.in_effect(conn, month)
    if effective is None:
        return None
    start, end, n, pool = conn.execute(
        "SELECT window_start, window_end, months, pool_size FROM gradings"
        " WHERE effective_month = ?", (effective,)).fetchone()
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    got = gradecols.grading_columns(conn, effective, "categories", "grades") or [[], []]
    for (cat, grade), k in sorted(Counter(zip(*got, strict=True)).items()):
        counts[cat][grade] = k
    order = [c for c in cats if c in counts] + sorted(set(counts) - set(cats))
    rows = [[c] + [str(counts[c].get(g, 0)) for g in GRADE_ORDER[:3]]
            + [str(sum(counts[c].values()))] for c in order]
    rows.append(["合计"] + [str(sum(int(r[j]) for r in rows)) for j in range(1, 5)])
    kind = {6: "过渡期定级", 12: "年度定级"}.get(n, f"{n} 个月定级")
    return ("grades", "定级情况",
            f"<p>执行中的定级：<b>{_e(effective)} 起执行</b>（{_e(kind)}，依据 {_e(start)} 至 "
            f"{_e(end)} 共 {n} 个月的平均分；支行参评人员 {pool} 人，按 30% / 50% / 20% 定级；"
            "分行个金、分行公司客户经理为一级）。</p>"
            + _table(["类别", "一级", "二级", "三级", "合计"], rows, {1, 2, 3, 4}))


def _pay(conn: sqlite3.Connection, month: str) -> Section:
    if conn.execute("SELECT 1 FROM payrolls WHERE month = ?", (month,)).fetchone() is None:
        return None
    by_grade = sorted(conn.execute(
        "SELECT grade, count(*), min(base_fen), max(base_fen), sum(pay_fen), sum(release_fen),"
        " sum(forfeit_fen) FROM pay WHERE month = ? GROUP BY grade", (month,)),
        key=lambda r: (GRADE_ORDER.index(r[0]) if r[0] in GRADE_ORDER else 9, r[0]))
    rows, count, sums = [], 0, [ZERO, ZERO, ZERO]  # pay, risk fund release, forfeit
    for grade, k, lo, hi, *amounts in by_grade:
        base = _money(from_centi(lo)) + ("" if lo == hi else f" – {_money(from_centi(hi))}")
        rows.append([grade, str(k), base] + [_money(from_centi(a)) for a in amounts])
        count, sums = count + k, [s + from_centi(a) for s, a in zip(sums, amounts, strict=True)]
    rows.append(["合计", str(count), ""] + [_money(s) for s in sums])
    sup_n, sup_fen = conn.execute("SELECT count(*), coalesce(sum(pay_fen), 0) FROM supervisor_pay"
                                  " WHERE month = ?", (month,)).fetchone()
    pay, release, forfeit = sums
    summary = [["客户经理人数", f"{count} 人"], ["客户经理月度应得工资合计", f"{_money(pay)} 元"],
               ["风险金发放", f"{_money(release)} 元"],
               ["风险金扣收（不发放）", f"{_money(forfeit)} 元"],
               ["主管人员（第十二条）", f"{sup_n} 人，合计 {_money(from_centi(sup_fen))} 元"],
               ["应发总额（工资 + 风险金发放 + 主管）",
                f"{_money(pay + release + from_centi(sup_fen))} 元"]]
    return ("pay", "绩效工资", _table(["项目", "金额"], summary, {1}, cls="meta")
            + _table(["等级", "人数", "履职绩效工资（元）", "月度应得工资（元）",
                      "风险金发放（元）", "风险金扣收（元）"], rows, {1, 2, 3, 4, 5}))


def _npl(conn: sqlite3.Connection, month: str) -> Section:
    span = window(month, NPL_WARNING_MONTHS)
    names = {cm: (name, branch) for cm, name, branch, *_ in history.month_rows(conn, month)}
    rows = [[cm, *names[cm]] + [_pct(r or ZERO) for r in ratios]
            for cm, ratios in sorted(history.npl_history(conn, span).items())
            if cm in names and npl_warning(ratios)]
    if not rows:
        return None
    return ("npl", "第十六条预警（不良率）",
            f"<p>以下客户经理连续 {NPL_WARNING_MONTHS} 个月新增不良率 ≥ 1%，"
            "触及第十六条第五项情形，提请客户经理管理考评领导小组研究。</p>"
            + _table(["工号", "姓名", "机构"] + [f"{m} 不良率" for m in span], rows,
                     set(range(3, 3 + len(span)))))
