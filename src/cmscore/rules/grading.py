"""The ``kind: grading`` file: the grading policy an office sets (第五、六、八条) — which
categories are graded by quota, the windows ``grade --months`` accepts, how many months a
manager must be scored in to be ranked, who counts in N, how quotas round and how a tie
at a quota boundary is graded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from cmscore.rules.bounds import Check, Core
from cmscore.rules.strict import Strict

# What the regulation says when an office writes no grading.yaml: the 支行 managers are
# graded (第五条), over 6 months in the transition (第六条) and 12 months after (第八条).
DEFAULT_POOL = ("支行",)
DEFAULT_WINDOWS = (6, 12)
# Ranked on the average of the months scored when scored in at least this many months of
# the window (every month of a shorter window): the whole 6-month transition window
# (第六条), half of the annual one (第八条: a manager who missed a month or joined in
# April stays inside the 30/50/20 quota of 第五条).
DEFAULT_MIN_MONTHS = 6


@dataclass(frozen=True, kw_only=True)
class CountInN(Strict):
    """Who, besides the managers ranked on their average, counts in N (第五条)."""

    # Managers scored in fewer than min_months (mostly joiners: 三级, 第六条): in N, each
    # fills one of the 三级 places; out of N (the default), the quota is of the ranked only.
    joiners: bool = False
    # Managers who left by the window's end (roster 离职日期): graded and in N like the
    # others; out of N (the default), not graded at all — no grade is paid to them.
    leavers: bool = False


def _windows(value: list[int]) -> list[int]:
    for months in value:
        if not 1 <= months <= 24:
            raise ValueError(f"窗口 {months} 个月超出范围：应为 1 至 24")
    if len(set(value)) != len(value):
        raise ValueError("windows 中有重复的月数")
    return value


def _pool(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("pool 中有重复的类别")
    return value


@dataclass(frozen=True, kw_only=True)
class Grading(Strict):
    """grading.yaml: the pool graded 30/50/20 by quota and the windows allowed."""

    kind: Literal["grading"] = "grading"
    # Categories graded by quota (第五条); every other category is 一级 (第六条).
    pool: Annotated[list[str], Core(min_length=1), Check(_pool)] = field(
        default_factory=lambda: list(DEFAULT_POOL))
    # The window lengths (months) ``grade --months`` accepts; 12 is the annual grading
    # (第八条) that also flags 第九条 and 第十六条第六项.
    windows: Annotated[list[int], Core(min_length=1), Check(_windows)] = field(
        default_factory=lambda: list(DEFAULT_WINDOWS))
    min_months: Annotated[int, Core(ge=1, le=24)] = DEFAULT_MIN_MONTHS
    count_in_n: CountInN = field(default_factory=CountInN)
    # n1 and n3 from 30% and 20% of N: half_up (5.5 → 6) or down (5.9 → 5); n2 the rest.
    quota_rounding: Literal["half_up", "down"] = "half_up"
    # Managers tied on the average across a quota boundary all take the better grade
    # (all_higher) or all the worse one (all_lower).
    tie: Literal["all_higher", "all_lower"] = "all_higher"

    def required(self, window: int) -> int:
        """Months a manager must be scored in, of a window of ``window`` months."""
        return min(self.min_months, window)
