"""The 第十六条 events file (issue 16): 工号, 日期, 类型 (损失/失职/投诉/违规), 说明, 来源.

Every row checked, every problem located (file, sheet, row, column) and returned with the
good rows, as the adjustments file is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cmscore.engine.events import KINDS
from cmscore.inputs.headers import normalise_header
from cmscore.inputs.sources import open_grids
from cmscore.numbers import CONTROLS, clean_text
from cmscore.problems import InputError, Problem

COLUMNS = {"id": "工号", "date": "日期", "kind": "类型", "description": "说明", "source": "来源"}
HEADER_ROWS = 30
_DATE = re.compile(r"^(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


@dataclass(frozen=True)
class NewEvent:
    cm_id: str
    date: str
    kind: str
    description: str
    source: str
    row: int


@dataclass(frozen=True)
class EventsFile:
    file: str
    sheet: str
    rows: list[NewEvent]
    problems: list[Problem]


def _date(value: object) -> str:
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    text = clean_text(value)
    matched = _DATE.match(text)
    if matched:
        try:
            return date(int(matched[1]), int(matched[2]), int(matched[3])).isoformat()
        except ValueError:
            pass
    raise ValueError(f"「{text}」不是日期：请写成 2026-06-15 或 2026年6月15日")


def read_events(path: Path) -> EventsFile:
    wanted = set(COLUMNS.values())
    best: tuple[int, set[str], str] = (-1, set(), "")
    for grid in open_grids(path):
        for i, row in enumerate(grid.rows[:HEADER_ROWS]):
            index = {normalise_header(c): j for j, c in enumerate(row) if clean_text(c)}
            if wanted <= set(index):
                return _rows(grid.rows, i, index, path.name, grid.sheet)
            if len(wanted & set(index)) > len(best[1]):
                best = (i, wanted & set(index), grid.sheet)
    missing = [c for c in COLUMNS.values() if c not in best[1]]
    where = {"sheet": best[2], "row": best[0] + 1} if best[1] else {}
    raise InputError([Problem(f"找不到表头行：缺少列 {'、'.join(missing)}（事件文件须有列 "
                              f"{'、'.join(COLUMNS.values())}）", file=path.name, **where)])  # type: ignore[arg-type]


def _rows(rows: list[list[object]], header_at: int, index: dict[str, int], file: str,
          sheet: str) -> EventsFile:
    problems: list[Problem] = []
    out: list[NewEvent] = []
    seen: dict[tuple[str, ...], int] = {}
    for i in range(header_at + 1, len(rows)):
        row = rows[i]

        def cell(key: str, row: list[object] = row) -> object:
            j = index[COLUMNS[key]]
            return row[j] if j < len(row) else ""

        if not any(clean_text(cell(k)) for k in COLUMNS):
            continue
        before = len(problems)

        def bad(key: str, message: str, at: int = i + 1) -> None:
            problems.append(Problem(message, file=file, sheet=sheet, row=at, column=COLUMNS[key]))

        text = {k: clean_text(cell(k)) for k in ("id", "kind", "description", "source")}
        for key, value in text.items():
            if not value:
                bad(key, f"{COLUMNS[key]}为空：每个事件都要写明{COLUMNS[key]}")
            elif CONTROLS.search(value):
                bad(key, f"{COLUMNS[key]}含控制字符：请删除后重新导入")
        day = ""
        try:
            day = _date(cell("date"))
        except ValueError as exc:
            bad("date", str(exc))
        if text["kind"] and text["kind"] not in KINDS:
            bad("kind", f"类型「{text['kind']}」不是 {'、'.join(KINDS)} 之一")
        if len(problems) > before:
            continue
        same = (text["id"], day, text["kind"], text["description"])
        if same in seen:
            bad("id", f"与第 {seen[same]} 行重复（同一工号、日期、类型和说明）：请删除一行")
            continue
        seen[same] = i + 1
        out.append(NewEvent(text["id"], day, text["kind"], text["description"], text["source"],
                            i + 1))
    if not out and not problems:
        raise InputError([Problem("事件文件没有数据行", file=file, sheet=sheet)])
    return EventsFile(file, sheet, out, problems)
