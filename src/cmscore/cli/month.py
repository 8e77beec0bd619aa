"""`score` and `check`: a month's export in, scores out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

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
from cmscore.commands import Command
from cmscore.console import make_console, print_json, progress, run, say_format, shown
from cmscore.numbers import fmt2

AcceptRosterOpt = Annotated[bool, typer.Option(
    "--accept-roster-change",
    help="人员变动异常（新工号占比过高、某类别无人）时仍然计分：先核对工号是否丢了前导零、文件是否选对")]


TasksOpt = Annotated[Path | None, typer.Option(
    "--tasks", metavar="文件",
    help="任务下达文件（工号或机构、考核项目、年度任务）：提前完成按下达的年度任务计算，并存入历史库供该年度各月使用")]
ReplaceTasksOpt = Annotated[bool, typer.Option(
    "--replace-tasks",
    help="任务下达文件与历史库中该年度的任务不同（或该年已有按默认任务计分的月份）时仍然启用，并按新任务重算该年已计分月份")]


def say_tasks(console: Any, result: Any) -> None:
    """Which annual task early completion used, one line."""
    from cmscore.outputs.tasks import task_line
    line = task_line(result.scores, result.tasks_file)
    if line:
        console.print(line, soft_wrap=True, markup=False)


def say_roster(console: Any, result: Any) -> None:
    """人员变动 and the 工号 whose leading zeros were restored, one line each."""
    from cmscore.outputs.roster import lines as roster_lines
    if result.export.padded_ids:
        console.print(f"注意：{result.export.padded_ids} 个工号是数字、位数不足，已按 export.yaml 的 "
                      f"id_width 补足前导零（如 11771 → 011771）", soft_wrap=True, markup=False)
    for line in roster_lines(result.roster) if result.roster is not None else []:
        console.print(line, soft_wrap=True, markup=False)


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
    from cmscore.app import score as app_score
    from cmscore.outputs.restatements import restated_json
    from cmscore.outputs.roster import roster_json
    from cmscore.outputs.scorejson import scores_json, spooled_scores_json

    with progress(json_, app_score.SCORE_STEPS) as step:
        result = run(json_, lambda: app_score.score_file(file, rules_dir=rules, db=db, out_dir=out,
                                                     month=month, replace=replace, step=step,
                                                     allow_gap=allow_gap,
                                                     accept_roster=accept_roster,
                                                     tasks=tasks, replace_tasks=replace_tasks,
                                                     prepare=spooled_scores_json if json_ else None))
    restated = restated_json(result.restated)
    if json_:
        doc = result.prepared if isinstance(result.prepared, dict) else \
            scores_json(result.scores, result.rules)
        doc["warnings"] = [{"id": cm, "message": w} for cm, w in result.warnings.items()]
        doc["restated"] = restated
        doc["gap_months"] = result.gap
        doc["year_to_date_from"] = result.ytd_from or None
        if result.roster is not None:
            doc["roster_changes"] = roster_json(result.roster)
        print_json(doc)
        return
    from rich.text import Text  # here: --json never imports rich (≈ 15 ms)

    from cmscore.outputs.scores import summary

    console = make_console(False)
    if not quiet:
        for part in summary(result.scores, result.rules):
            console.print(part, soft_wrap=isinstance(part, Text))
    say_format(console, result.export)
    say_roster(console, result)
    say_tasks(console, result)
    names = {s.manager.id: s.manager.name for s in result.scores.scores}
    for cm, warning in result.warnings.items():
        console.print(Text.assemble(("预警", "red"), f" {cm} {names.get(cm, '')}：{warning}"),
                      soft_wrap=True)
    if result.ytd_from:
        console.print(f"注意：历史库中 {result.scores.month[:4]} 年从 {result.ytd_from} 开始，"
                      f"年度累计（提前完成）自 {result.ytd_from} 起计算", soft_wrap=True)
    if result.gap:
        console.print(f"注意：{'、'.join(result.gap)} 未计分，年度累计（提前完成）不含这些月份",
                      soft_wrap=True, markup=False)
    for r in result.restated:
        console.print(f"重算 {r.month} {r.id}：{fmt2(r.old_total)} → {fmt2(r.new_total)}",
                      soft_wrap=True, markup=False)
    if result.restated:
        months = sorted({r.month for r in result.restated})
        console.print(f"已随更正重算 {'、'.join(months)}；这些月份的工作簿已过期，"
                      f"请用 cmscore show 月份 --write 重新写出", soft_wrap=True, markup=False)
    notice = f"、{shown(result.notice)}（公示）" if result.notice else ""
    console.print(f"{result.scores.month}：{len(result.scores.scores)} 名客户经理已计分并存入历史库；"
                  f"已写出 {shown(result.output)}{notice}", soft_wrap=True)


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
