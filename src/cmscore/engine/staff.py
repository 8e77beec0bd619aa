"""What the roster (花名册, ``cmscore roster``) says about a manager that the exports cannot:
when he took up the post, when he left, the months he was on leave.

Values only: ``inputs.roster`` reads the file, ``store.staff`` keeps it, grading reads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

STATUSES = ("在岗", "休假", "离职")


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    category: str
    branch: str
    appointed: str  # 任职日期, YYYY-MM-DD
    left: str  # 离职日期, YYYY-MM-DD; "" while in post
    status: str  # one of STATUSES
    leave: frozenset[str]  # months of leave, YYYY-MM

    def left_by(self, month: str) -> bool:
        """Whether he left in or before ``month`` (a grade from the month after is not his)."""
        return bool(self.left) and self.left[:7] <= month


Roster = Mapping[str, Staff]


def within_category(months: list[str], members: Iterable[tuple[str, str, str, str,
                                                               tuple[int | None, ...]]],
                    categories: Mapping[str, Mapping[str, str]]
                    ) -> tuple[list[tuple[str, str, str, str, tuple[int | None, ...]]],
                               dict[str, list[str]]]:
    """Members with the months scored in another category than their latest blanked:
    the tables' totals are not comparable, so a manager who changed 类别 is graded in the
    category he is in at the window's end on that category's months only (SPEC §10).

    ``categories``: CM → month → category, for the CMs whose category changed in the
    window. Returns the members and, per CM, the months left out."""
    out = []
    dropped: dict[str, list[str]] = {}
    for member in members:
        cm_id, name, branch, category, totals = member
        seen = categories.get(cm_id)
        if seen:
            keep = tuple(t if seen.get(m, category) == category else None
                         for m, t in zip(months, totals, strict=True))
            gone = [m for m, t, k in zip(months, totals, keep, strict=True)
                    if t is not None and k is None]
            if gone:
                dropped[cm_id] = gone
                member = (cm_id, name, branch, category, keep)
        out.append(member)
    return out, dropped
