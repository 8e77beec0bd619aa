"""What ``score`` does once its options are read, and the lines ``score`` and ``check``
say about the export: no typer here, so a plainly well-formed ``score`` runs without
importing it (``cli.quick``); ``cli.month`` declares the command's options for typer and
calls the same function."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmscore.console import make_console, print_json, progress, run, say_format, shown
from cmscore.numbers import fmt2


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


def score(file: Path, month: str | None = None, replace: bool = False,
          allow_gap: bool = False, accept_roster: bool = False, db: Path | None = None,
          rules: Path | None = None, out: Path | None = None, json_: bool = False,
          quiet: bool = False, tasks: Path | None = None, replace_tasks: bool = False) -> None:
    """``cmscore score``, its options read (``cli.month.score`` or ``cli.quick``) and the
    setup filled in."""
    from cmscore.app import score as app_score
    from cmscore.outputs.restatements import restated_json
    from cmscore.outputs.roster import roster_json
    from cmscore.outputs.scorejson import scores_json, spooled_scores_json

    def job() -> app_score.ScoreResult:
        # The bar inside the job: it is taken off the screen before a refusal is printed
        # (printed while it was live, the table began on the bar's own line).
        with progress(json_, app_score.SCORE_STEPS) as step:
            return app_score.score_file(file, rules_dir=rules, db=db, out_dir=out, month=month,
                                        replace=replace, step=step, allow_gap=allow_gap,
                                        accept_roster=accept_roster, tasks=tasks,
                                        replace_tasks=replace_tasks,
                                        prepare=spooled_scores_json if json_ else None)

    result = run(json_, job)
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
