"""`grade`, `payroll`, `explain`, `diff` and `report`: what the stored months give."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cmscore.cli import resultbody
from cmscore.cli.base import (
    DbOpt,
    JsonOpt,
    OutOpt,
    QuietOpt,
    RulesOpt,
    app,
    done,
)
from cmscore.commands import Command
from cmscore.console import make_console, print_json, run, shown


@app.command("grade", cls=Command)
def grade_cmd(
    months: Annotated[int, typer.Option(
        "--months", help="定级窗口月数：6 为过渡期定级（第六条），12 为年度定级（第八条）",
        min=1, max=24)],
    end: Annotated[str | None, typer.Option(
        "--end", help="窗口最后一个月 YYYY-MM；默认历史库中最近计分的月份", show_default=False)] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="该次定级已存在时重新定级（原运行保留并标记为已被替代）")] = False,
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None,
    json_: JsonOpt = False, quiet: QuietOpt = False,
    roster: Annotated[Path | None, typer.Option(
        "--roster", metavar="花名册", help="先登记这份花名册（同 cmscore roster），再按它定级",
        show_default=False)] = None,
) -> None:
    """定级：按窗口内平均分对支行客户经理定一级/二级/三级（30%/50%/20%），次月起执行。

    例：cmscore grade --months 6 --end 2026-06；cmscore grade --months 12 --roster 花名册-2026.xlsx
    """
    resultbody.grade(months, end, replace, db, rules, out, json_, quiet, roster)


@app.command(cls=Command)
def payroll(
    month: Annotated[str | None, typer.Option(
        "--month", help="发放月份 YYYY-MM；默认最近计分的月份", show_default=False)] = None,
    supervisors: Annotated[Path | None, typer.Option(
        "--supervisors", help="主管人员文件（工号、姓名、职务、机构、履职岗位工资），第十二条",
        show_default=False, exists=True, dir_okay=False)] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="该月工资已计算时重算（原运行保留并标记为已被替代）")] = False,
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None,
    json_: JsonOpt = False, quiet: QuietOpt = False,
) -> None:
    """绩效工资：按执行中的定级计算月度应得工资；12 月同时结算全年风险金。

    例：cmscore payroll --month 2026-10 --supervisors 主管.xlsx
    """
    resultbody.payroll(month, supervisors, replace, db, rules, out, json_, quiet)


@app.command(cls=Command)
def explain(
    cm_id: Annotated[str, typer.Argument(metavar="工号", help="客户经理工号")],
    month: Annotated[str | None, typer.Option(
        "--month", help="月份 YYYY-MM；默认最近计分的月份", show_default=False)] = None,
    db: DbOpt = None, rules: RulesOpt = None, json_: JsonOpt = False,
) -> None:
    """解释：逐项列出某客户经理当月得分的算式，以及等级和工资的来由（用于公示、申诉）。

    例：cmscore explain 011771 --month 2026-06
    """
    from cmscore.app import review
    from cmscore.outputs import review as out_review

    result = run(json_, lambda: review.explain(cm_id, month=month, db=db, rules_dir=rules))
    if json_:
        print_json(out_review.explain_json(result))
        return
    make_console(False).print(out_review.explain_panel(result))


@app.command(cls=Command)
def diff(
    new_rules: Annotated[Path, typer.Option(
        "--rules", help="新规则文件目录（与当前规则对比）", exists=True, file_okay=False)],
    months: Annotated[str | None, typer.Option(
        "--months", help="月份范围 YYYY-MM..YYYY-MM；默认最近计分的月份；多于一个月时按窗口重新定级",
        show_default=False)] = None,
    old_rules: Annotated[Path | None, typer.Option(
        "--old-rules", help="作为对比基准的规则目录；默认当前生效的规则（见 --help 中 --rules 的顺序）", show_default=False,
        exists=True, file_okay=False)] = None,
    db: DbOpt = None, out: OutOpt = None, json_: JsonOpt = False, quiet: QuietOpt = False,
) -> None:
    """对比：用新规则重算历史库中的月份（不保存），列出得分、排名、等级、工资的变化。

    例：cmscore diff --rules 新规则 --months 2026-01..2026-06
    """
    from cmscore.app import review
    from cmscore.outputs import review as out_review
    from cmscore.outputs.files import atomic_file

    result = run(json_, lambda: review.diff(new_rules, months=months, db=db,
                                             rules_dir=old_rules))
    target = (out or Path.cwd()) / f"diff-{result.months[0]}_{result.months[-1]}.xlsx"

    def write() -> None:
        with atomic_file(target, "历史库未改动") as tmp:
            out_review.write_diff(tmp, result)

    run(json_, write)
    if json_:
        print_json(out_review.diff_json(result))
        return
    console = make_console(False)
    if not quiet:
        for part in out_review.diff_summary(result):
            console.print(part, soft_wrap=isinstance(part, str))
    console.print(f"已写出 {shown(target)}（历史库未改动）", soft_wrap=True)


@app.command(cls=Command)
def report(
    month: Annotated[str | None, typer.Option(
        "--month", help="月份 YYYY-MM；默认最近计分的月份", show_default=False)] = None,
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None, json_: JsonOpt = False,
) -> None:
    """报告：写出 report-YYYY-MM.html，一个不依赖网络、可直接用浏览器打开的单页报告。

    例：cmscore report --month 2026-10
    """
    from cmscore.app import review

    path = run(json_, lambda: review.write_html_report(month=month, db=db, rules_dir=rules,
                                                        out_dir=out))
    done(json_, {"report": str(path)}, f"已写出 {path}")


@app.command(cls=Command)
def summary(
    year: Annotated[int, typer.Option("--year", help="年度 YYYY", show_default=False)],
    quarter: Annotated[int | None, typer.Option(
        "--quarter", help="季度 1–4；不写则为全年", min=1, max=4, show_default=False)] = None,
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None, json_: JsonOpt = False,
) -> None:
    """汇总：季度或年度考核汇总（各月总分、平均分与排名、执行等级、工资与风险金、标记），写出 summary-YYYY[-Qn].xlsx。

    例：cmscore summary --year 2026 --quarter 3
    """
    from cmscore.app.summary import summarize
    from cmscore.outputs import summary as out_summary
    from cmscore.outputs.files import atomic_file
    from cmscore.store.db import RunRecord

    result = run(json_, lambda: summarize(year=year, quarter=quarter, db=db, rules_dir=rules))
    target = (out or Path.cwd()) / f"{result.name}.xlsx"
    with atomic_file(target) as tmp:
        out_summary.write_summary(tmp, result, RunRecord.now())
    if json_:
        print_json(out_summary.summary_json(result))
        return
    make_console(False).print(f"{out_summary.summary_line(result)}；已写出 {shown(target)}",
                              soft_wrap=True)


@app.command(cls=Command)
def publish(
    month: Annotated[str, typer.Argument(metavar="月份", help="已计分的月份 YYYY-MM",
                                         show_default=False)],
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None, json_: JsonOpt = False,
) -> None:
    """公示：为已计分的月份重新写出 公示-YYYY-MM.xlsx（每个机构一页：排名、工号、姓名、各项得分、总分）。

    例：cmscore publish 2026-10
    """
    from cmscore.app import review

    path = run(json_, lambda: review.publish(month, db=db, rules_dir=rules, out_dir=out))
    done(json_, {"notice": str(path)}, f"已写出 {path}")
