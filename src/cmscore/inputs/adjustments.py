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
from cmscore.inputs.headers import normalise_header
from cmscore.inputs.sources import open_grids
from cmscore.numbers import CONTROLS, clean_text, parse_decimal
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import RuleSet

COLUMNS = {"id": "工号", "month": "月份", "item": "项目", "points": "调整分值",
           "reason": "原因", "basis": "依据", "approved_by": "批准人"}
HEADER_ROWS = 30  # the header is looked for among a sheet's first rows (a title above it)
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
    grids = open_grids(path)
    wanted = set(COLUMNS.values())
    best: tuple[int, set[str], str] = (-1, set(), "")
    for grid in grids:
        for i, row in enumerate(grid.rows[:HEADER_ROWS]):
            index = {normalise_header(c): j for j, c in enumerate(row) if clean_text(c)}
            if wanted <= set(index):
                return _rows(grid.rows, i, index, path.name, grid.sheet, rules)
            found = wanted & set(index)
            if len(found) > len(best[1]):
                best = (i, found, grid.sheet)
    missing = [c for c in COLUMNS.values() if c not in best[1]]
    where = {"sheet": best[2], "row": best[0] + 1} if best[1] else {}
    raise InputError([Problem(f"找不到表头行：缺少列 {'、'.join(missing)}（调整文件须有列 "
                              f"{'、'.join(COLUMNS.values())}）", file=path.name, **where)])  # type: ignore[arg-type]


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


def _rows(rows: list[list[object]], header_at: int, index: dict[str, int], file: str,
          sheet: str, rules: RuleSet) -> AdjustmentsFile:
    problems: list[Problem] = []
    out: list[NewAdjustment] = []
    items = item_names(rules)
    seen: dict[tuple[object, ...], int] = {}
    for i in range(header_at + 1, len(rows)):
        row = rows[i]

        def cell(key: str, row: list[object] = row) -> object:
            j = index[COLUMNS[key]]
            return row[j] if j < len(row) else ""

        if not any(clean_text(cell(k)) for k in COLUMNS):
            continue
        before = len(problems)

        def bad(key: str, message: str, at: int = i + 1) -> None:
            problems.append(Problem(message, file=file, sheet=sheet, row=at,
                                    column=COLUMNS[key]))

        text = {k: clean_text(cell(k)) for k in ("id", "reason", "basis", "approved_by")}
        for key, value in text.items():
            if not value:
                bad(key, f"{COLUMNS[key]}为空：每条调整都要写明{COLUMNS[key]}")
            elif CONTROLS.search(value):
                bad(key, f"{COLUMNS[key]}含控制字符：请删除后重新导入")
        month = item = ""
        points = Decimal(0)
        try:
            month = _month(cell("month"))
        except ValueError as exc:
            bad("month", str(exc))
        given = clean_text(cell("item"))
        item = TOTAL if given == TOTAL else items.get(given) or items.get(normalise_header(given), "")
        if not item:
            bad("item", f"项目「{given}」不是规则文件中的计分项目：请写项目名称（如 "
                        f"{next(iter(rules.tables.values())).items[0].name}）、项目编号，或 总分")
        try:
            points = _points(cell("points"))
        except ValueError as exc:
            bad("points", str(exc))
        if len(problems) > before:
            continue
        same = (text["id"], month, item, points, text["basis"])
        if same in seen:
            bad("id", f"与第 {seen[same]} 行重复（同一工号、月份、项目、分值和依据）：请删除一行")
            continue
        seen[same] = i + 1
        out.append(NewAdjustment(month, text["id"], item, points, text["reason"], text["basis"],
                                 text["approved_by"], i + 1))
    if not out and not problems:
        raise InputError([Problem("调整文件没有数据行", file=file, sheet=sheet)])
    return AdjustmentsFile(file, sheet, out, problems)
