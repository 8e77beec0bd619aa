"""Workbooks, JSON documents and terminal summaries of `grade` and `payroll`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .grading import GRADES, Grading
from .numbers import ZERO, fmt2
from .pay import TRANSITION
from .store import RunRecord
from .xlsx import Book, Column

if TYPE_CHECKING:
    from .jobs import PayrollResult


def _record(run: RunRecord, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [("命令", run.command), ("月份", run.month), ("工具版本", run.tool_version),
            ("运行时间", run.started_at), *extra]
    if run.file_name:
        rows += [("输入文件", run.file_name), ("文件 SHA-256", run.file_sha256)]
    return rows + [(f"规则文件 {n}", h) for n, h in sorted(run.rules.items())]


def write_grades(path: Path, grading: Grading, run: RunRecord) -> None:
    book = Book(path)
    cols = [Column("排名", 6, "int"), Column("工号", 12), Column("姓名", 10), Column("机构", 14),
            Column("类别", 10), Column("平均分", 9, "points")]
    cols += [Column(m, 9, "points") for m in grading.months]
    cols += [Column("等级", 7), Column("原因", 36), Column("分界说明", 40), Column("标记", 40)]
    rows = ([d.rank, d.id, d.name, d.branch, d.category, d.average,
             *[d.monthly.get(m) for m in grading.months], d.grade, d.reason, d.boundary,
             "；".join(d.flags)] for d in grading.decisions)
    book.sheet("定级", cols, rows, note=f"{grading.months[0]} 至 {grading.months[-1]} "
               f"{len(grading.months)} 个月定级，{grading.effective} 起执行")
    counts, pool = grading.counts(), grading.counts(pool_only=True)
    summary = [(g, grading.quotas[g], pool[g], counts[g] - pool[g], counts[g]) for g in GRADES]
    book.sheet("汇总", [Column("等级", 8), Column("支行池名额", 12, "int"),
                      Column("支行池人数", 12, "int"), Column("池外人数", 30, "int"),
                      Column("合计", 8, "int")], summary,
               note=f"支行定级池 {grading.pool_size} 人：一级 30%、二级 50%、三级 20%（四舍五入）")
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70)],
               _record(run, [("定级窗口", f"{grading.months[0]} 至 {grading.months[-1]}"),
                             ("生效月份", grading.effective)]))
    book.close()


def grades_json(grading: Grading) -> dict[str, Any]:
    return {"window": {"start": grading.months[0], "end": grading.months[-1],
                       "months": len(grading.months)},
            "effective": grading.effective, "pool_size": grading.pool_size,
            "quotas": grading.quotas, "counts": grading.counts(),
            "managers": [{"id": d.id, "name": d.name, "branch": d.branch,
                          "category": d.category,
                          "average": None if d.average is None else fmt2(d.average),
                          "rank": d.rank, "grade": d.grade, "reason": d.reason,
                          "boundary": d.boundary or None, "flags": d.flags}
                         for d in grading.decisions]}


def grade_summary(grading: Grading) -> list[Any]:
    from rich.table import Table

    counts, pool = grading.counts(), grading.counts(pool_only=True)
    t = Table(title=f"{grading.months[0]}–{grading.months[-1]} 定级，{grading.effective} 起执行",
              title_justify="left", caption="池外：分行客户经理（固定一级）、新增人员、缺月人员",
              caption_justify="left")
    for h in ("等级", "支行池名额", "支行池人数", "池外人数", "合计"):
        t.add_column(h, justify="left" if h == "等级" else "right")
    for g in GRADES:
        t.add_row(g, str(grading.quotas[g]), str(pool[g]), str(counts[g] - pool[g]),
                  str(counts[g]))
    out: list[Any] = [t]
    notable = [d for d in grading.decisions if d.boundary or d.flags]
    if notable:
        b = Table(title="分界并列与标记", title_justify="left")
        for h in ("工号", "姓名", "平均分", "等级", "说明"):
            b.add_column(h)
        for d in notable:
            b.add_row(d.id, d.name, fmt2(d.average) if d.average is not None else "", d.grade,
                      "；".join(filter(None, [d.boundary, *d.flags])))
        out.append(b)
    return out


def write_payroll(path: Path, result: PayrollResult, run: RunRecord) -> None:
    book = Book(path)
    cols = [Column("工号", 12), Column("姓名", 10), Column("机构", 14), Column("类别", 10),
            Column("等级", 8), Column("定级依据", 30), Column("履职绩效工资", 12, "money"),
            Column("考核得分", 9, "points"), Column("月度应得工资", 12, "money"),
            Column("风险金发放", 11, "money"), Column("风险金扣罚", 11, "money"),
            Column("预警", 50)]
    rows = [[p.id, p.name, p.branch, p.category, p.grade, p.grade_note, p.base, p.score, p.pay,
             p.risk_fund_release, p.risk_fund_forfeit, "；".join(p.warnings)]
            for p in result.lines]
    t = result.totals
    rows.append(["合计", "", "", "", "", f"{len(result.lines)} 人", None, None, t["pay"],
                 t["risk_fund_release"], t["risk_fund_forfeit"], ""])
    book.sheet("绩效工资", cols, rows,
               note=f"{result.month} 月度应得工资 = 履职绩效工资 × 考核得分 / 100（第十一条）")
    scols = [Column("工号", 12), Column("姓名", 10), Column("职务", 16), Column("管辖机构", 14),
             Column("履职岗位工资", 12, "money"), Column("客户经理人数", 10, "int"),
             Column("平均得分", 9, "points"), Column("固定部分(90%)", 13, "money"),
             Column("挂钩部分(10%)", 13, "money"), Column("应发", 12, "money")]
    book.sheet("主管挂钩", scols, [[s.id, s.name, s.title, s.scope, s.wage, s.managers, s.average,
                                   s.fixed, s.linked, s.pay] for s in result.supervisors],
               note="第十二条：履职岗位工资的 10% 与所辖客户经理平均得分挂钩")
    ledger = result.ledger
    book.sheet("风险金台账", [Column("项目", 20), Column("金额（元）", 14, "money")], [
        ("年初至上月累计", ledger.opening), ("本月计提", ledger.accrued),
        ("本月发放", ledger.released), ("本月扣罚", ledger.forfeited),
        ("期末余额", ledger.closing)],
        note=f"{result.month[:4]} 年风险金（按各月履职绩效工资 / 100 折算）")
    totals = [("客户经理月度应得工资", t["pay"]), ("风险金发放", t["risk_fund_release"]),
              ("主管应发", t["supervisors_pay"]), ("合计发放", t["total"]),
              ("风险金扣罚（不发放）", t["risk_fund_forfeit"])]
    book.sheet("合计", [Column("项目", 22), Column("金额（元）", 14, "money")], totals)
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70)],
               _record(run, [("执行的定级", result.grading or "尚未定级（过渡期）")]))
    book.close()


def payroll_json(result: PayrollResult) -> dict[str, Any]:
    ledger = result.ledger
    return {
        "month": result.month, "grading_in_effect": result.grading,
        "managers": [{"id": p.id, "name": p.name, "grade": p.grade, "base": fmt2(p.base),
                      "score": fmt2(p.score), "pay": fmt2(p.pay),
                      "risk_fund_release": fmt2(p.risk_fund_release),
                      "risk_fund_forfeit": fmt2(p.risk_fund_forfeit), "warnings": p.warnings}
                     for p in result.lines],
        "supervisors": [{"id": s.id, "name": s.name, "title": s.title, "scope": s.scope,
                         "wage": fmt2(s.wage), "managers": s.managers,
                         "average": fmt2(s.average), "fixed": fmt2(s.fixed),
                         "linked": fmt2(s.linked), "pay": fmt2(s.pay)}
                        for s in result.supervisors],
        "totals": {k: fmt2(v) for k, v in result.totals.items()},
        "risk_fund_ledger": {"opening": fmt2(ledger.opening), "accrued": fmt2(ledger.accrued),
                             "released": fmt2(ledger.released),
                             "forfeited": fmt2(ledger.forfeited),
                             "closing": fmt2(ledger.closing)},
        "unsettled_risk_fund": result.unsettled,
    }


def payroll_summary(result: PayrollResult) -> list[Any]:
    from rich.table import Table

    t = result.totals
    by_grade = Table(title=f"{result.month} 绩效工资（执行定级：{result.grading or '过渡期'}）",
                     title_justify="left")
    for h in ("等级", "人数", "履职绩效工资", "应得工资合计"):
        by_grade.add_column(h, justify="left" if h == "等级" else "right")
    order = [*GRADES, TRANSITION]
    grades = sorted({p.grade for p in result.lines}, key=order.index)
    for g in grades:
        members = [p for p in result.lines if p.grade == g]
        bases = sorted({fmt2(p.base) for p in members})
        by_grade.add_row(g, str(len(members)), "/".join(bases),
                         fmt2(sum((p.pay for p in members), ZERO)))
    by_grade.add_row("合计", str(len(result.lines)), "", fmt2(t["pay"]))
    out: list[Any] = [by_grade]
    warned = [p for p in result.lines if p.warnings]
    if warned:
        w = Table(title="预警", title_justify="left")
        for h in ("工号", "姓名", "预警"):
            w.add_column(h)
        for p in warned:
            w.add_row(p.id, p.name, "；".join(p.warnings))
        out.append(w)
    return out
