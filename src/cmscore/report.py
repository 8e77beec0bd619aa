"""What `score` hands to people: the scores workbook, the JSON document, the terminal summary."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from .numbers import fmt2
from .reader import MonthExport
from .rules import Item, RuleSet
from .scoring import ManagerScore, MonthScores
from .xlsx import Book, Column

SHEET_SUFFIX = "排名"


def ordered(scores: MonthScores, rules: RuleSet) -> list[tuple[str, list[ManagerScore]]]:
    """Categories in rule-file order (附件1, 2, 3), each ranked."""
    groups = scores.by_category()
    return [(c, sorted(groups[c], key=lambda s: (s.rank, s.manager.id)))
            for c in rules.tables if c in groups]


def scores_json(scores: MonthScores, rules: RuleSet) -> dict[str, Any]:
    """SPEC §7: decimals as strings, items keyed by item id."""
    return {"month": scores.month, "managers": [
        {"id": s.manager.id, "name": s.manager.name, "branch": s.manager.branch,
         "category": s.manager.category, "rank": s.rank, "branch_rank": s.branch_rank,
         "total": fmt2(s.total), "risk_fund": fmt2(s.risk_fund),
         "items": {k: fmt2(v.points) for k, v in s.items.items()}}
        for _, members in ordered(scores, rules) for s in members]}


# Above this many managers the detail sheet carries numbers only; the sentences of a
# national-scale month would make the workbook unwieldy (`cmscore explain` gives any one).
SENTENCES_MAX_MANAGERS = 20_000


def _detail(scores: MonthScores, rules: RuleSet) -> tuple[list[Column], Iterator[list[Any]]]:
    """One row per manager: each item's figure, baseline and points, and the arithmetic."""
    items: dict[str, Item] = {}
    for table in rules.tables.values():
        for item in table.items:
            items.setdefault(item.id, item)
    with_baseline = {i.id for t in rules.tables.values() for i in t.items
                     if i.basis == "vs_baseline"}
    cols = [Column("工号", 12), Column("姓名", 10), Column("机构", 14), Column("类别", 10)]
    for item_id, item in items.items():
        cols.append(Column(f"{item.name}·数据", 10, "number"))
        if item_id in with_baseline:
            cols += [Column(f"{item.name}·基数", 10, "number"),
                     Column(f"{item.name}·基数来源", 10)]
        cols.append(Column(f"{item.name}·得分", 9, "points"))
    cols += [Column("提前完成", 14), Column("总分", 9, "points"), Column("风险金计提", 10, "points")]
    sentences = len(scores.scores) <= SENTENCES_MAX_MANAGERS
    if sentences:
        cols.append(Column("计分说明", 120))

    def rows() -> Iterator[list[Any]]:
        for _, members in ordered(scores, rules):
            for s in members:
                m = s.manager
                row: list[Any] = [m.id, m.name, m.branch, m.category]
                for item_id in items:
                    got = s.items.get(item_id)
                    row.append(got.figure if got else None)
                    if item_id in with_baseline:
                        row += [got.baseline, got.baseline_source] if got else [None, None]
                    row.append(got.points if got else None)
                early = "、".join(items[k].name for k, v in s.items.items() if v.early)
                row += [early, s.total, s.risk_fund]
                if sentences:
                    row.append("\n".join(v.text for v in s.items.values()))
                yield row

    return cols, rows()


def write_scores(path: Path, scores: MonthScores, export: MonthExport, rules: RuleSet,
                 run: dict[str, Any]) -> Path:
    """scores-YYYY-MM.xlsx: a ranked sheet per category, a detail sheet, the run record.

    The caller chooses ``path`` (a temp file that is moved into place once the month is stored).
    """
    book = Book(path)
    for category, members in ordered(scores, rules):
        table = rules.tables[category]
        cols = [Column("排名", 6, "int"), Column("机构内排名", 8, "int"), Column("工号", 12),
                Column("姓名", 10), Column("机构", 14)]
        cols += [Column(i.name, 10, "points") for i in table.items]
        cols += [Column(f"{g.name}小计", 10, "points") for g in table.groups]
        cols += [Column("总分", 9, "points"), Column("风险金计提", 10, "points")]
        rows = ([s.rank, s.branch_rank, s.manager.id, s.manager.name, s.manager.branch,
                 *[s.items[i.id].points for i in table.items],
                 *[s.groups[g.id] for g in table.groups], s.total, s.risk_fund]
                for s in members)
        book.sheet(f"{category}{SHEET_SUFFIX}", cols, rows,
                   note=f"{scores.month} {table.title}（{table.table}）")
    detail_cols, detail = _detail(scores, rules)
    book.sheet("明细", detail_cols, detail)
    record = [("月份", scores.month), ("导出文件", export.file), ("工作表", export.sheet),
              ("表头行", str(export.header_row)), ("文件 SHA-256", run["file_sha256"]),
              ("规则目录", rules.directory), ("工具版本", run["tool_version"]),
              ("计分时间", run["started_at"]), ("客户经理人数", str(len(scores.scores)))]
    record += [(f"规则文件 {name}", digest) for name, digest in sorted(rules.hashes.items())]
    if export.encoding:
        record.insert(3, ("文件编码", export.encoding))
    if export.actual:
        record.insert(3, ("文件实际格式", export.actual))
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70)], record)
    book.close()
    return path


def summary(scores: MonthScores, rules: RuleSet, top: int = 5) -> list[Any]:
    """Rich renderables: per category, the top CMs and the distribution."""
    from rich.table import Table as RichTable

    out: list[Any] = []
    for category, members in ordered(scores, rules):
        totals = [s.total for s in members]
        median = statistics.median(totals)
        mean = sum(totals, Decimal(0)) / len(totals)
        out.append(f"[bold]{scores.month} {category}[/]：{len(members)} 人，平均 {fmt2(mean)}，"
                   f"中位数 {fmt2(Decimal(median))}，最高 {fmt2(max(totals))}，"
                   f"最低 {fmt2(min(totals))}；前 {min(top, len(members))} 名：")
        t = RichTable()
        for header in ("排名", "工号", "姓名", "机构", "总分", "风险金"):
            t.add_column(header, justify="right" if header in ("排名", "总分", "风险金") else "left")
        for s in members[:top]:
            t.add_row(str(s.rank), s.manager.id, s.manager.name, s.manager.branch,
                      fmt2(s.total), fmt2(s.risk_fund))
        out.append(t)
    return out
