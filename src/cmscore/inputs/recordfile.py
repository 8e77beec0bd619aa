"""A small records file an office writes by hand (adjustments, 第十六条 events): a header
row holding every named column somewhere in a sheet's first rows, then one record a row.

What such files share: finding the header (or saying which columns are missing), the
non-blank rows with their spreadsheet row numbers, required text cells, and each problem
located by file, sheet, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmscore.inputs.headers import normalise_header
from cmscore.inputs.sources import Grid, open_grids
from cmscore.numbers import CONTROLS, clean_text
from cmscore.problems import InputError, Problem

HEADER_ROWS = 30  # the header is looked for among a sheet's first rows (a title above it)
TOTALS = ("合计", "总计", "小计")  # a row a spreadsheet habit adds under a list


@dataclass
class Records:
    """The rows of a records file, and the problems found in them so far."""

    file: str
    sheet: str
    columns: dict[str, str]  # key → header
    rows: list[tuple[int, dict[str, object]]]  # (spreadsheet row, key → cell)
    problems: list[Problem] = field(default_factory=list)

    def bad(self, row: int, key: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.file, sheet=self.sheet, row=row,
                                     column=self.columns[key]))

    def texts(self, row: int, cells: dict[str, object], keys: tuple[str, ...],
              noun: str) -> dict[str, str]:
        """Required text cells, cleaned; an empty one or one with control characters is a
        problem (``noun``: what a row is, 调整 or 事件)."""
        out = {k: clean_text(cells[k]) for k in keys}
        for key, value in out.items():
            if not value:
                self.bad(row, key, f"{self.columns[key]}为空：每条{noun}都要写明{self.columns[key]}")
            elif CONTROLS.search(value):
                self.bad(row, key, f"{self.columns[key]}含控制字符：请删除后重新导入")
        return out


def several_sheets(found: list[tuple[Grid, int]], rows: str = "行") -> str:
    """Several visible sheets carry the header (at the row given with each): which, and how
    many ``rows`` (what a data row is: 客户经理行) each has below it."""
    def below(grid: Grid, at: int) -> int:
        return sum(1 for r in grid.rows[at + 1:] if any(clean_text(c) for c in r))

    sheets = "、".join(f"「{g.sheet}」（表头在第 {at + 1} 行，其下 {below(g, at):,} 行）"
                      for g, at in found)
    return (f"工作簿中有 {len(found)} 个可见工作表都带有表头：{sheets}。cmscore 只读一个工作表，"
            "不会自行合并或挑选（多出的工作表可能是拆开的数据，也可能是副本或旧版本）：请把全部"
            f"{rows}放到同一个工作表，或把不该读取的工作表隐藏或删除（隐藏的工作表不读取）")


@dataclass
class Header:
    """Where a file's header row is: ``grid`` is None when no sheet has every column; then
    ``row``, ``sheet`` and ``index`` are those of the likeliest row (most columns found)."""

    grid: Grid | None
    row: int
    sheet: str
    index: dict[str, int]  # header → column


def locate_header(path: Path, wanted: set[str]) -> Header:
    """The one visible sheet whose header row (among the first rows) holds every ``wanted``
    column; refused when several sheets have it (a second sheet would be silently left out:
    last year's list beside this year's)."""
    found: list[Header] = []
    best = Header(None, -1, "", {})
    for grid in open_grids(path):
        for i, row in enumerate(grid.rows[:HEADER_ROWS]):
            index = {normalise_header(c): j for j, c in enumerate(row) if clean_text(c)}
            if wanted <= set(index):
                found.append(Header(grid, i, grid.sheet, index))
                break
            if len(wanted & set(index)) > len(wanted & set(best.index)):
                best = Header(None, i, grid.sheet, index)
    if len(found) > 1:
        raise InputError([Problem(several_sheets([(h.grid, h.row) for h in found if h.grid]),
                                  file=path.name)])
    return found[0] if found else best


def read_records(path: Path, columns: dict[str, str], what: str) -> Records:
    """The sheet whose header row holds every column; refused naming the missing columns
    of the likeliest header row otherwise, or when there is no data row."""
    header = locate_header(path, set(columns.values()))
    grid, index = header.grid, header.index
    if grid is None:
        missing = [c for c in columns.values() if c not in index]
        where = {"sheet": header.sheet, "row": header.row + 1} \
            if len(missing) < len(columns) else {}
        raise InputError([Problem(f"找不到表头行：缺少列 {'、'.join(missing)}（{what}须有列 "
                                  f"{'、'.join(columns.values())}）", file=path.name, **where)])  # type: ignore[arg-type]
    records = Records(path.name, grid.sheet, columns, [])
    for n in range(header.row + 1, len(grid.rows)):
        cells = grid.rows[n]
        got = {k: cells[index[h]] if index[h] < len(cells) else "" for k, h in columns.items()}
        texts = [clean_text(v) for v in cells]
        if total := next((t for t in texts if t.replace(" ", "") in TOTALS), ""):
            # One problem for the row, not one per column it leaves empty.
            records.problems.append(Problem(
                f"这一行像是「{total}」行：{what}每行一条记录，不需要合计，请删除这一行",
                file=path.name, sheet=grid.sheet, row=n + 1))
        elif any(clean_text(v) for v in got.values()):
            records.rows.append((n + 1, got))
    if not records.rows:
        raise InputError([Problem(f"{what}没有数据行", file=path.name, sheet=grid.sheet)])
    return records
