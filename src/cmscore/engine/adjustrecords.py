"""What an adjustment is (issue 16): as a file's row, as stored, and as applied.

Apart from ``adjustments`` (which applies them) so that ``scoring.MonthScores`` can hold
what was applied without the two modules importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TOTAL = "总分"  # the 项目 of an adjustment to the total rather than to one item


@dataclass(frozen=True)
class Request:
    """What an adjustment asks: ``item`` is an item id or ``TOTAL``; ``points`` is signed."""

    month: str
    cm_id: str
    item: str
    points: Decimal
    reason: str
    basis: str
    approved_by: str


@dataclass(frozen=True)
class NewAdjustment(Request):
    """One row of an adjustments file, ready to store (item resolved to its id or 总分)."""

    row: int


@dataclass(frozen=True)
class Adjustment(Request):
    """One stored adjustment, with the id it is known by."""

    id: int


@dataclass(frozen=True)
class Applied:
    """What an adjustment moved: ``applied`` differs from the request when a bound
    stopped it (``note`` says which); 0 with a note when it could not apply at all."""

    adjustment: Adjustment
    applied: Decimal
    note: str = ""
    missing: bool = False  # its manager or item is not in the month: it could not apply
