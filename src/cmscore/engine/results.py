"""What `explain` and `diff` find, as values the outputs render (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from cmscore.engine.scoring import ManagerScore


@dataclass
class Explanation:
    id: str
    name: str
    month: str
    category: str
    score: ManagerScore
    stored_total: Decimal
    rules_changed: bool
    grade: dict[str, object] | None = None
    grade_effective: str | None = None
    pay: dict[str, Decimal | str] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class DiffLine:
    id: str
    name: str
    category: str
    old_total: Decimal
    new_total: Decimal
    old_rank: int
    new_rank: int
    old_grade: str | None = None
    new_grade: str | None = None
    old_pay: Decimal | None = None
    new_pay: Decimal | None = None

    @property
    def delta(self) -> Decimal:
        return self.new_total - self.old_total


@dataclass
class Diff:
    months: list[str]
    lines: list[DiffLine]
    graded: bool
    totals: dict[str, Decimal]
