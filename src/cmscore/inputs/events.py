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
from cmscore.inputs.cells import restore_ids
from cmscore.inputs.recordfile import read_records
from cmscore.numbers import clean_text
from cmscore.problems import Problem

COLUMNS = {"id": "工号", "date": "日期", "kind": "类型", "description": "说明", "source": "来源"}
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


def read_events(path: Path, today: date | None = None,
                id_width: int | None = None) -> EventsFile:
    """The file's events; ``today`` (default: the machine's date) bounds their dates;
    all-digit 工号 shorter than ``id_width`` (export.yaml) get their leading zeros back."""
    today = today or date.today()
    records = read_records(path, COLUMNS, "事件文件")
    out: list[NewEvent] = []
    seen: dict[tuple[str, ...], int] = {}
    for at, cells in records.rows:
        before = len(records.problems)
        text = records.texts(at, cells, ("id", "kind", "description", "source"), "事件")
        text["id"] = restore_ids([text["id"]], id_width, None)[0][0]
        day = ""
        try:
            day = _date(cells["date"])
            if day > today.isoformat():  # a mistyped year (2062 for 2026) would never warn
                raise ValueError(f"日期 {day} 晚于今天（{today.isoformat()}）：事件只能登记已经"
                                 "发生的情况，请核对年份和月份")
        except ValueError as exc:
            records.bad(at, "date", str(exc))
        if text["kind"] and text["kind"] not in KINDS:
            records.bad(at, "kind", f"类型「{text['kind']}」不是 {'、'.join(KINDS)} 之一")
        if len(records.problems) > before:
            continue
        same = (text["id"], day, text["kind"], text["description"])
        if same in seen:
            records.bad(at, "id", f"与第 {seen[same]} 行重复（同一工号、日期、类型和说明）：请删除一行")
            continue
        seen[same] = at
        out.append(NewEvent(text["id"], day, text["kind"], text["description"], text["source"], at))
    return EventsFile(records.file, records.sheet, out, records.problems)
