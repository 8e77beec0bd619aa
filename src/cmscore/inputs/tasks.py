"""The tasks file (任务下达, issue 15): the annual task the bank assigned, per 工号 or per
机构 (a 支行's task applies to each of its managers; a manager's own row wins), for the
items that take part in early completion. Columns 工号 and/or 机构, 考核项目, 年度任务.

Read like the other records files: every row checked, every problem located (file,
sheet, row, column) and collected, nothing returned while one remains.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from cmscore.inputs.adjustments import item_names
from cmscore.inputs.cells import restore_ids
from cmscore.inputs.headers import normalise_header
from cmscore.inputs.recordfile import Records, read_records
from cmscore.numbers import CONTROLS, clean_text, parse_decimal
from cmscore.problems import InputError
from cmscore.rules.ruleset import RuleSet

ID, BRANCH = "工号", "机构"
COLUMNS = {"id": ID, "branch": BRANCH, "item": "考核项目", "task": "年度任务"}
WHAT = "任务下达文件"


@dataclass(frozen=True)
class TaskRow:
    scope: str  # 工号 or 机构
    key: str  # the 工号 or the 机构's name
    item_id: str
    task: Decimal
    row: int


def _records(path: Path) -> Records:
    """Both 工号 and 机构 columns, or one of them (a file of 支行 tasks has no 工号)."""
    first: InputError | None = None
    for drop in ((), ("branch",), ("id",)):
        try:
            return read_records(path, {k: v for k, v in COLUMNS.items() if k not in drop}, WHAT)
        except InputError as exc:
            if not exc.problems[0].message.startswith("找不到表头行"):
                raise
            first = first or exc
    assert first is not None
    at = first.problems[0]
    raise InputError([replace(at, message=f"找不到表头行：{WHAT}须有列 考核项目、年度任务，以及 工号 或 "
                                          "机构（一列或两列都有）")])


def read_tasks(path: Path, rules: RuleSet, month: str, ids: Mapping[str, str],
               branches: Collection[str]) -> list[TaskRow]:
    """The file's rows; ``ids`` (工号 → 类别) and ``branches``: the managers and 机构 a row
    may name (the month's, and the year's stored months')."""
    records = _records(path)
    names = item_names(rules)
    early = {i.id for t in rules.tables.values() for i in t.items if i.early_completion}
    choices = "、".join(dict.fromkeys(i.name for t in rules.tables.values() for i in t.items
                                      if i.early_completion))
    limit = Decimal(rules.export.limits.max_figure)
    out: list[TaskRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for at, cells in records.rows:
        before = len(records.problems)
        cm = clean_text(cells.get("id", ""))
        branch = clean_text(cells.get("branch", ""))
        if cm and rules.export.id_width is not None:
            cm = restore_ids([cm], rules.export.id_width, None)[0][0]
        scope, key = (ID, cm) if cm else (BRANCH, branch)
        column = "id" if cm or "branch" not in records.columns else "branch"
        if cm and branch:
            records.bad(at, "branch", f"同一行既填了工号 {cm} 又填了机构 {branch}：一行下达给一名客户"
                                      "经理（填工号）或一个机构的全部客户经理（填机构），请只填一项")
        elif not key:
            records.bad(at, column, "工号和机构都为空：请填写任务下达给哪位客户经理（工号）或哪个机构")
        elif CONTROLS.search(key):
            records.bad(at, column, f"{scope}含控制字符：请删除后重新导入")
        elif scope == ID and key not in ids:
            records.bad(at, column, f"工号 {key} 不在 {month} 的导出文件中，也不在 {month[:4]} 年已计分的"
                                    "月份中：请核对工号（是否丢了前导零）")
        elif scope == BRANCH and key not in branches:
            records.bad(at, column, f"机构「{key}」不在 {month} 的导出文件中，也不在 {month[:4]} 年"
                                    "已计分的月份中：请按导出文件的机构名称填写")
        given = clean_text(cells["item"])
        item = names.get(given) or names.get(normalise_header(given), "")
        if not item:
            records.bad(at, "item", f"考核项目「{given[:40]}」不是规则文件中的计分项目：请写项目名称"
                                    f"或编号，可下达年度任务的项目：{choices}")
        elif scope == ID and key in ids and ids[key] in rules.tables and item not in {
                i.id for i in rules.tables[ids[key]].items if i.early_completion}:
            records.bad(at, "item", f"工号 {key} 是{ids[key]}客户经理，其计分表中「{given[:40]}」"
                                    "不参加提前完成：请删除此行或核对工号")
        elif item not in early:
            records.bad(at, "item", f"考核项目「{given[:40]}」不参加提前完成（规则文件中没有 "
                                    f"early_completion: true），不下达年度任务：请删除此行；可下达年度任务"
                                    f"的项目：{choices}")
        task = Decimal(0)
        try:
            try:
                task = parse_decimal(cells["task"])
            except ValueError as exc:
                raise ValueError(f"年度任务{exc}：请填写下达的全年任务数（户数、金额）") from exc
            if task <= 0:
                raise ValueError(f"年度任务 {task} 不大于 0：请填写下达的全年任务数（户数、金额）")
            if task > limit:
                raise ValueError(f"年度任务 {task} 超出上限：export.yaml 的 limits.max_figure 为 "
                                 f"{limit:,}")
        except ValueError as exc:
            records.bad(at, "task", str(exc))
        if len(records.problems) > before:
            continue
        if (scope, key, item) in seen:
            records.bad(at, column, f"{scope} {key} 的「{given}」与第 {seen[scope, key, item]} 行"
                                    "重复：同一任务只下达一次，请删除一行")
            continue
        seen[scope, key, item] = at
        out.append(TaskRow(scope, key, item, task, at))
    if records.problems:
        raise InputError(records.problems)
    return out
