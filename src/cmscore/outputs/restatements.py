"""补发/扣回: a paid month's difference, carried by this payroll (issue 14).

What was paid in a month is never rewritten; when that month's score or grade is corrected
later, the difference per CM (due − paid so far) is paid or recovered in the next payroll,
on a line that says which month and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cmscore.engine.pay import PayrollResult, Restatement

if TYPE_CHECKING:  # only named: score imports this module, and results' other dataclasses
    from cmscore.engine.results import Restated
from cmscore.numbers import fmt2, from_centi
from cmscore.outputs.xlsx import Book, Column


def _kind(r: Restatement) -> str:
    return "补发" if r.difference_fen > 0 else "扣回"


def restatements_json(rows: list[Restatement]) -> list[dict[str, Any]]:
    return [{"id": r.id, "month": r.month, "cm_id": r.cm_id, "name": r.name,
             "paid": fmt2(from_centi(r.paid_fen)), "due": fmt2(from_centi(r.due_fen)),
             "difference": fmt2(from_centi(r.difference_fen)), "reason": r.reason}
            for r in rows]


def restated_json(rows: list[Restated]) -> list[dict[str, str]]:
    """The later months' totals a correction (an adjustment, an opening) changed."""
    return [{"month": r.month, "id": r.id, "old_total": fmt2(r.old_total),
             "new_total": fmt2(r.new_total)} for r in rows]


def write_restatements(book: Book, result: PayrollResult) -> None:
    """The 补发扣回 sheet, only when this payroll carries any."""
    if not result.restatements:
        return
    cols = [Column("编号", 6, "int"), Column("所属月份", 9), Column("工号", 12), Column("姓名", 10),
            Column("已发（含此前补扣）", 16, "money"), Column("应发（更正后）", 14, "money"),
            Column("本次补发/扣回", 14, "money"), Column("类型", 6), Column("原因", 50)]
    rows = [[r.id, r.month, r.cm_id, r.name, from_centi(r.paid_fen), from_centi(r.due_fen),
             from_centi(r.difference_fen), _kind(r), r.reason] for r in result.restatements]
    rows.append(["合计", "", "", f"{len(rows)} 笔", None, None,
                 result.totals["restatements"], "", ""])
    book.sheet("补发扣回", cols, rows,
               note=f"{result.month} 随本月工资补发（正数）或扣回（负数）的以前月份差额；"
                    "已发放月份的工资表不改动")


def restatement_totals(totals: dict[str, Any]) -> list[tuple[str, Any]]:
    if "restatements" not in totals:
        return []
    return [("以前月份补发/扣回", totals["restatements"]),
            ("本月实发合计（含补发/扣回）", totals["total_with_restatements"])]


def restatements_summary(result: PayrollResult) -> list[Any]:
    if not result.restatements:
        return []
    from rich.table import Table

    table = Table(title=f"以前月份补发/扣回（随 {result.month} 工资发放）", title_justify="left")
    for h in ("所属月份", "工号", "姓名", "已发", "应发", "补发/扣回", "原因"):
        table.add_column(h, justify="right" if h in ("已发", "应发", "补发/扣回") else "left")
    for r in result.restatements:
        table.add_row(r.month, r.cm_id, r.name, fmt2(from_centi(r.paid_fen)),
                      fmt2(from_centi(r.due_fen)), fmt2(from_centi(r.difference_fen)), r.reason)
    return [table]
