"""`summary`: a quarter's or a year's months per manager, read from the store.

What 第八条 (the annual re-grade) and 第十六条第六项 rest on, and what the seed regimes
call 季度/年度考核: each month's total, the average over the months scored (half up to
the cent, as grading averages) and the rank by it in the category, the grades in effect,
the pay and the risk fund of the period, the gradings' flags, and what was changed after
the fact (re-scored, closed and reopened months).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from cmscore.engine.grading import divide_half_up
from cmscore.engine.pay import TRANSITION, non_pool_grade
from cmscore.engine.results import Summary, SummaryLine
from cmscore.engine.scoring import competition_ranks
from cmscore.numbers import from_centi
from cmscore.problems import fail
from cmscore.rules.files import Payroll
from cmscore.rules.ruleset import load_rules
from cmscore.store import db as store
from cmscore.store import gradecols


def summarize(*, year: int, quarter: int | None = None, db: Path | None = None,
              rules_dir: Path | None = None) -> Summary:
    """The period's managers from the store, categories in the rule files' order;
    refused when no month of it is scored."""
    if not 1900 < year < 2200:
        raise fail(f"--year {year} 应为四位年份，如 2026")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise fail(f"--quarter {quarter} 应为 1、2、3 或 4")
    first, last = ((quarter - 1) * 3 + 1, quarter * 3) if quarter else (1, 12)
    period = [f"{year}-{m:02d}" for m in range(first, last + 1)]
    path = db or store.default_path()
    if not path.exists():
        raise fail(f"历史库 {path} 不存在；请先运行 cmscore score")
    conn = store.connect(path)
    try:
        stored = set(store.stored_months(conn))
        months = [m for m in period if m in stored]
        label = Summary(year, quarter, [], [], [], []).label
        if not months:
            raise fail(f"{label}（{period[0]} 至 {period[-1]}）还没有已计分的月份；"
                       "请先运行 cmscore score")
        rules = load_rules(rules_dir)
        lines = _lines(conn, months, list(rules.tables), rules.grading.pool, rules.payroll)
        adjustments = _adjustments(conn, period[0], period[-1])
    finally:
        conn.close()
    return Summary(year, quarter, months, [m for m in period if m not in stored], lines,
                   adjustments)


def _lines(conn: sqlite3.Connection, months: list[str], order: list[str],
           pool: list[str], payroll: Payroll) -> list[SummaryLine]:
    first, last = months[0], months[-1]
    who: dict[str, tuple[str, str, str]] = {}
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    fund: dict[str, int] = defaultdict(int)
    outside: dict[str, set[str]] = defaultdict(set)
    categories: dict[str, dict[str, str]] = defaultdict(dict)
    for month, cm, name, branch, category, total, risk in conn.execute(
            "SELECT month, cm_id, name, branch, category, total_cp, risk_fund_cp FROM scores"
            " WHERE month BETWEEN ? AND ? ORDER BY month", (first, last)):
        who[cm] = (name, branch, category)  # the latest month's
        totals[cm][month] = total
        categories[cm][month] = category
        if category not in pool:  # 一级 in that month (第六条), as payroll pays it
            outside[cm].add(month)
        fund[cm] += risk
    paid: dict[str, dict[str, tuple[str, int, int, int]]] = defaultdict(dict)
    for month, cm, grade, pay, release, forfeit in conn.execute(
            "SELECT month, cm_id, grade, pay_fen, release_fen, forfeit_fen FROM pay"
            " WHERE month BETWEEN ? AND ?", (first, last)):
        paid[cm][month] = (grade, pay, release, forfeit)
    restated: dict[str, int] = dict(conn.execute(
        "SELECT cm_id, sum(difference_fen) FROM restatements WHERE month BETWEEN ? AND ?"
        " AND carried_by IS NOT NULL AND void_run IS NULL GROUP BY cm_id", (first, last)))
    in_effect = _grades_in_effect(conn, months)
    flags = _flags(conn, first, last)
    # On the months of the latest category only: a manager who changed 类别 is never
    # averaged across tables (第八条, as grade does it).
    same = {cm: [t for m, t in totals[cm].items() if categories[cm][m] == who[cm][2]]
            for cm in totals}
    averages = {cm: divide_half_up(sum(t), len(t)) for cm, t in same.items()}
    ranks: dict[str, int] = {}
    for category in {c for _, _, c in who.values()}:
        members = [cm for cm, (_, _, c) in who.items() if c == category]
        ranks.update(zip(members, competition_ranks([Decimal(averages[cm]) for cm in members]),
                         strict=True))
    lines = []
    for cm, (name, branch, category) in who.items():
        pay = paid.get(cm, {})
        grades = [pay[m][0] if m in pay else
                  non_pool_grade(payroll, in_effect[m].get("") != TRANSITION)
                  if m in outside[cm] else in_effect[m].get(cm, in_effect[m].get("", ""))
                  for m in months if m in totals[cm]]
        lines.append(SummaryLine(
            cm, name, branch, category, {m: from_centi(t) for m, t in totals[cm].items()},
            from_centi(averages[cm]), ranks[cm],
            _spans(grades, [m for m in months if m in totals[cm]]),
            from_centi(sum(p[1] for p in pay.values())), len(pay), from_centi(fund[cm]),
            from_centi(sum(p[2] for p in pay.values())),
            from_centi(sum(p[3] for p in pay.values())), flags.get(cm, []),
            from_centi(restated.get(cm, 0))))
    at = {c: k for k, c in enumerate(order)}
    lines.sort(key=lambda x: (at.get(x.category, len(at)), x.category, x.rank, x.id))
    return lines


def _grades_in_effect(conn: sqlite3.Connection, months: list[str]) -> dict[str, dict[str, str]]:
    """month → CM → the grade in effect ("" → what a CM not graded gets: 三级, or 过渡期
    before any grading), as ``payroll`` chooses it."""
    effective = [e for (e,) in conn.execute(
        "SELECT effective_month FROM gradings ORDER BY effective_month")]
    cache: dict[str | None, dict[str, str]] = {None: {"": TRANSITION}}
    out = {}
    for m in months:
        at = max((e for e in effective if e <= m), default=None)
        if at is not None and at not in cache:  # (None: before any grading, in cache)
            cache[at] = gradecols.grades_of(conn, at)
            cache[at][""] = "三级"
        out[m] = cache[at]
    return out


def _spans(grades: list[str], months: list[str]) -> str:
    """「过渡期（2026-01 至 2026-06）、一级（2026-07 至 2026-12）」: runs of one grade."""
    runs: list[list[str]] = []
    for g, m in zip(grades, months, strict=True):
        if runs and runs[-1][0] == g:
            runs[-1][2] = m
        else:
            runs.append([g, m, m])
    return "、".join(f"{g}（{a}）" if a == b else f"{g}（{a} 至 {b}）" for g, a, b in runs)


def _flags(conn: sqlite3.Connection, first: str, last: str) -> dict[str, list[str]]:
    """The flags of the gradings that took effect in the period (第九条, 第十六条第六项)."""
    out: dict[str, list[str]] = defaultdict(list)
    for effective, cm, flags in gradecols.grading_flags(conn, first, last):
        out[cm] += [f"{effective} 起执行的定级：{f}" for f in flags]
    return out


def _adjustments(conn: sqlite3.Connection, first: str, last: str) -> list[str]:
    out = [f"{month} 曾重新计分（原计分时间 {at}）" for month, at in conn.execute(
        "SELECT month, started_at FROM runs WHERE command = 'score' AND superseded_by IS NOT"
        " NULL AND month BETWEEN ? AND ? ORDER BY month, started_at", (first, last))]
    names = {"close": "结账", "reopen": "重新打开"}
    out += [f"{month} {names.get(action, action)}（{at}，{who}）" + (f"：{reason}" if reason else "")
            for at, who, action, month, reason in conn.execute(
                "SELECT at, who, action, month, reason FROM audit WHERE month BETWEEN ? AND ?"
                " ORDER BY at", (first, last))]
    return out
