"""Grades 一级/二级/三级 over a window of stored months (SPEC §5.1; 第五、六、八、九、十六条).

Pure: takes each CM's totals over the window and returns one decision per CM.
Totals are integers of hundredths here: a national window holds a million of them,
and an average of whole hundredths rounded half-up in integers is exactly the
Decimal one (SPEC §4.6).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from cmscore.numbers import from_centi

GRADES = ("一级", "二级", "三级")
POOL_CATEGORY = "支行"
QUOTA_1, QUOTA_3 = Decimal("0.3"), Decimal("0.2")


class Seen(NamedTuple):
    """One CM in one month of the window."""

    name: str
    branch: str
    category: str
    total: Decimal


# One CM over the window: id, and name, branch and category from their latest month in it,
# then their total in hundredths for each month of the window (None where not scored).
# A plain tuple: a national window has a hundred thousand of them.
Member = tuple[str, str, str, str, tuple[int | None, ...]]


@dataclass(slots=True)
class Decision:
    id: str
    name: str
    branch: str
    category: str
    grade: str
    reason: str
    totals: tuple[int | None, ...]  # hundredths per month of ``months``; None: not scored
    months: Sequence[str] = field(repr=False)
    average: Decimal | None = None
    rank: int | None = None
    boundary: str = ""  # why a tie across a quota boundary got the better grade
    flags: list[str] = field(default_factory=list)

    @property
    def monthly(self) -> dict[str, Decimal]:
        return {m: from_centi(t) for m, t in zip(self.months, self.totals, strict=True)
                if t is not None}


@dataclass
class Grading:
    months: list[str]
    effective: str
    pool_size: int
    quotas: dict[str, int]
    decisions: list[Decision]
    _counts: tuple[dict[str, int], dict[str, int]] | None = field(default=None, repr=False)

    def counts(self, pool_only: bool = False) -> dict[str, int]:
        if self._counts is None:  # asked for by every output: one pass over the decisions
            every, pool = dict.fromkeys(GRADES, 0), dict.fromkeys(GRADES, 0)
            for d in self.decisions:
                every[d.grade] += 1
                if d.rank is not None:
                    pool[d.grade] += 1
            self._counts = every, pool
        return dict(self._counts[1 if pool_only else 0])


def quotas(n: int) -> dict[str, int]:
    """n1 = round-half-up(0.3N), n3 = round-half-up(0.2N), n2 = the rest (第五条)."""
    n1 = int((QUOTA_1 * n).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    n3 = int((QUOTA_3 * n).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return {"一级": n1, "二级": n - n1 - n3, "三级": n3}


def month_after(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Calendar months from ``first`` to ``last`` inclusive (none when ``first > last``)."""
    out: list[str] = []
    while first <= last:
        out.append(first)
        first = month_after(first)
    return out


def article16(item: str) -> str:
    """How every 第十六条 warning is worded: the regulation leaves the decision (取消客户
    经理资格) to the 领导小组, so cmscore only says the item is touched."""
    return f"触及第十六条第{item}项情形，提请客户经理管理考评领导小组研究"


def window(end: str, months: int) -> list[str]:
    out = [end]
    while len(out) < months:
        year, mon = int(out[0][:4]), int(out[0][5:])
        out.insert(0, f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}")
    return out


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, as ROUND_HALF_UP does."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def hundredths(value: Decimal) -> int:
    """A total as whole hundredths; totals are sums of 2-place points (SPEC §4.6)."""
    scaled = value.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"总分 {value} 不是两位小数")
    return int(scaled)


def grade(months: list[str], seen: dict[str, dict[str, Seen]],
          previous_annual: dict[str, str] | None = None,
          pool_categories: Collection[str] = (POOL_CATEGORY,)) -> Grading:
    """Grade everyone seen in ``months`` (oldest first); ``seen`` is CM → month → Seen.
    Months outside the window count for nothing but the CM's latest name and category.

    ``previous_annual`` (CM → grade of the previous annual grading) enables the 第九条 flag.
    """
    at = {m: i for i, m in enumerate(months)}
    members: list[Member] = []
    for cm_id in sorted(seen):
        by_month = seen[cm_id]
        latest = by_month[max(by_month)]
        totals: list[int | None] = [None] * len(months)
        for m, s in by_month.items():
            if m in at:
                totals[at[m]] = hundredths(s.total)
        members.append((cm_id, latest.name, latest.branch, latest.category, tuple(totals)))
    return grade_members(months, members, previous_annual, pool_categories)


def _flag_bottom(category: str, graded: list[tuple[int, Decision]]) -> None:
    """第十六条第六项 within a category outside the pool: the bottom 20% (the 三级 quota
    of its size) by 12-month average; a tie across the boundary is not flagged, as in
    the pool a tie takes the better grade."""
    above = len(graded) - quotas(len(graded))["三级"]
    ordered = sorted((average for average, _ in graded), reverse=True)
    first: dict[int, int] = {}  # average → its competition rank (ties share the best)
    for position, average in enumerate(ordered, start=1):
        first.setdefault(average, position)
    for average, d in graded:
        if first[average] > above:
            d.flags.append(f"{article16('六')}（年度平均分 {from_centi(average)} 处于{category}"
                           "后20%）")


def grade_members(months: list[str], members: Iterable[Member],
                  previous_annual: dict[str, str] | None = None,
                  pool_categories: Collection[str] = (POOL_CATEGORY,)) -> Grading:
    """Grade ``members`` (in CM id order) over ``months`` (oldest first); the managers of
    ``pool_categories`` (grading.yaml's pool) by quota, the others 一级."""
    n = len(months)
    decisions: list[Decision] = []
    pool: list[tuple[int, str, Decision]] = []  # (−average in hundredths, id, decision)
    fixed: dict[str, str] = {}
    outside: dict[str, list[tuple[int, Decision]]] = {}  # category → (average, decision)
    for cm_id, name, branch, category, totals in members:
        d = Decision(cm_id, name, branch, category, "", "", totals, months)
        decisions.append(d)
        if category not in pool_categories:
            d.grade = "一级"
            d.reason = fixed.get(category) or fixed.setdefault(
                category, f"{category}客户经理固定为一级（第六条）")
            if None not in totals:
                outside.setdefault(category, []).append(
                    (divide_half_up(sum(totals), n), d))  # type: ignore[arg-type]
            continue
        if None not in totals:
            pool.append((-divide_half_up(sum(totals), n), cm_id, d))  # type: ignore[arg-type]
            continue
        d.grade = "三级"
        first = next((i for i, t in enumerate(totals) if t is not None), 0)
        if first > 0 and None not in totals[first:]:
            d.reason = f"新增人员（{months[first]} 起计分，第六条）"
        else:
            missing = [m for m, t in zip(months, totals, strict=True) if t is None]
            d.reason = f"缺少月份 {'、'.join(missing)}，不按少于 {n} 个月平均"
    q = quotas(len(pool))
    pool.sort()
    limit1, limit2 = q["一级"], q["一级"] + q["二级"]
    size = len(pool)
    rank, previous = 0, None
    for position, (negative, _, d) in enumerate(pool, start=1):
        if negative != previous:  # ties share the best rank: 1, 2, 2, 4
            rank, previous = position, negative
        d.average = from_centi(-negative)
        d.rank = rank
        d.grade = "一级" if rank <= limit1 else "二级" if rank <= limit2 else "三级"
        d.reason = f"平均分第 {rank} 名 / {size} 人"
        for limit, better in ((limit1, "一级"), (limit2, "二级")):
            if rank <= limit < position:  # the first boundary crossed is the grade given
                d.boundary = (f"与第 {rank} 名平均分 {d.average} 并列，跨越{better}名额"
                              f"（{limit} 人）分界，按较高等级{better}")
                break
    annual = n == 12
    if annual:
        for _, _, d in pool[size - q["三级"]:]:
            if d.grade == "三级":
                d.flags.append(f"{article16('六')}（年度平均分处于后20%）")
    if annual:
        for category, graded in outside.items():
            _flag_bottom(category, graded)
    if annual and previous_annual is not None:
        good = ("一级", "二级")
        for d in decisions:
            if d.grade in good and previous_annual.get(d.id) in good:
                d.flags.append("连续两年一级/二级，任用优先（第九条）")
    order = {g: i for i, g in enumerate(GRADES)}
    others = sorted((d for d in decisions if d.rank is None),
                    key=lambda d: (order[d.grade], d.id))
    ranked = [d for _, _, d in pool]
    return Grading(months, month_after(months[-1]), size, q, ranked + others)
