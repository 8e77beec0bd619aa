"""The adjustments file (issue 16): 工号, 月份, 项目, 调整分值, 原因, 依据, 批准人.

Read like an export: every row checked, every problem found and located (file, sheet,
row, column) and handed back with the good rows, so the store's checks of those rows
(month scored, 工号 in it) are shown together with them before anything is stored. The 项目 is an item's id or its
name in the rule files, or 总分 for the total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from cmscore.engine.adjustments import TOTAL, NewAdjustment
from cmscore.inputs.cells import restore_ids
from cmscore.inputs.headers import normalise_header
from cmscore.inputs.recordfile import read_records
from cmscore.numbers import clean_text, parse_decimal
from cmscore.problems import Problem
from cmscore.rules.ruleset import RuleSet

COLUMNS = {"id": "工号", "month": "月份", "item": "项目", "points": "调整分值",
           "reason": "原因", "basis": "依据", "approved_by": "批准人"}
POINTS_MAX = Decimal(100)  # no adjustment moves more than a whole month's score
_MONTH = re.compile(r"^(20\d{2})\s*(?:[-/.年]\s*)?(0?[1-9]|1[0-2])\s*月?$")


@dataclass(frozen=True)
class AdjustmentsFile:
    file: str
    sheet: str
    rows: list[NewAdjustment]  # the rows without a problem
    problems: list[Problem]  # every row's problems: the caller adds the store's, then refuses


def item_names(rules: RuleSet) -> dict[str, str]:
    """What a 项目 cell may say → the item id: ids and names of every table's items."""
    out: dict[str, str] = {}
    for table in rules.tables.values():
        for item in table.items:
            out.setdefault(item.id, item.id)
            out.setdefault(normalise_header(item.name), item.id)
    return out


def read_adjustments(path: Path, rules: RuleSet) -> AdjustmentsFile:
    records = read_records(path, COLUMNS, "调整文件")
    items = item_names(rules)
    out: list[NewAdjustment] = []
    seen: dict[tuple[object, ...], int] = {}
    for at, cells in records.rows:
        before = len(records.problems)
        text = records.texts(at, cells, ("id", "reason", "basis", "approved_by"), "调整")
        # 工号 a spreadsheet shortened get their leading zeros back, as the export's do.
        text["id"] = restore_ids([text["id"]], rules.export.id_width, None)[0][0]
        month = item = ""
        points = Decimal(0)
        try:
            month = _month(cells["month"])
        except ValueError as exc:
            records.bad(at, "month", str(exc))
        given = clean_text(cells["item"])
        item = TOTAL if given == TOTAL else items.get(given) or items.get(normalise_header(given), "")
        if not item:
            records.bad(at, "item", f"项目「{given}」不是规则文件中的计分项目：请写项目名称（如 "
                                    f"{next(iter(rules.tables.values())).items[0].name}）、项目编号，或 总分")
        try:
            points = _points(cells["points"])
        except ValueError as exc:
            records.bad(at, "points", str(exc))
        if len(records.problems) > before:
            continue
        same = (text["id"], month, item, points, text["basis"])
        if same in seen:
            records.bad(at, "id", f"与第 {seen[same]} 行重复（同一工号、月份、项目、分值和依据）：请删除一行")
            continue
        seen[same] = at
        out.append(NewAdjustment(month, text["id"], item, points, text["reason"], text["basis"],
                                 text["approved_by"], at))
    return AdjustmentsFile(records.file, records.sheet, out, records.problems)


def _month(value: object) -> str:
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = clean_text(value)
    if isinstance(value, float) and value != int(value):
        # 2026.1 is October typed as a number, and reads as January: never guess.
        raise ValueError(f"「{text}」是数字，看不出是哪个月：请把月份写成文本 2026-06 或 2026年6月")
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{int(value)}"
    matched = _MONTH.match(text)
    if not matched or (len(text) == 5 and text.isdigit()):
        raise ValueError(f"「{text}」不是月份：请写成 2026-06 或 2026年6月")
    return f"{matched[1]}-{int(matched[2]):02d}"


def _points(value: object) -> Decimal:
    points = parse_decimal(value)
    if points == 0:
        raise ValueError("调整分值为 0：不调整的行请删除")
    if points != points.quantize(Decimal("0.01")):
        raise ValueError(f"{points} 超过两位小数：分值精确到 0.01 分")
    if abs(points) > POINTS_MAX:
        raise ValueError(f"{points} 超出 ±{POINTS_MAX} 分：请核对")
    return points.quantize(Decimal("0.01"))
