"""第十六条 events (损失、失职、投诉、违规) and the warnings they raise (issue 16): pure.

The regulation leaves the decision to the 客户经理管理考评领导小组, so cmscore only says
which item an event touches: 第一项 (工作失职造成贷款损失) for any 损失, 第三项 (客户1年投诉
3次以上) for three or more 投诉 in the twelve months ending with the month looked at,
第四项 (弄虚作假或其他违规、违纪) for any 违规 in those months. A 失职 is recorded and shown
but raises nothing by itself: 第二项 needs a consequence (资产受损、重大业务流失) that the
event type alone does not establish.
"""

from __future__ import annotations

from dataclasses import dataclass

from cmscore.engine.grading import article16, window

KINDS = ("损失", "失职", "投诉", "违规")
COMPLAINTS_LIMIT = 3  # 「1年投诉3次以上」: 以上 includes the number
WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Event:
    id: int
    cm_id: str
    date: str  # YYYY-MM-DD
    kind: str
    description: str
    source: str


wording = article16  # the one wording of every 第十六条 warning


def in_window(events: list[Event], month: str) -> list[Event]:
    """The events dated in the twelve months ending with ``month``."""
    months = set(window(month, WINDOW_MONTHS))
    return [e for e in events if e.date[:7] in months]


def warnings(events: list[Event], month: str) -> list[str]:
    """One manager's 第十六条 warnings as of ``month``, each saying what raised it."""
    seen = in_window(events, month)
    out = []
    losses = [e for e in seen if e.kind == "损失"]
    if losses:
        out.append(f"{wording('一')}（损失 {len(losses)} 次，{_dates(losses)}）")
    complaints = [e for e in seen if e.kind == "投诉"]
    if len(complaints) >= COMPLAINTS_LIMIT:
        out.append(f"{wording('三')}（12 个月内投诉 {len(complaints)} 次，{_dates(complaints)}）")
    breaches = [e for e in seen if e.kind == "违规"]
    if breaches:
        out.append(f"{wording('四')}（违规 {len(breaches)} 次，{_dates(breaches)}）")
    return out


def _dates(events: list[Event]) -> str:
    return "、".join(sorted(e.date for e in events))
