"""Manual adjustments (调整、申诉) applied on top of a month's computed points (issue 16).

Pure: the month is scored first, exactly as the export gives it; each adjustment then
moves one item's points (kept within the item's [0, 高限]) or the total (kept at or above
0), and the month is ranked again. What each adjustment really moved is returned beside
the request, so the computed figure, the adjustment and the result can always be shown
and added up (``reconcile``).
"""

from __future__ import annotations

from decimal import Decimal

from cmscore.engine.adjustrecords import TOTAL, Adjustment, Applied, NewAdjustment
from cmscore.engine.scoring import Frame, MonthScores, rank_month
from cmscore.numbers import ZERO, to_centi

__all__ = ["TOTAL", "Adjustment", "Applied", "NewAdjustment", "adjustment_points", "apply",
           "reconcile"]

def _where(scores: MonthScores) -> dict[str, tuple[Frame, int]]:
    return {m.id: (frame, i) for frame in scores.frames for i, m in enumerate(frame.managers)}


def apply(scores: MonthScores, adjustments: list[Adjustment]) -> list[Applied]:
    """Apply ``adjustments`` (of ``scores.month``, in id order) to the month's frames, rank
    again, and record on ``scores.adjustments`` what each moved. Returns those that could
    not apply (the manager or the item is not in the month), which stay stored and are
    reported, never dropped."""
    if not adjustments:  # the usual month: nothing moves (a national one: 0.1 s of lookups
        scores.adjustments = {}  # and sums before the fork, for an assertion that holds)
        return []
    where = _where(scores)
    computed = sum(to_centi(t) for frame in scores.frames for t in frame.totals)
    unapplied: list[Applied] = []
    scores.adjustments = {}
    for adj in sorted(adjustments, key=lambda a: a.id):
        got = _apply_one(where, adj)
        scores.adjustments.setdefault(adj.cm_id, []).append(got)
        if got.missing:
            unapplied.append(got)
    if adjustments:
        rank_month(scores)
    reconcile(scores, computed)
    return unapplied


def _apply_one(where: dict[str, tuple[Frame, int]], adj: Adjustment) -> Applied:
    found = where.get(adj.cm_id)
    if found is None:
        return Applied(adj, ZERO, f"{adj.month} 没有工号 {adj.cm_id} 的计分记录，调整未生效",
                       missing=True)
    frame, row = found
    old_total = frame.totals[row]
    if adj.item == TOTAL:
        new_total = max(old_total + adj.points, ZERO)
        frame.totals[row] = new_total
        note = "" if new_total == old_total + adj.points else "总分不能低于 0，按 0 计"
        return Applied(adj, new_total - old_total, note)
    column = frame.items.get(adj.item)
    if column is None:
        return Applied(adj, ZERO, f"类别 {frame.table.category} 的计分表中没有项目 {adj.item}"
                                  "（规则或类别已变），调整未生效", missing=True)
    item = column.item
    old = column.points[row]
    low, high = min(ZERO, old), max(item.cap, old)
    bounded = min(max(old + adj.points, low), high)
    # nor below a total of 0, where a 总分 adjustment may have taken it already
    new = max(bounded, old - old_total) if old_total >= 0 else bounded
    column.points[row] = new
    moved = new - old
    for group in frame.table.groups:
        if any(i.id == item.id for i in group.items):
            frame.groups[group.id][row] += moved
    frame.totals[row] = old_total + moved
    note = "" if moved == adj.points else \
        f"总分不能低于 0，{item.name}实际调整 {moved} 分" if new != bounded else \
        f"{item.name}得分须在 0 至高限 {item.cap} 分之间，实际调整 {moved} 分"
    return Applied(adj, moved, note)


def reconcile(scores: MonthScores, computed_cp: int) -> None:
    """The month's computed points plus what the adjustments moved are its totals."""
    moved = sum(to_centi(a.applied) for applied in scores.adjustments.values() for a in applied)
    total = sum(to_centi(t) for frame in scores.frames for t in frame.totals)
    assert computed_cp + moved == total, "adjusted totals do not reconcile"


def adjustment_points(scores: MonthScores, cm_id: str) -> Decimal:
    """What the adjustments moved for one manager this month (the 调整 column)."""
    return sum((a.applied for a in scores.adjustments.get(cm_id, [])), ZERO)
