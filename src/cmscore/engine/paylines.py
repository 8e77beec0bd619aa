"""A month's pay lines and risk-fund lines, one manager each (``PayLine``, ``FundLine``),
and the same lines kept as columns (``PayLines``, ``FundLines``): how ``payroll`` makes,
writes and stores them.

A national payroll is 100k managers: made one object each, its lines and fund lines were
200k objects (≈ 0.1 s before the fork, on one core) that every sheet, the salary import
and the store then took apart again a field at a time. As columns, each field is one list
from ``pay_lines`` to the workbook, the JSON document and the store; a ``PayLine`` or
``FundLine`` is made only where one manager's line is asked for (``lines[k]``, or
iterating the columns: tests, a reader of a few lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from operator import add, attrgetter, sub
from typing import Any

from cmscore.numbers import ZERO, from_centi


@dataclass(slots=True)
class PayLine:
    """One CM's pay; amounts in hundredths (分, points), as Decimal through the properties.

    A national payroll is a hundred thousand lines: integers add and store without
    rounding again, and the Decimal of a value is made only where it is shown.
    """

    id: str
    name: str
    branch: str
    category: str
    grade: str  # 一级/二级/三级, or 过渡期 before any grade is in effect
    grade_note: str
    base: Decimal
    score_cp: int
    pay_fen: int
    release_fen: int | None = None  # None: not released this month (shown as 0)
    forfeit_fen: int | None = None  # None: not forfeited this month
    warnings: list[str] = field(default_factory=list)

    @property
    def score(self) -> Decimal:
        return from_centi(self.score_cp)

    @property
    def pay(self) -> Decimal:
        return from_centi(self.pay_fen)

    @property
    def risk_fund_release(self) -> Decimal:
        return ZERO if self.release_fen is None else from_centi(self.release_fen)

    @property
    def risk_fund_forfeit(self) -> Decimal:
        return ZERO if self.forfeit_fen is None else from_centi(self.forfeit_fen)


@dataclass(frozen=True)
class Leaver:
    """A manager with risk fund accrued this year who is not scored in the pay month, as
    of his last scored month; ``source`` says how cmscore knows he left."""

    id: str
    name: str
    branch: str
    category: str
    last_month: str
    source: str = "据导出推断"  # or 花名册 (cmscore roster), which comes first
    left_on: str = ""  # the roster's 离职日期
    on_leave: str = ""  # the pay month, when the roster has him on leave (休假) in it

    @property
    def note(self) -> str:
        if self.on_leave:
            return f"休假（{self.source}：{self.on_leave} 休假）"
        if self.left_on:
            return f"已离职（{self.source}：离职日期 {self.left_on}）"
        return f"已离职（{self.source}：{self.last_month} 后未见于导出）"

    @property
    def gone(self) -> bool:
        """He left (or is taken to have left), as against away on leave."""
        return not self.on_leave


@dataclass(slots=True)
class FundLine:
    """One manager's risk fund in the pay month, in 分: closing = opening + accrued −
    released − forfeited (扣收; negative when an earlier 扣收 is turned back)."""

    id: str
    name: str
    branch: str
    category: str
    opening_fen: int
    accrued_fen: int = 0
    released_fen: int = 0
    forfeited_fen: int = 0
    note: str = ""
    leaver: Leaver | None = None

    @property
    def closing_fen(self) -> int:
        return self.opening_fen + self.accrued_fen - self.released_fen - self.forfeited_fen


PAY_FIELDS = ("id", "name", "branch", "category", "grade", "grade_note", "base", "score_cp",
              "pay_fen", "release_fen", "forfeit_fen")


class PayLines:
    """Every manager's ``PayLine`` as columns, one list per field (``PAY_FIELDS``) in the
    lines' order; ``warnings`` only for the lines that have some (position → texts)."""

    __slots__ = (*PAY_FIELDS, "warnings")

    id: list[str]
    name: list[str]
    branch: list[str]
    category: list[str]
    grade: list[str]
    grade_note: list[str]
    base: list[Decimal]
    score_cp: list[int]
    pay_fen: list[int]
    release_fen: list[int | None]
    forfeit_fen: list[int | None]
    warnings: dict[int, list[str]]

    def __init__(self, *columns: list[Any], warnings: dict[int, list[str]] | None = None
                 ) -> None:
        for name, column in zip(PAY_FIELDS, columns or ([] for _ in PAY_FIELDS), strict=True):
            setattr(self, name, column)
        self.warnings = warnings if warnings is not None else {}

    @classmethod
    def of(cls, lines: Iterable[PayLine]) -> PayLines:
        """Lines made one at a time (tests, a handful of managers) as columns."""
        lines = list(lines)
        return cls(*(list(map(attrgetter(f), lines)) for f in PAY_FIELDS),
                   warnings={k: p.warnings for k, p in enumerate(lines) if p.warnings})

    def __len__(self) -> int:
        return len(self.id)

    def __getitem__(self, k: int) -> PayLine:
        """One manager's line (its warnings the same list as the columns')."""
        k = range(len(self.id))[k]
        return PayLine(self.id[k], self.name[k], self.branch[k], self.category[k],
                       self.grade[k], self.grade_note[k], self.base[k], self.score_cp[k],
                       self.pay_fen[k], self.release_fen[k], self.forfeit_fen[k],
                       self.warnings.setdefault(k, []))

    def __iter__(self) -> Iterator[PayLine]:
        return map(self.__getitem__, range(len(self.id)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PayLines):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in PAY_FIELDS) and \
            {k: w for k, w in self.warnings.items() if w} == \
            {k: w for k, w in other.warnings.items() if w}

    def warning_texts(self) -> list[str]:
        """The 预警 column: each line's warnings joined, "" where none."""
        texts = [""] * len(self.id)
        for k, said in self.warnings.items():
            texts[k] = "；".join(said)
        return texts


FUND_FIELDS = ("id", "name", "branch", "category", "opening_fen", "accrued_fen",
               "released_fen", "forfeited_fen", "note")


class FundLines:
    """The risk-fund ledger's lines: the managers paid this month as columns (one list per
    field of ``FUND_FIELDS``), then the leavers as ``FundLine`` objects (a few)."""

    __slots__ = (*FUND_FIELDS, "leavers")

    id: list[str]
    name: list[str]
    branch: list[str]
    category: list[str]
    opening_fen: list[int]
    accrued_fen: list[int]
    released_fen: list[int]
    forfeited_fen: list[int]
    note: list[str]
    leavers: list[FundLine]

    def __init__(self, *columns: list[Any]) -> None:
        for name, column in zip(FUND_FIELDS, columns or ([] for _ in FUND_FIELDS),
                                strict=True):
            setattr(self, name, column)
        self.leavers = []

    @classmethod
    def of(cls, lines: Iterable[FundLine]) -> FundLines:
        """Lines made one at a time as columns (the leavers among them kept as lines)."""
        lines = list(lines)
        paid = [line for line in lines if line.leaver is None]
        out = cls(*(list(map(attrgetter(f), paid)) for f in FUND_FIELDS))
        out.leavers = [line for line in lines if line.leaver is not None]
        return out

    def __len__(self) -> int:
        return len(self.id) + len(self.leavers)

    def __iter__(self) -> Iterator[FundLine]:
        return chain(map(FundLine, *(getattr(self, f) for f in FUND_FIELDS)), self.leavers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FundLines):
            return NotImplemented
        return list(self) == list(other)

    def closing_fen(self) -> list[int]:
        """The managers' closing balances (not the leavers')."""
        return list(map(sub, map(sub, map(add, self.opening_fen, self.accrued_fen),
                                 self.released_fen), self.forfeited_fen))

    def total(self, name: str) -> int:
        """The sum of a field over every line, leavers included."""
        return sum(getattr(self, name)) + sum(getattr(f, name) for f in self.leavers)
