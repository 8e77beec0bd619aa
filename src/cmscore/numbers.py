"""Exact decimal helpers: every score and amount in cmscore goes through here.

No float ever reaches a score: spreadsheet floats are converted through their
15-significant-digit text (what Excel itself shows), never ``Decimal(float)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from itertools import compress, repeat
from operator import eq, is_not
from typing import Generic, TypeVar

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

# ASCII digits only (after NFKC), no exponent: a figure typed by hand, not a formula result.
_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
_PLAIN = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
# Characters that leak into hand-edited cells and are invisible to the eye.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00a0\u3000 \t\r\n"), None)
_ANY_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")


_ROUNDED: dict[Decimal, Decimal] = {}
_ROUNDED_MAX = 200_000


def round2(value: Decimal) -> Decimal:
    """Round half-up to 2 places (SPEC §4.6).

    Results are shared: a national month has a million item points but only a few
    thousand distinct values, so one object each keeps memory flat.
    """
    result = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if not result:
        result = result.copy_abs()  # -0.00 and 0.00 are one value: keep the one staff expect
    if len(_ROUNDED) > _ROUNDED_MAX:
        _ROUNDED.clear()
    return _ROUNDED.setdefault(result, result)


H = TypeVar("H")


def one_each(values: Iterable[H], kept: dict[H, H] | None = None) -> list[H]:
    """``values`` with one object per distinct value (``kept``: the objects already chosen,
    shared across calls). A national month repeats a few thousand names, branches and
    totals a hundred thousand times: one object each is memory a forked run holds once,
    and every later pass reads memory the cache holds."""
    kept = {} if kept is None else kept
    values = values if isinstance(values, list) else list(values)
    return list(map(kept.setdefault, values, values))


def round2_each(values: Iterable[Decimal]) -> list[Decimal]:
    """``round2`` of every value, the quantizing done in a C loop (a national month rounds
    a million item points; one Python call each was a third of scoring)."""
    out = list(map(Decimal.quantize, values, repeat(CENT), repeat(ROUND_HALF_UP)))
    for i in [i for i, signed in enumerate(map(Decimal.is_signed, out)) if signed]:
        if not out[i]:
            out[i] = out[i].copy_abs()
    if len(_ROUNDED) > _ROUNDED_MAX:
        _ROUNDED.clear()
    return one_each(out, _ROUNDED)


def to_centi(value: Decimal) -> int:
    """A Decimal as an integer of hundredths, rounded half up (how the store keeps points
    and 元). Values already of 2 places (nearly all) skip the rounding: a national month
    converts millions of them, and hashing or quantizing costs more than this check."""
    scaled = value.scaleb(2)
    whole = int(scaled)
    return whole if whole == scaled else int(round2(value).scaleb(2))


def decimal_texts(column: Sequence[Decimal | None]) -> list[str | None]:
    """``f"{v:f}"`` for every value of a column (None stays None), at ``str``'s speed: the
    two differ only where ``str`` writes an exponent (1E+16, 1.2E-7), which is rare."""
    out = [None if v is None else str(v) for v in column]
    if "E" in "\0".join(filter(None, out)):
        for k, text in enumerate(out):
            if text is not None and "E" in text:
                out[k] = f"{column[k]:f}"
    return out


K = TypeVar("K")
V = TypeVar("V")


def has_none(values: Iterable[object]) -> bool:
    """Whether ``values`` holds a None, by identity: ``None in values`` asks every Decimal
    whether it equals None, and Decimal asks whether None is a Rational (an ABC check in
    Python, 0.5 µs a value: a national month's columns are a million values)."""
    return not all(map(is_not, values, repeat(None)))


class ByValue(dict[K | None, V | None], Generic[K, V]):
    """A conversion done once per distinct value of a column: counts and points repeat
    a lot. Only for conversions that depend on the value alone, never on how it is
    written (1, 1.0 and 1.00 are one key), so not for text. None stays None."""

    def __init__(self, convert: Callable[[K], V]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, key: K | None) -> V | None:
        value = self[key] = None if key is None else self.convert(key)
        return value


@lru_cache(maxsize=1 << 16)  # stored totals repeat: a few thousand distinct values a month
def from_centi(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def fmt2(value: Decimal) -> str:
    """The JSON/text form of a score or amount: always two places."""
    return str(round2(value))


def clean_text(value: object) -> str:
    """Text as bank staff meant it: NFKC (full-width → half-width), no stray spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    # translate walks every character through a dict: 80 ms over a column joined into one
    # text, where finding that there is nothing to remove takes 2 ms.
    return text.translate(_INVISIBLE) if _ANY_INVISIBLE.search(text) else text


# Characters that steer a terminal or reorder the text around them, and that no name or
# file name needs: C0 and C1 controls (ESC, CSI U+009B), DEL, the line and paragraph
# separators, the bidirectional marks, embeddings, overrides (U+202E) and isolates, and
# U+FFFE/U+FFFF, which no XML may hold (a workbook with one would not be written).
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff]")
_SPACES = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\ufaff]) (?=[\u2e80-\u9fff\uf900-\ufaff])")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def clean_name(value: object) -> str:
    """A name or branch: NFKC, no zero-width characters, spaces kept only between Latin words.

    「张　伟」 (an alignment space) is 张伟; "Zhang  Wei" stays "Zhang Wei".
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH)
    return _CJK_GAP.sub("", _SPACES.sub(" ", text).strip())


def float_to_decimal(value: float) -> Decimal:
    """A spreadsheet float as the number Excel shows (15 significant digits)."""
    got = float_decimals([value])
    if got is None:
        raise ValueError("not a finite number")
    return got[0]


def float_decimals(values: list[float]) -> list[Decimal] | None:
    """Spreadsheet floats as the numbers Excel shows (15 significant digits), or None if
    one is not finite. In C loops only: a column of counts or of mostly 0 is converted
    once per distinct value; a column of amounts, nearly all distinct, as it is (finding
    the distinct values cost more than it saved)."""
    sample = values[:256]
    if len(sample) == 256 and len(set(sample)) > 192:
        got = shortest_decimals(values) or text_decimals(values)
        if got is not None and 0.0 in values:
            # As one value each: every zero is read as the first one (0 or, rarely, -0).
            zero = got[values.index(0.0)]
            for i in compress(range(len(values)), map(eq, values, repeat(0.0))):
                got[i] = zero
        return got
    distinct = list(dict.fromkeys(values))
    decimals = shortest_decimals(distinct) or text_decimals(distinct)
    if decimals is None:
        return None
    return list(map(dict(zip(distinct, decimals, strict=True)).__getitem__, values))


def shortest_decimals(values: list[float]) -> list[Decimal] | None:
    """``text_decimals`` through ``repr`` (a third faster than formatting), for values
    whose shortest round-trip text has at most 15 significant digits and no exponent
    (the figures of an export); None otherwise, and the 15-digit text decides.

    Exact: a double is the nearest one to its shortest text R, and the 15-digit grid is
    coarser than the doubles', so R (at most 15 digits) is also x rounded to 15 digits:
    Excel's text of x, once ``repr``'s 「.0」 of a whole number is dropped (140.0 → 140).
    The Decimal has that text's digits and exponent, not only its value."""
    texts = list(map(repr, values))
    # 15 characters hold at most 15 digits; 「e」 marks an exponent, 「n」 nan and inf.
    if max(map(len, texts), default=0) > 15 or "e" in (joined := "".join(texts)) or \
            "n" in joined:
        return None
    out = list(map(Decimal, texts))
    for i in compress(range(len(values)), map(float.is_integer, values)):
        out[i] = Decimal(texts[i][:-2])
    return out


def text_decimals(values: list[float]) -> list[Decimal] | None:
    """Distinct floats as the Decimals of their 15-significant-digit text, or None if one
    is not finite: the general path, for any float."""
    texts = list(map(format, values, repeat(".15g")))
    seen = "".join(texts)
    if "n" in seen:  # nan, inf
        return None
    decimals = list(map(Decimal, texts))
    if "e" in seen:
        decimals = [d.normalize() if "e" in t else d for t, d in zip(texts, decimals, strict=True)]
    return decimals


QUOTE_MAX = 40


def quote(value: object, limit: int = QUOTE_MAX) -> str:
    """A cell's text in 「」 for a message, cut to ``limit`` characters: a 32 KB cell must
    not fill the terminal. Line breaks and tabs are shown as spaces."""
    text = value if isinstance(value, str) else str(value)
    shown = " ".join(text.split()) if any(c in text for c in "\r\n\t") else text
    if len(shown) <= limit:
        return f"「{shown}」"
    return f"「{shown[:limit]}…」（共 {len(text):,} 字符）"


# A space between two digits or separators: 「1 2」 is 1 and 2, not 12.
_INNER_SPACE = re.compile(r"[0-9.,][\s\u00a0\u3000]+[0-9.,]")
# Non-ASCII characters NFKC may turn into what a number is made of, allowed: full-width
# forms (１２３，．％－＋, SPEC §6) and the spaces and zero-width marks clean_text drops.
_FULL_WIDTH = re.compile("[\uff01-\uff5e" + "".join(map(chr, _INVISIBLE)) + "]")


def _lookalike(text: str) -> str | None:
    """The first character that NFKC would turn into a digit, sign or separator although
    it is none (²: a footnote mark, ①, ₂, ﹐), or None."""
    for ch in _FULL_WIDTH.sub("", text):
        if not ch.isascii() and unicodedata.normalize("NFKC", ch) != ch:
            return ch
    return None


def parse_decimal(value: object, *, percent: bool = False) -> Decimal:
    """Parse one cell into a Decimal or raise ValueError with a reason in Chinese.

    Accepts numbers, text numbers with thousands separators and full-width digits,
    and — only where ``percent`` — a trailing ``%``. Refuses what only NFKC and space
    removal would make a number: 「2²」 (a superscript) is not 22, 「1 2」 is not 12.
    """
    if isinstance(value, bool):
        raise ValueError(f"{quote(value)}是逻辑值，不是数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return float_to_decimal(value)
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{quote(value)}不是数字（{type(value).__name__}）")
    if value.isascii():
        spaced = (" " in value or "\t" in value) and _INNER_SPACE.search(value)
    else:
        odd = _lookalike(value)
        if odd is not None:
            name = unicodedata.name(odd, f"U+{ord(odd):04X}")
            raise ValueError(f"{quote(value)}含有字符「{odd}」（{name}），它看起来像数字或符号"
                             "但不是；请删去它（脚注标记请写在备注列）")
        spaced = _INNER_SPACE.search(unicodedata.normalize("NFKC", value))
    if spaced:
        raise ValueError(f"{quote(value)}的数字之间有空格，无法确定是一个数还是几个数；"
                         "请删去空格或只留一个数")
    text = clean_text(value)
    scale = ZERO
    if text.endswith("%"):
        if not percent:
            raise ValueError(f"{quote(value)}带百分号，但本列不是比率")
        text, scale = text[:-1], Decimal(2)
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _PLAIN.match(text):
        raise ValueError(f"{quote(value)}不是数字")
    try:
        result = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid text
        raise ValueError(f"{quote(value)}不是数字") from exc
    return result.scaleb(-scale) if scale else result
