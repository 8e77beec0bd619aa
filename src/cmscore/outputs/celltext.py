"""Values → the text of a sheet's cells: checked, escaped, shared, a column at a time.

``xlsx.Book`` writes what these return. Text is refused where no spreadsheet should carry
it (control characters, over-long cells) and escaped once per distinct value; Chinese text
of large sheets goes to the shared-strings table; numbers are the exact text of their
Decimal, never through a float.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import Any, TypeVar, cast

from cmscore.numbers import from_centi

MAX_CELL = 32767
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ALLOWED = bytes(range(0x20, 0x80)) + b"\t\n\r"  # the ASCII a cell may hold


def has_control(text: str) -> bool:
    """Whether ``text`` holds a character ``_CONTROL`` finds: its ASCII kept (the control
    characters are ASCII) less what a cell may hold, and U+FFFE/U+FFFF looked for. A
    regular expression's character class walks a 明细 block's 2.4M characters of
    sentences in ≈ 20 ms; these scans in C, ≈ 3 ms."""
    return bool(text.encode("ascii", "ignore").translate(None, _ALLOWED)) or \
        "\ufffe" in text or "\uffff" in text


def _needs_escape(text: str) -> bool:
    """Whether ``escape`` would change ``text``'s &, < or > (three C scans of it)."""
    return "&" in text or "<" in text or ">" in text


def escape(text: str, entities: dict[str, str] | None = None) -> str:
    """``xml.sax.saxutils.escape``, the same replacements in the same order, without its
    import: xml.sax.saxutils pulls in urllib.request, http.client and ssl (≈ 15 ms of
    every command's start)."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for entity, replacement in (entities or {}).items():
        text = text.replace(entity, replacement)
    return text


def check_text(value: str) -> str:
    """Refuse text no spreadsheet should carry: control characters, over-long cells."""
    if len(value) > MAX_CELL:
        raise ValueError(f"文字超过 Excel 单元格上限 {MAX_CELL} 字符：{value[:20]}…")
    if _CONTROL.search(value):
        raise ValueError(f"文字含控制字符：{value[:40]!r}")
    return value


def cell(ref: str, style: int, value: str, form: str = "number") -> str:
    """One cell's markup, its value already cell text: ``form`` is "inline" (text),
    "shared" (an index into the shared strings) or "number". ``ref`` and ``value`` may
    be template slots."""
    if form == "inline":
        return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{value}'
                "</t></is></c>")
    if form == "shared":
        return f'<c r="{ref}" s="{style}" t="s"><v>{value}</v></c>'
    return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'


def text_cell(ref: str, value: str, style: int) -> str:
    return cell(ref, style, escape(check_text(value)), "inline")


def number(value: Decimal | int) -> str:
    """Exact decimal text; an exponent form (1E+3) is a valid xsd:double for Excel too."""
    text = str(value)
    if text[-1] in "nN":  # NaN, sNaN, Infinity: never a figure
        raise ValueError(f"不能写入非有限数 {value}")
    return text


def centi_text(value: int) -> str:
    """The cell text of a figure stored in hundredths (fen, centi-points): its exact
    two-place Decimal's text, as ``number`` writes it. With ``numbers.ByValue`` a column's
    texts are made once per distinct value and handed over as ``Figures``."""
    return number(from_centi(value))


class Blocks:
    """A sheet's rows given a block at a time as columns (each block: one list per
    column, all of its length), for ``Book.sheet``: how a national month is built."""

    def __init__(self, blocks: Iterable[list[list[Any]]]) -> None:
        self.blocks = blocks

    def __iter__(self) -> Iterator[list[list[Any]]]:
        return iter(self.blocks)


class Figures(list[str | None]):
    """A number column given as its cells' exact text already (None for a blank): a writer
    that formats each distinct value once (``grades``: a year's month totals, 1.2M cells of
    a few thousand values) hands the text over instead of the numbers."""


S = TypeVar("S", bound=Sequence[Any])  # rows, or a range of positions
BLOCK_ROWS = 4096


def column_blocks(rows: S, columns: Callable[[S], list[list[Any]]]
                  ) -> Iterator[list[list[Any]]]:
    """``columns`` of ``rows`` BLOCK_ROWS at a time: a national sheet's columns all at
    once would add ~60 MB to the forked writer (``aside``). ``rows`` may be a ``range``
    of positions, for lines kept as columns (``payroll``)."""
    yield from map(columns, cut_every(rows, BLOCK_ROWS))


def block_makers(rows: S, columns: Callable[[S], list[list[Any]]], size: int
                 ) -> tuple[list[Callable[[], list[list[Any]]]], list[int]]:
    """``column_blocks`` made when called: ``columns`` of each ``size`` rows of ``rows``
    (each process of a forked run makes the blocks it renders: ``sheetparts``), and each
    block's number of rows."""
    parts = list(cut_every(rows, size))
    return [partial(columns, part) for part in parts], list(map(len, parts))


def cut_every(rows: S, size: int) -> Iterator[S]:
    """``rows`` cut every ``size``, each when asked: a list's slices are lists, a range's
    ranges (the blocks of a sheet, of the JSON document, of 明细's last rows)."""
    return (cast(S, rows[k:k + size]) for k in range(0, len(rows), size))


def row_tuples(columns: list[Any], n: int) -> Iterable[tuple[Any, ...]]:
    """The rows of a block's ``columns`` as tuples; ``n`` empty ones when it has none."""
    return zip(*columns, strict=True) if columns else repeat((), n)


class Escaped(dict[str, str | None]):
    """Text → its escaped cell text (checked once); "" is a blank cell (None). Names,
    branches and notes repeat down a sheet; unique text (工号) is kept only up to a bound."""

    def __init__(self) -> None:
        super().__init__({"": None})

    def __missing__(self, key: str) -> str:
        value = escape(check_text(key))
        if len(self) < 65536:
            self[key] = value
        return value


class Shared(dict[str, str | None]):
    """The workbook's shared strings: text → its index as cell text; "" is a blank cell.

    Chinese text written inline makes every row a two-byte string to format and to encode;
    as an index into this table the rows stay ASCII, and each name or reason is stored once.
    """

    def __init__(self) -> None:
        super().__init__({"": None})
        self.texts: list[str] = []

    def __missing__(self, key: str) -> str:
        value = self[key] = str(len(self.texts))
        self.texts.append(escape(check_text(key)))
        return value

    def extend(self, texts: Iterable[str]) -> None:
        """Every one of ``texts`` the table lacks, in order of first appearance, checked
        and escaped all at once: a national sheet's 100k names one at a time took 0.3 s."""
        new = [t for t in dict.fromkeys(texts) if t not in self]
        joined = "".join(new)
        if has_control(joined) or max(map(len, new), default=0) > MAX_CELL:
            for text in new:  # refused by name, as one at a time
                self[text]
            return
        start = len(self.texts)
        self.update(zip(new, map(str, range(start, start + len(new))), strict=True))
        self.texts += map(escape, new) if _needs_escape(joined) \
            else new


_BLANK = type(None)
PROSE = 64  # characters a cell on average: a column of longer, mostly distinct texts is prose


def column_texts(column: list[Any], text: bool, escaped: Escaped, shared: Shared
                 ) -> tuple[list[str | None], bool] | None:
    """Every value's cell text (None for a blank) and whether they index the shared
    strings (text other than ASCII does); None when a value is of a type only
    ``xlsx.Book._rows`` knows what to do with."""
    if type(column) is Figures and not text:
        return column, False
    kinds = set(map(type, column))
    if text:
        if not kinds <= {str, _BLANK}:
            return None
        joined = "".join(filter(None, column))
        if joined.isascii() and _as_is(joined, column):  # 工号 and codes: nothing to escape
            if _BLANK not in kinds and "" not in column:
                return list(column), False
            return [v or None for v in column], False
        if len(joined) > PROSE * len(column) and 2 * len(set(column)) > len(column):
            # Prose, each row its own (明细's 计分说明): inline, as nothing repeats to share;
            # in the table, a national month's 100k sentences stayed in memory to the end.
            if _BLANK not in kinds and "" not in column and not has_control(joined) \
                    and max(map(len, column)) <= MAX_CELL:  # nothing to refuse: one look
                if _needs_escape(joined):  # 「< 1%」 in a tier
                    return _escaped_prose(column), False  # type: ignore[return-value]
                return list(column), False
            return [escape(check_text(v)) if v else None for v in column], False
        lookup = escaped if joined.isascii() else shared
        if _BLANK in kinds:
            return [None if v is None else lookup[v] for v in column], lookup is shared
        return list(map(lookup.__getitem__, column)), lookup is shared
    if not kinds <= {Decimal, int, _BLANK}:
        return None
    out: list[str | None] = list(map(str, column)) if _BLANK not in kinds else \
        [None if v is None else str(v) for v in column]
    if Decimal in kinds:  # NaN, sNaN, Infinity: never a figure (and only they print an n)
        printed = "".join(filter(None, out))
        if "n" in printed or "N" in printed:
            bad = next(v for v in column if type(v) is Decimal and not v.is_finite())
            raise ValueError(f"不能写入非有限数 {bad}")
    return out, False


def _as_is(joined: str, column: list[str | None]) -> bool:
    """Whether every text of ``column`` (``joined`` is all of them) is its own cell text:
    one look at the whole column instead of escaping and checking each value."""
    return not (_needs_escape(joined) or has_control(joined)) \
        and max(map(len, filter(None, column)), default=0) <= MAX_CELL


def _escaped_prose(column: list[str]) -> list[str]:
    """Every text of ``column`` escaped, at once: no text holds a NUL (a control character)
    to split on. A column whose every text is its row of ``parts`` joined by "\\n"
    (``layout.Joined``, 明细's 计分说明) has only the parts that need it escaped (one
    item's tier 「< 1%」 of eleven) and is joined again: escaping a character never
    depends on its neighbours, so the texts are the same."""
    parts: list[list[str]] | None = getattr(column, "parts", None)
    if not parts or len(parts) < 2:
        return escape("\x00".join(column)).split("\x00")
    escaped = []
    for part in parts:
        joined = "\x00".join(part)
        escaped.append(escape(joined).split("\x00")
                       if _needs_escape(joined) else part)
    return list(map("\n".join, zip(*escaped, strict=True)))

