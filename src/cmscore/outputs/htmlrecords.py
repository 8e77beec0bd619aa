"""The HTML report's sections for what people recorded beside the scores (issue 16): the
month's adjustments with their reasons, and the 第十六条 events of the twelve months
ending with it with the warnings they raise. Rendered with the report's own table, and
handed to ``htmlreport.build_report`` as its extra sections."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from html import escape

from cmscore.engine import events
from cmscore.numbers import fmt2
from cmscore.outputs.htmlreport import _table as table
from cmscore.rules.ruleset import RuleSet
from cmscore.store import adjustments as store_adjustments
from cmscore.store import events as store_events


def sections(conn: sqlite3.Connection, month: str, rules: RuleSet) -> Iterator[tuple[str, str, str]]:
    """(anchor, heading, inner HTML) of each section that has something to show."""
    names = dict(conn.execute("SELECT cm_id, name FROM scores WHERE month = ?", (month,)))
    items = {i.id: i.name for t in rules.tables.values() for i in t.items}
    rows = [[str(a["id"]), cm, names.get(cm, ""), items.get(str(a["item"]), str(a["item"])),
             _signed(a["points"]), _signed(a["applied"]), str(a["reason"]), str(a["basis"]),
             str(a["approved_by"])]
            for cm, made in store_adjustments.effects(conn, month).items() for a in made]
    if rows:
        yield ("adjustments", "人工调整", "<p>在计算得分之上的调整（申诉、更正、领导小组决定）；"
               "项目得分仍在 0 至高限之间，「实际调整」为计入总分的分值。</p>" + table(
                   ["编号", "工号", "姓名", "项目", "调整分值", "实际调整", "原因", "依据", "批准人"],
                   sorted(rows, key=lambda r: int(r[0])), {4, 5}))
    happened = {cm: e for cm, e in store_events.of(conn, month).items() if cm in names}
    listed = [[cm, names[cm], e.date, e.kind, e.description, e.source]
              for cm, all_of in happened.items() for e in events.in_window(all_of, month)]
    if listed:
        warned = [f"<li>{escape(f'{cm} {names[cm]}：{w}')}</li>" for cm, all_of in happened.items()
                  for w in events.warnings(all_of, month)]
        yield ("events", "第十六条事件", f"<p>{month} 及此前 11 个月的事件。</p>"
               + (f"<ul>{''.join(warned)}</ul>" if warned else "")
               + table(["工号", "姓名", "日期", "类型", "说明", "来源"], listed, set()))


def _signed(v: object) -> str:
    assert isinstance(v, Decimal)
    return f"+{fmt2(v)}" if v > 0 else fmt2(v)
