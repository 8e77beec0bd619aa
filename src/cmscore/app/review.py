"""`explain` and `diff`: re-score stored raw figures, without storing anything (公示、申诉、规则调整)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

from cmscore.app.cascade import rescore_stored
from cmscore.app.common import existing_store, rewrite_recorded
from cmscore.engine import events
from cmscore.engine.grading import grade_members, members_of, months_between
from cmscore.engine.month import MONTH, check_month
from cmscore.engine.pay import base_for, monthly_pay, non_pool_grade
from cmscore.engine.results import Diff, DiffLine, Explanation
from cmscore.engine.scoring import (
    MonthScores,
    competition_ranks,
    score_manager,
)
from cmscore.engine.staff import Staff, within_category
from cmscore.numbers import ZERO, round2
from cmscore.problems import fail
from cmscore.rules.grading import Grading as GradingPolicy
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import adjustments as store_adjustments
from cmscore.store import db as store
from cmscore.store import events as store_events
from cmscore.store import gradecols, history, restate
from cmscore.store import staff as staff_records
from cmscore.store.access import open_read


def _open(db: Path | None) -> sqlite3.Connection:
    return open_read(existing_store(db))


def _month(conn: sqlite3.Connection, month: str | None) -> str:
    check_month(month, "--month")
    month = month or store.latest_month(conn)
    months = store.stored_months(conn)
    if month not in months:
        raise fail(f"{month} 尚未计分（已计分：{'、'.join(months)}）")
    return month


def explain(cm_id: str, *, month: str | None = None, db: Path | None = None,
            rules_dir: Path | None = None) -> Explanation:
    """One manager's month: each item's arithmetic, and the grade and pay behind it."""
    rules = load_rules(rules_dir)
    conn = _open(db)
    try:
        month = _month(conn, month)
        found = history.stored_managers(conn, month, cm_id)
        if not found:
            raise fail(f"{month} 没有工号 {cm_id} 的计分记录")
        manager = found[0]
        table = rules.tables.get(manager.category)
        if table is None:
            raise fail(f"当前规则中没有类别 {manager.category}")
        result = score_manager(table, manager, store.StoreHistory(conn, month))
        if isinstance(result, list):
            raise fail("；".join(result))
        stored = next(t for c, t in conn.execute(
            "SELECT cm_id, total_cp FROM scores WHERE month = ? AND cm_id = ?", (month, cm_id)))
        record = store.run_record(conn, month) or {}
        out = Explanation(cm_id, manager.name, month, manager.category, result,
                          Decimal(stored).scaleb(-2),
                          rules.scoring(record.get("rules") or {})  # type: ignore[arg-type]
                          != rules.scoring(rules.hashes))
        effective = history.in_effect(conn, month)
        if effective:
            out.grade_effective = effective
            out.grade = gradecols.grade_row(conn, effective, cm_id)
        # As payroll prices it (app.payroll): outside the pool 一级 from the first month,
        # a pool manager the grading in force does not name 三级.
        if manager.category not in rules.grading.pool:
            out.in_force = non_pool_grade(rules.payroll, effective is not None)
            out.in_force_reason = f"{manager.category}客户经理为一级，第六条" \
                if out.in_force == "一级" else "payroll.yaml 的 non_pool_in_transition: transition"
        elif effective and out.grade is None:
            out.in_force, out.in_force_reason = "三级", f"{effective} 起执行的定级后加入，按三级，第六条"
        out.pay = history.pay_row(conn, month, cm_id)
        names = {i.id: i.name for i in table.items}
        out.adjustments = [{**a, "item_name": names.get(str(a["item"]), str(a["item"]))}
                           for a in store_adjustments.effects(conn, month, cm_id).get(cm_id, [])]
        out.adjustment_history = [{**a, "item_name": names.get(str(a["item"]), str(a["item"]))}
                                  for a in store_adjustments.history_of(conn, month, cm_id)]
        happened = store_events.of(conn, month, cm_id)[cm_id]
        out.events = [{"date": e.date, "kind": e.kind, "description": e.description,
                       "source": e.source} for e in events.in_window(happened, month)]
        out.article16 = events.warnings(happened, month)
        out.notes += restate.explain_notes(conn, month, cm_id)
        note = conn.execute("SELECT note FROM runs WHERE id = ?", (record.get("run_id"),)).fetchone()
        if note and note[0]:
            out.notes.append(f"该月计分说明：{note[0]}")
        if out.rules_changed:
            out.notes.append("当前规则文件与该月计分时不同：以下按当前规则重算，历史库中的得分为 "
                             f"{out.stored_total}")
    finally:
        conn.close()
    return out


def diff(new_rules_dir: Path, *, months: str | None = None, db: Path | None = None,
         rules_dir: Path | None = None) -> Diff:
    """Re-score stored months under other rules; compare scores, ranks, grades and pay."""
    old_rules, new_rules = load_rules(rules_dir), load_rules(new_rules_dir)
    conn = _open(db)
    try:
        span = _span(conn, months)
        old_by_month = {m: _rescore(conn, m, old_rules) for m in span}
        new_by_month = {m: _rescore(conn, m, new_rules) for m in span}
        graded = len(span) > 1
        # What grade itself takes besides the totals: the roster in force (leave months,
        # leavers) and the months a manager scored in another category.
        roster = staff_records.in_force(conn) if graded else None
        moves = staff_records.categories(conn, span) if graded else {}
    finally:
        conn.close()
    last = span[-1]
    old_last = {s.manager.id: s for s in old_by_month[last].scores}
    new_last = {s.manager.id: s for s in new_by_month[last].scores}
    people = roster[2] if roster else None
    grades_old = _grades(old_by_month, span, old_rules.grading, people, moves) if graded else {}
    grades_new = _grades(new_by_month, span, new_rules.grading, people, moves) if graded else {}
    lines: list[DiffLine] = []
    for cm, old in old_last.items():
        new = new_last[cm]
        line = DiffLine(cm, old.manager.name, old.manager.category, old.total, new.total,
                        old.rank, new.rank)
        if graded:
            line.old_grade, line.new_grade = grades_old.get(cm), grades_new.get(cm)
            line.old_pay = monthly_pay(base_for(old_rules.payroll, line.old_grade or "三级"),
                                       old.total)
            line.new_pay = monthly_pay(base_for(new_rules.payroll, line.new_grade or "三级"),
                                       new.total)
        lines.append(line)
    if graded:
        _window_averages(lines, old_by_month, new_by_month, span)
    lines.sort(key=lambda d: (-(d.change), d.id))
    totals = {"old_total": sum((d.old_total for d in lines), ZERO),
              "new_total": sum((d.new_total for d in lines), ZERO)}
    if graded:
        totals["old_pay"] = sum((d.old_pay or ZERO for d in lines), ZERO)
        totals["new_pay"] = sum((d.new_pay or ZERO for d in lines), ZERO)
        totals["pay_change"] = totals["new_pay"] - totals["old_pay"]
    return Diff(span, lines, graded, totals,
                [("原规则", old_rules.directory, old_rules.hashes),
                 ("新规则", new_rules.directory, new_rules.hashes)])


def _window_averages(lines: list[DiffLine], old: dict[str, MonthScores],
                     new: dict[str, MonthScores], span: list[str]) -> None:
    """Each line's window average under the old and the new rules (over the months the
    manager was scored, to the cent, half up) and its rank by it within the category."""
    for which, by_month in (("old", old), ("new", new)):
        sums: dict[str, list[Decimal]] = {}
        for m in span:
            for s in by_month[m].scores:
                sums.setdefault(s.manager.id, []).append(s.total)
        averages = {cm: round2(sum(t, ZERO) / len(t)) for cm, t in sums.items()}
        for category in {d.category for d in lines}:
            members = [d for d in lines if d.category == category]
            values = [averages[d.id] for d in members]
            for d, v, r in zip(members, values, competition_ranks(values), strict=True):
                setattr(d, f"{which}_average", v)
                setattr(d, f"{which}_average_rank", r)


def publish(month: str, *, db: Path | None = None, rules_dir: Path | None = None,
            out_dir: Path | None = None) -> Path:
    """公示-YYYY-MM.xlsx for a stored month, as ``score`` writes it: re-scored from the stored
    figures, and refused when that does not give the stored totals (rules changed since)."""
    from cmscore.outputs.scores import NOTICE_MAX_SHEETS, notice_fits, write_notice

    check_month(month, "MONTH")
    rules = load_rules(rules_dir)
    conn = _open(db)
    try:
        month = _month(conn, month)
        scores = _rescore(conn, month, rules)
        stored = dict(conn.execute("SELECT cm_id, total_cp FROM scores WHERE month = ?",
                                   (month,)))
    finally:
        conn.close()
    changed = sorted(s.manager.id for s in scores.scores
                     if Decimal(stored[s.manager.id]).scaleb(-2) != s.total)
    if changed:
        raise fail(f"按当前规则重算 {month} 与历史库中的得分不同（{len(changed)} 人，如 "
                   f"{changed[0]}）：公示须与计分一致，请用该月计分时的规则目录（--rules）")
    if not notice_fits(scores, rules):
        raise fail(f"{month} 的机构超过 {NOTICE_MAX_SHEETS} 个，不写公示工作簿；各人排名见 "
                   "cmscore score --json")
    target = (out_dir or Path.cwd()) / f"公示-{month}.xlsx"
    return rewrite_recorded(existing_store(db), month, target,
                            lambda tmp: write_notice(tmp, scores, rules))


def _span(conn: sqlite3.Connection, months: str | None) -> list[str]:
    if months is None:
        return [store.latest_month(conn)]
    stored = store.stored_months(conn)
    first, _, last = months.partition("..")
    last = last or first
    if not (MONTH.match(first) and MONTH.match(last)) or first > last:
        raise fail(f"--months {months} 应写作 YYYY-MM..YYYY-MM")
    span = months_between(first, last)
    missing = [m for m in span if m not in stored]
    if missing:
        raise fail(f"这些月份尚未计分：{'、'.join(missing)}")
    return span


def _rescore(conn: sqlite3.Connection, month: str, rules: RuleSet) -> MonthScores:
    """The stored month under ``rules``, its adjustments applied as they would be."""
    return rescore_stored(conn, month, rules)


def _grades(by_month: dict[str, MonthScores], span: list[str], policy: GradingPolicy,
            roster: dict[str, Staff] | None, moves: dict[str, dict[str, str]]
            ) -> dict[str, str]:
    """The window's grades as ``grade`` would give them from these months' scores."""
    from cmscore.engine.grading import Seen

    seen: dict[str, dict[str, Seen]] = {}
    for m in span:
        for s in by_month[m].scores:
            seen.setdefault(s.manager.id, {})[m] = Seen(s.manager.name, s.manager.branch,
                                                        s.manager.category, s.total)
    members, moved = within_category(span, members_of(span, seen), moves)
    return {d.id: d.grade for d in grade_members(span, members, None, policy.pool, policy,
                                                 roster, moved).decisions}


def write_html_report(*, month: str | None = None, db: Path | None = None,
                      rules_dir: Path | None = None, out_dir: Path | None = None) -> Path:
    """report-YYYY-MM.html: one self-contained page for 公示 and management, titled
    with the office's name from ``cmscore.toml`` when it has one."""
    from cmscore.app.config import resolve
    from cmscore.outputs.files import atomic_file
    from cmscore.outputs.htmlrecords import sections
    from cmscore.outputs.htmlreport import build_report

    rules = load_rules(rules_dir)
    conn = _open(db)
    try:
        month = _month(conn, month)
        html = build_report(conn, month, rules, resolve().office, sections(conn, month, rules))
    finally:
        conn.close()
    target = (out_dir or Path.cwd()) / f"report-{month}.html"
    with atomic_file(target) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return target
