"""What `score` hands to people: the scores workbook, the JSON document, the terminal summary."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Any

from cmscore.engine.adjustments import adjustment_points
from cmscore.engine.month import MonthExport
from cmscore.engine.roster import RosterChanges
from cmscore.engine.scoring import Frame, ManagerScore, MonthScores
from cmscore.engine.sentencecolumns import sentence_column
from cmscore.numbers import fmt2
from cmscore.outputs.celltext import BLOCK_ROWS, Blocks, column_blocks, cut_every
from cmscore.outputs.layout import Joined
from cmscore.outputs.roster import write_sheet as write_roster_sheet
from cmscore.outputs.sheetparts import Maker, Split, write_sheet
from cmscore.outputs.xlsx import Book, Column
from cmscore.rules.ruleset import Item, RuleSet, Table

SHEET_SUFFIX = "排名"
DETAIL = "明细"
_RANK_KEY = attrgetter("rank", "manager.id")  # (rank, 工号) in C: 100k keys a sort
_ROW, _TOTAL, _FUND = attrgetter("row"), attrgetter("total"), attrgetter("risk_fund")
_RANK, _BRANCH_RANK = attrgetter("rank"), attrgetter("branch_rank")
_MANAGER = {what: attrgetter(f"manager.{what}") for what in ("id", "name", "branch", "category")}


def ordered(scores: MonthScores, rules: RuleSet) -> list[tuple[str, list[ManagerScore]]]:
    """Categories in rule-file order (附件1, 2, 3), each ranked."""
    groups = scores.by_category()
    return [(c, sorted(groups[c], key=_RANK_KEY)) for c in rules.tables if c in groups]


def frame_of(members: list[ManagerScore]) -> Frame | None:
    """The frame these managers were scored in together, if they were."""
    frame = members[0].frame if members else None
    return frame if frame is not None and all(s.frame is frame for s in members) else None


def _values(members: list[ManagerScore], frame: Frame | None, item_id: str,
            attr: str, at: list[int] | None = None) -> list[Any]:
    """One item's ``attr`` (points, figure, baseline, source, early, or "role:R" for the
    export's figure of role R as read) for these managers: from ``frame``'s columns when
    given (``at``: the managers' rows in it, when the caller has them), else from each
    manager's item scores."""
    role = attr[5:] if attr.startswith("role:") else None
    if frame is not None:
        if item_id not in frame.items:
            return [None] * len(members)
        column: Any = frame.items[item_id].roles.get(role) if role is not None else \
            getattr(frame.items[item_id], attr)
        if at is None:
            at = list(map(_ROW, members))
        if attr == "early":  # row → earlier months' total, for the rows that completed early
            return list(map(column.__contains__, at))
        if column is None:
            return [None] * len(members)
        return list(map(column.__getitem__, at))
    if role is not None:
        return [s.items[item_id].figures.get(role) if item_id in s.items else None
                for s in members]
    name = "baseline_source" if attr == "source" else attr  # ItemScore's name for it
    return [getattr(s.items[item_id], name) if item_id in s.items else None for s in members]


def _figures(item: Item) -> list[tuple[str, str, str]]:
    """The 明细 columns of one item before its points, as (header, what, kind): the
    export's own figures (管户户数 as exported, not the increase scored; 代发工资 by
    headcount band), then the baseline and the figure scored where they differ."""
    money = "money" if "元" in item.unit_label else "int"
    if item.kind == "per_client":
        return [(f"{item.name}·{t.label}", f"role:{t.label}", "int") for t in item.client_tiers]
    if item.kind == "tiered":
        return [(f"{item.name}·不良率", "figure", "ratio")]
    if item.basis == "vs_baseline":
        return [(f"{item.name}·数据", "role:value", money),
                (f"{item.name}·基数", "baseline", money),
                (f"{item.name}·基数来源", "source", "text"),
                (f"{item.name}·净增", "figure", money)]
    return [(f"{item.name}·数据", "figure", money)]


def _sentences(members: list[ManagerScore], frame: Frame | None) -> list[str]:
    """计分说明: each manager's item sentences, one line an item; a whole item column at a
    time from the frame (``engine.sentencecolumns``) when there is one."""
    if frame is None:
        return ["\n".join(v.text for v in s.items.values()) for s in members]
    rows = list(map(_ROW, members))
    return Joined([sentence_column(column, rows) for column in frame.items.values()], len(rows))


def _detail_columns(members: list[ManagerScore], items: dict[str, Item]) -> list[list[Any]]:
    """The 明细 columns of one category's managers."""
    columns: list[list[Any]] = [list(map(_MANAGER[what], members))
                                for what in ("id", "name", "branch", "category")]
    frame = frame_of(members)
    at = list(map(_ROW, members)) if frame is not None else None
    for item_id, item in items.items():
        columns += [_values(members, frame, item_id, what, at) for _, what, _ in _figures(item)]
        columns.append(_values(members, frame, item_id, "points", at))
    columns += [_early(members, frame, items, at), list(map(_TOTAL, members)),
                list(map(_FUND, members)), _sentences(members, frame)]
    return columns


def _early(members: list[ManagerScore], frame: Frame | None, items: dict[str, Item],
           at: list[int] | None = None) -> list[str]:
    """提前完成: the items each manager completed early, by name."""
    early = [""] * len(members)
    for item_id, item in items.items():
        if item.early_completion:  # the rows that completed early: a few, found in C
            for k in compress(range(len(members)), _values(members, frame, item_id, "early", at)):
                early[k] = f"{early[k]}、{item.name}" if early[k] else item.name
    return early


def detail_texts(scores: MonthScores, rules: RuleSet,
                 groups: list[tuple[str, list[ManagerScore]]] | None = None) -> list[str]:
    """The short texts of the 明细 sheet the ranked sheets do not have (its categories,
    baseline sources and early completions), in order of first appearance: what the
    sheet's blocks share when two processes render them (``sheetparts``). ``groups``:
    ``ordered(scores, rules)`` when the caller has it (a national month's sort is 0.1 s)."""
    items = _detail_items(rules)
    texts: dict[str, None] = {}
    for category, members in ordered(scores, rules) if groups is None else groups:
        frame = frame_of(members)
        texts[category] = None
        for item_id, item in items.items():
            if any(what == "source" for _, what, _ in _figures(item)):
                texts.update(dict.fromkeys(_values(members, frame, item_id, "source")))
        texts.update(dict.fromkeys(_early(members, frame, items)))
    return [t for t in texts if t]


def _ranked_columns(members: list[ManagerScore], table: Table,
                    moved: dict[str, Decimal]) -> list[list[Any]]:
    """A category's ranked sheet as columns; subtotals as scored when there is a frame
    (with the item adjustments in them); 调整 is what the adjustments moved in all."""
    frame = frame_of(members)
    at = list(map(_ROW, members)) if frame is not None else None
    points = {i.id: _values(members, frame, i.id, "points", at) for i in table.items}
    subtotals = [list(map(frame.groups[g.id].__getitem__, at))
                 if frame is not None and at is not None else
                 [sum(v, Decimal(0)) for v in zip(*(points[i.id] for i in g.items), strict=True)]
                 for g in table.groups]
    ids = list(map(_MANAGER["id"], members))
    return [list(map(_RANK, members)), list(map(_BRANCH_RANK, members)), ids,
            list(map(_MANAGER["name"], members)), list(map(_MANAGER["branch"], members)),
            *points.values(), *subtotals,
            [m or None for m in map(moved.get, ids)] if moved else [None] * len(ids),
            list(map(_TOTAL, members)), list(map(_FUND, members))]


def _adjustment_rows(scores: MonthScores, rules: RuleSet) -> list[list[Any]]:
    """The 调整明细 sheet: every adjustment in force in the month, by 编号."""
    names = {i.id: i.name for t in rules.tables.values() for i in t.items}
    people = {s.manager.id: s.manager for s in scores.scores}
    rows = []
    for cm, applied in scores.adjustments.items():
        m = people.get(cm)
        for a in applied:
            adj = a.adjustment
            rows.append([adj.id, m.category if m else "", cm, m.name if m else "",
                         names.get(adj.item, adj.item), adj.points, a.applied, adj.reason,
                         adj.basis, adj.approved_by, a.note])
    return sorted(rows, key=lambda r: r[0])


ADJUSTMENT_COLUMNS = [
    Column("编号", 6, "int"), Column("类别", 8), Column("工号", 12), Column("姓名", 10),
    Column("项目", 12), Column("调整分值", 9, "points"), Column("实际调整", 9, "points"),
    Column("原因", 30, "wrap"), Column("依据", 20), Column("批准人", 10), Column("说明", 30, "wrap")]


def _detail_items(rules: RuleSet) -> dict[str, Item]:
    """Every item once, as the first table that has it defines it."""
    items: dict[str, Item] = {}
    for table in rules.tables.values():
        for item in table.items:
            items.setdefault(item.id, item)
    return items


# 明细's last blocks: the two processes of a forked run take blocks until none is left,
# and whichever renders the last one is waited for; a block of 4,096 managers is ≈ 0.2 s
# of rendering, one of 1,024 ≈ 0.05 s. Only the last ones: each block is a part of its own
# (every block of 1,024 was ≈ 3% more CPU for the sheet at 20k).
TAIL_ROWS = 1024


def detail_sheet(scores: MonthScores, rules: RuleSet,
                 groups: list[tuple[str, list[ManagerScore]]] | None = None
                 ) -> tuple[list[Column], list[Maker], list[int]]:
    """明细, one row per manager: each item's figure, baseline and points, and the
    arithmetic; its rows as blocks of BLOCK_ROWS managers of a category (each made when
    rendered, by whichever process renders it) and their sizes. ``groups`` as for
    ``detail_texts``."""
    items = _detail_items(rules)
    cols = [Column("工号", 12), Column("姓名", 10), Column("机构", 14), Column("类别", 10)]
    for item in items.values():
        cols += [Column(header, 10, kind) for header, _, kind in _figures(item)]
        cols.append(Column(f"{item.name}·得分", 9, "points"))
    cols += [Column("提前完成", 14), Column("总分", 9, "points"), Column("风险金计提", 10, "points"),
             Column("计分说明", 72, "wrap")]
    parts = [part for _, members in (ordered(scores, rules) if groups is None else groups)
             for part in cut_every(members, BLOCK_ROWS)]
    # The blocks holding the sheet's last BLOCK_ROWS rows, cut smaller (never the first:
    # the widths are fit on it).
    tail, rows = len(parts), 0
    while tail > 1 and rows < BLOCK_ROWS:
        tail -= 1
        rows += len(parts[tail])
    parts[tail:] = [piece for part in parts[tail:] for piece in cut_every(part, TAIL_ROWS)]
    return cols, [partial(_detail_columns, part, items) for part in parts], list(map(len, parts))


def write_scores(path: Path, scores: MonthScores, export: MonthExport, rules: RuleSet,
                 run: dict[str, Any], roster: RosterChanges | None = None,
                 split: Split | None = None) -> Path:
    """scores-YYYY-MM.xlsx: a ranked sheet per category, a detail sheet, the run record.

    The caller chooses ``path`` (a temp file that is moved into place once the month is stored).
    With ``split`` (a forked run), the 明细 sheet's blocks are rendered by both processes
    and the parent finishes the file (``sheetparts``).
    """
    book = Book(path, f"{scores.month} 客户经理考核得分", scores.month)
    moved = {cm: adjustment_points(scores, cm) for cm in scores.adjustments}
    groups = ordered(scores, rules)  # the ranked sheets and 明细 in one order, sorted once
    for category, members in groups:
        table = rules.tables[category]
        cols = [Column("排名", 6, "rank"), Column("机构内排名", 8, "rank"), Column("工号", 12),
                Column("姓名", 10), Column("机构", 14)]
        cols += [Column(i.name, 10, "points") for i in table.items]
        cols += [Column(f"{g.name}\n小计", 10, "points") for g in table.groups]
        cols += [Column("调整", 8, "points"), Column("总分", 9, "points"),
                 Column("风险金计提", 10, "points")]
        blocks = Blocks(column_blocks(members, partial(_ranked_columns, table=table,
                                                       moved=moved)))
        book.sheet(f"{category}{SHEET_SUFFIX}", cols, blocks,
                   note=f"{scores.month} {table.title}（{table.table}）")
    detail_cols, makers, sizes = detail_sheet(scores, rules, groups)
    if split is None:
        book.sheet(DETAIL, detail_cols, Blocks(make() for make in makers))
    else:
        write_sheet(book, split, DETAIL, detail_cols, makers, sizes,
                    detail_texts(scores, rules, groups))
    if scores.adjustments:  # only a month that has adjustments gets the sheet
        book.sheet("调整明细", ADJUSTMENT_COLUMNS, _adjustment_rows(scores, rules),
                   note=f"{scores.month} 人工调整（申诉、更正、领导小组决定）：在计算得分之上调整，"
                        "项目得分仍在 0 至高限之间")
    if roster is not None:
        write_roster_sheet(book, roster)
    record: list[tuple[str, Any]] = [
        ("月份", scores.month), ("导出文件", export.file), ("工作表", export.sheet),
              ("表头行", export.header_row), ("文件 SHA-256", run["file_sha256"]),
              ("规则目录", rules.directory), ("工具版本", run["tool_version"]),
              ("计分时间", run["started_at"]), ("客户经理人数", len(scores.scores))]
    record += [(f"规则文件 {name}", digest) for name, digest in sorted(rules.hashes.items())]
    if run.get("tasks"):  # which annual task early completion used (任务下达)
        record.append(("提前完成的年度任务", run["tasks"]))
    if export.padded_ids:
        record.append(("补足前导零的工号", f"{export.padded_ids} 个（export.yaml 的 id_width）"))
    if export.encoding:
        record.insert(3, ("文件编码", export.encoding))
    if export.actual:
        record.insert(3, ("文件实际格式", export.actual))
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70, "value")], record)
    book.close()
    return path


# A national month has thousands of 机构: a 公示 workbook of thousands of sheets is not
# something anyone posts; above this many, 公示 is not written (the JSON has every rank).
NOTICE_MAX_SHEETS = 300
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def notice_sheets(scores: MonthScores, rules: RuleSet
                  ) -> list[tuple[str, str, Table, list[ManagerScore]]]:
    """(sheet name, 机构, table, members by rank) per 机构, and per 机构 and category where a
    机构 has managers of several categories (their tables are not comparable)."""
    groups: dict[tuple[str, str], list[ManagerScore]] = {}
    for category, members in ordered(scores, rules):
        for s in members:
            groups.setdefault((s.manager.branch, category), []).append(s)
    categories: dict[str, list[str]] = {}
    for branch, category in groups:
        categories.setdefault(branch, []).append(category)
    out: list[tuple[str, str, Table, list[ManagerScore]]] = []
    used: set[str] = set()
    for (branch, category), members in sorted(groups.items(), key=lambda g: g[0][0]):
        name = branch if len(categories[branch]) == 1 else f"{branch}·{category}"
        name = _SHEET_NAME.sub("_", name)[:31] or "机构"
        k = 1
        while name in used:  # a name cut at 31 characters may meet another
            k += 1
            name = f"{name[:28]}~{k}"
        used.add(name)
        out.append((name, branch, rules.tables[category], members))
    return out


def _notice_columns(members: list[ManagerScore], table: Table) -> list[list[Any]]:
    frame = frame_of(members)
    return [[s.rank for s in members], [s.manager.id for s in members],
            [s.manager.name for s in members],
            *(_values(members, frame, i.id, "points") for i in table.items),
            [s.total for s in members]]


def notice_fits(scores: MonthScores, rules: RuleSet) -> bool:
    """Whether the month's 公示 workbook is written (at most NOTICE_MAX_SHEETS sheets)."""
    return len({(s.manager.branch, s.manager.category) for s in scores.scores}) \
        <= NOTICE_MAX_SHEETS


def write_notice(path: Path, scores: MonthScores, rules: RuleSet) -> None:
    """公示-YYYY-MM.xlsx: one sheet per 机构, ready to print and post — rank within the
    category, 工号, 姓名, each item's points and the total; no pay, no export figures, no
    risk fund."""
    sheets = notice_sheets(scores, rules)
    book = Book(path, f"{scores.month} 客户经理考核得分公示", scores.month)
    for name, branch, table, members in sheets:
        cols = [Column("排名", 6, "rank"), Column("工号", 12), Column("姓名", 10)]
        cols += [Column(i.name, 10, "points") for i in table.items]
        cols.append(Column("总分", 9, "points"))
        book.sheet(name, cols, Blocks(column_blocks(members, partial(_notice_columns,
                                                                      table=table))),
                   note=f"{scores.month} {branch} 客户经理考核得分公示（{table.title}；"
                        f"排名为本月全部{table.category}客户经理中的名次）")
    book.close()


def summary(scores: MonthScores, rules: RuleSet, top: int = 5) -> list[Any]:
    """Rich renderables: per category, the top CMs and the distribution. Print them with
    markup off (``console.make_console``): names are data, never markup."""
    import statistics  # here, as rich: only the table a person reads needs them

    from rich.table import Table as RichTable
    from rich.text import Text

    out: list[Any] = []
    for category, members in ordered(scores, rules):
        totals = [s.total for s in members]
        median = statistics.median(totals)
        mean = sum(totals, Decimal(0)) / len(totals)
        out.append(Text.assemble(
            (f"{scores.month} {category}", "bold"), f"：{len(members)} 人，平均 {fmt2(mean)}，"
            f"中位数 {fmt2(Decimal(median))}，最高 {fmt2(max(totals))}，"
            f"最低 {fmt2(min(totals))}；前 {min(top, len(members))} 名："))
        t = RichTable()
        for header in ("排名", "工号", "姓名", "机构", "总分", "风险金"):
            t.add_column(header, justify="right" if header in ("排名", "总分", "风险金") else "left")
        for s in members[:top]:
            t.add_row(str(s.rank), s.manager.id, s.manager.name, s.manager.branch,
                      fmt2(s.total), fmt2(s.risk_fund))
        out.append(t)
    return out
