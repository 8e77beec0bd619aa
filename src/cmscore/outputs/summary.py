"""`summary` for people: the quarter's or year's workbook, the JSON document and the
terminal line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmscore import __version__
from cmscore.engine.results import Summary, SummaryLine
from cmscore.numbers import fmt2
from cmscore.outputs.celltext import Blocks, column_blocks
from cmscore.outputs.xlsx import Book, Column


def write_summary(path: Path, s: Summary, started_at: str) -> None:
    """summary-YYYY[-Qn].xlsx: 汇总 (one row per manager) and 运行记录."""
    book = Book(path, f"{s.label}客户经理考核汇总", s.name[len("summary-"):])
    cols = [Column("排名", 6, "rank"), Column("工号", 12), Column("姓名", 10),
            Column("机构", 14), Column("类别", 10)]
    cols += [Column(m, 9, "points") for m in s.months]
    cols += [Column("考核月数", 8, "int"), Column("平均分", 9, "points"),
             Column("执行等级", 34, "wrap"), Column("绩效工资合计", 12, "money"),
             Column("以后补发/扣回", 12, "money"),
             Column("发放月数", 8, "int"), Column("风险金计提（分）", 10, "points"),
             Column("风险金发放", 11, "money"), Column("风险金扣收", 11, "money"),
             Column("标记", 36, "wrap")]

    def columns(part: list[SummaryLine]) -> list[list[Any]]:
        return [[x.rank for x in part], [x.id for x in part], [x.name for x in part],
                [x.branch for x in part], [x.category for x in part],
                *([x.totals.get(m) for x in part] for m in s.months),
                [len(x.totals) for x in part], [x.average for x in part],
                [x.grades for x in part], [x.pay for x in part], [x.restated for x in part],
                [x.paid_months for x in part], [x.risk_fund_points for x in part],
                [x.released for x in part], [x.forfeited for x in part],
                ["；".join(x.flags) for x in part]]

    book.sheet("汇总", cols, Blocks(column_blocks(s.lines, columns)), note=_title(s))
    record: list[tuple[str, Any]] = [
        ("期间", s.label), ("已计分月份", "、".join(s.months)),
        ("未计分月份", "、".join(s.missing) or "无"), ("客户经理人数", len(s.lines)),
        ("平均分", "考核月数内各月总分的平均，四舍五入到分；排名按平均分在同一类别内"),
        *((f"调整 {k}", a) for k, a in enumerate(s.adjustments, start=1)),
        ("工具版本", __version__), ("生成时间", started_at)]
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70, "value")], record)
    book.close()


def _title(s: Summary) -> str:
    missing = f"；未计分：{'、'.join(s.missing)}" if s.missing else ""
    return f"{s.label}客户经理考核汇总（已计分 {len(s.months)} 个月：{s.months[0]} 至 " \
           f"{s.months[-1]}{missing}）"


def summary_json(s: Summary) -> dict[str, Any]:
    return {"year": s.year, "quarter": s.quarter, "months": s.months, "missing": s.missing,
            "adjustments": s.adjustments,
            "managers": [{"id": x.id, "name": x.name, "branch": x.branch,
                          "category": x.category,
                          "totals": {m: fmt2(t) for m, t in x.totals.items()},
                          "months": len(x.totals), "average": fmt2(x.average), "rank": x.rank,
                          "grades": x.grades, "pay": fmt2(x.pay),
                          "restated": fmt2(x.restated), "paid_months": x.paid_months,
                          "risk_fund_points": fmt2(x.risk_fund_points),
                          "risk_fund_release": fmt2(x.released),
                          "risk_fund_forfeit": fmt2(x.forfeited), "flags": x.flags}
                         for x in s.lines]}


def summary_line(s: Summary) -> str:
    return _title(s) + f"：{len(s.lines)} 名客户经理"
