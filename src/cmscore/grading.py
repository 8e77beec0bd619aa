"""Grades 一级/二级/三级 over a window of stored months (SPEC §5.1; 第五、六、八、九、十六条).

Pure: takes month → CM → (category, total) and returns one decision per CM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .numbers import ZERO, round2
from .scoring import competition_ranks

GRADES = ("一级", "二级", "三级")
POOL_CATEGORY = "支行"
QUOTA_1, QUOTA_3 = Decimal("0.3"), Decimal("0.2")


class Seen(NamedTuple):
    """One CM in one month of the window (a tuple: a 12-month window of a national bank
    holds a million of them)."""

    name: str
    branch: str
    category: str
    total: Decimal


@dataclass
class Decision:
    id: str
    name: str
    branch: str
    category: str
    grade: str
    reason: str
    monthly: dict[str, Decimal]
    average: Decimal | None = None
    rank: int | None = None
    boundary: str = ""  # why a tie across a quota boundary got the better grade
    flags: list[str] = field(default_factory=list)


@dataclass
class Grading:
    months: list[str]
    effective: str
    pool_size: int
    quotas: dict[str, int]
    decisions: list[Decision]

    def counts(self, pool_only: bool = False) -> dict[str, int]:
        return {g: sum(1 for d in self.decisions
                       if d.grade == g and (d.rank is not None or not pool_only))
                for g in GRADES}


def quotas(n: int) -> dict[str, int]:
    """n1 = round-half-up(0.3N), n3 = round-half-up(0.2N), n2 = the rest (第五条)."""
    n1 = int((QUOTA_1 * n).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    n3 = int((QUOTA_3 * n).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {"一级": n1, "二级": n - n1 - n3, "三级": n3}


def month_after(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def window(end: str, months: int) -> list[str]:
    out = [end]
    while len(out) < months:
        year, mon = int(out[0][:4]), int(out[0][5:])
        out.insert(0, f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}")
    return out


def grade(months: list[str], seen: dict[str, dict[str, Seen]],
          previous_annual: dict[str, str] | None = None) -> Grading:
    """Grade everyone seen in ``months`` (oldest first); ``seen`` is CM → month → Seen.

    ``previous_annual`` (CM → grade of the previous annual grading) enables the 第九条 flag.
    """
    decisions: list[Decision] = []
    pool: list[Decision] = []
    for cm_id, by_month in sorted(seen.items()):
        latest = by_month[max(by_month)]
        monthly = {m: by_month[m].total for m in months if m in by_month}
        d = Decision(cm_id, latest.name, latest.branch, latest.category, "", "", monthly)
        decisions.append(d)
        if latest.category != POOL_CATEGORY:
            d.grade, d.reason = "一级", f"{latest.category}客户经理固定为一级（第六条）"
            continue
        missing = [m for m in months if m not in by_month]
        if not missing:
            d.average = round2(sum(monthly.values(), ZERO) / len(months))
            pool.append(d)
            continue
        first = min(by_month)
        if all(m in by_month for m in months if m >= first) and first > months[0]:
            d.grade, d.reason = "三级", f"新增人员（{first} 起计分，第六条）"
        else:
            d.grade = "三级"
            d.reason = f"缺少月份 {'、'.join(missing)}，不按少于 {len(months)} 个月平均"
    q = quotas(len(pool))
    pool.sort(key=lambda d: (-(d.average or ZERO), d.id))
    ranks = competition_ranks([d.average or ZERO for d in pool])
    limit1, limit2 = q["一级"], q["一级"] + q["二级"]
    for position, (d, rank) in enumerate(zip(pool, ranks, strict=True), start=1):
        d.rank = rank
        d.grade = "一级" if rank <= limit1 else "二级" if rank <= limit2 else "三级"
        d.reason = f"平均分第 {rank} 名 / {len(pool)} 人"
        for limit, better in ((limit1, "一级"), (limit2, "二级")):
            if rank <= limit < position:  # the first boundary crossed is the grade given
                d.boundary = (f"与第 {rank} 名平均分 {d.average} 并列，跨越{better}名额"
                              f"（{limit} 人）分界，按较高等级{better}")
                break
    annual = len(months) == 12
    bottom = len(pool) - q["三级"]
    for position, d in enumerate(pool, start=1):
        if annual and d.grade == "三级" and position > bottom:
            d.flags.append("取消资格预警：年度平均分处于后20%（第十六条第六项）")
    if annual and previous_annual is not None:
        for d in decisions:
            if d.grade in ("一级", "二级") and previous_annual.get(d.id) in ("一级", "二级"):
                d.flags.append("连续两年一级/二级，任用优先（第九条）")
    order = {d.id: i for i, d in enumerate(pool)}
    decisions.sort(key=lambda d: (d.id not in order, order.get(d.id, 0),
                                  GRADES.index(d.grade), d.id))
    return Grading(months, month_after(months[-1]), len(pool), q, decisions)
