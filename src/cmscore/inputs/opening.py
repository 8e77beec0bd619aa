"""The opening file (期初累计): each manager's year-to-date figure, per early-completion item,
for the months of the year before the store's first month (a bank adopting cmscore in
October carries January–September in). Columns 工号, 项目 (item id or name), 期初累计.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cmscore.inputs.cells import restore_ids
from cmscore.inputs.headers import normalise_header
from cmscore.inputs.sources import open_grids
from cmscore.numbers import CONTROLS, clean_text, parse_decimal
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import RuleSet

COLUMNS = {"id": "工号", "item": "项目", "figure": "期初累计"}


@dataclass(frozen=True)
class Opening:
    cm_id: str
    item_id: str
    figure: Decimal
    row: int


def early_items(rules: RuleSet) -> dict[str, str]:
    """Every name an early-completion item answers to (its id and its name) → its id."""
    out: dict[str, str] = {}
    for table in rules.tables.values():
        for item in table.items:
            if item.early_completion:
                out[item.id] = out[normalise_header(item.name)] = item.id
    return out


def read_opening(path: Path, rules: RuleSet) -> list[Opening]:
    """Every row checked, every problem located; nothing is returned while one remains."""
    wanted = set(COLUMNS.values())
    for grid in open_grids(path):
        for i, row in enumerate(grid.rows[:30]):
            index = {normalise_header(c): j for j, c in enumerate(row) if clean_text(c)}
            if wanted <= set(index):
                return _rows(grid.rows, i, index, path.name, grid.sheet, rules)
    raise InputError([Problem(f"找不到表头行：需要列 {'、'.join(COLUMNS.values())}", file=path.name)])


def _rows(rows: list[list[object]], header_at: int, index: dict[str, int], file: str,
          sheet: str, rules: RuleSet) -> list[Opening]:
    items = early_items(rules)
    limit = Decimal(rules.export.limits.max_figure)
    problems: list[Problem] = []
    out: list[Opening] = []
    seen: set[tuple[str, str]] = set()
    for i in range(header_at + 1, len(rows)):
        row = rows[i]
        cells = {k: (row[index[c]] if index[c] < len(row) else "") for k, c in COLUMNS.items()}
        if not any(clean_text(v) for v in cells.values()):
            continue

        def bad(key: str, message: str, row_number: int = i + 1) -> None:
            problems.append(Problem(message, file=file, sheet=sheet, row=row_number,
                                    column=COLUMNS[key]))

        cm, item = clean_text(cells["id"]), normalise_header(cells["item"])
        # 011771 saved as the number 11771 is 011771 again, as in the export: otherwise its
        # 期初累计 would be stored under 11771 and never reach 011771's year-to-date.
        cm = restore_ids([cm], rules.export.id_width, None)[0][0]
        if not cm:
            bad("id", "工号为空")
        elif CONTROLS.search(cm):
            bad("id", "工号含控制字符")
        item_id = items.get(item)
        if item_id is None:
            bad("item", f"项目「{clean_text(cells['item'])[:40]}」不是提前完成的项目；可填："
                        f"{'、'.join(sorted({n for n in items if n not in items.values()}))}")
        try:
            figure = parse_decimal(cells["figure"])
            if figure < 0:
                raise ValueError(f"负数 {figure}：期初累计不能为负")
            if abs(figure) > limit:
                raise ValueError(f"{figure} 超出上限：export.yaml 的 limits.max_figure 为 "
                                 f"{limit:,}")
        except ValueError as exc:
            bad("figure", str(exc))
            continue
        if cm and item_id is not None:
            if (cm, item_id) in seen:
                bad("id", f"工号 {cm} 的「{clean_text(cells['item'])}」重复")
            seen.add((cm, item_id))
            out.append(Opening(cm, item_id, figure, i + 1))
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError([Problem("期初累计文件没有数据行", file=file, sheet=sheet)])
    return out
