"""The supervisors file of 第十二条: 工号, 姓名, 职务, 机构 (scope), 履职岗位工资; optionally
类别 and 管辖工号, which narrow the scope within the 机构 (a department head over one
category, a team leader over named managers)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cmscore.inputs.cells import restore_ids
from cmscore.inputs.recordfile import locate_header
from cmscore.numbers import CONTROLS, clean_text, parse_decimal
from cmscore.problems import InputError, Problem
from cmscore.rules.bounds import PAY_MAX

COLUMNS = {"id": "工号", "name": "姓名", "title": "职务", "scope": "机构", "wage": "履职岗位工资"}
NARROWING = {"categories": "类别", "members": "管辖工号"}  # optional columns
_LIST = re.compile(r"[、,，;；/\s]+")


@dataclass(frozen=True)
class Supervisor:
    id: str
    name: str
    title: str
    scope: str
    wage: Decimal
    row: int
    categories: tuple[str, ...] = ()  # empty: every category of the 机构
    members: tuple[str, ...] = ()  # empty: every manager of the 机构 (and categories)

    @property
    def described(self) -> str:
        """The scope as the workbook shows it: 分行营业部·分行公司, 分行营业部·工号 Y、Z."""
        narrowed = "、".join(self.categories) if self.categories else \
            f"工号 {'、'.join(self.members)}" if self.members else ""
        return f"{self.scope}·{narrowed}" if narrowed else self.scope


def read_supervisors(path: Path, categories: Collection[str] = (),
                     id_width: int | None = None) -> list[Supervisor]:
    """Every supervisor of ``path``; a 类别 not among ``categories`` (the rule tables') is
    a problem of its row; 管辖工号 a spreadsheet shortened get their leading zeros back
    (export.yaml's ``id_width``), as the export's do."""
    header = locate_header(path, set(COLUMNS.values()))
    if header.grid is not None:
        return _rows(header.grid.rows, header.row, header.index, path.name, header.sheet,
                     categories, id_width)
    raise InputError([Problem(f"找不到表头行：需要列 {'、'.join(COLUMNS.values())}",
                              file=path.name)])


def _listed(row: list[object], index: dict[str, int], header: str) -> tuple[str, ...]:
    j = index.get(header)
    text = clean_text(row[j]) if j is not None and j < len(row) else ""
    return tuple(dict.fromkeys(v for v in _LIST.split(text) if v))


def _rows(rows: list[list[object]], header_at: int, index: dict[str, int], file: str,
          sheet: str, categories: Collection[str] = (),
          id_width: int | None = None) -> list[Supervisor]:
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
        cats = _listed(row, index, NARROWING["categories"])
        if categories and (unknown := [c for c in cats if c not in categories]):
            problems.append(Problem(
                f"类别「{'、'.join(unknown)}」不是规则文件中的类别（{'、'.join(categories)}）之一："
                "请改为其中之一，或留空表示该机构全部客户经理", column=NARROWING["categories"],
                **at))  # type: ignore[arg-type]
        out.append(Supervisor(text["id"], text["name"], text["title"], text["scope"], wage, i + 1,
                              cats, tuple(restore_ids(list(_listed(row, index, NARROWING["members"])),
                                                      id_width, None)[0])))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError([Problem("主管人员文件没有数据行", file=file, sheet=sheet)])
    return out
