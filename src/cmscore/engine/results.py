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
    # The grade payroll prices the month with when it is not the stored grading's row: a
    # category outside the pool (一级, 第六条) or a manager who joined after the grading
    # (三级); with why.
    in_force: str = ""
    in_force_reason: str = ""
    pay: dict[str, Decimal | str] | None = None
    notes: list[str] = field(default_factory=list)
    # the adjustments in force as stored (asked, applied, reason…), and every one ever made
    adjustments: list[dict[str, object]] = field(default_factory=list)
    adjustment_history: list[dict[str, object]] = field(default_factory=list)
    # 第十六条 events of the twelve months ending with the month, and the warnings they raise
    events: list[dict[str, str]] = field(default_factory=list)
    article16: list[str] = field(default_factory=list)

    @property
    def adjusted_total(self) -> Decimal:
        """The computed total with what the adjustments in force moved."""
        moved = [a["applied"] for a in self.adjustments]
        return self.score.total + sum((m for m in moved if isinstance(m, Decimal)), Decimal(0))


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
    # Over a window: the average of the window's totals and the rank by it in the category.
    old_average: Decimal | None = None
    new_average: Decimal | None = None
    old_average_rank: int | None = None
    new_average_rank: int | None = None

    @property
    def delta(self) -> Decimal:
        return self.new_total - self.old_total

    @property
    def change(self) -> Decimal:
        """What the diff is about: the window average's change, or the month's total's."""
        if self.old_average is not None and self.new_average is not None:
            return self.new_average - self.old_average
        return self.delta


@dataclass
class Diff:
    months: list[str]
    lines: list[DiffLine]
    graded: bool
    totals: dict[str, Decimal]
    # (which: 原规则 / 新规则, directory, file name → SHA-256), for the 运行记录
    rules: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The months compared, as people write them: 2026-10, or 2026-05 至 2026-10."""
        first, last = self.months[0], self.months[-1]
        return first if first == last else f"{first} 至 {last}"


@dataclass
class SummaryLine:
    """One manager over a quarter or a year (第八条, 第十六条第六项 rest on it)."""

    id: str
    name: str
    branch: str
    category: str  # of the latest month scored in the period
    totals: dict[str, Decimal]  # month → total, for the months the manager was scored
    average: Decimal
    rank: int  # by average, within the category
    grades: str  # the grades in effect and their months: 「过渡期（2026-01 至 2026-06）」
    pay: Decimal  # 月度应得工资 paid in the period
    paid_months: int
    risk_fund_points: Decimal  # 风险金计提, points accrued in the period
    released: Decimal  # 风险金发放
    forfeited: Decimal  # 风险金扣收
    flags: list[str] = field(default_factory=list)  # the flags of gradings in the period
    # 补发/扣回 of the period's paid months carried by later payrolls so far: with ``pay``,
    # what the manager was paid for the period (restatements, issue 14).
    restated: Decimal = Decimal(0)


@dataclass
class Summary:
    year: int
    quarter: int | None
    months: list[str]  # scored months of the period
    missing: list[str]  # months of the period not scored (yet)
    lines: list[SummaryLine]
    adjustments: list[str]  # months re-scored, closed, reopened: what changed after the fact

    @property
    def label(self) -> str:
        return f"{self.year} 年第 {self.quarter} 季度" if self.quarter else f"{self.year} 年度"

    @property
    def name(self) -> str:
        return f"summary-{self.year}" + (f"-Q{self.quarter}" if self.quarter else "")


@dataclass(frozen=True)
class Restated:
    """A CM whose stored total in ``month`` changed because an earlier month did (a
    correction's cascade, issue 14)."""

    month: str
    id: str
    old_total: Decimal
    new_total: Decimal
