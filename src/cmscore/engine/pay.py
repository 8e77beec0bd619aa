"""Monthly pay, the year-end risk-fund settlement and supervisors' linked pay (SPEC §4.5, §5.2, §5.3).

The risk-fund ledger is per manager (``FundLine``), the leavers' fund included (``Gone``):
its totals are the lines' sums, so each month opens at the previous month's closing.

Pure: amounts are Decimal 元, each rounded once to 0.01 half-up; totals are sums of
rounded amounts, checked to reconcile before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from operator import add, floordiv
from pathlib import Path

from cmscore.engine.grading import GRADES, article16, divide_half_up

# The lines live in ``paylines`` (with their columns); imported from here as before.
from cmscore.engine.paylines import FundLine as FundLine
from cmscore.engine.paylines import FundLines as FundLines
from cmscore.engine.paylines import Leaver as Leaver
from cmscore.engine.paylines import PayLine as PayLine
from cmscore.engine.paylines import PayLines as PayLines
from cmscore.numbers import HUNDRED, ZERO, from_centi, round2, to_centi
from cmscore.rules.files import Payroll

TRANSITION = "过渡期"
NPL_WARNING_RATIO = Decimal("0.01")
NPL_WARNING_MONTHS = 3


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
    warning: str = ""  # a scope with no managers: the policy applied (payroll.yaml)


@dataclass
class Ledger:
    """The risk fund in 元 for the year up to the pay month; closing must equal the rest."""

    opening: Decimal = ZERO
    accrued: Decimal = ZERO
    released: Decimal = ZERO
    forfeited: Decimal = ZERO
    lines: FundLines = field(default_factory=FundLines)  # per manager, leavers included

    @property
    def closing(self) -> Decimal:
        return self.opening + self.accrued - self.released - self.forfeited

    @classmethod
    def of(cls, lines: FundLines) -> Ledger:
        """The sums of the managers' lines: the ledger is theirs, to the 分."""
        opening, accrued, released, forfeited = (from_centi(lines.total(f))
                                                 for f in ("opening_fen", "accrued_fen",
                                                           "released_fen", "forfeited_fen"))
        return cls(opening, accrued, released, forfeited, lines)


@dataclass
class Gone:
    """Who left (``store.leavers``) as of the pay month and of the year's previous stored
    month, and what payroll.yaml's ``leaver_risk_fund`` does with their fund.

    The ledger carries over: a leaver's fund stays in it at the value it had when he
    left (held) until December or until it is 扣收, so each month opens where the last
    one closed. 扣收 on an inference is turned back (a negative 扣收) when the manager
    is scored again: he had not left, and his fund goes on."""

    now: dict[str, Leaver]
    before: dict[str, Leaver]
    policy: str  # hold_to_year_end | forfeit

    def settle(self, fund: FundLines, earlier_of: Callable[[str], int],
               fen: Callable[[int], int], december: bool) -> None:
        """Adds each leaver's line to ``fund``; turns back an earlier 扣收 in it."""
        forfeit = self.policy == "forfeit"
        rule = f"payroll.yaml 的 leaver_risk_fund: {self.policy}"
        # 扣收 under ``forfeit`` is for those who left: a manager on leave keeps his fund.
        taken = {cm for cm, who in self.before.items() if forfeit and who.gone}
        for k in [k for k, cm in enumerate(fund.id) if cm in taken] if taken else ():
            cm = fund.id[k]  # 扣收 when he was first gone: 0 since
            back, fund.opening_fen[k] = fund.opening_fen[k], 0
            fund.forfeited_fen[k] -= back
            fund.note[k] = (f"{self.before[cm].last_month} 后未见于导出，风险金已扣收；本月复又"
                            f"计分，扣收转回 {from_centi(back)} 元")
        for cm in sorted(self.now):
            who = self.now[cm]
            value = 0 if cm in taken else fen(earlier_of(cm))
            if not value:  # nothing accrued, or 扣收 in an earlier month already
                continue
            line = FundLine(cm, who.name, who.branch, who.category, value, leaver=who)
            if who.on_leave and not december:
                line.note = f"{who.note}；风险金暂存，休假不视为离职"
            elif (forfeit and who.gone) or december:
                line.forfeited_fen = value
                why = "" if forfeit else "无 12 月考核，无法确认年末无不良，"
                line.note = f"{who.note}；{why}风险金扣收（{rule}），{LEADERS}"
            else:
                line.note = f"{who.note}；风险金暂存至年末（{rule}）"
            fund.leavers.append(line)


LEADERS = "提请客户经理管理考评领导小组研究"  # 扣收 is theirs to decide (SPEC §10)


def non_pool_grade(payroll: Payroll, graded: bool) -> str:
    """The grade of a manager outside the grade pool: 一级 from his first month (第六条), or
    过渡期 before the first grading when payroll.yaml's non_pool_in_transition keeps it."""
    return TRANSITION if not graded and payroll.non_pool_in_transition == "transition" else "一级"


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
        return f"{article16('五')}（连续 3 个月不良率 ≥ 1%：{shown}）"
    return ""


class Bases:
    """履职绩效工资 per grade as exact integers: base = units / 10^places 元.

    Then base × points / 100 in 分 is units × points-in-hundredths / 10^(places + 2),
    rounded half-up in integers: the same value as in Decimal, without a Decimal per line.
    """

    def __init__(self, payroll: Payroll) -> None:
        self.payroll = payroll
        amounts = [payroll.transition, *(payroll.grades[g] for g in GRADES)]
        exponents = [e for a in amounts if isinstance(e := a.as_tuple().exponent, int)]
        self.places = max([0, *(-e for e in exponents)])
        self.divisor = 10 ** (self.places + 2)
        self._units: dict[str, int] = {}

    def units(self, grade: str) -> int:
        found = self._units.get(grade)
        if found is None:
            found = self._units[grade] = int(base_for(self.payroll, grade).scaleb(self.places))
        return found

    def fen(self, value: int) -> int:
        """A sum of units × hundredths as 分, rounded half-up once."""
        if value >= 0:  # the divisor is even: adding half of it rounds half up
            return (value + self.divisor // 2) // self.divisor
        return divide_half_up(value, self.divisor)

    def fen_column(self, values: list[int]) -> list[int]:
        """``fen`` of each of ``values``, in C loops when none is negative (the usual case:
        a national payroll's columns are 100k values)."""
        if values and min(values) < 0:
            return list(map(self.fen, values))
        return list(map(floordiv, map(add, values, repeat(self.divisor // 2)),
                        repeat(self.divisor)))


def total_of(values: Sequence[int | None]) -> Decimal:
    """The Decimal sum of amounts in 分 where None stands for an unset 0: exactly what
    summing their Decimals from ZERO gives, down to the 0 that has no decimal places."""
    present = [v for v in values if v is not None]
    return from_centi(sum(present)) if present else ZERO


def reconcile(lines: PayLines, supervisors: list[SupervisorLine]) -> dict[str, Decimal]:
    """Totals as exact sums of the rounded lines; the grand total must add up."""
    pays, releases, forfeits = lines.pay_fen, lines.release_fen, lines.forfeit_fen
    totals = {
        "pay": total_of(pays),
        "risk_fund_release": total_of(releases),
        "risk_fund_forfeit": total_of(forfeits),
        "supervisors_pay": sum((s.pay for s in supervisors), ZERO),
    }
    totals["total"] = totals["pay"] + totals["risk_fund_release"] + totals["supervisors_pay"]
    paid = sum(pays) + sum(filter(None, releases)) + \
        sum(to_centi(s.fixed) + to_centi(s.linked) for s in supervisors)
    assert to_centi(totals["total"]) == paid, "pay totals do not reconcile"
    return totals


@dataclass(frozen=True)
class Restatement:
    """A paid month's difference for one CM (due − paid so far, in 分), carried by a later
    payroll: what was paid is never rewritten (补发 when positive, 扣回 when negative)."""

    id: int
    month: str
    cm_id: str
    name: str
    paid_fen: int
    due_fen: int
    difference_fen: int
    reason: str


@dataclass
class PayrollResult:
    month: str
    lines: PayLines
    supervisors: list[SupervisorLine]
    totals: dict[str, Decimal]
    ledger: Ledger
    grading: str | None
    output: Path
    unsettled: list[str]
    restatements: list[Restatement] = field(default_factory=list)
    imports: list[Path] = field(default_factory=list)  # the salary system's import files

    def __post_init__(self) -> None:
        if not isinstance(self.lines, PayLines):  # lines made one at a time (tests)
            self.lines = PayLines.of(self.lines)
