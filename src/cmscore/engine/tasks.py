"""The annual task (年度任务) early completion measures a manager against (SPEC §4.3, §10).

The regulation speaks of the task the bank assigned (任务下达), which offices issue per
manager (工号) or per 支行 (机构). When the bank's tasks are given they decide; without
them the rule file's ``annual_task``, and without that 12 × the monthly task — an
assumption the output names. One pure lookup, and the same lookup as a column (row i =
manager i) for the column scoring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from cmscore.rules.ruleset import Item

ASSIGNED = "下达任务"
RULE_FILE = "规则文件"
DEFAULT = "默认 12×月度任务"

TaskColumn = tuple[list[Decimal], list[str]]  # (annual task, where it came from) per row


@dataclass(frozen=True)
class Tasks:
    """One year's assigned tasks: (工号, item id) and (机构, item id) → annual task."""

    by_cm: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    by_branch: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    file: str = ""  # the tasks file they came from, for the output


def annual_task(item: Item, cm_id: str, branch: str, tasks: Tasks | None) -> tuple[Decimal, str]:
    """The manager's annual task for ``item`` and its source: a 工号 row wins over its
    机构's row, an assigned task over the rule file, the rule file over 12 × monthly."""
    if tasks is not None:
        got = tasks.by_cm.get((cm_id, item.id))
        if got is None:
            got = tasks.by_branch.get((branch, item.id))
        if got is not None:
            return got, ASSIGNED
    if item.annual_task is not None:
        return item.annual_task, RULE_FILE
    return 12 * item.monthly_task, DEFAULT


def task_column(item: Item, ids: Sequence[str], branches: Sequence[str],
                tasks: Tasks | None) -> TaskColumn:
    """``annual_task`` for every row; without assigned tasks one value shared by all."""
    if tasks is None or not (tasks.by_cm or tasks.by_branch):
        task, source = annual_task(item, "", "", None)
        return [task] * len(ids), [source] * len(ids)
    pairs = [annual_task(item, cm, branch, tasks) for cm, branch in zip(ids, branches,
                                                                          strict=True)]
    return [t for t, _ in pairs], [s for _, s in pairs]
