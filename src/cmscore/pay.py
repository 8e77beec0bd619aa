"""Monthly pay, the year-end risk-fund settlement and supervisors' linked pay (SPEC §4.5, §5.2, §5.3).

Pure: amounts are Decimal 元, each rounded once to 0.01 half-up; totals are sums of
rounded amounts, checked to reconcile before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .numbers import HUNDRED, ZERO, round2
from .rules import Payroll

TRANSITION = "过渡期"
NPL_WARNING_RATIO = Decimal("0.01")
NPL_WARNING_MONTHS = 3


@dataclass
class PayLine:
    id: str
    name: str
    branch: str
    category: str
    grade: str  # 一级/二级/三级, or 过渡期 before any grade is in effect
    grade_note: str
    base: Decimal
    score: Decimal
    pay: Decimal
    risk_fund_release: Decimal = ZERO
    risk_fund_forfeit: Decimal = ZERO
    warnings: list[str] = field(default_factory=list)


@dataclass
class SupervisorLine:
    id: str
    name: str
    title: str
    scope: str
    wage: Decimal
    managers: int
    average: Decimal
    fixed: Decimal
    linked: Decimal
    pay: Decimal


@dataclass
class Ledger:
    """The risk fund in 元 for the year up to the pay month; closing must equal the rest."""

    opening: Decimal = ZERO
    accrued: Decimal = ZERO
    released: Decimal = ZERO
    forfeited: Decimal = ZERO

    @property
    def closing(self) -> Decimal:
        return self.opening + self.accrued - self.released - self.forfeited


def base_for(payroll: Payroll, grade: str) -> Decimal:
    return payroll.transition if grade == TRANSITION else payroll.grades[grade]  # type: ignore[index]


def monthly_pay(base: Decimal, score: Decimal) -> Decimal:
    """月度应得工资 = 履职绩效工资 × 考核得分 / 100 (第十一条(三)), rounded once."""
    return round2(base * score / HUNDRED)


def fund_value(accruals: list[tuple[Decimal, Decimal]]) -> Decimal:
    """Risk-fund points valued month by month at that month's base / 100, rounded once."""
    return round2(sum((base * points / HUNDRED for base, points in accruals), ZERO))


def supervisor_pay(payroll: Payroll, wage: Decimal, average: Decimal) -> tuple[Decimal, Decimal]:
    """第十二条: (fixed part, linked part); the linked share follows the CMs' average score."""
    share = payroll.supervisor_link_share
    fixed = round2(wage * (1 - share))
    linked = round2(wage * share * average / HUNDRED)
    return fixed, linked


def npl_warning(ratios: list[Decimal | None]) -> str:
    """第十六条第五项: new NPL ratio ≥ 1% in each of the last three stored months."""
    last = ratios[-NPL_WARNING_MONTHS:]
    if len(last) == NPL_WARNING_MONTHS and all(r is not None and r >= NPL_WARNING_RATIO
                                               for r in last):
        shown = "、".join(f"{(r or ZERO) * 100:.2f}%" for r in last)
        return f"取消资格预警：连续 3 个月不良率 ≥ 1%（{shown}，第十六条第五项）"
    return ""


def reconcile(lines: list[PayLine], supervisors: list[SupervisorLine]) -> dict[str, Decimal]:
    """Totals as exact sums of the rounded lines; the grand total must add up."""
    totals = {
        "pay": sum((p.pay for p in lines), ZERO),
        "risk_fund_release": sum((p.risk_fund_release for p in lines), ZERO),
        "risk_fund_forfeit": sum((p.risk_fund_forfeit for p in lines), ZERO),
        "supervisors_pay": sum((s.pay for s in supervisors), ZERO),
    }
    totals["total"] = totals["pay"] + totals["risk_fund_release"] + totals["supervisors_pay"]
    assert totals["total"] == sum((p.pay + p.risk_fund_release for p in lines), ZERO) + \
        sum((s.fixed + s.linked for s in supervisors), ZERO), "pay totals do not reconcile"
    return totals
