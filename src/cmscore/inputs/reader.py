"""An export grid → typed manager rows, every problem located by file/sheet/row/column.

Nothing here stops at the first problem: all of them are collected and raised
together, so a performance officer fixes the file once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from itertools import islice
from pathlib import Path

from cmscore.engine.month import MONTH, Block, Manager, MonthExport
from cmscore.inputs.cells import figure_column, identity_column
from cmscore.inputs.headers import Plan, find_header, merged_header, normalise_header, plan_columns
from cmscore.inputs.sources import Grid, open_grids
from cmscore.numbers import clean_text, parse_decimal
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import RuleSet

_MONTH_IN_TEXT = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月")
_MONTH_IN_NAME = re.compile(r"(20\d{2})[-_.年]?(0[1-9]|1[0-2])(?!\d)")

def read_export(path: Path, rules: RuleSet, month: str | None = None) -> MonthExport:
    """Read and validate one month's export; raise InputError with every problem."""
    grids = open_grids(path, rules.export.limits)
    for grid in grids:
        header_at = find_header(grid, rules)
        if header_at is not None:
            return _read_grid(grid, header_at, rules, month, path.name)
    seen = [clean_text(c) for g in grids for r in g.rows[:5] for c in r if clean_text(c)]
    wanted = "、".join(v[0] for v in rules.export.identity.values())
    raise InputError([Problem(f"找不到表头行：前 {rules.export.header_search_rows} 行中没有同时含 "
                              f"{wanted} 的行；看到的内容：{'、'.join(seen[:12]) or '（空）'}",
                              file=path.name, sheet=grids[0].sheet if grids else "")])


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
    body, totals = _split_rows(grid, header, first_data, rules)
    rows = [r for _, r in body]
    # Category first, so that only the tables actually used must find their columns.
    cat_col = next(j for j, c in enumerate(header)
                   if normalise_header(c) in {normalise_header(a)
                                               for a in rules.export.identity["category"]})
    used = {clean_text(v) for v in set(_column(rows, cat_col))}
    tables = [t for c, t in rules.tables.items() if c in used]
    identity, plans, column_problems = plan_columns(grid, header, rules, tables, file_name,
                                                     first_data)
    problems += column_problems
    if not body:
        problems.append(at("工作表在表头之后没有数据行", row=header_at + 1))
    headers = [clean_text(c) for c in header]
    blocks, found = _read_columns(rows, [n for n, _ in body], identity, plans, rules)
    found.sort(key=lambda f: f[:3])
    problems += [at(message, row=body[pos][0], column=headers[j])
                 for pos, _, _, j, message in found]
    managers: list[Manager] = []
    for block in blocks.values():
        for i, m in enumerate(block.managers):
            m.row, m.block, m.index = body[m.row][0], block, i
            managers.append(m)
    managers.sort(key=lambda m: m.row)
    if not problems:
        problems += _check_totals(totals, blocks, plans, headers, at, len(managers))
    if problems:
        raise InputError(problems)
    assert month is not None
    return MonthExport(file_name, grid.sheet, month, managers, header_at + 1, grid.encoding,
                       grid.actual, blocks)


def _split_rows(grid: Grid, header: list[object], first_data: int, rules: RuleSet
                ) -> tuple[list[tuple[int, list[object]]], list[tuple[int, list[object]]]]:
    """(Excel row, cells) of the manager rows and of the 合计/小计 rows; blanks dropped."""
    markers = {clean_text(m) for m in rules.export.total_markers}
    id_aliases = {normalise_header(a) for a in rules.export.identity["id"]}
    id_col = next(j for j, c in enumerate(header) if normalise_header(c) in id_aliases)
    body: list[tuple[int, list[object]]] = []
    totals: list[tuple[int, list[object]]] = []
    marked = _marked_rows(grid.rows[first_data:], markers)
    for i in range(first_data, len(grid.rows)):
        row = grid.rows[i]
        if (not row or type(row[0]) is not float) and \
                all(c is None or c == "" or (isinstance(c, str) and not clean_text(c)) for c in row):
            continue  # blank (a number in the first cell, 序号, settles it at once)
        if i - first_data not in marked:
            body.append((i + 1, row))
            continue
        # Markers live in the identity columns, which come first in every export seen.
        texts = [clean_text(c) for c in row[:max(6, id_col + 1)]]
        # 合计 / 城东支行小计 / 全行合计 rows; but a row with a 工号 is a manager (王小计).
        has_id = id_col < len(texts) and texts[id_col] and \
            not any(m in texts[id_col] for m in markers)
        if any(t in markers for t in texts[:6]) or \
                (not has_id and any(m in t for t in texts[:6] if t for m in markers)):
            totals.append((i + 1, row))
            continue
        body.append((i + 1, row))
    return body, totals


def _marked_rows(rows: list[list[object]], markers: set[str]) -> set[int]:
    """Positions of the rows whose first six cells, cleaned, contain a 合计/小计 marker.

    Each column is cleaned as one text (NFKC and the invisible-character filter act within
    a cell, and U+0000 between cells stops both), not cell by cell: 600k calls took 0.6 s.
    """
    found: set[int] = set()
    # A number or a date prints as ASCII, so only text can hold a Chinese marker.
    text_only = all(not m.isascii() for m in markers)
    for j in range(6):
        cells = _column(rows, j)
        at = [k for k, c in enumerate(cells) if type(c) is str or
              (c is not None and not text_only)]
        parts = [c if type(c) is str else clean_text(c) for c in map(cells.__getitem__, at)]
        joined = "\0".join(parts)
        if joined.count("\0") != len(parts) - 1 and parts:  # a NUL inside a cell
            found.update(at[k] for k, part in enumerate(parts)
                         if any(m in clean_text(part) for m in markers))
            continue
        cleaned = clean_text(joined)
        hits = [m for m in markers if m in cleaned]
        matches = list(islice(re.finditer("|".join(map(re.escape, hits)), cleaned), 64)) \
            if hits else []
        if len(matches) < 64:  # a few 合计 rows: count the cells before each
            found.update(at[cleaned.count("\0", 0, m.start())] for m in matches)
        else:
            found.update(at[k] for k, text in enumerate(cleaned.split("\0"))
                         if any(m in text for m in hits))
    return found


def _column(rows: list[list[object]], j: int) -> list[object]:
    try:
        return [r[j] for r in rows]
    except IndexError:  # a short row (CSV, HTML): the missing cells are blank
        return [r[j] if j < len(r) else "" for r in rows]


# (body position, phase, order within the phase, column index, message): sorted, the
# problems read row by row as a clerk fixes them, in the order cell-by-cell checks found them.
Found = list[tuple[int, int, int, int, str]]


def _read_columns(rows: list[list[object]], excel_rows: list[int], identity: dict[str, int], plans: dict[str, Plan],
                  rules: RuleSet) -> tuple[dict[str, Block], Found]:
    found: Found = []
    texts: dict[str, list[str]] = {}
    bad: set[int] = set()
    for order, (key, j) in enumerate(identity.items()):
        texts[key], got = identity_column(key, _column(rows, j))
        found += [(pos, 0, order, j, message) for pos, message in got]
        bad.update(pos for pos, _ in got)
    accepted = "、".join(rules.tables)
    members: dict[str, list[int]] = {c: [] for c in plans}
    first_row: dict[str, int] = {}
    ids, categories = texts["id"], texts["category"]
    for pos, category in enumerate(categories):
        if pos in bad:
            continue
        if category not in plans:
            found.append((pos, 1, 0, identity["category"],
                          f"未知类别「{category}」；可用类别：{accepted}"))
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
            columns[(item_id, role)], got = figure_column(_column(picked, j), role,
                                                          rules.export.blank_is_zero)
            found += [(positions[i], 2, order, j, message) for i, message in got]
        # Manager.row holds the body position until _read_grid turns it into the Excel row.
        blocks[category] = Block(category, [Manager(ids[p], names[p], branches[p], category, p)
                                            for p in positions], columns)
    return blocks, found


def _check_totals(totals: list[tuple[int, list[object]]], blocks: dict[str, Block],
                  plans: dict[str, Plan], headers: list[str],
                  at: Callable[..., Problem], count: int) -> list[Problem]:
    """A 合计 row with figures must equal the sum of the rows read: else rows went missing.

    The sums come from the figures already parsed, not from the cells a second time.
    """
    grand = [(n, r) for n, r in totals
             if any(clean_text(c) in ("合计", "总计") for c in r[:6])]
    if len(grand) != 1:
        return []
    excel_row, total_row = grand[0]
    sums: dict[int, Decimal] = {}
    for category, block in blocks.items():
        for key, j in plans[category].columns.items():
            column = block.columns[key]
            sums[j] = sums.get(j, Decimal(0)) + sum(filter(None, column), Decimal(0))
    problems = []
    for j, summed in sorted(sums.items()):
        if j >= len(total_row) or clean_text(total_row[j]) == "" or "率" in headers[j]:
            continue
        try:
            stated = parse_decimal(total_row[j], percent=True)
        except ValueError:
            continue
        places = Decimal(1).scaleb(stated.as_tuple().exponent)  # type: ignore[arg-type]
        if summed.quantize(places) != stated:
            problems.append(at(f"合计行为 {stated}，但读到的 {count} 行之和为 {summed}；"
                               "文件可能缺行、有隐藏或多余的行，或合计行未重新计算",
                               row=excel_row, column=headers[j]))
    return problems
