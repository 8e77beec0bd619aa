"""`payroll`: a month's pay from its stored scores and the grading in effect, the risk-fund ledger and the supervisors' linked pay."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from decimal import Decimal
from functools import partial
from itertools import compress, repeat
from operator import add, itemgetter, mul, sub
from pathlib import Path
from typing import TYPE_CHECKING

from cmscore.app.common import existing_store, no_gc, require_months, sha256_of
from cmscore.engine import events
from cmscore.engine.grading import (
    GRADES,
    divide_half_up,
    window,
)
from cmscore.engine.month import check_month
from cmscore.engine.pay import (
    LEADERS,
    NPL_WARNING_MONTHS,
    NPL_WARNING_RATIO,
    TRANSITION,
    Bases,
    Gone,
    Ledger,
    PayrollResult,
    SupervisorLine,
    base_for,
    non_pool_grade,
    npl_warning,
    reconcile,
    supervisor_pay,
    total_of,
)
from cmscore.engine.paylines import FundLines, PayLines
from cmscore.numbers import from_centi
from cmscore.outputs import payroll as out_payroll
from cmscore.outputs import sheetparts
from cmscore.outputs.aside import alongside
from cmscore.outputs.files import atomic_file, stored_workbook
from cmscore.problems import fail
from cmscore.rules.files import Payroll
from cmscore.rules.grading import DEFAULT_POOL
from cmscore.rules.ruleset import RuleSet, load_rules
from cmscore.store import db as store
from cmscore.store import events as store_events
from cmscore.store import history, restate
from cmscore.store import leavers as store_leavers
from cmscore.store.paycols import PayColumns, pay_columns

if TYPE_CHECKING:
    from cmscore.inputs.supervisors import Supervisor


def run_payroll(*, month: str | None = None, supervisors_file: Path | None = None,
                db: Path | None = None, out_dir: Path | None = None,
                rules_dir: Path | None = None, replace: bool = False) -> PayrollResult:
    """Pay for a scored month; December also settles the year's risk fund."""
    check_month(month, "--month")
    rules = load_rules(rules_dir)
    sups: list[Supervisor] = []
    if supervisors_file:  # its reader (and the record-file machinery) only when given
        from cmscore.inputs.supervisors import read_supervisors
        sups = read_supervisors(supervisors_file, list(rules.tables), rules.export.id_width)
    db = existing_store(db)
    with store.locked(db), no_gc():
        return _payroll_locked(month, sups, supervisors_file, db, out_dir, rules, replace)


def _payroll_locked(month: str | None, sups: list[Supervisor], supervisors_file: Path | None,
                    db: Path, out_dir: Path | None, rules: RuleSet,
                    replace: bool = False) -> PayrollResult:
    conn = store.connect(db)
    try:
        month = month or store.latest_month(conn)
        require_months(conn, [month], "发放绩效工资")
        store.refuse_if_closed(conn, month, "重新计算绩效工资")
        if restate.paid(conn, month) and not replace:
            raise fail(f"{month} 的绩效工资已经计算并存入历史库；如需重算请加 --replace"
                       "（原运行保留并标记为已被替代）")
        carried_on = restate.carried_elsewhere(conn, month)
        if replace and carried_on:
            raise fail(f"{month} 更正后的差额已随 {'、'.join(carried_on)} 工资补发/扣回；重算 {month} "
                       "的工资会重复发放。请保留原工资表，差额已按补发/扣回处理")
        # A stale grading in force in this month, or in a month already paid, would price
        # this month or the differences it carries with grades a rebuild would not give.
        in_force = history.in_effect(conn, month)
        for stale, months, end, why, paid_in in restate.stale_in_force(conn, in_force):
            where = f"{month} 执行的定级" if not paid_in else \
                f"已发放月份 {'、'.join(paid_in)} 执行的定级"
            raise fail(f"{where}（{stale} 起执行）已过期：{why}；请先重新定级："
                       f"cmscore grade --months {months} --end {end} --replace")
        carried = [r for r in restate.pending(conn) + (
            restate.carried_by(conn, month) if replace else []) if r.month != month]
        year = int(month[:4])
        # The three reads on both cores: SQLite builds the pay rows' arrays in a thread
        # while the other sums the year's accruals and this one reads the NPL months.
        with history.read_beside(db, lambda c: history.accruals(c, year, month,
                                                               rules.grading.pool)) as funds_read, \
                history.read_beside(db, lambda c: pay_columns(c, month)) as rows_read:
            npl = history.npl_candidates(conn, window(month, NPL_WARNING_MONTHS),
                                         NPL_WARNING_RATIO)
            rows = rows_read()
            funds = funds_read()
        gone = who_left(conn, month, rules.payroll, funds, rows)
        lines, ledger = pay_lines(conn, rules.payroll, month, rows, funds, npl,
                                  rules.grading.pool, gone)
        happened = store_events.of(conn, month)  # the 第十六条 events, in the 预警 column
        for k in [k for k, cm in enumerate(lines.id) if cm in happened] if happened else ():
            lines.warnings.setdefault(k, []).extend(events.warnings(happened[lines.id[k]], month))
        sup_lines = _supervisor_lines(sups, rows.rows if sups else [], rules.payroll,
                                      supervisors_file)
        totals = reconcile(lines, sup_lines)
        left = [f.id for f in ledger.lines.leavers]
        # The leavers' 扣收 (less any turned back): not on a pay line, in the ledger's.
        extra = ledger.forfeited - totals["risk_fund_forfeit"]
        if extra or any(f.forfeited_fen for f in ledger.lines.leavers):
            totals["risk_fund_forfeit_leavers"] = extra
        run = store.RunRecord("payroll", month, supervisors_file.name if supervisors_file else "",
                              sha256_of(supervisors_file) if supervisors_file else "",
                              rules.hashes, started_at=store.RunRecord.now())
        result = PayrollResult(month, lines, sup_lines, totals, ledger, in_force,
                               (out_dir or Path.cwd()) / f"payroll-{month}.xlsx", left,
                               sorted(carried, key=lambda r: (r.month, r.cm_id, r.id)))
        if carried:
            totals["restatements"] = total_of([r.difference_fen for r in carried])
            totals["total_with_restatements"] = totals["total"] + totals["restatements"]

        def carry(run_id: int) -> None:
            if replace:
                restate.release_carried(conn, month)
                restate.void_for(conn, month, run_id)
            restate.carry(conn, [r.id for r in carried], month, run_id)
        result.imports = list(out_payroll.import_paths(result.output.parent, month))
        categories = list(rules.tables)
        with stored_workbook(conn, result.output) as book, \
                sheetparts.sharing(len(lines), book.tmp) as split, \
                atomic_file(result.imports[0]) as tmp_csv, \
                atomic_file(result.imports[1]) as tmp_xlsx, \
                alongside(len(lines), out_payroll.write_payroll, book.tmp, result, run,
                          categories, split) as written:
            # The import file here while a national payroll's workbook is written by the
            # forked child; once stored, this process renders what is left of the child's
            # last long sheet, 风险金明细 (sheetparts), so both end together.
            out_payroll.write_salary_import(tmp_csv, tmp_xlsx, result,
                                            rules.payroll.salary_import)
            whole = sheetparts.helped(split, book.tmp, out_payroll.FUND_SHEET, partial(
                out_payroll.fund_sheet, result, {c: k for k, c in enumerate(categories)}),
                written)
            history.save_payroll(conn, month, lines, sup_lines, run, ready=book.ready(whole),
                                 then=carry)
    finally:
        conn.close()
    return result


def pay_lines(conn: sqlite3.Connection, payroll: Payroll, month: str,
              rows: list[history.PayRow] | PayColumns, funds: history.Accruals,
              npl: dict[str, list[Decimal | None]],
              pool: Collection[str] = DEFAULT_POOL,
              gone: Gone | None = None) -> tuple[PayLines, Ledger]:
    """Every CM's line and the risk-fund ledger per manager (``Ledger.lines``), in integers
    (see ``pay.Bases``), kept as columns (``engine.paylines``); with ``gone``, the
    leavers' fund too (held, 扣收 or turned back).

    A manager in a category outside ``pool`` (grading.yaml's) is 一级 in that month
    (第六条) whatever the grading in effect says: a new 分行 manager, one appointed to 分行
    since the grading, every 分行 manager in the transition (unless payroll.yaml's
    ``non_pool_in_transition: transition``)."""
    bases = Bases(payroll)
    fen = bases.fen
    unit = {g: bases.units(g) for g in (*GRADES, TRANSITION)}
    base = {g: base_for(payroll, g) for g in unit}
    grades_in = _grade_lookup(conn, payroll)
    grades_now, default_now, note_found, note_default = grades_in(month)
    if funds.pool != frozenset(pool):  # read for another pool: the months outside differ
        funds = history.accruals(conn, int(month[:4]), month, pool)
    spans = [(funds.points[s], *grades_in(start)[:2]) for s, start in enumerate(funds.starts)]
    earlier = dict(zip(funds.ids, _earlier(funds.ids, spans, funds.outside, unit, payroll),
                       strict=True))

    def earlier_of(cm: str) -> int:
        """Σ base × points over the year's months before ``month``, each at its own base."""
        return earlier.get(cm, 0)

    december = month.endswith("-12")
    held = non_pool_grade(payroll, default_now != TRANSITION)
    held_note = "客户经理为一级（第六条）" if held == "一级" else \
        "过渡期（payroll.yaml 的 non_pool_in_transition）"

    def graded(found: str | None, category: str) -> tuple[str, str]:
        """(grade, 定级依据) of a manager whose grading says ``found`` (None: not graded)."""
        grade, note = (found, note_found) if found is not None else (default_now, note_default)
        if grade != held and category not in pool:
            return held, (category + held_note if held == "一级" else held_note)
        return grade, note

    # A column at a time, each in a C loop (map, zip, compress): a national payroll is
    # 100k lines, and a line at a time in Python was 0.39 s before the fork, on one core.
    cms, names, branches, categories, totals, risk_funds, ratios = _columns_of(rows)
    found = list(map(grades_now.get, cms)) if grades_now else [None] * len(cms)
    keys = list(zip(found, categories, strict=True))
    kinds = {key: graded(*key) for key in set(keys)}  # a few (grade, category) pairs
    pairs = list(map(kinds.__getitem__, keys))
    grades, notes = list(map(_FIRST, pairs)), list(map(_SECOND, pairs))
    units = list(map(unit.__getitem__, grades))
    pays = bases.fen_column(list(map(mul, units, totals)))
    before_raw = list(map(earlier.get, cms, repeat(0)))
    befores = bases.fen_column(before_raw)
    amounts = bases.fen_column(list(map(add, before_raw, map(mul, units, risk_funds))))
    if december:
        # The year's fund released in full without NPL at year end (附件1), else 扣收.
        # Once per distinct ratio: a December's 100k ratios hold tens of thousands.
        settled = {ratio: _settled(ratio) for ratio in set(ratios)}
        no_npl = list(map({r: s[0] for r, s in settled.items()}.__getitem__, ratios))
        releases = [a if k else None for a, k in zip(amounts, no_npl, strict=True)]
        forfeits = [None if k else a for a, k in zip(amounts, no_npl, strict=True)]
        released = list(map(mul, amounts, no_npl))  # the amount where released, else 0
        forfeited = list(map(sub, amounts, released))
        year_end = list(map({r: s[1] for r, s in settled.items()}.__getitem__, ratios))
    else:  # each its own list: the leavers' settlement changes a fund line's in place
        releases, forfeits = [None] * len(cms), [None] * len(cms)
        released, forfeited = [0] * len(cms), [0] * len(cms)
        year_end = [""] * len(cms)
    warnings: dict[int, list[str]] = {}
    warned = {cm: w for cm, ratios_of in npl.items() if (w := npl_warning(ratios_of))}
    if warned:
        said = list(map(warned.get, cms))
        warnings = {k: [w] for k, w in zip(compress(range(len(cms)), said), filter(None, said),
                                            strict=True)}
    lines = PayLines(cms, names, branches, categories, grades, notes,
                     list(map(base.__getitem__, grades)), totals, pays, releases, forfeits,
                     warnings=warnings)
    listed = [b or a for b, a in zip(befores, amounts, strict=True)]  # who has some fund
    columns = (cms, names, branches, categories, befores, list(map(sub, amounts, befores)),
               released, forfeited, year_end)
    # No object per manager: the sheets, the import file and the store take the columns.
    fund = FundLines(*(columns if all(listed) else
                       [list(compress(column, listed)) for column in columns]))
    if gone is not None:
        gone.settle(fund, earlier_of, fen, december)
    return lines, Ledger.of(fund)  # the ledger is the sum of the managers' lines


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def _columns_of(rows: list[history.PayRow] | PayColumns) -> PayColumns:
    """The seven columns of ``rows`` (as ``store.paycols.pay_columns`` reads them)."""
    if isinstance(rows, PayColumns):
        return rows
    return PayColumns(map(list, zip(*rows, strict=True)) if rows else ([] for _ in range(7)))


def _earlier(ids: list[str], spans: list[tuple[list[int], dict[str, str], str]],
             outside: list[list[int]], unit: dict[str, int], payroll: Payroll) -> list[int]:
    """Per manager of ``ids``, Σ units × risk-fund points over the spans, each span at the
    grade in effect in it and its months outside the pool (``outside``, the points accrued
    in them) at the fixed grade (第六条): a column at a time, as a national year is a
    hundred thousand managers. A span whose points sum to 0 adds nothing."""
    out = [0] * len(ids)
    for (points, grades, default), apart in zip(spans, outside, strict=True):
        units = [unit[grades.get(cm) or default] for cm in ids] if grades else \
            [unit[default]] * len(ids)
        fixed = unit[non_pool_grade(payroll, default != TRANSITION)]
        # units × (points − apart) + fixed × apart, as units × points + (fixed − units) × apart
        part = list(map(add, map(mul, units, points),
                        map(mul, map(fixed.__sub__, units), apart)))
        out = list(map(add, out, map(mul, part, map(bool, points))))
    return out


def _settled(ratio: str | None) -> tuple[bool, str]:
    """Whether the year's fund is released (no NPL at year end, 附件1) and the December
    note in 附件1's words: 「如年末无不良，全额下发，否则用于扣收」."""
    value = None if ratio is None else Decimal(ratio)
    if value == 0:
        return True, "年末无不良，全额下发"
    shown = "无数据" if value is None else f"{value * 100:.2f}%"
    return False, f"年末不良率 {shown}，风险金扣收，{LEADERS}"


def who_left(conn: sqlite3.Connection, month: str, payroll: Payroll, funds: history.Accruals,
             rows: list[history.PayRow] | PayColumns) -> Gone:
    """Who left as of ``month`` (of the managers scored earlier in the year) and, under
    ``forfeit``, as of the year's previous stored month (扣收 then, or back now)."""
    if funds.kept:  # the pay month's managers are the year's (paycols): no one left
        now = store_leavers.leavers(conn, month, ())
    else:
        paid = set(rows[0]) if isinstance(rows, PayColumns) else {row[0] for row in rows}
        now = store_leavers.leavers(conn, month, (cm for cm in funds.ids if cm not in paid))
    policy = payroll.leaver_risk_fund
    return Gone(now, store_leavers.gone_before(conn, month, now) if policy == "forfeit" else {},
                policy)


def _grade_lookup(conn: sqlite3.Connection, payroll: Payroll):  # type: ignore[no-untyped-def]
    """month → (CM → grade, grade of CMs not graded, why when graded, why when not): the
    grades in effect in that month (SPEC §5.2), one query per grading."""
    cache: dict[str, dict[str, str]] = {}

    def lookup(month: str) -> tuple[dict[str, str], str, str, str]:
        effective = history.in_effect(conn, month)
        if effective is None:
            return {}, TRANSITION, "", f"尚未定级，按过渡期 {payroll.transition} 元"
        if effective not in cache:
            cache[effective] = history.grades_of(conn, effective)
        return (cache[effective], "三级", f"{effective} 起执行的定级",
                f"{effective} 定级后加入，按三级（第六条）")

    return lookup


def _supervisor_lines(sups: list[Supervisor], rows: list[history.PayRow], payroll: Payroll,
                      path: Path | None) -> list[SupervisorLine]:
    """第十二条 per supervisor; a scope with no managers this month gets the policy in
    payroll.yaml (``supervisor_empty_scope``) and a warning."""
    if not sups:
        return []
    out: list[SupervisorLine] = []
    by_branch: dict[str, list[history.PayRow]] = {}
    for row in rows:
        by_branch.setdefault(row[2], []).append(row)
    full = payroll.supervisor_empty_scope == "full"
    for s in sups:
        where = f"{path.name} 第 {s.row} 行" if path else ""
        in_branch = by_branch.get(s.scope, [])
        chosen = [r for r in in_branch if (not s.categories or r[3] in s.categories)
                  and (not s.members or r[0] in s.members)]
        scores = [r[4] for r in chosen]
        notes = []
        if missing := [m for m in s.members if m not in {r[0] for r in in_branch}]:
            notes.append(f"主管 {s.id} {s.name}（{where}）的管辖工号 {'、'.join(missing)} 本月不在"
                         f"「{s.scope}」的计分名单中（未计分、已调离或工号有误——如被表格软件丢了前导零），未计入挂钩平均分")
        if scores:
            average = from_centi(divide_half_up(sum(scores), len(scores)))
        else:  # nothing to link to: the office's policy, said, never a failed payroll
            average = Decimal(100) if full else Decimal(0)
            notes.append(
                f"主管 {s.id} {s.name}（{where}）的管辖"
                f"{'范围' if s.described != s.scope else '机构'}「{s.described}」本月没有客户经理："
                f"挂钩部分{'按 100% 发放' if full else '不发放'}（payroll.yaml 的 "
                f"supervisor_empty_scope: {payroll.supervisor_empty_scope}）；如机构名称"
                f"写错，请改正主管人员文件后 payroll --replace；已计分的机构："
                f"{'、'.join(sorted(by_branch))}")
        fixed, linked = supervisor_pay(payroll, s.wage, average)
        out.append(SupervisorLine(s.id, s.name, s.title, s.described, s.wage, len(scores),
                                  average, fixed, linked, fixed + linked, "；".join(notes)))
    return out
