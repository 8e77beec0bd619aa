"""`explain` and `diff` for people: JSON documents, the explain panel, the diff workbook and summary."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from cmscore import __version__
from cmscore.engine.results import Diff, Explanation
from cmscore.numbers import ZERO, fmt2
from cmscore.outputs.tasks import item_task, tasks_text
from cmscore.outputs.xlsx import Book, Column


def explain_json(e: Explanation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": e.id, "name": e.name, "month": e.month, "category": e.category,
        "total": fmt2(e.adjusted_total), "computed_total": fmt2(e.score.total),
        "stored_total": fmt2(e.stored_total),
        "risk_fund": fmt2(e.score.risk_fund), "rules_changed": e.rules_changed,
        "items": {k: {"points": fmt2(v.points), "text": v.text, **item_task(v)}
                  for k, v in e.score.items.items()},
        "grade": None, "pay": None, "notes": e.notes,
        "adjustments": [_plain(a) for a in e.adjustments],
        "adjustment_history": [_plain(a) for a in e.adjustment_history],
        "events": e.events, "article16_warnings": e.article16}
    if e.grade:
        g = e.grade
        doc["grade"] = {"grade": g["grade"], "effective": e.grade_effective,
                        "window": f"{g['start']}..{g['end']}", "rank": g["rank"],
                        "pool": g["pool"], "reason": g["reason"], "boundary": g["boundary"] or None,
                        "average": None if g["average"] is None else fmt2(g["average"])}  # type: ignore[arg-type]
    if e.in_force:  # the grade payroll prices with; the grading's row (if any) kept apart
        doc["grade"] = {"grade": e.in_force, "effective": e.grade_effective, "window": None,
                        "rank": None, "pool": None, "reason": e.in_force_reason,
                        "boundary": None, "average": None,
                        "graded": doc["grade"]["grade"] if doc["grade"] else None}
    if e.pay:
        p = e.pay
        doc["pay"] = {k: (v if isinstance(v, str) else fmt2(v)) for k, v in p.items()}
        doc["pay"]["text"] = _pay_text(e)
    return doc


def _plain(a: dict[str, object]) -> dict[str, object]:
    return {k: fmt2(v) if isinstance(v, Decimal) else v for k, v in a.items()}


def _signed(v: object) -> str:
    assert isinstance(v, Decimal)
    return f"+{fmt2(v)}" if v > 0 else fmt2(v)


def adjustment_lines(e: Explanation) -> list[str]:
    """The computed figure, each adjustment with its reason, and the result; then the
    revoked ones, which no longer count."""
    if not e.adjustment_history:
        return []
    lines = [f"计算得分 {fmt2(e.score.total)} 分"]
    for a in e.adjustments:
        moved = "" if a["applied"] == a["points"] else \
            f"（实际 {_signed(a['applied'])} 分：{a['note']}）"
        lines.append(f"调整 {a['id']}：{a['item_name']} {_signed(a['points'])} 分{moved}；"
                     f"原因：{a['reason']}；依据：{a['basis']}；批准人：{a['approved_by']}")
    lines.append(f"调整后得分 {fmt2(e.adjusted_total)} 分")
    lines += [f"调整 {a['id']}（{a['item_name']} {_signed(a['points'])} 分，{a['reason']}）已于 "
              f"{a['revoked_at']} 由 {a['revoked_by']} 撤销：{a['revoke_reason']}，不再计入"
              for a in e.adjustment_history if a["revoked_at"]]
    return lines


def _pay_text(e: Explanation) -> str:
    assert e.pay is not None
    p = e.pay
    return (f"{p['grade']}履职绩效工资 {fmt2(p['base'])} 元 × 考核得分 {fmt2(p['score'])} / 100 "  # type: ignore[arg-type]
            f"= {fmt2(p['pay'])} 元（四舍五入到分，只舍入一次）")  # type: ignore[arg-type]


def explain_panel(e: Explanation) -> Any:
    from rich.panel import Panel
    from rich.text import Text

    lines = [f"{e.score.items[k].text}" for k in e.score.items]
    lines.append(f"合计：{' + '.join(fmt2(v.points) for v in e.score.items.values())} = "
                 f"{fmt2(e.score.total)} 分；风险金计提 {fmt2(e.score.risk_fund)} 分")
    lines += filter(None, [tasks_text(e.score.items.values())])
    lines += adjustment_lines(e)
    if e.in_force:
        graded = e.grade["grade"] if e.grade else None
        lines.append(f"等级：{e.in_force}（{e.in_force_reason}）" + (
            f"；{e.grade_effective} 起执行的定级中为{graded}（按当时的类别）"
            if graded and graded != e.in_force else ""))
    elif e.grade:
        g = e.grade
        where = (f"参评人员 {g['pool']} 人中平均分 {fmt2(g['average'])} 排第 {g['rank']} 名"  # type: ignore[arg-type]
                 if g["rank"] is not None else "")
        lines.append(f"等级：{g['grade']}（{g['start']} 至 {g['end']} 定级，{e.grade_effective} 起执行）"
                     f"{where}；{g['reason']}{('；' + str(g['boundary'])) if g['boundary'] else ''}")
    else:
        lines.append("等级：尚未定级，按过渡期")
    if e.pay:
        lines.append("工资：" + _pay_text(e))
    lines += [f"第十六条事件：{v['date']} {v['kind']}：{v['description']}（来源：{v['source']}）"
              for v in e.events]
    lines += [f"预警：{w}" for w in e.article16]
    lines += e.notes
    # Text, not str: a Panel reads a str title as markup whatever the console says.
    return Panel(Text("\n".join(lines)), title=Text(f"{e.month} {e.id} {e.name}（{e.category}）"),
                 title_align="left")


def diff_json(d: Diff) -> dict[str, Any]:
    def opt(v: Any) -> Any:
        return None if v is None else fmt2(v)

    return {"months": d.months, "graded": d.graded,
            "managers": [{"id": x.id, "name": x.name, "category": x.category,
                          "old_total": fmt2(x.old_total), "new_total": fmt2(x.new_total),
                          "delta": fmt2(x.delta), "old_rank": x.old_rank, "new_rank": x.new_rank,
                          **({"old_average": opt(x.old_average),
                              "new_average": opt(x.new_average),
                              "old_average_rank": x.old_average_rank,
                              "new_average_rank": x.new_average_rank,
                              "old_grade": x.old_grade, "new_grade": x.new_grade,
                              "old_pay": opt(x.old_pay), "new_pay": opt(x.new_pay)}
                             if d.graded else {})} for x in d.lines],
            "totals": {k: fmt2(v) for k, v in d.totals.items()}}


def _counts(d: Diff) -> tuple[str, int, int, int]:
    """What the counts count (the window average's change, or the month's total's) and
    how many went up, down, or stayed."""
    what = f"{d.label} 平均分" if d.graded else f"{d.months[-1]} 得分"
    up = sum(1 for x in d.lines if x.change > 0)
    down = sum(1 for x in d.lines if x.change < 0)
    return what, up, down, len(d.lines) - up - down


def write_diff(path: Path, d: Diff) -> None:
    last = d.months[-1]
    book = Book(path, f"{d.label} 规则调整对比", d.label)
    cols = [Column("工号", 12), Column("姓名", 10), Column("类别", 10)]
    if d.graded:
        cols += [Column("原平均分", 9, "points"), Column("新平均分", 9, "points"),
                 Column("平均分变化", 9, "points"), Column("原排名", 7, "rank"),
                 Column("新排名", 7, "rank"), Column(f"{last}\n原得分", 9, "points"),
                 Column(f"{last}\n新得分", 9, "points"), Column("原等级", 7),
                 Column("新等级", 7), Column(f"{last}\n原工资", 11, "money"),
                 Column(f"{last}\n新工资", 11, "money")]
        rows: Any = ([x.id, x.name, x.category, x.old_average, x.new_average, x.change,
                      x.old_average_rank, x.new_average_rank, x.old_total, x.new_total,
                      x.old_grade, x.new_grade, x.old_pay, x.new_pay] for x in d.lines)
        note = f"{d.label} 按新规则重算（未保存）：平均分与排名按窗口 {len(d.months)} 个月，" \
               f"等级按窗口重新定级，工资为 {last} 按该等级"
    else:
        cols += [Column("原得分", 9, "points"), Column("新得分", 9, "points"),
                 Column("变化", 9, "points"), Column("原排名", 7, "rank"),
                 Column("新排名", 7, "rank")]
        rows = ([x.id, x.name, x.category, x.old_total, x.new_total, x.delta, x.old_rank,
                 x.new_rank] for x in d.lines)
        note = f"{d.label} 按新规则重算（未保存）"
    book.sheet("对比", cols, rows, note=note)
    labels = {"old_total": f"{last} 原得分合计", "new_total": f"{last} 新得分合计",
              "old_pay": f"{last} 原月度工资合计（元）", "new_pay": f"{last} 新月度工资合计（元）",
              "pay_change": f"{last} 月度工资变化（元）"}
    what, up, down, same = _counts(d)
    totals: list[list[Any]] = [[labels.get(k, k), v, None] for k, v in d.totals.items()]
    totals += [[f"{what}上升", None, up], [f"{what}下降", None, down],
               [f"{what}不变", None, same]]
    book.sheet("合计", [Column("项目", 30), Column("数值", 14, "points"), Column("人数", 8, "int")],
               totals, note=f"{d.label} 规则调整对比合计")
    record: list[tuple[str, Any]] = [("对比月份", d.label), ("客户经理人数", len(d.lines))]
    for which, directory, hashes in d.rules:
        record.append((f"{which}目录", directory))
        record += [(f"{which}文件 {n}", h) for n, h in sorted(hashes.items())]
    record.append(("工具版本", __version__))
    book.sheet("运行记录", [Column("项目", 26), Column("内容", 70, "value")], record)
    book.close()


def diff_summary(d: Diff, top: int = 5) -> list[Any]:
    from rich.table import Table

    what, up, down, same = _counts(d)
    out: list[Any] = [f"{d.label} 按新规则重算：{len(d.lines)} 人；{what}上升 {up} 人，"
                      f"下降 {down} 人，不变 {same} 人"]
    if d.graded:
        out.append(f"{d.months[-1]} 月度工资合计 {fmt2(d.totals['old_pay'])} → "
                   f"{fmt2(d.totals['new_pay'])} 元（变化 {fmt2(d.totals['pay_change'])} 元）")
    rising = [x for x in d.lines if x.change > 0]
    falling = [x for x in d.lines if x.change < 0]
    heads = ("工号", "姓名", "原平均分", "新平均分", "变化", "原排名", "新排名") if d.graded \
        else ("工号", "姓名", "原得分", "新得分", "变化", "原排名", "新排名")
    for title, group in ((f"{what}上升最多", rising[:top]),
                         (f"{what}下降最多", list(reversed(falling))[:top])):
        if not group:
            continue
        t = Table(title=title, title_justify="left")
        for h in heads:
            t.add_column(h)
        for x in group:
            old, new, ranks = (x.old_average, x.new_average,
                               (x.old_average_rank, x.new_average_rank)) if d.graded else \
                (x.old_total, x.new_total, (x.old_rank, x.new_rank))
            t.add_row(x.id, x.name, fmt2(old or ZERO), fmt2(new or ZERO), fmt2(x.change),
                      str(ranks[0]), str(ranks[1]))
        out.append(t)
    return out
