"""Cells whose value is not what the sheet shows as data: merged ranges and formulas.

A merged range keeps its value in its first cell only; the others read as blank, so a
business figure merged across two rows gives the lower row 0, and a 机构 merged over a
branch's rows leaves every row but the first without one. A formula's value is the one
cached when the file was last saved, which a script or a hand edit may have left stale
(「=1+1」 cached as 20). Neither is read: each is refused once, naming the range or the
cell, wherever it touches a manager row in a column cmscore reads. Totals rows may hold
formulas (SUM): they are checked against the rows anyway.
"""

from __future__ import annotations

from cmscore.inputs.sources import Grid, column_letter
from cmscore.numbers import quote
from cmscore.problems import row_ranges

# (body position, column index, message), as the reader's cell problems
Marks = list[tuple[int, int, str]]


def merged_and_formula_cells(grid: Grid, excel_rows: list[int], columns: set[int],
                             blank_is_zero: bool) -> tuple[Marks, set[tuple[int, int]]]:
    """Problems for the merged ranges and the formula cells among the manager rows
    (``excel_rows``, by body position) and the read ``columns``; and the (position,
    column) cells a merge hides, whose own problems (机构为空) say nothing more."""
    marks: Marks = []
    hidden: set[tuple[int, int]] = set()
    # Only ranges reaching the manager rows (in order): not the title's merge above them.
    merges = [m for m in grid.merges if excel_rows and m[0] < excel_rows[-1] and
              m[2] + 1 >= excel_rows[0]]
    if not merges and not grid.formulas:
        return marks, hidden
    position = {r: p for p, r in enumerate(excel_rows)}
    for r0, c0, r1, c1 in merges:
        inside = [(r, c) for r in range(r0, r1 + 1) if r + 1 in position
                  for c in range(c0, c1 + 1) if c in columns]
        if not inside or inside == [(r0, c0)]:
            continue  # the one cell read is the one holding the value
        span = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        rows, cols = r1 - r0 + 1, c1 - c0 + 1
        size = f"跨 {rows} 行" if cols == 1 else f"跨 {cols} 列" if rows == 1 else \
            f"{rows} 行 × {cols} 列"
        blank = "空（按 0 计）" if blank_is_zero else "空"
        cells = [(position[r + 1], c) for r, c in inside]
        marks.append((*cells[0], f"单元格 {span} 是合并单元格（{size}）：只有左上角的单元格有值，"
                                  f"其余单元格读出来是{blank}；请取消合并，并在每一行填入各自的值"))
        hidden.update(cells[1:])
    by_column: dict[int, list[tuple[int, int, str]]] = {}
    for (r, c), text in sorted(grid.formulas.items()):
        if c in columns and r + 1 in position:
            by_column.setdefault(c, []).append((position[r + 1], r + 1, text))
    for c, found in sorted(by_column.items()):
        pos, row, text = found[0]
        ref = f"{column_letter(c)}{row}"
        formula = f"公式{quote('=' + text)}" if text else "公式"
        many = f"本列有 {len(found):,} 个公式单元格（第 {row_ranges([r for _, r, _ in found])} 行），" \
            f"如 {ref} 的{formula}" if len(found) > 1 else f"单元格 {ref} 是{formula}"
        marks.append((pos, c, f"{many}：cmscore 不采用公式的缓存结果（文件由脚本或其他软件改过时，"
                              "缓存值可能没有重新计算）；请把这些单元格「复制 → 选择性粘贴 → 数值」"
                              "后保存"))
    return marks, hidden
