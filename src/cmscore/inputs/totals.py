"""The rows of a sheet that are not managers, and the check that every totals row adds up.

Below the header, a row is a manager, a blank, a totals row (合计/总计/小计), or a copy of
the header or of a title row (exports that repeat the page header every 50 rows). Every
totals row with figures is checked against the rows it sums, so that a deleted manager
cannot hide behind a second 合计 row or a 合计 relabelled 小计:

- a row naming a 机构 (in its 机构 cell, or in its marker text: 城东支行小计, 小计（城东支行）)
  sums that 机构's managers; one naming a 类别 (支行小计) that 类别's; naming both, both;
- a 小计 row naming neither sums the managers between the previous totals row and itself;
- any other totals row (合计, 总计, 全行合计) is a grand total and sums every manager read.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from decimal import Decimal
from itertools import compress, islice, repeat
from operator import is_

from cmscore.engine.month import Block, Manager
from cmscore.inputs.cells import column_of
from cmscore.inputs.headers import Plan, normalise_header
from cmscore.inputs.sources import Grid
from cmscore.numbers import clean_name, clean_text, parse_decimal
from cmscore.problems import Problem
from cmscore.rules.ruleset import RuleSet

Rows = list[tuple[int, list[object]]]  # (Excel row, cells)
SUBTOTAL = "小计"
_DECOR = re.compile(r"[\s()（）\[\]【】:：,，、\-—]")


def split_rows(grid: Grid, header: list[object], header_at: int, first_data: int,
               rules: RuleSet) -> tuple[Rows, Rows]:
    """(Excel row, cells) of the manager rows and of the 合计/小计 rows; blank rows and
    repeated header or title rows dropped."""
    rows = grid.rows
    look = Splitter(grid, header, header_at, first_data, rules)
    body: Rows = []
    totals: Rows = []
    last = first_data - 1  # the last row looked at one by one
    for i in _rows_to_look_at(rows, first_data, look.repeated, look.marked):
        if i > last + 1:  # the rows between are manager rows: nothing in them to look at
            body.extend(zip(range(last + 2, i + 1), rows[last + 1:i], strict=True))
            look.skip_next = None
        last = i
        kind = look.kind(i, rows[i])
        if kind:
            (body if kind == "manager" else totals).append((i + 1, rows[i]))
    body.extend(zip(range(last + 2, len(rows) + 1), rows[last + 1:], strict=True))
    return body, totals


class Splitter:
    """What a row below the header is, looked at one by one and in order (a copied header
    row makes the next row a candidate copy of the second header row)."""

    def __init__(self, grid: Grid, header: list[object], header_at: int, first_data: int,
                 rules: RuleSet) -> None:
        self.markers = {clean_text(m) for m in rules.export.total_markers}
        names = [normalise_header(c) for c in header]
        self.id_col, cat_col = (next(j for j, c in enumerate(names) if c in {
            normalise_header(a) for a in rules.export.identity[key]})
            for key in ("id", "category"))
        self.repeated = _Repeats(grid, header_at, first_data, self.id_col, cat_col)
        self.first_data = first_data
        self.marked = _marked_rows(grid.rows[first_data:], self.markers)
        self.skip_next: list[object] | None = None

    def kind(self, i: int, row: list[object]) -> str:
        """「manager」, 「totals」, or "" for a row dropped (blank, a copied header or title)."""
        if _blank(row):
            return ""  # blank: a copied header's second row may still follow
        if self.skip_next is not None and self.repeated.same(row, self.skip_next):
            self.skip_next = None
            return ""
        self.skip_next = None
        if self.repeated.candidate(row):
            copied = self.repeated.of(row)
            if copied is not None:
                self.skip_next = copied
                return ""
        if i - self.first_data not in self.marked:
            return "manager"
        # Markers live in the identity columns, which come first in every export seen.
        texts = [clean_text(c) for c in row[:max(6, self.id_col + 1)]]
        # 合计 / 城东支行小计 / 全行合计 rows; but a row with a 工号 is a manager (王小计).
        markers = self.markers
        has_id = self.id_col < len(texts) and texts[self.id_col] and \
            not any(m in texts[self.id_col] for m in markers)
        if any(t in markers for t in texts[:6]) or \
                (not has_id and any(m in t for t in texts[:6] if t for m in markers)):
            return "totals"
        return "manager"


def _rows_to_look_at(rows: list[list[object]], first_data: int, repeated: _Repeats,
                     marked: set[int]) -> list[int]:
    """The rows below the header that the loop in ``split_rows`` must look at one by one,
    found a column at a time: those that may be blank (no number or ASCII letter or digit
    opening the first cell), a copy of the header or a title and the row after it, or
    hold a totals marker. Every other row is a manager row (100k rows: 0.3 s → 0.05 s)."""
    tail = rows[first_data:]
    look = {first_data + k for k in marked}
    first = column_of(tail, 0)
    if set(map(type, first)) != {float}:
        look.update(first_data + k for k, c in enumerate(first) if type(c) is not float and
                    not (type(c) is str and c[:1].isascii() and c[:1].isalnum()))
    for column in (first, column_of(tail, repeated.id_col)):
        if not repeated.first.isdisjoint(column):
            hits = [first_data + k for k, c in enumerate(column) if c in repeated.first]
            look.update(hits)
            for k in hits:  # the row after it, past blank rows: a copy of the second header row?
                while k + 1 < len(rows):
                    k += 1
                    look.add(k)
                    if not _blank(rows[k]):
                        break
    return sorted(look)


def _blank(row: list[object]) -> bool:
    """Nothing but empty cells (a number in the first cell, 序号, settles it at once)."""
    return (not row or type(row[0]) is not float) and \
        all(c is None or c == "" or (isinstance(c, str) and not clean_text(c)) for c in row)


class _Repeats:
    """The header (one or two rows) and the title rows above it, to recognise a copy.

    A row whose 工号 and 类别 cells hold the header's own words is a repeated header (no
    manager has the 工号 「工号」); with a two-row header, the row after it is skipped too
    when it copies the second header row. A row equal to a title row is a repeated title.
    """

    def __init__(self, grid: Grid, header_at: int, first_data: int, id_col: int,
                 cat_col: int) -> None:
        self.id_col, self.cat_col = id_col, cat_col
        top = grid.rows[header_at]
        self.header = _texts(top)
        self.lower = grid.rows[header_at + 1] if first_data > header_at + 1 else None
        self.titles = [r for r in grid.rows[:header_at] if any(_texts(r))]
        self.first = {r[j] for r in [top, *self.titles] for j in {0, id_col}
                      if j < len(r) and r[j] not in (None, "")}

    def candidate(self, row: list[object]) -> bool:
        return (bool(row) and row[0] in self.first) or \
            (self.id_col < len(row) and row[self.id_col] in self.first)

    def of(self, row: list[object]) -> list[object] | None:
        """The second header row to skip next (or []) when ``row`` copies the header or a
        title; None when it is no copy."""
        texts = _texts(row)
        if all(j < len(texts) and texts[j] == self.header[j] for j in (self.id_col, self.cat_col)):
            return self.lower or []
        if any(_strip(texts) == _strip(_texts(t)) for t in self.titles):
            return []
        return None

    @staticmethod
    def same(row: list[object], other: list[object]) -> bool:
        return bool(other) and _strip(_texts(row)) == _strip(_texts(other))


def _texts(row: list[object]) -> list[str]:
    return [normalise_header(c) for c in row]


def _strip(texts: list[str]) -> list[str]:
    end = len(texts)
    while end and not texts[end - 1]:
        end -= 1
    return texts[:end]


def _marked_rows(rows: list[list[object]], markers: set[str]) -> set[int]:
    """Positions of the rows whose first six cells, cleaned, contain a 合计/小计 marker.

    Each column is cleaned as one text (NFKC and the invisible-character filter act within
    a cell, and U+0000 between cells stops both), not cell by cell: 600k calls took 0.6 s.
    """
    found: set[int] = set()
    # A number or a date prints as ASCII, so only text can hold a Chinese marker.
    text_only = all(not m.isascii() for m in markers)
    for j in range(6):
        cells = column_of(rows, j)
        at: Sequence[int]
        parts: list[str]
        kinds = set(map(type, cells)) if text_only else set()
        if text_only and str not in kinds:
            continue  # numbers (or dates) only: no marker to find
        if text_only and kinds == {str}:  # the usual identity column: every cell text
            at, parts = range(len(cells)), cells  # type: ignore[assignment]
        elif text_only:  # the text cells, found in C loops (a Python step per cell: 0.1 s)
            at = list(compress(range(len(cells)), map(is_, map(type, cells), repeat(str))))
            parts = list(map(cells.__getitem__, at))  # type: ignore[arg-type]
        else:
            at = [k for k, c in enumerate(cells) if type(c) is str or c is not None]
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


def check_totals(totals: Rows, managers: list[Manager], blocks: dict[str, Block],
                 plans: dict[str, Plan], identity: dict[str, int], headers: list[str],
                 rules: RuleSet, at: Callable[..., Problem], header_row: int) -> list[Problem]:
    """Every totals row with figures must equal the sum of the rows it totals: else rows
    went missing, were added, or the total was not recalculated.

    The sums come from the figures already parsed, not from the cells a second time.
    """
    markers = [clean_text(m) for m in rules.export.total_markers]
    aliases = rules.export.category_of()
    groups: dict[tuple[str, str], list[Manager]] = {}
    rows: list[int] = []
    problems: list[Problem] = []
    previous = header_row  # the Excel row of the (last) header row
    for excel_row, cells in totals:
        words = _words(cells, identity, markers)
        sub = any(SUBTOTAL in clean_text(c) for c in cells[:6])
        if words and not groups:  # only a row naming something needs the groups
            for m in managers:  # managers are in row order, and so is every group
                for key in ((m.branch, ""), ("", m.category), (m.branch, m.category)):
                    groups.setdefault(key, []).append(m)
        branch = next((w for w in words if (w, "") in groups), "")
        category = next((aliases.get(w, w) for w in words if ("", aliases.get(w, w)) in groups),
                        "")
        named = (branch, category)
        if branch or category:
            members = groups.get(named, [])
            what = "、".join(f"{k}「{v}」" for k, v in zip(("机构", "类别"), named, strict=True)
                            if v) + "的"
        elif sub:
            rows = rows or [m.row for m in managers]
            members = managers[bisect_right(rows, previous):bisect_left(rows, excel_row)]
            what = f"其上方第 {previous + 1}–{excel_row - 1} 行中的"
        else:
            members, what = managers, "读到的"
        previous = excel_row
        label = "小计" if sub else "合计"
        stated = _stated(cells, headers)
        if not stated:
            continue
        if not members:
            problems.append(at(f"{label}行没有写明机构或类别，其上方（自上一个合计/小计行起）也没有"
                               "客户经理行，无法核对它；这些行可能被删除了。请在该行的机构或类别列"
                               "写明它合计的是哪一组", row=excel_row))
            continue
        sums = _sums(None if members is managers else members, blocks, plans)
        for j, value in stated.items():
            summed = sums.get(j)
            if summed is None:
                continue
            places = Decimal(1).scaleb(value.as_tuple().exponent)  # type: ignore[arg-type]
            if summed.quantize(places) != value:
                problems.append(at(f"{label}行为 {value}，但{what} {len(members)} 行之和为 "
                                   f"{summed}；文件可能缺行、有隐藏或多余的行，或{label}行"
                                   "未重新计算", row=excel_row, column=headers[j]))
    return problems


def _words(cells: list[object], identity: dict[str, int], markers: list[str]) -> set[str]:
    """What a totals row may name a group by: its 机构 and 类别 cells, and the text left
    of a marker cell without the marker and brackets (城东支行小计, 小计（城东支行）)."""
    words = {clean_name(cells[j]) for j in (identity["branch"], identity["category"])
             if j < len(cells)}
    for c in cells[:6]:
        text = clean_text(c)
        if any(m in text for m in markers):
            for m in markers:
                text = text.replace(m, "")
            words.add(_DECOR.sub("", text))
    words.discard("")
    return words


def _stated(cells: list[object], headers: list[str]) -> dict[int, Decimal]:
    """Column → the figure a totals row states, for the columns that hold one (ratios
    are not sums, and text is no figure)."""
    out = {}
    for j, cell in enumerate(cells):
        if j >= len(headers) or "率" in headers[j] or clean_text(cell) == "":
            continue
        try:
            out[j] = parse_decimal(cell, percent=True)
        except ValueError:
            continue
    return out


def _sums(members: list[Manager] | None, blocks: dict[str, Block], plans: dict[str, Plan]
          ) -> dict[int, Decimal]:
    """Column → the sum of the members' figures in it (every block's columns); None: all."""
    by_block: dict[str, list[int] | None] = dict.fromkeys(blocks) if members is None else {}
    for m in members or ():
        by_block.setdefault(m.category, []).append(m.index)  # type: ignore[union-attr]
    sums: dict[int, Decimal] = {}
    for category, positions in by_block.items():
        block = blocks[category]
        for key, j in plans[category].columns.items():
            column = block.columns[key]
            picked = column if positions is None else map(column.__getitem__, positions)
            sums[j] = sums.get(j, Decimal(0)) + sum(filter(None, picked), Decimal(0))
    return sums
