"""`payroll` for people: the payroll workbook, the salary system's import file, the JSON
document and the terminal summary.

The import file (`工资导入-YYYY-MM.csv`, UTF-8 with BOM, and the same as .xlsx) has one
row per person and pay item — 工号, 姓名, 工资项目代码, 金额 — with the column names and
codes of `payroll.yaml`'s `salary_import`. A salary system imports every row it is
given: no title, no blank line, no totals row. Amounts are the exact two-place figures of
the payroll workbook, text in the CSV (「963.00」, never through a float), numbers in the
workbook.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import chain, count, groupby
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar

from cmscore.engine.grading import GRADES
from cmscore.engine.pay import TRANSITION, FundLine, PayrollResult
from cmscore.numbers import ZERO, ByValue, fmt2, from_centi, to_centi
from cmscore.outputs.celltext import (
    BLOCK_ROWS,
    Blocks,
    Figures,
    block_makers,
    centi_text,
    column_blocks,
    number,
)
from cmscore.outputs.common import TERMINAL_ROWS, Texts, record, unlisted
from cmscore.outputs.restatements import (
    restatement_totals,
    restatements_json,
    restatements_summary,
    write_restatements,
)
from cmscore.outputs.sheetparts import Maker, Split, write_sheet
from cmscore.outputs.xlsx import Book, Column
from cmscore.rules.files import SalaryImport
from cmscore.store.db import RunRecord


def pay_totals(result: PayrollResult) -> list[tuple[str, Decimal]]:
    """The totals as the regulation adds them: 绩效工资合计 is the managers' pay, the risk
    fund released and the supervisors' linked 10% (第十二条); the supervisors' fixed 90%
    is their 履职岗位工资, shown beside it and only added in 合计发放."""
    t = result.totals
    linked = sum((s.linked for s in result.supervisors), ZERO)
    fixed = sum((s.fixed for s in result.supervisors), ZERO)
    return [("客户经理月度应得工资", t["pay"]), ("风险金发放", t["risk_fund_release"]),
            ("主管挂钩部分（10%）", linked),
            ("绩效工资合计", t["pay"] + t["risk_fund_release"] + linked),
            ("主管履职岗位工资固定部分（90%）", fixed), ("合计发放", t["total"]),
            ("风险金扣收（不发放）", t["risk_fund_forfeit"])] + (
        [("离职人员风险金扣收（不发放，提请领导小组研究）", t["risk_fund_forfeit_leavers"])]
        if "risk_fund_forfeit_leavers" in t else [])


# The 绩效工资 and 风险金明细 columns: fields of their lines, which come as columns.
_PAY_TEXT = ("id", "name", "branch", "category", "grade", "grade_note")  # then 履职绩效工资
_PAY_AMOUNTS = ("score_cp", "pay_fen", "release_fen", "forfeit_fen")
_FUND_TEXT = ("id", "name", "branch", "category")
_FUND_AMOUNTS = ("opening_fen", "accrued_fen", "released_fen", "forfeited_fen")
_FIRST = itemgetter(0)


def write_payroll(path: Path, result: PayrollResult, run: RunRecord,
                  categories: Sequence[str] = (), split: Split | None = None) -> None:
    """payroll-YYYY-MM.xlsx; 绩效工资 lists the categories in ``categories``' order (the rule
    files': 支行 first, as the regulation lists them). With ``split``, 风险金明细's blocks
    are shared with the parent, which finishes the workbook (``sheetparts.helped``)."""
    book = Book(path, f"{result.month} 客户经理绩效工资", result.month)
    order = {c: k for k, c in enumerate(categories)}
    write_pay_sheet(book, result, order)
    scols = [Column("工号", 12), Column("姓名", 10), Column("职务", 16), Column("管辖机构", 14),
             Column("履职岗位工资", 12, "money"), Column("客户经理人数", 10, "int"),
             Column("平均得分", 9, "points"), Column("固定部分(90%)", 13, "money"),
             Column("挂钩部分(10%)", 13, "money"), Column("应发", 12, "money"),
             Column("说明", 40)]
    book.sheet("主管挂钩", scols, [[s.id, s.name, s.title, s.scope, s.wage, s.managers, s.average,
                                   s.fixed, s.linked, s.pay, s.warning]
                                  for s in result.supervisors],
               note="第十二条：履职岗位工资的 10% 与所辖客户经理平均得分挂钩")
    ledger = result.ledger
    book.sheet("风险金台账", [Column("项目", 20), Column("金额（元）", 14, "money")], [
        ("年初至上月累计", ledger.opening), ("本月计提", ledger.accrued),
        ("本月发放", ledger.released), ("本月扣收", ledger.forfeited),
        ("期末余额", ledger.closing)],
        note=f"{result.month[:4]} 年风险金（按各月履职绩效工资 / 100 折算）")
    write_fund_statement(book, result, order, split)
    write_restatements(book, result)
    book.sheet("合计", [Column("项目", 30), Column("金额（元）", 14, "money")],
               pay_totals(result) + restatement_totals(result.totals),
               note=f"{result.month} 绩效工资合计")
    book.sheet("运行记录", [Column("项目", 22), Column("内容", 70, "value")],
               record(run, [("执行的定级", result.grading or "尚未定级（过渡期）")]))
    book.close()


PAY_COLUMNS = [Column("工号", 12), Column("姓名", 10), Column("机构", 14), Column("类别", 10),
               Column("等级", 8), Column("定级依据", 30, "wrap"),
               Column("履职绩效工资", 12, "money"), Column("考核得分", 9, "points"),
               Column("月度应得工资", 12, "money"), Column("风险金发放", 11, "money"),
               Column("风险金扣收", 11, "money"), Column("预警", 40, "wrap")]


def write_pay_sheet(book: Book, result: PayrollResult, order: dict[str, int]) -> None:
    """绩效工资: one line per manager, the categories in ``order`` (each sheet its own
    function: a national payroll's sheets may be written by different processes)."""
    lines = result.lines
    runs = _runs(lines.category, order)
    by_value = ByValue(centi_text)
    by_value[None] = number(ZERO)  # not released or forfeited this month
    cell = by_value.__getitem__
    t = result.totals
    # The lines' columns in the sheet's order, sliced a block at a time; each amount's
    # cell text made once per distinct value (a str of a Decimal per cell was a third of
    # the writer's time).
    texts = [_in_order(getattr(lines, f), runs) for f in _PAY_TEXT]
    shown = {base: number(base) for base in set(lines.base)}  # a few bases: each text once
    bases = list(map(shown.__getitem__, _in_order(lines.base, runs)))
    amounts = [_in_order(getattr(lines, f), runs) for f in _PAY_AMOUNTS]
    warned = _in_order(lines.warning_texts(), runs)

    def block(rows: range) -> list[list[Any]]:
        k, end = rows.start, rows.stop
        return [*(column[k:end] for column in texts), Figures(bases[k:end]),
                *(Figures(map(cell, column[k:end])) for column in amounts), warned[k:end]]

    total: list[list[Any]] = [["合计"], [""], [""], [""], [""], [f"{len(lines)} 人"],
                              [None], [None], [t["pay"]], [t["risk_fund_release"]],
                              [t["risk_fund_forfeit"]], [""]]
    book.sheet("绩效工资", PAY_COLUMNS, Blocks(chain(column_blocks(range(len(lines)), block),
                                                   [total])),
        note=f"{result.month} 月度应得工资 = 履职绩效工资 × 考核得分 / 100（第十一条）")


T = TypeVar("T")


def _runs(categories: list[str], order: dict[str, int]) -> list[tuple[int, int]]:
    """The (start, end) runs of ``categories`` that put them in ``order`` (the others
    last), stably: the lines come grouped by category (the store's order), and sorting
    the runs stably is sorting the lines stably, with one key per run, not per line."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    last = len(order)
    for category, run in groupby(categories):
        end = start + len(list(run))
        runs.append((order.get(category, last) if order else 0, start, end))
        start = end
    return [(a, b) for _, a, b in sorted(runs, key=_FIRST)]


def _in_order(column: list[T], runs: list[tuple[int, int]]) -> list[T]:
    """``column`` (a field of the lines) in the order of ``runs`` (``_runs``)."""
    if len(runs) == 1 and runs[0] == (0, len(column)):
        return column
    return list(chain.from_iterable(column[a:b] for a, b in runs))


FUND_COLUMNS = [Column("工号", 12), Column("姓名", 10), Column("机构", 14), Column("类别", 10),
                Column("期初（年初至上月累计）", 14, "money"), Column("本月计提", 11, "money"),
                Column("本月发放", 11, "money"), Column("本月扣收", 11, "money"),
                Column("期末余额", 11, "money"), Column("说明", 40, "wrap")]


FUND_SHEET = "风险金明细"


def write_fund_statement(book: Book, result: PayrollResult, order: dict[str, int],
                         split: Split | None = None) -> None:
    """风险金明细: the ledger per manager in the 绩效工资 sheet's order, then the leavers,
    with a totals line that is the 风险金台账 sheet's figures. With ``split`` (a forked
    national run) its blocks are rendered by both processes (``sheetparts``)."""
    columns, makers, sizes = fund_sheet(result, order)
    note = (f"{result.month} 风险金明细：期末余额 = 期初 + 本月计提 − 本月发放 − 本月扣收"
            "（离职、休假按花名册，未登记的据导出推断，见说明列；扣收提请客户经理管理考评领导小组研究）")
    if split is None:
        book.sheet(FUND_SHEET, columns, Blocks(make() for make in makers), note=note)
        return
    # The notes and the count are the only texts the 绩效工资 sheet may not have shared.
    fund = result.ledger.lines
    seed = sorted({*fund.note, *(f.note for f in fund.leavers)}) + [f"{len(fund)} 人"]
    write_sheet(book, split, FUND_SHEET, columns, makers, sizes, seed, note=note)


def fund_sheet(result: PayrollResult, order: dict[str, int]
               ) -> tuple[list[Column], list[Maker], list[int]]:
    """风险金明细's columns and its blocks (makers and sizes), the totals line the last:
    the same in both processes of a forked run."""
    ledger = result.ledger
    fund = ledger.lines
    runs = _runs(fund.category, order)
    leavers = fund.leavers

    def column(values: list[Any], name: str) -> list[Any]:
        """The managers' ``values`` in the sheet's order, then the leavers'."""
        return _in_order(values, runs) + [getattr(f, name) for f in leavers]

    texts = [column(getattr(fund, f), f) for f in _FUND_TEXT]
    amounts = [column(getattr(fund, f), f) for f in _FUND_AMOUNTS] + \
        [column(fund.closing_fen(), "closing_fen")]
    notes = column(fund.note, "note")
    cell = ByValue(centi_text).__getitem__

    def columns(rows: range) -> list[list[Any]]:
        k, end = rows.start, rows.stop
        return [*(c[k:end] for c in texts), *(Figures(map(cell, c[k:end])) for c in amounts),
                notes[k:end]]

    def total() -> list[list[Any]]:
        return [["合计"], [""], [""], [""], [ledger.opening], [ledger.accrued],
                [ledger.released], [ledger.forfeited], [ledger.closing], [f"{len(notes)} 人"]]

    makers, sizes = block_makers(range(len(notes)), columns, BLOCK_ROWS)
    return FUND_COLUMNS, [*makers, total], [*sizes, 1]


def fund_json(fund: Iterable[FundLine]) -> list[dict[str, Any]]:
    text = Texts()
    return [{"id": f.id, "name": f.name, "branch": f.branch, "category": f.category,
             "opening": text[f.opening_fen], "accrued": text[f.accrued_fen],
             "released": text[f.released_fen], "forfeited": text[f.forfeited_fen],
             "closing": text[f.closing_fen], "note": f.note or None,
             "left": None if f.leaver is None else {
                 "last_month": f.leaver.last_month, "source": f.leaver.source,
                 "left_on": f.leaver.left_on, "on_leave": bool(f.leaver.on_leave)}}
            for f in fund]


def leaver_lines(result: PayrollResult) -> list[str]:
    """One terminal line per leaver in the ledger (the first TERMINAL_ROWS): his fund held
    or 扣收, and how cmscore knows he left."""
    left = result.ledger.lines.leavers
    more = unlisted(len(left), "工资表的「风险金明细」")
    return [f"风险金 {f.id} {f.name}（{f.branch}）：期初 {fmt2(from_centi(f.opening_fen))} 元，"
            f"本月扣收 {fmt2(from_centi(f.forfeited_fen))} 元，期末 "
            f"{fmt2(from_centi(f.closing_fen))} 元。{f.note}"
            for f in left[:TERMINAL_ROWS]] + ([f"风险金离职人员{more}"] if more else [])


BOM = "\ufeff"


def import_columns(result: PayrollResult, spec: SalaryImport
                   ) -> tuple[list[str], list[str], list[str], list[int]]:
    """工号, 姓名, code and amount in fen, one entry per person and pay item: each manager's
    月度应得工资 (0.00 included: the salary system should see that the manager was paid
    nothing), the risk fund released in December when there is some, each manager's
    restatements of earlier paid months summed into one 补发/扣回 row (negative to recover),
    and each supervisor's fixed and linked parts."""
    codes = spec.codes
    lines = result.lines
    if not any(lines.release_fen):  # no fund released: one row per manager, as the columns
        ids, names = list(lines.id), list(lines.name)
        items, fen = [codes.pay] * len(ids), list(lines.pay_fen)
    else:
        ids, names, items, fen = [], [], [], []
        for cm, name, pay, release in zip(lines.id, lines.name, lines.pay_fen,
                                          lines.release_fen, strict=True):
            ids.append(cm)
            names.append(name)
            items.append(codes.pay)
            fen.append(pay)
            if release:
                ids.append(cm)
                names.append(name)
                items.append(codes.risk_fund_release)
                fen.append(release)
    carried: dict[str, int] = {}
    carried_name: dict[str, str] = {}
    for r in result.restatements:
        carried[r.cm_id] = carried.get(r.cm_id, 0) + r.difference_fen
        carried_name[r.cm_id] = r.name
    for cm, amount in carried.items():
        if amount:
            ids.append(cm)
            names.append(carried_name[cm])
            items.append(codes.restatement)
            fen.append(amount)
    for s in result.supervisors:
        ids += (s.id, s.id)
        names += (s.name, s.name)
        items += (codes.supervisor_fixed, codes.supervisor_linked)
        fen += (to_centi(s.fixed), to_centi(s.linked))
    return ids, names, items, fen


def import_paths(out_dir: Path, month: str) -> tuple[Path, Path]:
    stem = f"工资导入-{month}"
    return out_dir / f"{stem}.csv", out_dir / f"{stem}.xlsx"


def write_salary_import(csv_path: Path, xlsx_path: Path, result: PayrollResult,
                        spec: SalaryImport) -> None:
    """Both files, into the paths given (``app.payroll`` moves them into place)."""
    ids, names, items, fen = import_columns(result, spec)
    heads = spec.columns
    # One text per amount for both files: the workbook's cell text of a sum in 分 is the
    # CSV's two-place text (``centi_text`` is ``fmt2`` of the same Decimal: a test).
    amounts = list(map(ByValue(centi_text).__getitem__, fen))
    csv_path.write_text(BOM + _csv([heads.id, heads.name, heads.code, heads.amount],
                                   ids, names, items, amounts),  # type: ignore[arg-type]
                        encoding="utf-8", newline="")
    book = Book(xlsx_path, f"{result.month} 工资导入", result.month)
    book.sheet("工资导入", [Column(heads.id, 12), Column(heads.name, 10),
                          Column(heads.code, 14), Column(heads.amount, 14, "money")],
               Blocks(column_blocks(range(len(ids)), lambda rows: [
                   ids[rows.start:rows.stop], names[rows.start:rows.stop],
                   items[rows.start:rows.stop], Figures(amounts[rows.start:rows.stop])])))
    book.close()


def _csv(head: list[str], *columns: list[str]) -> str:
    """The CSV text of ``head`` and the rows of ``columns``, lines ended as Excel saves
    them (CRLF). Joined in C loops when no field needs quotes (no comma, quote or line
    break anywhere: what ``csv.writer`` then writes too), else by ``csv.writer``."""
    if not any(_QUOTED.search(text) for text in map("".join, (head, *columns))):
        return "\r\n".join(map(",".join, chain([head], zip(*columns, strict=True)))) + "\r\n"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows(zip(*columns, strict=True))
    return text.getvalue()


_QUOTED = re.compile('[,"\r\n]')


def payroll_json(result: PayrollResult) -> dict[str, Any]:
    ledger = result.ledger
    text = Texts()
    lines = result.lines
    bases = {base: fmt2(base) for base in set(lines.base)}
    said = lines.warnings
    return {
        "month": result.month, "grading_in_effect": result.grading,
        "managers": [{"id": cm, "name": name, "grade": grade, "base": bases[base],
                      "score": text[score], "pay": text[pay], "risk_fund_release": text[release],
                      "risk_fund_forfeit": text[forfeit], "warnings": said.get(k, [])}
                     for k, cm, name, grade, base, score, pay, release, forfeit in zip(
                         count(), lines.id, lines.name, lines.grade, lines.base, lines.score_cp,
                         lines.pay_fen, lines.release_fen, lines.forfeit_fen)],
        "supervisors": [{"id": s.id, "name": s.name, "title": s.title, "scope": s.scope,
                         "wage": fmt2(s.wage), "managers": s.managers,
                         "average": fmt2(s.average), "fixed": fmt2(s.fixed),
                         "linked": fmt2(s.linked), "pay": fmt2(s.pay),
                         "warning": s.warning or None}
                        for s in result.supervisors],
        "totals": {k: fmt2(v) for k, v in result.totals.items()},
        "risk_fund_ledger": {"opening": fmt2(ledger.opening), "accrued": fmt2(ledger.accrued),
                             "released": fmt2(ledger.released),
                             "forfeited": fmt2(ledger.forfeited),
                             "closing": fmt2(ledger.closing)},
        "unsettled_risk_fund": result.unsettled,
        "risk_fund_statement": fund_json(ledger.lines),
        "restatements": restatements_json(result.restatements),
    }


def payroll_summary(result: PayrollResult) -> list[Any]:
    from rich.table import Table

    t = result.totals
    by_grade = Table(title=f"{result.month} 绩效工资（执行定级：{result.grading or '过渡期'}）",
                     title_justify="left")
    for h in ("等级", "人数", "履职绩效工资", "应得工资合计"):
        by_grade.add_column(h, justify="left" if h == "等级" else "right")
    order = [*GRADES, TRANSITION]
    lines = result.lines
    for g in sorted(set(lines.grade), key=order.index):
        members = [k for k, grade in enumerate(lines.grade) if grade == g]
        bases = sorted({fmt2(lines.base[k]) for k in members})
        by_grade.add_row(g, str(len(members)), "/".join(bases),
                         fmt2(from_centi(sum(lines.pay_fen[k] for k in members))))
    by_grade.add_row("合计", str(len(lines)), "", fmt2(t["pay"]))
    out: list[Any] = [by_grade]
    warned = sorted(k for k, said in lines.warnings.items() if said)  # in the lines' order
    if warned:
        w = Table(title="预警", title_justify="left",
                  caption=unlisted(len(warned), "工资表的「预警」列"), caption_justify="left")
        for h in ("工号", "姓名", "预警"):
            w.add_column(h)
        for k in warned[:TERMINAL_ROWS]:
            w.add_row(lines.id[k], lines.name[k], "；".join(lines.warnings[k]))
        out.append(w)
    return out + restatements_summary(result)
