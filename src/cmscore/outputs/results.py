"""Workbooks, JSON documents and terminal summaries of `grade` and `payroll`."""

from __future__ import annotations

from itertools import chain
from pathlib import Path
from typing import Any

from cmscore.engine.grading import GRADES, Decision, Grading
from cmscore.engine.pay import TRANSITION, PayLine, PayrollResult
from cmscore.engine.results import Diff, Explanation
from cmscore.numbers import ZERO, ByValue, fmt2, from_centi
from cmscore.outputs.celltext import Blocks, column_blocks
from cmscore.outputs.xlsx import Book, Column
from cmscore.store.db import RunRecord


class _Texts(dict[int | None, str]):
    """Hundredths → their two-place text, as ``fmt2`` writes them."""

    def __missing__(self, key: int | None) -> str:
        value = self[key] = fmt2(ZERO if key is None else from_centi(key))
        return value


def _record(run: RunRecord, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [("命令", run.command), ("月份", run.month), ("工具版本", run.tool_version),
            ("运行时间", run.started_at), *extra]
    if run.file_name:
        rows += [("输入文件", run.file_name), ("文件 SHA-256", run.file_sha256)]
    return rows + [(f"规则文件 {n}", h) for n, h in sorted(run.rules.items())]


# A terminal list longer than this is cut (the workbook has every row): a national
# grading flags ~15k CMs, and printing them all took ~9 s and scrolled the totals away.
TERMINAL_ROWS = 50


def _unlisted(count: int, where: str) -> str | None:
    if count <= TERMINAL_ROWS:
        return None
    return f"以上为前 {TERMINAL_ROWS} 名；另有 {count - TERMINAL_ROWS} 名未列出，全部见{where}"


def write_grades(path: Path, grading: Grading, run: RunRecord) -> None:
    book = Book(path)
    cols = [Column("排名", 6, "int"), Column("工号", 12), Column("姓名", 10), Column("机构", 14),
            Column("类别", 10), Column("平均分", 9, "points")]
    cols += [Column(m, 9, "points") for m in grading.months]
    cols += [Column("等级", 7), Column("原因", 36), Column("分界说明", 40), Column("标记", 40)]
    # Hundredths → Decimal once per distinct value: a million cells, a few thousand values.
    cell = ByValue(from_centi).__getitem__

    def columns(part: list[Decision]) -> list[list[Any]]:
        return [[d.rank for d in part], [d.id for d in part], [d.name for d in part],
                [d.branch for d in part], [d.category for d in part],
                [d.average for d in part],
                *(list(map(cell, month)) for month in zip(*(d.totals for d in part), strict=True)),
                [d.grade for d in part], [d.reason for d in part], [d.boundary for d in part],
                ["；".join(d.flags) if d.flags else "" for d in part]]

    book.sheet("定级", cols, Blocks(column_blocks(grading.decisions, columns)),
               note=f"{grading.months[0]} 至 {grading.months[-1]} "
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
        b = Table(title="分界并列与标记", title_justify="left",
                  caption=_unlisted(len(notable), "定级表的「分界说明」「标记」列"),
                  caption_justify="left")
        for h in ("工号", "姓名", "平均分", "等级", "说明"):
            b.add_column(h)
        for d in notable[:TERMINAL_ROWS]:
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
    by_value = ByValue(from_centi)
    by_value[None] = ZERO  # not released or forfeited this month
    cell = by_value.__getitem__
    t = result.totals

    def columns(part: list[PayLine]) -> list[list[Any]]:
        return [[p.id for p in part], [p.name for p in part], [p.branch for p in part],
                [p.category for p in part], [p.grade for p in part],
                [p.grade_note for p in part], [p.base for p in part],
                [cell(p.score_cp) for p in part], [cell(p.pay_fen) for p in part],
                [cell(p.release_fen) for p in part], [cell(p.forfeit_fen) for p in part],
                ["；".join(p.warnings) if p.warnings else "" for p in part]]

    total: list[list[Any]] = [["合计"], [""], [""], [""], [""], [f"{len(result.lines)} 人"],
                              [None], [None], [t["pay"]], [t["risk_fund_release"]],
                              [t["risk_fund_forfeit"]], [""]]
    book.sheet("绩效工资", cols, Blocks(chain(column_blocks(result.lines, columns), [total])),
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
    text = _Texts()
    bases = {base: fmt2(base) for base in {p.base for p in result.lines}}
    return {
        "month": result.month, "grading_in_effect": result.grading,
        "managers": [{"id": p.id, "name": p.name, "grade": p.grade, "base": bases[p.base],
                      "score": text[p.score_cp], "pay": text[p.pay_fen],
                      "risk_fund_release": text[p.release_fen],
                      "risk_fund_forfeit": text[p.forfeit_fen], "warnings": p.warnings}
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
        w = Table(title="预警", title_justify="left",
                  caption=_unlisted(len(warned), "工资表的「预警」列"), caption_justify="left")
        for h in ("工号", "姓名", "预警"):
            w.add_column(h)
        for p in warned[:TERMINAL_ROWS]:
            w.add_row(p.id, p.name, "；".join(p.warnings))
        out.append(w)
    return out


def explain_json(e: Explanation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": e.id, "name": e.name, "month": e.month, "category": e.category,
        "total": fmt2(e.score.total), "stored_total": fmt2(e.stored_total),
        "risk_fund": fmt2(e.score.risk_fund), "rules_changed": e.rules_changed,
        "items": {k: {"points": fmt2(v.points), "text": v.text} for k, v in e.score.items.items()},
        "grade": None, "pay": None, "notes": e.notes}
    if e.grade:
        g = e.grade
        doc["grade"] = {"grade": g["grade"], "effective": e.grade_effective,
                        "window": f"{g['start']}..{g['end']}", "rank": g["rank"],
                        "pool": g["pool"], "reason": g["reason"], "boundary": g["boundary"] or None,
                        "average": None if g["average"] is None else fmt2(g["average"])}  # type: ignore[arg-type]
    if e.pay:
        p = e.pay
        doc["pay"] = {k: (v if isinstance(v, str) else fmt2(v)) for k, v in p.items()}
        doc["pay"]["text"] = _pay_text(e)
    return doc


def _pay_text(e: Explanation) -> str:
    assert e.pay is not None
    p = e.pay
    return (f"{p['grade']}履职绩效工资 {fmt2(p['base'])} 元 × 考核得分 {fmt2(p['score'])} / 100 "  # type: ignore[arg-type]
            f"= {fmt2(p['pay'])} 元（四舍五入到分，只舍入一次）")  # type: ignore[arg-type]


def explain_panel(e: Explanation) -> Any:
    from rich.panel import Panel

    lines = [f"{e.score.items[k].text}" for k in e.score.items]
    lines.append(f"合计：{' + '.join(fmt2(v.points) for v in e.score.items.values())} = "
                 f"{fmt2(e.score.total)} 分；风险金计提 {fmt2(e.score.risk_fund)} 分")
    if e.grade:
        g = e.grade
        where = (f"支行池 {g['pool']} 人中平均分 {fmt2(g['average'])} 排第 {g['rank']} 名"  # type: ignore[arg-type]
                 if g["rank"] is not None else "")
        lines.append(f"等级：{g['grade']}（{g['start']} 至 {g['end']} 定级，{e.grade_effective} 起执行）"
                     f"{where}；{g['reason']}{('；' + str(g['boundary'])) if g['boundary'] else ''}")
    else:
        lines.append("等级：尚未定级，按过渡期")
    if e.pay:
        lines.append("工资：" + _pay_text(e))
    lines += e.notes
    return Panel("\n".join(lines), title=f"{e.month} {e.id} {e.name}（{e.category}）",
                 title_align="left")


def diff_json(d: Diff) -> dict[str, Any]:
    def opt(v: Any) -> Any:
        return None if v is None else fmt2(v)

    return {"months": d.months, "graded": d.graded,
            "managers": [{"id": x.id, "name": x.name, "category": x.category,
                          "old_total": fmt2(x.old_total), "new_total": fmt2(x.new_total),
                          "delta": fmt2(x.delta), "old_rank": x.old_rank, "new_rank": x.new_rank,
                          **({"old_grade": x.old_grade, "new_grade": x.new_grade,
                              "old_pay": opt(x.old_pay), "new_pay": opt(x.new_pay)}
                             if d.graded else {})} for x in d.lines],
            "totals": {k: fmt2(v) for k, v in d.totals.items()}}


def write_diff(path: Path, d: Diff) -> None:
    book = Book(path)
    cols = [Column("工号", 12), Column("姓名", 10), Column("类别", 10),
            Column("原得分", 9, "points"), Column("新得分", 9, "points"),
            Column("变化", 9, "points"), Column("原排名", 7, "int"), Column("新排名", 7, "int")]
    if d.graded:
        cols += [Column("原等级", 7), Column("新等级", 7), Column("原工资", 11, "money"),
                 Column("新工资", 11, "money")]
    rows = ([x.id, x.name, x.category, x.old_total, x.new_total, x.delta, x.old_rank, x.new_rank,
             *([x.old_grade, x.new_grade, x.old_pay, x.new_pay] if d.graded else [])]
            for x in d.lines)
    book.sheet("对比", cols, rows, note=f"{d.months[0]} 至 {d.months[-1]} 按新规则重算（未保存）")
    book.sheet("合计", [Column("项目", 16), Column("数值", 14, "money")],
               [(k, v) for k, v in d.totals.items()])
    book.close()


def diff_summary(d: Diff, top: int = 5) -> list[Any]:
    from rich.table import Table

    up = [x for x in d.lines if x.delta > 0]
    down = [x for x in d.lines if x.delta < 0]
    out: list[Any] = [f"{d.months[0]}–{d.months[-1]} 按新规则重算：{len(d.lines)} 人，"
                      f"得分上升 {len(up)} 人，下降 {len(down)} 人，不变 "
                      f"{len(d.lines) - len(up) - len(down)} 人"]
    if d.graded:
        out.append(f"月度工资合计 {fmt2(d.totals['old_pay'])} → {fmt2(d.totals['new_pay'])} 元"
                   f"（变化 {fmt2(d.totals['pay_change'])} 元）")
    for title, group in (("得分上升最多", up[:top]), ("得分下降最多", list(reversed(down))[:top])):
        if not group:
            continue
        t = Table(title=title, title_justify="left")
        for h in ("工号", "姓名", "原得分", "新得分", "变化", "原排名", "新排名"):
            t.add_column(h)
        for x in group:
            t.add_row(x.id, x.name, fmt2(x.old_total), fmt2(x.new_total), fmt2(x.delta),
                      str(x.old_rank), str(x.new_rank))
        out.append(t)
    return out
