"""Which annual task early completion used (任务下达, issue 15): the terminal's line and
the JSON's per-manager ``tasks``, read from the month's task columns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from cmscore.engine.itemscore import ItemScore
from cmscore.engine.scoring import MonthScores
from cmscore.engine.sentences import num
from cmscore.engine.tasks import ASSIGNED, DEFAULT, RULE_FILE, Tasks, annual_task
from cmscore.rules.ruleset import RuleSet


def task_counts(scores: MonthScores) -> Counter[str]:
    """How many (manager, item) pairs were measured against each kind of task."""
    counts: Counter[str] = Counter()
    for frame in scores.frames:
        for column in frame.items.values():
            if column.task is not None:
                counts.update(column.task[1])
    return counts


def task_summary(scores: MonthScores, file: str) -> str:
    """「下达任务 12 项（任务下达-2026.csv）；默认 12×月度任务 58 项」, or empty when no item
    takes part in early completion (the 运行记录 row's content)."""
    counts = task_counts(scores)
    parts = []
    for source in (ASSIGNED, RULE_FILE, DEFAULT):
        if counts[source]:
            named = f"（{file}）" if source == ASSIGNED and file else ""
            parts.append(f"{source} {counts[source]} 项{named}")
    return "；".join(parts)


def task_line(scores: MonthScores, file: str) -> str:
    """The terminal's line: 「提前完成的年度任务（按客户经理 × 项目计）：…」, or empty."""
    summary = task_summary(scores, file)
    return f"提前完成的年度任务（按客户经理 × 项目计）：{summary}" if summary else ""


def item_task(score: ItemScore) -> dict[str, str]:
    """``{"annual_task", "task_source"}`` of an early-completion item, else nothing."""
    if score.annual_task is None:
        return {}
    return {"annual_task": num(score.annual_task), "task_source": score.task_source}


def tasks_text(items: Iterable[ItemScore]) -> str:
    """「年度任务（提前完成）：放款户数 10户（下达任务）、…」 for explain; empty without any."""
    parts = []
    for s in items:
        if s.annual_task is not None and s.item is not None:
            unit = s.item.unit_label or ("户" if s.item.kind == "per_client" else "")
            parts.append(f"{s.item.name} {num(s.annual_task)}{unit}（{s.task_source}）")
    return f"年度任务（提前完成）：{'、'.join(parts)}" if parts else ""


def add_stored_tasks(doc: dict[str, Any], rules: RuleSet, tasks: Tasks | None) -> None:
    """``tasks`` for each manager of a stored month's document (``show --json``), from the
    year's stored tasks and the rules, as ``score --json`` gives them."""
    for manager in doc["managers"]:
        table = rules.tables.get(manager["category"])
        got = {}
        for item in table.items if table is not None else []:
            if item.early_completion:
                task, source = annual_task(item, manager["id"], manager["branch"], tasks)
                got[item.id] = {"annual_task": num(task), "task_source": source}
        manager["tasks"] = got
