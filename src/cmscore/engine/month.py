"""A month's typed rows, as ``inputs`` produce them and the engine scores them.

Values only: a ``Manager`` row, a category's figures as columns (``Block``), the month
(``MonthExport``). Reading a file lives in ``cmscore.inputs``; nothing here does I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from cmscore.numbers import decimal_texts, has_none
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

    def inputs_json(self, order: list[int]) -> Iterator[str]:
        """For managers ``order``, ``json.dumps(figures_of(i))`` with decimal text: one
        %-template (twice as fast as str.format here) filled per manager from text
        columns, instead of a million small dicts. A column with no empty cell in a slice
        has its quotes in that slice's template (most columns: no step per cell)."""
        grouped: dict[str, list[int]] = {}
        for k, (item_id, _) in enumerate(self.columns):
            grouped.setdefault(_json_literal(item_id), []).append(k)
        roles = [_json_literal(role) for _, role in self.columns]
        if not self.columns:
            yield from ("{}" for _ in order)
            return
        columns = list(self.columns.values())
        for start in range(0, len(order), 4096):  # text columns a slice at a time: RSS
            part = order[start:start + 4096]
            picked = [list(map(column.__getitem__, part)) for column in columns]
            full = [not has_none(values) for values in picked]
            template = "{" + ",".join(
                item + ":{" + ",".join(roles[k] + (':"%s"' if full[k] else ":%s") for k in ks)
                + "}" for item, ks in grouped.items()) + "}"
            texts = [decimal_texts(values) if whole else
                     ["null" if t is None else f'"{t}"' for t in decimal_texts(values)]
                     for values, whole in zip(picked, full, strict=True)]
            yield from map(template.__mod__, zip(*texts, strict=True))


def _json_literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("%", "%%")


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
