"""人员变动 as people read it: the scores workbook's sheet, the JSON part, the terminal lines."""

from __future__ import annotations

from typing import Any

from cmscore.engine.roster import Change, Person, RosterChanges
from cmscore.outputs.xlsx import Book, Column

SHEET = "人员变动"
# The terminal names this many managers of each kind; the sheet and --json have all.
SHOWN = 10
_KINDS = (("new", "新增"), ("gone", "减少"), ("renamed", "更名"), ("moved", "调动"))


def _person(p: Person | None) -> dict[str, str] | None:
    return None if p is None else {"name": p[1], "branch": p[2], "category": p[3]}


def roster_json(changes: RosterChanges) -> dict[str, Any]:
    """``{"previous", "new", "gone", "renamed", "moved"}``: each change with the previous
    and this month's 姓名, 机构 and 类别 (null for a new or a gone manager)."""
    doc: dict[str, Any] = {"previous": changes.previous or None}
    for key, _ in _KINDS:
        doc[key] = [{"id": c.id, "name": c.name, "before": _person(c.before),
                     "after": _person(c.after)} for c in getattr(changes, key)]
    return doc


def _what(kind: str, c: Change) -> str:
    if kind == "renamed":
        assert c.before is not None
        return f"姓名 {c.before[1]} → {c.name}"
    if kind == "moved":
        return "；".join(c.moved_what())
    p = c.after or c.before
    assert p is not None
    return f"{p[2]}·{p[3]}"


def lines(changes: RosterChanges) -> list[str]:
    """The terminal's 人员变动: one line per kind, naming the first managers."""
    if not changes.previous:
        return [f"人员变动：{changes.month} 之前历史库中没有已计分月份，无可比较"]
    if not changes.any():
        return [f"人员变动（与 {changes.previous} 比）：无"]
    out = []
    for key, label in _KINDS:
        found: list[Change] = getattr(changes, key)
        if not found:
            continue
        named = "、".join(f"{c.id} {c.name}（{_what(key, c)}）" for c in found[:SHOWN])
        more = f" 等 {len(found)} 人" if len(found) > SHOWN else ""
        out.append(f"人员变动（与 {changes.previous} 比）{label} {len(found)} 人：{named}{more}")
    return out


def write_sheet(book: Book, changes: RosterChanges) -> None:
    """The scores workbook's 人员变动 sheet: one row per manager who changed."""
    cols = [Column("变动", 8), Column("工号", 12), Column("姓名", 10),
            Column(f"上月（{changes.previous or '无'}）", 24), Column(f"本月（{changes.month}）", 24),
            Column("说明", 40)]
    rows: list[tuple[str, ...]] = []
    for key, label in _KINDS:
        for c in getattr(changes, key):
            rows.append((label, c.id, c.name, _place(c.before), _place(c.after), _what(key, c)))
    note = (f"{changes.month} 与 {changes.previous} 相比的人员变动（按工号）" if changes.previous
            else f"{changes.month} 之前历史库中没有已计分月份，无可比较")
    if changes.previous and not rows:
        note += "：无"
    book.sheet(SHEET, cols, rows, note=note)


def _place(p: Person | None) -> str:
    return "" if p is None else f"{p[1]}，{p[2]}，{p[3]}"
