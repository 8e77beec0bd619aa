"""An export grid → typed manager rows, every problem located by file/sheet/row/column.

Nothing here stops at the first problem: all of them are collected and raised
together, so a performance officer fixes the file once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from itertools import chain, compress, repeat
from operator import attrgetter, eq
from pathlib import Path

from cmscore.engine.month import MONTH, Block, Manager, MonthExport
from cmscore.inputs.cells import (
    column_of,
    figure_column,
    fresh_texts,
    identity_column,
    restore_ids,
)
from cmscore.inputs.headers import Plan, find_header, merged_header, normalise_header, plan_columns
from cmscore.inputs.origin import merged_and_formula_cells
from cmscore.inputs.recordfile import several_sheets
from cmscore.inputs.sources import Grid, open_grids
from cmscore.inputs.totals import check_totals, split_rows
from cmscore.numbers import clean_name, clean_text, quote
from cmscore.problems import InputError, Problem, row_ranges
from cmscore.rules.ruleset import RuleSet

_MONTH_IN_TEXT = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月")
_MONTH_IN_NAME = re.compile(r"(20\d{2})[-_.年]?(0[1-9]|1[0-2])(?!\d)")

def read_export(path: Path, rules: RuleSet, month: str | None = None) -> MonthExport:
    """Read and validate one month's export; raise InputError with every problem."""
    grids = open_grids(path, rules.export.limits)
    found = [(grid, at) for grid in grids if (at := find_header(grid, rules)) is not None]
    if len(found) > 1:
        raise InputError([Problem(several_sheets(found, "客户经理行"), file=path.name)])
    if found:
        return _read_grid(*found[0], rules, month, path.name)
    hint = _delimiter_hint(grids, rules)
    if hint:
        raise InputError([Problem(hint[1], file=path.name, sheet=grids[0].sheet, row=hint[0])])
    seen = [clean_text(c) for g in grids for r in g.rows[:5] for c in r if clean_text(c)]
    wanted = "、".join(v[0] for v in rules.export.identity.values())
    shown = quote("、".join(seen[:12]), 200) if seen else "（空）"
    raise InputError([Problem(f"找不到表头行：前 {rules.export.header_search_rows} 行中没有同时含 "
                              f"{wanted} 的行；看到的内容：{shown}",
                              file=path.name, sheet=grids[0].sheet if grids else "")])


def _delimiter_hint(grids: list[Grid], rules: RuleSet) -> tuple[int, str] | None:
    """A text file whose header is there, but split by another delimiter than , or tab."""
    wanted = [{normalise_header(a) for a in v} for v in rules.export.identity.values()]
    for grid in grids:
        if not grid.encoding:
            continue
        for i, row in enumerate(grid.rows[:rules.export.header_search_rows]):
            for cell in row:
                for mark, name in ((";", "分号"), ("|", "竖线")):
                    if not isinstance(cell, str) or mark not in cell:
                        continue
                    parts = {normalise_header(p) for p in cell.split(mark)}
                    if all(parts & w for w in wanted):
                        return i + 1, (f"找不到表头行：第 {i + 1} 行以{name}（{mark}）分隔"
                                       f"（{quote(cell)}），cmscore 只读逗号或制表符分隔的文本；"
                                       "请在 Excel/WPS 中另存为「CSV UTF-8（逗号分隔）」或 .xlsx")
    return None


def month_of(grid: Grid, header_at: int, file_name: str, given: str | None) -> tuple[str | None,
                                                                                    list[Problem]]:
    """The month from --month, the title rows, or the file name; they must agree."""
    at = partial(Problem, file=file_name, sheet=grid.sheet)
    if given is not None and not MONTH.match(given):
        return None, [at(f"--month {given} 格式应为 YYYY-MM")]
    in_title = {f"{y}-{int(m):02d}" for row in grid.rows[:header_at] for cell in row
                for y, m in _MONTH_IN_TEXT.findall(clean_text(cell))}
    bad = sorted(m for m in in_title if not MONTH.match(m))
    if bad or (len(in_title) > 1 and given not in in_title):
        return None, [at(f"标题中的月份不明确或无效：{'、'.join(sorted(in_title))}；"
                         "请用 --month YYYY-MM 指定")]
    title = given if len(in_title) > 1 else next(iter(in_title), None)
    by_name = _MONTH_IN_NAME.search(Path(file_name).stem)
    named = f"{by_name[1]}-{by_name[2]}" if by_name else None
    sources = [(s, m) for s, m in (("--month", given), ("标题", title), ("文件名", named)) if m]
    if not sources:
        return None, [at("无法确定月份：标题和文件名中都没有年月；请用 --month YYYY-MM 指定")]
    if len({m for _, m in sources}) > 1:
        said = "，".join(f"{s}为 {m}" for s, m in sources)
        return None, [at(f"月份不一致：{said}；请核对文件或 --month")]
    return sources[0][1], []


def _read_grid(grid: Grid, header_at: int, rules: RuleSet, given: str | None,
               file_name: str) -> MonthExport:
    problems: list[Problem] = []
    month, month_problems = month_of(grid, header_at, file_name, given)
    problems += month_problems
    header, first_data = merged_header(grid, header_at, rules)
    at = partial(Problem, file=file_name, sheet=grid.sheet)
    body, totals = split_rows(grid, header, header_at, first_data, rules)
    rows = [r for _, r in body]
    # Category first, so that only the tables actually used must find their columns.
    cat_col = next(j for j, c in enumerate(header)
                   if normalise_header(c) in {normalise_header(a)
                                               for a in rules.export.identity["category"]})
    aliases = rules.export.category_of()
    used = {aliases.get(c, c) for c in map(clean_name, set(column_of(rows, cat_col)))}
    tables = [t for c, t in rules.tables.items() if c in used]
    identity, plans, column_problems = plan_columns(grid, header, rules, tables, file_name,
                                                     first_data)
    problems += column_problems
    if not body:
        problems.append(at("工作表在表头之后没有数据行", row=header_at + 1))
    headers = [clean_text(c) for c in header]
    excel_rows = [n for n, _ in body]
    blocks, found, padded = _read_columns(rows, excel_rows, identity, plans, rules)
    read = set(identity.values()) | {j for plan in plans.values() for j in plan.columns.values()}
    marks, hidden = merged_and_formula_cells(grid, excel_rows, read, rules.export.blank_is_zero)
    found = [f for f in found if (f[0], f[3]) not in hidden]
    found += [(pos, 0, -1, j, message) for pos, j, message in marks]
    found.sort(key=lambda f: f[:3])
    problems += _grouped(found, excel_rows, headers, at)
    managers = sorted(chain.from_iterable(b.managers for b in blocks.values()),
                      key=attrgetter("row"))
    if not problems:
        problems += check_totals(totals, managers, blocks, plans, identity, headers, rules, at,
                                 first_data)
    if problems:
        raise InputError(problems)
    assert month is not None
    return MonthExport(file_name, grid.sheet, month, managers, header_at + 1, grid.encoding,
                       grid.actual, blocks, padded)


def _grouped(found: Found, excel_rows: list[int], headers: list[str],
             at: Callable[..., Problem]) -> list[Problem]:
    """One problem per message and column, at its first row, the other rows listed: an
    export whose 类别 are all 「支行客户经理」 is one line, not 22,500."""
    rows: dict[tuple[int, str], list[int]] = {}
    for pos, _, _, j, message in found:
        rows.setdefault((j, message), []).append(excel_rows[pos])
    out = []
    for (j, message), where in rows.items():
        if len(where) > 1:
            message = f"{message}（共 {len(where):,} 行：第 {row_ranges(where)} 行）"
        out.append(at(message, row=where[0], column=headers[j]))
    return out


# (body position, phase, order within the phase, column index, message): sorted, the
# problems read row by row as a clerk fixes them, in the order cell-by-cell checks found them.
Found = list[tuple[int, int, int, int, str]]


def _read_columns(rows: list[list[object]], excel_rows: list[int], identity: dict[str, int], plans: dict[str, Plan],
                  rules: RuleSet) -> tuple[dict[str, Block], Found, int]:
    found: Found = []
    texts: dict[str, list[str]] = {}
    bad: set[int] = set()
    for order, (key, j) in enumerate(identity.items()):
        texts[key], got = identity_column(key, column_of(rows, j))
        found += [(pos, 0, order, j, message) for pos, message in got]
        bad.update(pos for pos, _ in got)
    texts["id"], padded, got = restore_ids(texts["id"], rules.export.id_width,
                                           rules.export.id_pattern)
    for key in ("id", "name", "branch"):  # kept by every Manager: not among the grid's cells
        texts[key] = fresh_texts(texts[key])
    found += [(pos, 0, 0, identity["id"], message) for pos, message in got]
    bad.update(pos for pos, _ in got)
    accepted = "、".join(rules.tables)
    members: dict[str, list[int]] = {c: [] for c in plans}
    first_row: dict[str, int] = {}
    ids, categories = texts["id"], texts["category"]
    aliases = rules.export.category_of()
    if aliases:  # 「支行客户经理」 → 支行, as export.yaml's category_aliases say
        categories = texts["category"] = [aliases.get(c, c) for c in categories]
    if not bad and plans.keys() >= set(categories) and len(set(ids)) == len(ids):
        # Every row known, every 工号 once: the loop below would find nothing.
        for category in members:
            members[category] = list(compress(range(len(categories)),
                                              map(eq, categories, repeat(category))))
        categories = []
    for pos, category in enumerate(categories):
        if pos in bad:
            continue
        if category not in plans:
            found.append((pos, 1, 0, identity["category"],
                          f"未知类别{quote(category)}；可用类别：{accepted}；如是其中一个类别"
                          "的另一种写法，请在 export.yaml 的 category_aliases 中加入"))
            continue
        cm = ids[pos]
        if cm in first_row:
            found.append((pos, 3, 0, identity["id"],
                          f"工号 {cm} 重复（第 {excel_rows[first_row[cm]]} 行已有）"))
            continue
        first_row[cm] = pos
        members[category].append(pos)
    names, branches = texts["name"], texts["branch"]
    blocks: dict[str, Block] = {}
    for category, positions in members.items():
        if not positions:
            continue
        picked = [rows[p] for p in positions]
        columns: dict[tuple[str, str], list[Decimal | None]] = {}
        for order, ((item_id, role), j) in enumerate(plans[category].columns.items()):
            columns[(item_id, role)], got = figure_column(
                column_of(picked, j), role, rules.export.blank_is_zero,
                rules.export.limits.max_figure)
            found += [(positions[i], 2, order, j, message) for i, message in got]
        # Positional arguments through map, then the block: keywords cost a quarter more.
        block = blocks[category] = Block(category, list(map(
            Manager, map(ids.__getitem__, positions), map(names.__getitem__, positions),
            map(branches.__getitem__, positions), repeat(category),
            map(excel_rows.__getitem__, positions))), columns)
        for i, m in enumerate(block.managers):
            m.block, m.index = block, i
    return blocks, found, padded
