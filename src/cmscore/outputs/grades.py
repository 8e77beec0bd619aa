"""`grade` for people: the grades workbook, the JSON document and the terminal summary."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any

from cmscore.engine.grading import GRADES, Decision, Grading
from cmscore.numbers import ByValue, fmt2
from cmscore.outputs.celltext import BLOCK_ROWS, Blocks, Figures, block_makers, centi_text
from cmscore.outputs.common import TERMINAL_ROWS, record, unlisted
from cmscore.outputs.sheetparts import Maker, Split, write_sheet
from cmscore.outputs.xlsx import Book, Column
from cmscore.store.db import RunRecord

# Who is graded outside the quota (grading.yaml's min_months; count_in_n may put them in N).
OUTSIDE = "分行客户经理（固定一级）、新增人员及计分月数不足 min_months 的人员"
SHEET = "定级"
# The 定级 sheet's columns before and after the months, as Decision fields.
_HEAD = [attrgetter(f) for f in ("rank", "id", "name", "branch", "category")]
_AVERAGE = attrgetter("average")
_TAIL = [attrgetter(f) for f in ("grade", "reason", "boundary")]
_TOTALS = attrgetter("totals")
_FLAGS = attrgetter("flags")
_ID = attrgetter("id")
_TEXTS = [attrgetter(f) for f in ("name", "branch", "category", "grade", "reason", "boundary")]


def grade_sheet(grading: Grading) -> tuple[list[Column], list[Maker], list[int]]:
    """The 定级 sheet: its columns, and its rows as blocks made when rendered (``sheetparts``
    hands them to both processes of a forked run), with each block's size."""
    cols = [Column("排名", 6, "rank"), Column("工号", 12), Column("姓名", 10), Column("机构", 14),
            Column("类别", 10), Column("平均分", 9, "points")]
    cols += [Column(m, 9, "points") for m in grading.months]
    cols += [Column("等级", 7), Column("原因", 40, "wrap"), Column("并列说明", 40, "wrap"),
             Column("标记", 40, "wrap")]
    # Each month total's cell text made once per distinct value of its hundredths: 1.2M
    # cells, a few thousand values (the text of from_centi's Decimal, as the writer prints).
    month = ByValue(centi_text).__getitem__

    count = len(grading.months)

    def columns(part: list[Decision]) -> list[list[Any]]:
        # Each column through map and attrgetter: C loops over a national window's rows;
        # the month totals' texts made in one pass over the block, then dealt into columns.
        texts = list(map(month, chain.from_iterable(map(_TOTALS, part))))
        assert len(texts) == count * len(part), "a total for every month of the window"
        return [*(list(map(field, part)) for field in _HEAD), list(map(_AVERAGE, part)),
                *(Figures(texts[m::count]) for m in range(count)),
                *(list(map(field, part)) for field in _TAIL),
                list(map("；".join, map(_FLAGS, part)))]

    return cols, *block_makers(grading.decisions, columns, BLOCK_ROWS)


def grade_texts(grading: Grading) -> Iterable[str]:
    """The 定级 sheet's text other than the 工号 (ASCII, written in the rows), for the
    shared strings: a sheet rendered by two processes finds each of them in the table as
    it stood before the sheet (``sheetparts``)."""
    rows = grading.decisions
    ids = list(map(_ID, rows))
    return chain(*(map(field, rows) for field in _TEXTS),
                 map("；".join, map(_FLAGS, rows)), () if "".join(ids).isascii() else ids)


def write_grades(path: Path, grading: Grading, run: RunRecord,
                 split: Split | None = None) -> None:
    """grades-YYYY-MM.xlsx; with ``split`` (a forked run) the 定级 sheet's blocks are
    rendered by both processes and the parent finishes the file (``sheetparts``)."""
    book = Book(path, f"{grading.months[0]} 至 {grading.months[-1]} 客户经理定级",
                grading.effective)
    note = (f"{grading.months[0]} 至 {grading.months[-1]} "
            f"{len(grading.months)} 个月定级，{grading.effective} 起执行")
    cols, makers, sizes = grade_sheet(grading)
    book.shared.extend(grade_texts(grading))  # before the sheet: its rows all find them
    if split is None:
        book.sheet(SHEET, cols, Blocks(make() for make in makers), note=note)
    else:
        write_sheet(book, split, SHEET, cols, makers, sizes, (), note=note)
    counts, pool = grading.counts(), grading.counts(pool_only=True)
    summary = [(g, grading.quotas[g], pool[g], counts[g] - pool[g], counts[g]) for g in GRADES]
    book.sheet("汇总", [Column("等级", 8), Column("参评名额", 10, "int"),
                      Column("参评人数", 10, "int"), Column("不参评人数", 12, "int"),
                      Column("合计", 8, "int")], summary,
               note=f"支行客户经理参评 {grading.pool_size} 人：一级 30%、二级 50%、三级 20%"
                    f"（{'四舍五入' if grading.rounding == 'half_up' else '向下取整'}）；"
                    f"不参评人员：{OUTSIDE}")
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70, "value")],
               record(run, [("定级窗口", f"{grading.months[0]} 至 {grading.months[-1]}"),
                             ("生效月份", grading.effective),
                             *(("定级说明", note) for note in grading.notes)]))
    book.close()


def grades_json(grading: Grading) -> dict[str, Any]:
    return {"window": {"start": grading.months[0], "end": grading.months[-1],
                       "months": len(grading.months)},
            "effective": grading.effective, "pool_size": grading.pool_size,
            "quotas": grading.quotas, "counts": grading.counts(), "notes": grading.notes,
            "managers": [{"id": d.id, "name": d.name, "branch": d.branch,
                          "category": d.category,
                          "average": None if d.average is None else fmt2(d.average),
                          "rank": d.rank, "grade": d.grade, "reason": d.reason,
                          "boundary": d.boundary or None, "flags": d.flags,
                          "basis": d.basis or None}
                         for d in grading.decisions]}


def grade_summary(grading: Grading) -> list[Any]:
    from rich.table import Table

    counts, pool = grading.counts(), grading.counts(pool_only=True)
    t = Table(title=f"{grading.months[0]}–{grading.months[-1]} 定级，{grading.effective} 起执行",
              title_justify="left", caption=f"不参评人员：{OUTSIDE}",
              caption_justify="left")
    for h in ("等级", "参评名额", "参评人数", "不参评人数", "合计"):
        t.add_column(h, justify="left" if h == "等级" else "right")
    for g in GRADES:
        t.add_row(g, str(grading.quotas[g]), str(pool[g]), str(counts[g] - pool[g]),
                  str(counts[g]))
    out: list[Any] = [t]
    notable = [d for d in grading.decisions if d.boundary or d.flags]
    if notable:
        b = Table(title="并列与标记", title_justify="left",
                  caption=unlisted(len(notable), "定级表的「并列说明」「标记」列"),
                  caption_justify="left")
        for h in ("工号", "姓名", "平均分", "等级", "说明"):
            b.add_column(h)
        for d in notable[:TERMINAL_ROWS]:
            b.add_row(d.id, d.name, fmt2(d.average) if d.average is not None else "", d.grade,
                      "；".join(filter(None, [d.boundary, *d.flags])))
        out.append(b)
    return out
