"""The supervisors file of 第十二条: 工号, 姓名, 职务, 机构 (scope), 履职岗位工资."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cmscore.inputs.recordfile import locate_header
from cmscore.numbers import CONTROLS, clean_text, parse_decimal
from cmscore.problems import InputError, Problem
from cmscore.rules.bounds import PAY_MAX

COLUMNS = {"id": "工号", "name": "姓名", "title": "职务", "scope": "机构", "wage": "履职岗位工资"}


@dataclass(frozen=True)
class Supervisor:
    id: str
    name: str
    title: str
    scope: str
    wage: Decimal
    row: int


def read_supervisors(path: Path) -> list[Supervisor]:
    header = locate_header(path, set(COLUMNS.values()))
    if header.grid is not None:
        return _rows(header.grid.rows, header.row, header.index, path.name, header.sheet)
    raise InputError([Problem(f"找不到表头行：需要列 {'、'.join(COLUMNS.values())}",
                              file=path.name)])


def _rows(rows: list[list[object]], header_at: int, index: dict[str, int], file: str,
          sheet: str) -> list[Supervisor]:
    problems: list[Problem] = []
    out: list[Supervisor] = []
    seen: set[str] = set()
    for i in range(header_at + 1, len(rows)):
        row = rows[i]

        def cell(key: str, row: list[object] = row) -> object:
            j = index[COLUMNS[key]]
            return row[j] if j < len(row) else ""

        text = {k: clean_text(cell(k)) for k in ("id", "name", "title", "scope")}
        if not any(text.values()) and not clean_text(cell("wage")):
            continue
        at = {"file": file, "sheet": sheet, "row": i + 1}
        for key, value in text.items():
            if not value:
                problems.append(Problem(f"{COLUMNS[key]}为空", column=COLUMNS[key], **at))  # type: ignore[arg-type]
            elif CONTROLS.search(value):
                problems.append(Problem(f"{COLUMNS[key]}含控制字符", column=COLUMNS[key], **at))  # type: ignore[arg-type]
        try:
            wage = parse_decimal(cell("wage"))
            if wage < 0:
                raise ValueError(f"负数 {wage}：工资不能为负")
            if wage > PAY_MAX:  # a slip (and past what the store's integers hold)
                raise ValueError(f"{wage} 超出上限 {PAY_MAX:,} 元：请核对（单位为元/月）")
        except ValueError as exc:
            problems.append(Problem(str(exc), column=COLUMNS["wage"], **at))  # type: ignore[arg-type]
            continue
        if text["id"] in seen:
            problems.append(Problem(f"工号 {text['id']} 重复", column="工号", **at))  # type: ignore[arg-type]
        seen.add(text["id"])
        out.append(Supervisor(text["id"], text["name"], text["title"], text["scope"], wage, i + 1))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError([Problem("主管人员文件没有数据行", file=file, sheet=sheet)])
    return out
