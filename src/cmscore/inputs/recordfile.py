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
from cmscore.inputs.sources import open_grids
from cmscore.numbers import CONTROLS, clean_text
from cmscore.problems import InputError, Problem

HEADER_ROWS = 30  # the header is looked for among a sheet's first rows (a title above it)


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


def read_records(path: Path, columns: dict[str, str], what: str) -> Records:
    """The first sheet whose header row holds every column; refused naming the missing
    columns of the likeliest header row otherwise, or when there is no data row."""
    wanted = set(columns.values())
    best: tuple[int, set[str], str] = (-1, set(), "")
    for grid in open_grids(path):
        for i, row in enumerate(grid.rows[:HEADER_ROWS]):
            index = {normalise_header(c): j for j, c in enumerate(row) if clean_text(c)}
            if wanted <= set(index):
                records = Records(path.name, grid.sheet, columns, [])
                for n in range(i + 1, len(grid.rows)):
                    cells = grid.rows[n]
                    got = {k: cells[index[h]] if index[h] < len(cells) else ""
                           for k, h in columns.items()}
                    if any(clean_text(v) for v in got.values()):
                        records.rows.append((n + 1, got))
                if not records.rows:
                    raise InputError([Problem(f"{what}没有数据行", file=path.name,
                                              sheet=grid.sheet)])
                return records
            found = wanted & set(index)
            if len(found) > len(best[1]):
                best = (i, found, grid.sheet)
    missing = [c for c in columns.values() if c not in best[1]]
    where = {"sheet": best[2], "row": best[0] + 1} if best[1] else {}
    raise InputError([Problem(f"找不到表头行：缺少列 {'、'.join(missing)}（{what}须有列 "
                              f"{'、'.join(columns.values())}）", file=path.name, **where)])  # type: ignore[arg-type]
