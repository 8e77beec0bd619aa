"""A month's typed rows, as ``inputs`` produce them and the engine scores them.

Values only: a ``Manager`` row, a category's figures as columns (``Block``), the month
(``MonthExport``). Reading a file lives in ``cmscore.inputs``; nothing here does I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from cmscore.problems import fail

MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")


def check_month(value: str | None, label: str) -> None:
    """Refuse a month argument that is not YYYY-MM (``label`` names it: --month, --end…)."""
    if value is not None and not MONTH.match(value):
        raise fail(f"{label} {value} 格式应为 YYYY-MM")

Figures = dict[str, dict[str, Decimal | None]]  # item id → role → figure


class Manager:
    """One CM's row. ``figures`` (item → role → figure) is built from the export's
    columns only when someone asks: a national month never needs a million small dicts."""

    __slots__ = ("id", "name", "branch", "category", "row", "_figures", "block", "index")

    def __init__(self, id: str, name: str, branch: str, category: str, row: int,
                 figures: Figures | None = None, *, block: Block | None = None,
                 index: int = 0) -> None:
        self.id, self.name, self.branch, self.category, self.row = id, name, branch, category, row
        self._figures, self.block, self.index = figures, block, index

    @property
    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = self.block.figures_of(self.index) if self.block else {}
        return self._figures

    def __repr__(self) -> str:
        return f"Manager({self.id!r}, {self.name!r}, {self.branch!r}, {self.category!r})"


@dataclass
class Block:
    """The managers of one category and their figures as columns, in file order."""

    category: str
    managers: list[Manager]
    columns: dict[tuple[str, str], list[Decimal | None]]  # (item, role) → figure per manager

    def figures_of(self, i: int) -> Figures:
        out: Figures = {}
        for (item_id, role), column in self.columns.items():
            out.setdefault(item_id, {})[role] = column[i]
        return out


@dataclass
class MonthExport:
    file: str
    sheet: str
    month: str
    managers: list[Manager]
    header_row: int
    encoding: str = ""
    actual: str = ""  # e.g. 实际是网页（HTML）表格, for a file whose name says otherwise
    blocks: dict[str, Block] = field(default_factory=dict)  # category → its columns
    padded_ids: int = 0  # 工号 whose leading zeros were restored per export.yaml's id_width
