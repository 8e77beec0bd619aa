"""`score` and `check`: a month's export in, scores out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cmscore.cli import scorebody
from cmscore.cli.base import (
    DbOpt,
    JsonOpt,
    MonthOpt,
    OutOpt,
    QuietOpt,
    RulesOpt,
    app,
    done,
)
from cmscore.cli.scorebody import say_roster, say_tasks
from cmscore.commands import Command
from cmscore.console import make_console, print_json, run, say_format, shown

AcceptRosterOpt = Annotated[bool, typer.Option(
    "--accept-roster-change",
    help="人员变动异常（新工号占比过高、某类别无人）时仍然计分：先核对工号是否丢了前导零、文件是否选对")]


TasksOpt = Annotated[Path | None, typer.Option(
    "--tasks", metavar="文件",
    help="任务下达文件（工号或机构、考核项目、年度任务）：提前完成按下达的年度任务计算，并存入历史库供该年度各月使用")]
ReplaceTasksOpt = Annotated[bool, typer.Option(
    "--replace-tasks",
    help="任务下达文件与历史库中该年度的任务不同（或该年已有按默认任务计分的月份）时仍然启用，并按新任务重算该年已计分月份")]


@app.command(cls=Command)
def score(
    file: Annotated[Path, typer.Argument(
        metavar="文件", help="当月导出文件（.xlsx / .xls / .ods / .csv / .txt）")],
    month: MonthOpt = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="该月已计分时，整月替换（保留原运行记录），并重算依赖该月的后续月份")] = False,
    allow_gap: Annotated[bool, typer.Option(
        "--allow-gap", help="本年度中间缺月时仍然计分（缺月不计入年度累计，并在输出中注明）")] = False,
    accept_roster: AcceptRosterOpt = False,
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None,
    json_: JsonOpt = False, quiet: QuietOpt = False,
    tasks: TasksOpt = None, replace_tasks: ReplaceTasksOpt = False,
) -> None:
    """计分：读取一个月的导出文件，按附件1–3计分排名，存入历史库，写出 scores-YYYY-MM.xlsx。

    例：cmscore score examples/2026-10.xlsx --db cmscore.db --out 输出
    """
    scorebody.score(file, month=month, replace=replace, allow_gap=allow_gap,
                    accept_roster=accept_roster, db=db, rules=rules, out=out, json_=json_,
                    quiet=quiet, tasks=tasks, replace_tasks=replace_tasks)


@app.command(cls=Command)
def check(
    file: Annotated[Path, typer.Argument(metavar="文件", help="要校验的导出文件")],
    month: MonthOpt = None,
    accept_roster: AcceptRosterOpt = False,
    db: DbOpt = None, rules: RulesOpt = None, json_: JsonOpt = False,
    tasks: TasksOpt = None, replace_tasks: ReplaceTasksOpt = False,
) -> None:
    """校验：与 score 完全相同的检查和计分，但不保存、不写文件。退出码 0 表示可以计分。

    例：cmscore check 2026-10.xlsx
    """
    from cmscore.app import score as app_score
    from cmscore.outputs.roster import roster_json
    from cmscore.outputs.scorejson import scores_json

    result = run(json_, lambda: app_score.check_file(file, rules_dir=rules, db=db, month=month,
                                                     accept_roster=accept_roster, tasks=tasks,
                                                     replace_tasks=replace_tasks))
    if json_:
        doc = scores_json(result.scores, result.rules)
        print_json({"ok": True, "month": doc["month"], "managers": doc["managers"],
                    "roster_changes": roster_json(result.roster) if result.roster else None})
        return
    say_format(make_console(False), result.export)
    say_roster(make_console(False), result)
    say_tasks(make_console(False), result)
    counts = result.scores.by_category()
    said = "，".join(f"{c} {len(v)} 人" for c, v in counts.items())
    make_console(False).print(f"{shown(file.name)}：{result.export.month}，{said}；检查通过，可以计分。",
                          soft_wrap=True)


@app.command(cls=Command)
def opening(
    file: Annotated[Path, typer.Argument(metavar="文件", help="期初累计文件（工号、项目、期初累计）")],
    through: Annotated[str, typer.Option(
        "--through", help="期初累计截至的月份 YYYY-MM（历史库该年度第一个月之前）",
        show_default=False)],
    replace: Annotated[bool, typer.Option(
        "--replace", help="该年度已导入期初累计时整体替换")] = False,
    db: DbOpt = None, rules: RulesOpt = None, json_: JsonOpt = False,
) -> None:
    """期初累计：年中开始使用本工具时，导入年初至某月的累计（提前完成按年度累计计算），并重算该年已计分的月份。

    例：cmscore opening 期初累计.xlsx --through 2026-09
    """
    from cmscore.app.opening import load_opening
    from cmscore.outputs.restatements import restated_json

    result = run(json_, lambda: load_opening(file, through=through, db=db, rules_dir=rules,
                                             replace=replace))
    restated = restated_json(result.restated)
    done(json_, {"year": result.year, "through": result.through, "rows": result.rows,
                 "managers": result.managers, "restated": restated},
         f"{result.year} 年期初累计（截至 {result.through}）已导入：{result.managers} 名客户经理、"
         f"{result.rows} 行" + (f"；已重算 {len(restated)} 个得分" if restated else ""))
