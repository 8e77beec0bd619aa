"""`show` and `status`: what the store holds, read without changing it (issue 14).

``show MONTH`` gives a stored month in exactly the shape of ``score --json`` (built from
the stored rows, so it is what was stored, whatever the rule files say today), plus the
run it came from and whether it is closed, paid or restated; ``--write`` regenerates its
workbook from the store. ``status`` shows the year at a glance.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from cmscore.app.cascade import rescore_stored
from cmscore.app.common import existing_store, rewrite_recorded
from cmscore.engine.month import MonthExport, check_month
from cmscore.numbers import fmt2, from_centi, to_centi
from cmscore.outputs.scores import write_scores
from cmscore.outputs.tasks import add_stored_tasks, task_summary
from cmscore.problems import fail
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import adjustments as store_adjustments
from cmscore.store import db as store
from cmscore.store import history, itemcols, restate
from cmscore.store import tasks as stored_tasks
from cmscore.store.access import open_read


def _stored(conn: sqlite3.Connection, month: str, rules: RuleSet) -> list[dict[str, Any]]:
    items: dict[str, dict[str, str]] = defaultdict(dict)
    for _, item, cm, points, *_ in itemcols.item_rows(conn, month):
        items[cm][item] = fmt2(from_centi(points))
    order = {c: i for i, c in enumerate(rules.tables)}
    item_order = {c: {it.id: i for i, it in enumerate(t.items)} for c, t in rules.tables.items()}
    rows = conn.execute("SELECT cm_id, name, branch, category, rank, branch_rank, total_cp,"
                        " risk_fund_cp FROM scores WHERE month = ?", (month,)).fetchall()
    rows.sort(key=lambda r: (order.get(r[3], len(order)), r[3], r[4], r[0]))
    adjusted = store_adjustments.effects(conn, month)
    out = []
    for cm, name, branch, category, rank, branch_rank, total, fund in rows:
        known = item_order.get(category, {})
        its = dict(sorted(items[cm].items(), key=lambda kv: (known.get(kv[0], len(known)), kv[0])))
        out.append({"id": cm, "name": name, "branch": branch, "category": category,
                    "rank": rank, "branch_rank": branch_rank, "total": fmt2(from_centi(total)),
                    "risk_fund": fmt2(from_centi(fund)), "items": its,
                    "adjustments": [{k: fmt2(v) if isinstance(v, Decimal) else v
                                     for k, v in a.items()} for a in adjusted.get(cm, [])]})
    return out


def show_month(month: str, *, db: Path | None = None, rules_dir: Path | None = None,
               write_to: Path | None = None) -> dict[str, Any]:
    """A stored month as ``score --json`` shows it, with its run, closed/paid/restated."""
    check_month(month, "月份")
    rules = load_rules(rules_dir)
    path = existing_store(db)
    conn = open_read(path)
    try:
        if month not in store.stored_months(conn):
            raise fail(f"{month} 尚未计分（已计分：{'、'.join(store.stored_months(conn)) or '无'}）")
        record = store.run_record(conn, month) or {}
        note = conn.execute("SELECT note FROM runs WHERE id = ?", (record["run_id"],)).fetchone()
        doc: dict[str, Any] = {"month": month, "managers": _stored(conn, month, rules)}
        add_stored_tasks(doc, rules, stored_tasks.year_tasks(conn, month[:4]))
        doc["run"] = {"id": record["run_id"], "file_name": record["file_name"],
                      "file_sha256": record["file_sha256"], "started_at": record["started_at"],
                      "tool_version": record["tool_version"], "note": note[0] if note else ""}
        doc["closed"] = store.closed(conn, month)
        doc["paid"] = restate.paid(conn, month)
        doc["restated"] = bool(conn.execute(
            "SELECT 1 FROM restatements WHERE month = ? AND void_run IS NULL", (month,)).fetchone())
    finally:
        conn.close()
    if write_to is not None:
        doc["written"] = str(_write(path, month, rules, record, write_to))
    return doc


def _write(path: Path, month: str, rules: RuleSet, record: dict[str, Any],
           out_dir: Path) -> Path:
    """The month's workbook again, from the stored raw figures, recorded as the workbook of
    the month's current run; refused when today's rule files would not give the stored
    results."""
    if rules.scoring(record.get("rules") or {}) != rules.scoring(rules.hashes):
        raise fail(f"当前规则文件与 {month} 计分时不同，重新写出的工作簿会与历史库不一致；"
                   "请用计分时的规则目录（--rules）")
    conn = open_read(path)
    try:
        managers = history.stored_managers(conn, month)
        scores = rescore_stored(conn, month, rules)
        year_tasks = stored_tasks.year_tasks(conn, month[:4])
        tasks_file = year_tasks.file if year_tasks is not None else ""
        stored = dict(conn.execute("SELECT cm_id, total_cp FROM scores WHERE month = ?",
                                   (month,)))
    finally:
        conn.close()
    if {s.manager.id: to_centi(s.total) for s in scores.scores} != stored:
        raise fail(f"{month} 由历史库重算的得分与存储的不一致；请用 cmscore score --replace 重新计分")
    export = MonthExport(str(record.get("file_name") or ""), "（由历史库重新生成）", month,
                         managers, 0)
    return rewrite_recorded(path, month, out_dir / f"scores-{month}.xlsx", lambda tmp: write_scores(
        tmp, scores, export, rules, {"file_sha256": record.get("file_sha256", ""),
                                     "tool_version": record["tool_version"],
                                     "started_at": record["started_at"],
                                     "tasks": task_summary(scores, tasks_file)}))


def year_status(*, year: str | None = None, db: Path | None = None) -> dict[str, Any]:
    """Per month scored/paid/closed, the gradings and whether each is stale, and the
    restatements not yet carried by a payroll."""
    conn = open_read(existing_store(db))
    try:
        months = store.stored_months(conn)
        if year is not None:
            if not (len(year) == 4 and year.isdigit()):
                raise fail(f"--year {year} 格式应为 YYYY")
            months = [m for m in months if m.startswith(year)]
        runs = dict(conn.execute("SELECT month, run_id FROM months"))
        # A month re-scored by a cascade has a run that wrote no workbook: the workbook on
        # disk is the earlier run's, out of date until ``show MONTH --write``.
        written = {r for (r,) in conn.execute("SELECT DISTINCT run_id FROM workbooks")}
        doc: dict[str, Any] = {"months": [
            {"month": m, "scored": True, "paid": restate.paid(conn, m),
             "closed": store.closed(conn, m), "run_id": runs[m],
             "workbook_current": runs[m] in written} for m in months]}
        doc["gradings"] = [
            {"effective": e, "window": f"{s}..{t}", "stale": bool(why), "reason": why}
            for e, s, t, why in conn.execute(
                "SELECT effective_month, window_start, window_end, stale FROM gradings"
                " ORDER BY effective_month")
            if year is None or e.startswith(year) or t.startswith(year)]
        doc["restatements_pending"] = len(restate.pending(conn))
    finally:
        conn.close()
    return doc
