"""Export cells → typed values, a column at a time.

A national month is a million and a half cells; the checks are the same as cell by
cell (every problem kept, with its row), but a column of plain spreadsheet numbers
takes the short way: no text clean-up, a repeated value parsed once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from functools import partial
from itertools import compress, repeat
from math import isfinite
from operator import is_, is_not, itemgetter, not_
from typing import cast

from cmscore.numbers import (
    CONTROLS,
    clean_name,
    clean_text,
    float_decimals,
    float_to_decimal,
    one_each,
    parse_decimal,
    quote,
)

SIGNED_ROLES = {"increase"}  # only net increases may be negative (SPEC §6)
OPTIONAL_ROLES = {"baseline"}  # a blank baseline means "look it up in the store"
IDENTITY_LABELS = {"id": "工号", "name": "姓名", "branch": "机构", "category": "类别"}
_MEMO_MAX = 1 << 16
# What clean_name would remove or change, and what the checks refuse: whitespace of any
# kind, zero-width characters and controls (U+0000 between cells is found separately).
_UNCLEAN = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]|" + CONTROLS.pattern.replace("\x00", "\x01"))

Found = list[tuple[int, str]]  # (position in the column, message)


def _identity(key: str, given: object) -> tuple[str, list[str]]:
    if isinstance(given, float) and not given.is_integer():
        text = repr(given)
    else:
        text = clean_name(given)
    found = []
    if key == "id" and isinstance(given, float) and abs(given) >= 1e15:
        found.append(f"工号 {text} 以数字存储，超过 15 位已丢失精度；请把工号列设为文本后重新导出")
    if CONTROLS.search(text) or len(text) > 200:
        found.append(f"{IDENTITY_LABELS[key]}含控制字符或过长（{len(text)} 字符）")
    if not text:
        found.append(f"{IDENTITY_LABELS[key]}为空")
    return text, found


def identity_column(key: str, values: list[object]) -> tuple[list[str], Found]:
    """工号/姓名/机构/类别 as text; a problem per bad cell."""
    if _clean_texts(values):
        # One object per distinct name or branch (a national month: 100k cells, a few
        # thousand texts), as the cell-by-cell path's memo gives: 16 MB less for a
        # forked run to hold twice. A 工号 is distinct by rule.
        texts: list[str] = values  # type: ignore[assignment]
        return (texts if key == "id" else one_each(texts)), []
    out: list[str] = []
    found: Found = []
    memo: dict[object, tuple[str, list[str]]] = {}
    for i, given in enumerate(values):
        # A plain ASCII 工号 is its own clean form: most of a national month's cells.
        if type(given) is str and given.isascii() and given.isalnum() and len(given) <= 200:
            out.append(given)
            continue
        got = memo.get(given)
        if got is None:
            got = _identity(key, given)
            if len(memo) < _MEMO_MAX:
                memo[given] = got
        out.append(got[0])
        if got[1]:
            found += [(i, message) for message in got[1]]
    return out, found


def fresh_texts(texts: list[str]) -> list[str]:
    """``texts`` as new objects, one per distinct text. CPython returns an arena (1 MiB) to
    the system only when every object in it is gone: a 工号 or 姓名 kept from the sheet's
    cells held the arenas of the whole grid (a national month: 75 MB of freed cells still
    resident at the fork, which the forked writer's pages then count again)."""
    distinct = dict.fromkeys(texts)
    if len(distinct) == len(texts):  # 工号: each its own, copied in one C loop
        return list(map("".join, zip(distinct, repeat(""))))
    copies = {text: "".join((text, "")) for text in distinct}
    return list(map(copies.__getitem__, texts))


def _clean_texts(values: list[object]) -> bool:
    """Whether every cell is text that ``clean_name`` leaves as it is and that passes every
    identity check: the usual column, answered by predicates over the whole column joined
    with U+0000 (a control character, so a cell holding one fails the check) instead of a
    Python step per cell. False sends the column cell by cell, which finds the problems."""
    if not values or set(map(type, values)) != {str}:
        return False
    texts: list[str] = values  # type: ignore[assignment]
    joined = "\0".join(texts)
    # NFKC of the joined text is the join of each cell's (U+0000 never composes);
    # no whitespace, zero-width or control character anywhere means nothing to remove.
    return unicodedata.is_normalized("NFKC", joined) and not _UNCLEAN.search(joined) \
        and joined.count("\0") == len(texts) - 1 and "" not in texts \
        and max(map(len, texts)) <= 200


def figure_column(values: list[object], role: str, blank_is_zero: bool,
                  limit: int | None = None) -> tuple[list[Decimal | None], Found]:
    """A business column as Decimals; blanks per the export rules; ranges checked, and
    no figure beyond ``limit`` either way (``limits.max_figure`` in export.yaml)."""
    quick = _plain_floats(values, role, limit)
    if quick is None and (blank_is_zero or role in OPTIONAL_ROLES):
        quick = _floats_and_blanks(values, role, limit)
    if quick is not None:
        return quick, []
    percent = role == "ratio"
    texts = _plain_texts(values, role, blank_is_zero)
    out, found = (texts, []) if texts is not None else \
        _cell_by_cell(values, role, blank_is_zero, percent)
    present: list[Decimal] = list(filter(partial(is_not, None), out))  # type: ignore[arg-type]
    if not present or _inside(min(present), max(present), role, limit):
        return out, found  # the checks below would find nothing: two C passes instead
    if percent:
        bad = [(i, f"比率 {v} 超出 [0, 100%]") for i, v in enumerate(out)
               if v is not None and not 0 <= v <= 1]
    elif role not in SIGNED_ROLES:
        bad = [(i, f"负数 {v}：户数、金额、余额不能为负（只有净增列可以为负）")
               for i, v in enumerate(out) if v is not None and v < 0]
    else:
        bad = []
    if limit is not None:
        bound = Decimal(limit)
        seen = {i for i, _ in bad}
        bad += [(i, f"{quote(f'{v:f}')}超出上限：export.yaml 的 limits.max_figure 为 {limit:,}；"
                    "请核对数值与单位（万元、户）")
                for i, v in enumerate(out) if v is not None and abs(v) > bound and i not in seen]
    for i, _ in bad:
        out[i] = None
    return out, found + bad


def _inside(low: Decimal, high: Decimal, role: str, limit: int | None) -> bool:
    """Whether every figure from ``low`` to ``high`` passes figure_column's range checks."""
    return (0 <= low and high <= 1 if role == "ratio" else role in SIGNED_ROLES or 0 <= low) \
        and (limit is None or -limit <= low and high <= limit)


def _cell_by_cell(values: list[object], role: str, blank_is_zero: bool, percent: bool
                  ) -> tuple[list[Decimal | None], Found]:
    """Each cell on its own: what any column that no quick path takes is read by."""
    out: list[Decimal | None] = [None] * len(values)
    found: Found = []
    memo: dict[float, Decimal] = {}
    for i, raw in enumerate(values):
        kind = type(raw)
        if kind is float:
            value = memo.get(raw)  # type: ignore[call-overload]
            if value is None:
                try:
                    value = float_to_decimal(raw)  # type: ignore[arg-type]
                except ValueError as exc:
                    found.append((i, f"{quote(raw)}不是数字（{exc}）"))
                    continue
                if len(memo) < _MEMO_MAX:
                    memo[raw] = value  # type: ignore[index]
            out[i] = value
        elif kind is int:
            out[i] = Decimal(raw)  # type: ignore[arg-type]
        elif raw is None or raw == "" or (kind is str and clean_text(raw) == ""):
            if role in OPTIONAL_ROLES:
                continue
            if blank_is_zero:
                out[i] = Decimal(0)
            else:
                found.append((i, "单元格为空"))
        else:
            try:
                out[i] = parse_decimal(raw, percent=percent)
            except ValueError as exc:
                found.append((i, str(exc)))
    return out, found


# Text numbers as parse_decimal reads them unchanged (ASCII digits, a sign, a point), one
# per line: a CSV's column, checked as one joined text.
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_NUMBER_LINES = re.compile(f"{_NUMBER}(?:\n{_NUMBER})*")


def _plain_texts(values: list[object], role: str, blank_is_zero: bool
                 ) -> list[Decimal | None] | None:
    """A column of text numbers (a CSV's: 2415.69, -3, +5) and empty cells where blanks are
    allowed, read as ``parse_decimal`` reads each (it returns ``Decimal(text)`` for such
    text) without a Python step per cell: 0.22 s → 0.03 s for 100k. None when any cell
    needs the cell-by-cell path (a space, a separator, %, full-width digits, a newline)."""
    if not values or set(map(type, values)) != {str}:
        return None
    texts: list[str] = values  # type: ignore[assignment]
    filled = texts
    if "" in texts:
        if not blank_is_zero and role not in OPTIONAL_ROLES:
            return None
        filled = list(filter(None, texts))
    joined = "\n".join(filled)
    if filled and (joined.count("\n") != len(filled) - 1 or not _NUMBER_LINES.fullmatch(joined)):
        return None
    numbers: list[Decimal | None] = list(map(Decimal, filled))
    if filled is texts:
        return numbers
    return _among_blanks(len(texts), compress(range(len(texts)), texts), numbers, role)


def _plain_floats(values: list[object], role: str, limit: int | None
                  ) -> list[Decimal | None] | None:
    """The usual column, every cell a finite spreadsheet number inside its range, converted
    once per distinct value without a Python step per cell (1.1M cells: 2.1 s → 0.3 s);
    None when any cell needs the cell-by-cell look, which then finds the same values."""
    if not values or set(map(type, values)) != {float}:
        return None
    floats: list[float] = values  # type: ignore[assignment]
    # One Decimal per distinct value, as float_decimals gives a column of counts: amounts
    # repeat too (a national month: 170k of 580k figures), and each is 112 bytes a forked
    # run holds twice. Equal floats have one text; ±0 is the first zero, as there.
    distinct = dict.fromkeys(floats)
    # The bounds of the distinct values are the column's (a column of counts: a dozen
    # values, not 100k). Rounding to 15 digits keeps a float inside [0, 1] or [0, ∞), so
    # the exact checks on the Decimals could only find what these find; ±inf fails them,
    # and a NaN, which min and max may not see in any order, makes float_decimals None.
    low, high = min(distinct), max(distinct)
    if not isfinite(low) or not isfinite(high) or \
            (role == "ratio" and not 0 <= low <= high <= 1) or \
            (role not in SIGNED_ROLES and low < 0) or \
            (limit is not None and not -limit <= low <= high <= limit):
        return None
    if len(distinct) == len(floats):
        return cast(list[Decimal | None] | None, float_decimals(floats))
    # None for a NaN, which min and max may not see
    got = float_decimals(list(distinct))
    if got is None:
        return None
    return list(map(dict(zip(distinct, got, strict=True)).__getitem__, floats))


def _floats_and_blanks(values: list[object], role: str, limit: int | None
                       ) -> list[Decimal | None] | None:
    """The usual column of an export whose zero figures are left blank: spreadsheet
    numbers and empty cells ("" or None) only, the numbers in range and the blanks
    allowed (0, or None for an optional role). Read as ``_plain_floats`` reads the numbers
    (a blank among amounts sent every cell down the cell-by-cell path: 0.39 s → 0.07 s
    for 100k); None when any cell needs that path, which then finds the same values."""
    numbers = list(map(is_, map(type, values), repeat(float)))
    at = list(compress(range(len(values)), numbers))
    if len(at) == len(values) or not set(compress(values, map(not_, numbers))) <= {"", None}:
        return None
    floats = _plain_floats(list(compress(values, numbers)), role, limit) if at else []
    if floats is None:
        return None
    return _among_blanks(len(values), at, floats, role)


def _among_blanks(size: int, at: Iterable[int], figures: list[Decimal | None], role: str
                  ) -> list[Decimal | None]:
    """A column of ``size`` cells with ``figures`` at positions ``at`` and the allowed
    blank everywhere else: 0, or None for an optional role (looked up in the store)."""
    out: list[Decimal | None] = [None if role in OPTIONAL_ROLES else Decimal(0)] * size
    for i, value in zip(at, figures, strict=True):
        out[i] = value
    return out


def column_of(rows: list[list[object]], j: int) -> list[object]:
    """Column ``j`` of ``rows``; a short row (CSV, HTML) has blanks for its missing cells."""
    try:
        return list(map(itemgetter(j), rows))
    except IndexError:
        return [r[j] if j < len(r) else "" for r in rows]


def restore_ids(ids: list[str], width: int | None, pattern: str | None) -> tuple[list[str], int,
                                                                                Found]:
    """工号 as export.yaml says they look: an all-digit 工号 shorter than ``width`` gets
    back the leading zeros a spreadsheet dropped (11771 → 011771); one that does not match
    ``pattern`` is a problem naming the leading zeros. Returns the ids, how many were
    padded, and the problems."""
    padded = 0
    # Usually none is short: found by one C pass instead of a Python step per 工号.
    if width is not None and min(map(len, ids), default=width) < width:
        out = []
        for cm in ids:
            if len(cm) < width and cm.isascii() and cm.isdigit():
                cm = cm.zfill(width)
                padded += 1
            out.append(cm)
        ids = out
    found: Found = []
    if pattern is not None:
        shape = re.compile(pattern)
        found = [(i, f"工号{quote(cm)}不符合 export.yaml 的 id_pattern（{pattern}）：常见原因是"
                     "表格软件把工号存成了数字、丢了前导零，或读错了文件；请把工号列设为文本后重新导出，"
                     "或在 export.yaml 设 id_width 补足前导零")
                 for i, cm in enumerate(ids) if cm and not shape.fullmatch(cm)]
    return ids, padded, found
