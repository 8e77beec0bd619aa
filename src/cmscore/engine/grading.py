"""Grades 一级/二级/三级 over a window of stored months (SPEC §5.1; 第五、六、八、九、十六条).

Pure: takes each CM's totals over the window and returns one decision per CM.
Totals are integers of hundredths here: a national window holds a million of them,
and an average of whole hundredths rounded half-up in integers is exactly the
Decimal one (SPEC §4.6).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import compress, repeat
from operator import add, and_, contains, eq, floordiv, gt, is_not, itemgetter, mul, not_
from typing import NamedTuple, TypeVar

from cmscore.engine.staff import Roster
from cmscore.numbers import from_centi
from cmscore.rules.grading import Grading as Policy

T = TypeVar("T")
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
# The same as five columns over the members: ids, names, branches, categories, totals.
Columns = tuple[Sequence[str], Sequence[str], Sequence[str], Sequence[str],
                Sequence[tuple[int | None, ...]]]


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
    basis: str = ""  # how the average was taken when not over every month of the window
    in_n: bool = False  # outside the ranking but counted in N (grading.yaml count_in_n)

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
    # What grading inferred or took from the roster (离职 left out, …), for people to read.
    notes: list[str] = field(default_factory=list)
    rounding: str = "half_up"  # of the quotas (grading.yaml quota_rounding)
    _counts: tuple[dict[str, int], dict[str, int]] | None = field(default=None, repr=False)

    def counts(self, pool_only: bool = False) -> dict[str, int]:
        if self._counts is None:  # asked for by every output: one pass over the decisions
            every, pool = dict.fromkeys(GRADES, 0), dict.fromkeys(GRADES, 0)
            for d in self.decisions:
                every[d.grade] += 1
                if d.rank is not None or d.in_n:
                    pool[d.grade] += 1
            self._counts = every, pool
        return dict(self._counts[1 if pool_only else 0])


def quotas(n: int, rounding: str = "half_up") -> dict[str, int]:
    """n1 = 0.3N, n3 = 0.2N rounded half up (or down, grading.yaml), n2 = the rest (第五条)."""
    mode = ROUND_HALF_UP if rounding == "half_up" else ROUND_DOWN
    n1 = int((QUOTA_1 * n).quantize(Decimal(1), rounding=mode))
    n3 = int((QUOTA_3 * n).quantize(Decimal(1), rounding=mode))
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


def _averages(sums: list[int], n: int) -> list[int]:
    """Each of ``sums`` / ``n`` rounded half up (divide_half_up), in C loops when none is
    negative: (2s + n) // 2n rounds s / n half up for s ≥ 0 (a national pool is 100k)."""
    if min(sums, default=0) < 0:
        return [divide_half_up(total, n) for total in sums]
    return list(map(floordiv, map(add, map(mul, sums, repeat(2)), repeat(n)), repeat(2 * n)))


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
          pool_categories: Collection[str] = (POOL_CATEGORY,),
          policy: Policy | None = None) -> Grading:
    """Grade everyone seen in ``months`` (oldest first); ``seen`` is CM → month → Seen.

    ``previous_annual`` (CM → grade of the previous annual grading) enables the 第九条 flag.
    """
    return grade_members(months, members_of(months, seen), previous_annual, pool_categories,
                         policy)


def members_of(months: list[str], seen: dict[str, dict[str, Seen]]) -> list[Member]:
    """``seen`` (CM → month → Seen) as ``grade_members`` takes them, in CM id order.
    Months outside the window count for nothing but the CM's latest name and category."""
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
    return members


def _flag_bottom(category: str, graded: list[tuple[int, int]],
                 rounding: str = "half_up") -> list[tuple[int, str]]:
    """第十六条第六项 within a category outside the pool: the bottom 20% (the 三级 quota
    of its size) by 12-month average, as (member, flag); a tie across the boundary is not
    flagged, as in the pool a tie takes the better grade."""
    above = len(graded) - quotas(len(graded), rounding)["三级"]
    ordered = sorted((average for average, _ in graded), reverse=True)
    first: dict[int, int] = {}  # average → its competition rank (ties share the best)
    for position, average in enumerate(ordered, start=1):
        first.setdefault(average, position)
    return [(k, f"{article16('六')}（年度平均分 {from_centi(average)} 处于{category}后20%）")
            for average, k in graded if first[average] > above]


def _spans(some: list[str]) -> str:
    """Months as people write them: 2026-01 至 2026-06 when they run on, else listed."""
    if len(some) > 2 and months_between(some[0], some[-1]) == some:
        return f"{some[0]} 至 {some[-1]}"
    return "、".join(some)


def grade_members(months: list[str], members: Iterable[Member],
                  previous_annual: dict[str, str] | None = None,
                  pool_categories: Collection[str] = (POOL_CATEGORY,),
                  policy: Policy | None = None, roster: Roster | None = None,
                  moved: Mapping[str, list[str]] | None = None) -> Grading:
    """Grade ``members`` (in CM id order) over ``months`` (oldest first); the managers of
    ``pool_categories`` (grading.yaml's pool) by quota under ``policy`` (grading.yaml),
    the others 一级. ``roster``: what the 花名册 says (leave months, leavers); ``moved``:
    per CM the months left out because scored in another category."""
    members = list(members)
    columns: Columns = tuple(zip(*members, strict=True)) if members else ((),) * 5  # type: ignore[assignment]
    return grade_table(months, columns,
                       previous_annual, pool_categories, policy, roster, moved)


def grade_table(months: list[str], columns: Columns,
                previous_annual: dict[str, str] | None = None,
                pool_categories: Collection[str] = (POOL_CATEGORY,),
                policy: Policy | None = None, roster: Roster | None = None,
                moved: Mapping[str, list[str]] | None = None) -> Grading:
    """``grade_members`` given the members as five columns (ids, names, branches,
    categories, totals): a national window's read gives columns, and 100k member tuples
    zipped from them only to be unzipped here cost 0.06 s before the fork.

    Everything is decided on lists by member (``k``, its place in the columns) and the
    decisions made last, in the order they are read (rank): made in 工号 order and read
    in rank order, every pass over 100k of them missed the cache at each one."""
    policy = policy or Policy()
    roster, moved = roster or {}, moved or {}
    n = len(months)
    ids, names, branches, categories, totals = columns
    everyone = range(len(ids))
    inside = frozenset(pool_categories)
    complete = list(map(not_, map(contains, totals, repeat(None))))
    # The usual member (in the pool, scored every month, no roster entry) needs nothing
    # more than the average; the others are looked at one by one below.
    usual = list(map(and_, map(inside.__contains__, categories), complete))
    if roster:
        usual = list(map(and_, usual, map(not_, map(roster.__contains__, ids))))
    # The average in hundredths of everyone scored every month.
    full_at = list(compress(everyone, complete))
    sums: list[int] = list(map(sum, map(totals.__getitem__, full_at)))  # type: ignore[arg-type]
    average_of = dict(zip(full_at, _averages(sums, n), strict=True))
    # Per member: −(average in hundredths) if ranked in the pool, else None.
    ranked_at: list[int | None] = [None] * len(ids)
    for k in compress(everyone, usual):
        ranked_at[k] = -average_of[k]
    grade_of: dict[int, str] = {}  # the grade and reason of those outside the ranking
    reason_of: dict[int, str] = {}
    basis_of: dict[int, str] = {}
    short: list[int] = []  # pool managers scored in too few months: 三级
    fixed: dict[str, str] = {}
    outside: dict[str, list[tuple[int, int]]] = {}  # category → (average, member)
    notes: list[str] = []
    left: set[int] = set()  # leavers left out of the grading
    for k in compress(everyone, map(not_, usual)):
        cm_id, name, category, scores = ids[k], names[k], categories[k], totals[k]
        person = roster.get(cm_id)
        if person and person.left_by(months[-1]):
            if not policy.count_in_n.leavers:
                notes.append(f"{cm_id} {name} 离职日期 {person.left}（花名册），不参加定级、不计入参评人数")
                left.add(k)
                continue
            notes.append(f"{cm_id} {name} 离职日期 {person.left}（花名册），按 grading.yaml 的 "
                         "count_in_n.leavers 参加定级、计入参评人数")
        if category not in inside:
            grade_of[k] = "一级"
            reason_of[k] = fixed.get(category) or fixed.setdefault(
                category, f"{category}客户经理固定为一级（第六条）")
            if k in average_of:
                outside.setdefault(category, []).append((average_of[k], k))
            continue
        if k in average_of:  # scored every month, on the roster and still in post
            ranked_at[k] = -average_of[k]
            continue
        missing = [m for m, t in zip(months, scores, strict=True) if t is None]
        leave = [m for m in missing if person and m in person.leave]
        scored = [t for t in scores if t is not None]
        need = max(1, min(policy.required(n), n - len(leave)))
        said = [f"{_spans(moved[cm_id])} 为其他类别，不跨表平均"] if cm_id in moved else []
        if leave:
            said.append(f"休假 {'、'.join(leave)} 不计")
        first = next((i for i, t in enumerate(scores) if t is not None), 0)
        if len(scored) >= need:
            if len(scored) < n:
                # the months before his first are all missing: the rest are gaps
                gaps = [m for m in missing[first:] if m not in leave
                        and m not in moved.get(cm_id, ())]
                basis_of[k] = "；".join([f"按计分的 {len(scored)} 个月平均",
                                         *([f"{months[first]} 起计分"] if first else []),
                                         *said, *([f"未计分 {'、'.join(gaps)}"] if gaps else [])])
            ranked_at[k] = -divide_half_up(sum(scored), len(scored))
            continue
        grade_of[k] = "三级"
        if first > 0 and None not in scores[first:]:
            reason_of[k] = f"新增人员（{months[first]} 起计分，第六条）"
        else:
            reason_of[k] = f"缺少月份 {'、'.join(missing)}，不按少于 {need} 个月平均"
        if said:
            reason_of[k] += f"（{'；'.join(said)}）"
        short.append(k)
    # The pool in order of average, ties by 工号: a stable sort of members in 工号 order.
    at = list(compress(everyone, map(is_not, ranked_at, repeat(None))))
    if any(map(gt, ids, ids[1:])):
        at.sort(key=ids.__getitem__)
    at.sort(key=ranked_at.__getitem__)  # type: ignore[arg-type]  # None for none of ``at``
    size = len(at) + (len(short) if policy.count_in_n.joiners else 0)
    q = quotas(size, policy.quota_rounding)
    ranked = _ranked(list(_gather(ranked_at, at)), q, size,  # type: ignore[arg-type]
                     policy.tie == "all_higher")
    flags_of: dict[int, list[str]] = {}
    annual = n == 12
    if annual:
        bottom = f"{article16('六')}（年度平均分处于后20%）"
        for k in compress(at, map(eq, ranked[2], repeat("三级"))):
            flags_of[k] = [bottom]
        for category, graded in outside.items():
            for k, flag in _flag_bottom(category, graded, policy.quota_rounding):
                flags_of.setdefault(k, []).append(flag)
    order = {g: i for i, g in enumerate(GRADES)}
    others = sorted(grade_of, key=lambda k: (order[grade_of[k]], ids[k]))
    placed, grades = at + others, ranked[2] + list(map(grade_of.__getitem__, others))
    if annual and previous_annual is not None:
        good = ("一级", "二级")
        for k, given in zip(placed, grades, strict=True):
            if given in good and previous_annual.get(ids[k]) in good:
                flags_of.setdefault(k, []).append("连续两年一级/二级，任用优先（第九条）")
    bases = list(map(basis_of.get, placed, repeat("")))
    reasons = ranked[3] + list(map(reason_of.__getitem__, others))
    for p in compress(range(len(at)), bases):
        reasons[p] = f"{reasons[p]}（{bases[p]}）"
    joiners, shorts = policy.count_in_n.joiners, set(short)
    rest = [None] * len(others)
    decisions = list(map(Decision, *(_gather(column, placed)
                                     for column in (ids, names, branches, categories)),
                         grades, reasons, _gather(totals, placed), repeat(months),
                         ranked[0] + rest, ranked[1] + rest, ranked[4] + [""] * len(others),
                         map(list, map(flags_of.get, placed, repeat(()))), bases,
                         [False] * len(at) + [joiners and k in shorts for k in others]))
    return Grading(months, month_after(months[-1]), size, q, decisions, notes,
                   policy.quota_rounding)


def _gather(column: Sequence[T], at: Sequence[int]) -> Sequence[T]:
    """``column``'s items at the positions ``at``, in one C call: a national pool's are
    taken in rank order, by itemgetter twice as fast as by map and ``__getitem__``."""
    return itemgetter(*at)(column) if len(at) > 1 else [column[k] for k in at]


def _ranked(negatives: list[int], q: dict[str, int], size: int, higher: bool
            ) -> tuple[list[Decimal], list[int], list[str], list[str], list[str]]:
    """The pool's average, rank, grade, reason and tie note by position, given each
    position's −(average in hundredths): ties share the best rank (1, 2, 2, 4) and, across
    a quota boundary, the grade of ``higher`` (grading.yaml's tie) or the lower one."""
    limits = ((q["一级"], "一级"), (size - q["三级"], "二级"))
    out: tuple[list[Decimal], list[int], list[str], list[str], list[str]] = (
        [], [], [], [], [""] * len(negatives))
    averages, ranks, grades, reasons, boundaries = out
    # Each run of equal averages, its first and last position, found by dicts in C: the
    # last position a value is at wins. What a run shares is made once for it.
    firsts = dict(zip(reversed(negatives), range(len(negatives), 0, -1), strict=True))
    lasts = dict(zip(negatives, range(1, len(negatives) + 1), strict=True))
    for negative, last in lasts.items():  # in order of position
        first = firsts[negative]
        key = first if higher else last
        given = next((g for limit, g in limits if key <= limit), "三级")
        average, count = from_centi(-negative), last - first + 1
        averages += [average] * count
        ranks += [first] * count
        grades += [given] * count
        reasons += [f"平均分第 {first} 名 / {size} 人"] * count
        across = [(limit, quota) for limit, quota in limits if first <= limit < last]
        for position in range(first, last + 1) if across else ():
            for limit, quota in across:
                if (position > limit) == higher:
                    boundaries[position - 1] = (
                        f"与第 {first} 名平均分 {average} 并列，跨越{quota}名额（{limit} 人）"
                        f"分界，按{'较高' if key == first else '较低'}等级{given}")
                    break
    return out
