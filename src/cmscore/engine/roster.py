"""人员变动: a month's managers against the previous stored month's, by 工号.

The scheme pays people over months (grades, early completion, the risk fund all follow a
工号 from month to month), so a month whose 工号 do not continue the previous month's is
more often a broken file than a new team: a spreadsheet that dropped the leading zeros
(011771 → 11771) makes every manager new, and a wrong file makes a category vanish.
Values only; the store reads the previous month, ``app`` decides what to refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

Person = tuple[str, str, str, str]  # (工号, 姓名, 机构, 类别)


@dataclass
class Change:
    """One manager whose row differs from the previous month's: ``before`` and ``after``
    are None for a new or a gone manager."""

    id: str
    name: str
    before: Person | None
    after: Person | None

    def moved_what(self) -> list[str]:
        """What changed of 机构 and 类别, as people read it (「机构 城东支行 → 城西支行」)."""
        assert self.before is not None and self.after is not None
        return [f"{label} {b} → {a}" for label, b, a in
                zip(("机构", "类别"), self.before[2:], self.after[2:], strict=True) if a != b]


@dataclass
class RosterChanges:
    """The month against ``previous`` (the latest stored month before it; "" when none)."""

    month: str
    previous: str
    new: list[Change] = field(default_factory=list)
    gone: list[Change] = field(default_factory=list)
    renamed: list[Change] = field(default_factory=list)  # same 工号, another 姓名
    moved: list[Change] = field(default_factory=list)  # same 工号, another 机构 or 类别
    count: int = 0  # managers this month
    vanished: list[str] = field(default_factory=list)  # categories with nobody left

    def new_share(self) -> Decimal:
        return Decimal(len(self.new)) / self.count if self.count else Decimal(0)

    def any(self) -> bool:
        return bool(self.new or self.gone or self.renamed or self.moved)


def compare(month: str, previous: str, before: Iterable[Person],
            now: Iterable[Person]) -> RosterChanges:
    """What changed from ``before`` (the previous month's people) to ``now``."""
    old = {p[0]: p for p in before}
    new = {p[0]: p for p in now}
    out = RosterChanges(month, previous, count=len(new))
    if not previous:
        return out
    for cm, person in new.items():
        was = old.get(cm)
        if was is None:
            out.new.append(Change(cm, person[1], None, person))
            continue
        if was[1] != person[1]:
            out.renamed.append(Change(cm, person[1], was, person))
        if was[2:] != person[2:]:
            out.moved.append(Change(cm, person[1], was, person))
    out.gone = [Change(cm, p[1], p, None) for cm, p in old.items() if cm not in new]
    left = {p[3] for p in new.values()}
    out.vanished = sorted({p[3] for p in old.values()} - left)
    return out


def refusal(changes: RosterChanges, max_new_share: Decimal,
            category_may_vanish: bool) -> list[str]:
    """Why the month looks like a broken file rather than staff changes (empty: it does not)."""
    reasons = []
    if changes.previous and changes.count and changes.new_share() > max_new_share:
        share = _percent(changes.new_share())
        reasons.append(f"本月 {changes.count} 名客户经理中 {len(changes.new)} 名（{share}%）的工号"
                       f"不在上一个已计分月份 {changes.previous}，超过 export.yaml 的 "
                       f"roster.max_new_share（{_percent(max_new_share)}%）")
    # A new 工号 that is a gone one without its leading zeros: a spreadsheet shortened it
    # (a few cells typed over), whatever the share of new 工号.
    gone = {c.id.lstrip("0"): c.id for c in changes.gone if c.id.lstrip("0") != c.id}
    shortened = [(c.id, gone[c.id]) for c in changes.new if c.id in gone]
    if shortened:
        shown = "、".join(f"新工号 {new} 是上月工号 {old} 去掉了前导零" for new, old in shortened[:5])
        more = f"等 {len(shortened)} 个" if len(shortened) > 5 else ""
        reasons.append(f"{shown}{more}（与 {changes.previous} 比）")
    if changes.vanished and not category_may_vanish:
        reasons.append(f"上一个已计分月份 {changes.previous} 有客户经理的类别"
                       f"{'、'.join(changes.vanished)}本月一人也没有")
    return reasons


def _percent(share: Decimal) -> Decimal:
    return (share * 100).quantize(Decimal(1), ROUND_HALF_UP)
