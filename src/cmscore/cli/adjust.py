"""`adjust`: manual adjustments with reasons (申诉、领导小组决定), and their revocation;
`events`: the 第十六条 events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cmscore.cli.base import (
    DbOpt,
    JsonOpt,
    RulesOpt,
    app,
)
from cmscore.commands import Command
from cmscore.console import make_console, print_json, run
from cmscore.numbers import fmt2


@app.command(cls=Command)
def adjust(
    file: Annotated[Path | None, typer.Argument(
        metavar="文件", help="调整文件（.xlsx / .csv）：工号、月份、项目、调整分值、原因、依据、批准人",
        show_default=False)] = None,
    revoke: Annotated[int | None, typer.Option(
        "--revoke", metavar="编号", help="撤销这条调整（保留记录，注明撤销人、时间和原因）",
        show_default=False)] = None,
    reason: Annotated[str, typer.Option(
        "--reason", metavar="原因", help="撤销的原因（与 --revoke 同用，必填）")] = "",
    db: DbOpt = None, rules: RulesOpt = None, json_: JsonOpt = False,
) -> None:
    """调整：在计算得分之上记录人工调整（申诉、更正、领导小组决定），或撤销一条调整。

    每条调整写明原因、依据（文号/申诉编号）和批准人，存入历史库并重算该月（排名、依赖该月的后续月份；
    已定级的标为过期，已发放的差额随下次工资补发/扣回）。项目写计分项目名称或编号时，该项得分仍在
    0 至高限之间；写 总分 时加到总分上。已结账的月份拒绝调整。文件中任何一行有问题时全部不导入。

    例：cmscore adjust 调整-2026-06.xlsx；cmscore adjust --revoke 3 --reason "申诉复核后撤回"
    """
    from cmscore.app import adjust as app_adjust
    from cmscore.outputs.restatements import restated_json
    from cmscore.problems import fail

    def job() -> app_adjust.AdjustResult:
        if (file is None) == (revoke is None):
            raise fail("请给出调整文件，或用 --revoke 编号 --reason \"…\" 撤销一条调整（二者选一）")
        if revoke is not None:
            return app_adjust.revoke(revoke, reason, db=db, rules_dir=rules)
        assert file is not None
        return app_adjust.adjust_file(file, db=db, rules_dir=rules)

    result = run(json_, job)
    if json_:
        print_json({"ids": result.ids, "months": result.months, "revoked": revoke is not None,
                    "restated": restated_json(result.restated),
                    "paid_months_restated": result.paid})
        return
    console = make_console(False)
    ids = "、".join(map(str, result.ids))
    months = "、".join(result.months)
    said = f"已撤销调整 {ids}（记录保留）" if revoke is not None else \
        f"已记录调整 {len(result.ids)} 条（编号 {ids}）"
    console.print(f"{said}；已重算 {months}。", soft_wrap=True, markup=False)
    for r in result.restated:
        console.print(f"重算 {r.month} {r.id}：{fmt2(r.old_total)} → {fmt2(r.new_total)}",
                      soft_wrap=True, markup=False)
    if result.paid:
        console.print(f"{'、'.join(result.paid)} 已发放：差额将随下次 cmscore payroll 补发或扣回",
                      soft_wrap=True, markup=False)
    console.print(f"{months} 的工作簿已过期：请用 cmscore show 月份 --write 重新写出",
                  soft_wrap=True, markup=False)


@app.command(cls=Command)
def events(
    file: Annotated[Path, typer.Argument(
        metavar="文件", help="事件文件（.xlsx / .csv）：工号、日期、类型（损失/失职/投诉/违规）、说明、来源")],
    db: DbOpt = None, rules: RulesOpt = None, json_: JsonOpt = False,
) -> None:
    """第十六条事件：记录客户经理的损失、失职、投诉、违规事件，并提示触及第十六条的情形。

    12 个月内投诉 3 次以上（第三项）、任何损失（第一项）或违规（第四项）提示「触及第十六条第X项情形，
    提请客户经理管理考评领导小组研究」；是否取消资格由领导小组决定。事件不改变得分。
    cmscore explain 列出该客户经理 12 个月内的事件和提示。任何一行有问题时全部不导入。

    例：cmscore events 第十六条事件-2026.xlsx
    """
    from cmscore.app.events import record_events

    result = run(json_, lambda: record_events(file, db=db, rules_dir=rules))
    if json_:
        print_json({"events": result.count, "warnings": [
            {"id": cm, "name": name, "month": month, "messages": said}
            for cm, (name, month, said) in result.warnings.items()]})
        return
    console = make_console(False)
    console.print(f"已记录第十六条事件 {result.count} 条。", soft_wrap=True, markup=False)
    for cm, (name, month, said) in result.warnings.items():
        for line in said:
            console.print(f"预警 {cm} {name}（截至 {month}）：{line}", soft_wrap=True,
                          markup=False)


@app.command(cls=Command)
def roster(
    file: Annotated[Path, typer.Argument(
        metavar="文件", help="花名册（.xlsx / .csv）：工号、姓名、类别、机构、任职日期、离职日期、状态、休假月份")],
    db: DbOpt = None, rules: RulesOpt = None, json_: JsonOpt = False,
) -> None:
    """花名册：登记客户经理的任职日期、离职日期、状态（在岗/休假/离职）和休假月份，供定级使用。

    每人一行；休假月份写在一格内（如 2026-03至2026-05、2026-09）。定级时休假月份不计入应计分月数，
    离职日期在窗口末以前的人员按 grading.yaml 的 count_in_n.leavers 处理。每次登记整份花名册，
    最近登记的一份生效（以前的保留）；已存的定级不变，需要时用 cmscore grade --replace 重新定级。
    任何一行有问题时全部不登记。

    例：cmscore roster 花名册-2026.xlsx
    """
    from cmscore.app.staff import record_roster

    result = run(json_, lambda: record_roster(file, db=db, rules_dir=rules))
    if json_:
        print_json({"file": result.file, "managers": result.count, "left": result.left,
                    "on_leave": result.on_leave, "warnings": result.warnings})
        return
    console = make_console(False)
    console.print(f"已登记花名册 {result.file}：{result.count} 人（离职 {result.left} 人，"
                  f"有休假月份 {result.on_leave} 人）；此后定级按这份花名册。已存的定级不变，"
                  "需要时用 cmscore grade --months 12 --replace 重新定级。",
                  soft_wrap=True, markup=False)
    for warning in result.warnings:
        console.print(f"注意：{warning}", soft_wrap=True, markup=False)
