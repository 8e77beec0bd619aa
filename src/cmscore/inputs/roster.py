"""The roster file (花名册, issue 15): 工号, 姓名, 类别, 机构, 任职日期, 离职日期, 状态, 休假月份 —
what the monthly exports cannot say: when a manager took up the post or left, and the
months he was on leave.

One row a manager. 休假月份 lists months and ranges in one cell (「2026-03至2026-05、
2026-09」), so a manager stays one row however many leaves he had. Every row checked,
every problem located (file, sheet, row, column) and returned with the good rows, as the
adjustments and events files are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cmscore.engine.grading import months_between
from cmscore.engine.staff import STATUSES, Staff
from cmscore.inputs.adjustments import _month
from cmscore.inputs.cells import restore_ids
from cmscore.inputs.events import _date
from cmscore.inputs.recordfile import read_records
from cmscore.numbers import clean_name, clean_text
from cmscore.problems import Problem
from cmscore.rules.ruleset import RuleSet

COLUMNS = {"id": "工号", "name": "姓名", "category": "类别", "branch": "机构",
           "appointed": "任职日期", "left": "离职日期", "status": "状态", "leave": "休假月份"}
_PARTS = re.compile(r"[、,，;；\s]+")
_RANGE = re.compile(r"\s*(?:至|到|~|～|—|–)\s*")
LEAVE_SPAN_MAX = 24  # one range of more months than two years is a typing slip


@dataclass(frozen=True)
class RosterFile:
    file: str
    sheet: str
    rows: list[tuple[int, Staff]]  # (spreadsheet row, the manager) of the rows without a problem
    problems: list[Problem]


def leave_months(text: str) -> frozenset[str]:
    """「2026-03至2026-05、2026-09」 → the months named; ValueError saying how to write it."""
    out: set[str] = set()
    for part in filter(None, _PARTS.split(_RANGE.sub("至", text))):
        first, _, last = part.partition("至")
        start = _month(first)
        end = _month(last) if last else start
        span = months_between(start, end)
        if not span:
            raise ValueError(f"「{part}」的起月晚于止月：请写成 2026-03至2026-05")
        if len(span) > LEAVE_SPAN_MAX:
            raise ValueError(f"「{part}」超过 {LEAVE_SPAN_MAX} 个月：请核对")
        out.update(span)
    return frozenset(out)


def read_roster(path: Path, rules: RuleSet) -> RosterFile:
    records = read_records(path, COLUMNS, "花名册")
    categories = {c: c for c in rules.tables} | rules.export.category_of()
    out: list[tuple[int, Staff]] = []
    seen: dict[str, int] = {}
    for at, cells in records.rows:
        before = len(records.problems)
        text = records.texts(at, cells, ("id", "name", "category", "branch", "status"), "人员")
        [cm_id], _, shape = restore_ids([text["id"]], rules.export.id_width,
                                        rules.export.id_pattern)
        for _, message in shape:
            records.bad(at, "id", message)
        if cm_id and cm_id in seen:
            records.bad(at, "id", f"工号 {cm_id} 与第 {seen[cm_id]} 行重复：花名册每人一行，"
                                  "多段休假写在同一格（如 2026-03至2026-04、2026-09）")
        seen.setdefault(cm_id, at)
        category = categories.get(clean_name(text["category"]), "")
        if text["category"] and not category:
            records.bad(at, "category", f"类别「{text['category']}」不是规则文件中的类别：请写 "
                                        f"{'、'.join(rules.tables)} 之一")
        if text["status"] and text["status"] not in STATUSES:
            records.bad(at, "status", f"状态「{text['status']}」不是 {'、'.join(STATUSES)} 之一")
        appointed = left = ""
        leave: frozenset[str] = frozenset()
        try:
            if not clean_text(cells["appointed"]):
                raise ValueError("任职日期为空：每人都要写明任职日期")
            appointed = _date(cells["appointed"])
        except ValueError as exc:
            records.bad(at, "appointed", str(exc))
        if clean_text(cells["left"]):
            try:
                left = _date(cells["left"])
            except ValueError as exc:
                records.bad(at, "left", str(exc))
        try:
            given = cells["leave"]  # one month typed as a date cell is that month
            leave = frozenset([_month(given)]) if isinstance(given, date | datetime) else \
                leave_months(clean_text(given))
        except ValueError as exc:
            records.bad(at, "leave", f"{exc}（休假月份写成 2026-03至2026-05、2026-09）")
        if len(records.problems) > before:
            continue
        status = text["status"]
        if left and left < appointed:
            records.bad(at, "left", f"离职日期 {left} 早于任职日期 {appointed}：请核对")
        if status == "离职" and not left:
            records.bad(at, "left", "状态为离职但离职日期为空：请填写离职日期")
        if left and status != "离职":
            records.bad(at, "status", f"已填离职日期 {left}，状态却是{status}：请把状态改为离职，"
                                      "或删去离职日期")
        if status == "休假" and not leave:
            records.bad(at, "leave", "状态为休假但休假月份为空：请填写休假月份（如 2026-03至2026-05）")
        outside = sorted(m for m in leave if m < appointed[:7] or (left and m > left[:7]))
        if outside:
            records.bad(at, "leave", f"休假月份 {'、'.join(outside)} 不在任职期间（{appointed} 至 "
                                     f"{left or '今'}）：请核对")
        if len(records.problems) > before:
            continue
        out.append((at, Staff(cm_id, clean_name(text["name"]), category,
                              clean_name(text["branch"]), appointed, left, status, leave)))
    return RosterFile(records.file, records.sheet, out, records.problems)
