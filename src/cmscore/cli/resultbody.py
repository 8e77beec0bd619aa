"""What ``grade`` and ``payroll`` do once their options are read: no typer here, so a
plainly well-formed ``grade`` or ``payroll`` runs without importing it (``cli.quick``, as
``score`` through ``cli.scorebody``); ``cli.results`` declares their options for typer and
calls the same functions."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from cmscore.console import make_console, print_json, run, shown
from cmscore.numbers import fmt2

T = TypeVar("T")
# The last command's result, kept until the process leaves with os._exit (cli.main): let
# go at the command's return, a national grading's or payroll's 100k lines were freed one
# by one after everything was written and said (≈ 0.1 s of each run at 100k).
_kept: list[object] = []


def kept(result: T) -> T:
    _kept[:] = [result]
    return result


def grade(months: int, end: str | None = None, replace: bool = False, db: Path | None = None,
          rules: Path | None = None, out: Path | None = None, json_: bool = False,
          quiet: bool = False, roster: Path | None = None) -> None:
    """``cmscore grade``, its options read (``cli.results.grade_cmd`` or ``cli.quick``)
    and the setup filled in."""
    from cmscore.app import grade as app_grade
    from cmscore.outputs import grades as out_grades

    result = kept(run(json_, lambda: app_grade.grade_window(
        months, end=end, db=db, out_dir=out, rules_dir=rules, replace=replace, roster=roster)))
    if json_:
        print_json({**out_grades.grades_json(result.grading),
                    "made_stale": [later for later, _ in result.made_stale]})
        return
    console = make_console(False)
    if not quiet:
        for table in out_grades.grade_summary(result.grading):
            console.print(table)
    g = result.grading
    for note in g.notes:
        console.print(f"说明：{note}", soft_wrap=True, markup=False)
    console.print(f"定级已存入历史库，{g.effective} 起执行；已写出 {shown(result.output)}",
                  soft_wrap=True)
    for later, end in result.made_stale:
        console.print(f"注意：{later} 起执行的年度定级按本次定级标记第九条，已标记为需重评；"
                      f"请运行 cmscore grade --months 12 --end {end} --replace", soft_wrap=True)


def payroll(month: str | None = None, supervisors: Path | None = None, replace: bool = False,
            db: Path | None = None, rules: Path | None = None, out: Path | None = None,
            json_: bool = False, quiet: bool = False) -> None:
    """``cmscore payroll``, its options read (``cli.results.payroll`` or ``cli.quick``)
    and the setup filled in."""
    from cmscore.app import payroll as app_payroll
    from cmscore.outputs import payroll as out_payroll

    result = kept(run(json_, lambda: app_payroll.run_payroll(
        month=month, supervisors_file=supervisors, db=db, out_dir=out, rules_dir=rules,
        replace=replace)))
    if json_:
        print_json(out_payroll.payroll_json(result))
        return
    console = make_console(False)
    if not quiet:
        for table in out_payroll.payroll_summary(result):
            console.print(table)
    for s in result.supervisors:
        if s.warning:
            console.print(f"预警 {s.warning}", soft_wrap=True, markup=False)
    for line in out_payroll.leaver_lines(result):
        console.print(line, soft_wrap=True, markup=False)
    t = dict(out_payroll.pay_totals(result))
    extra = (f"；另随本月补发/扣回以前月份 {fmt2(result.totals['restatements'])} 元"
             f"（{len(result.restatements)} 笔），实发合计 "
             f"{fmt2(result.totals['total_with_restatements'])} 元" if result.restatements else "")
    console.print(f"{result.month} 绩效工资合计 {fmt2(t['绩效工资合计'])} 元（客户经理 "
                  f"{fmt2(t['客户经理月度应得工资'])}，风险金发放 {fmt2(t['风险金发放'])}，"
                  f"主管挂钩部分 {fmt2(t['主管挂钩部分（10%）'])}）；主管履职岗位工资固定部分 "
                  f"{fmt2(t['主管履职岗位工资固定部分（90%）'])} 元；合计发放 {fmt2(t['合计发放'])} 元"
                  f"{extra}；已写出 {shown(result.output)}", soft_wrap=True)
