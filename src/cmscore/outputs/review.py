"""`explain` and `diff` for people: JSON documents, the explain panel, the diff workbook and summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmscore.engine.results import Diff, Explanation
from cmscore.numbers import fmt2
from cmscore.outputs.xlsx import Book, Column


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
        where = (f"参评人员 {g['pool']} 人中平均分 {fmt2(g['average'])} 排第 {g['rank']} 名"  # type: ignore[arg-type]
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
