"""One function per command: the library that the CLI is a thin layer over."""

from __future__ import annotations

import gc
import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from cmscore.engine.grading import (
    GRADES,
    Grading,
    divide_half_up,
    grade_members,
    month_after,
    window,
)
from cmscore.engine.itemcolumns import History, NoHistory
from cmscore.engine.month import MonthExport, check_month
from cmscore.engine.pay import (
    NPL_WARNING_MONTHS,
    TRANSITION,
    Bases,
    Ledger,
    PayLine,
    PayrollResult,
    SupervisorLine,
    base_for,
    npl_warning,
    reconcile,
    supervisor_pay,
    total_of,
)
from cmscore.engine.scoring import MonthScores, score_month
from cmscore.inputs.reader import read_export
from cmscore.inputs.supervisors import Supervisor, read_supervisors
from cmscore.numbers import from_centi
from cmscore.outputs import results as outputs
from cmscore.outputs.aside import alongside
from cmscore.outputs.scores import write_scores
from cmscore.outputs.xlsx import atomic_file
from cmscore.problems import InputError, Problem, fail
from cmscore.rules.ruleset import Payroll, RuleSet, load_rules
from cmscore.store import db as store
from cmscore.store import history


@dataclass
class ScoreResult:
    export: MonthExport
    scores: MonthScores
    rules: RuleSet
    output: Path | None
    run: dict[str, object]
    warnings: dict[str, str] = field(default_factory=dict)  # CM → 第十六条 warning


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_read_only(db: Path) -> sqlite3.Connection | None:
    """The store for reading, without creating it (``check`` must write nothing)."""
    if not db.exists():
        return None
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _history(conn: sqlite3.Connection | None, month: str) -> History:
    return store.StoreHistory(conn, month) if conn is not None else NoHistory()


def check_file(path: Path, *, rules_dir: Path | None = None, db: Path | None = None,
               month: str | None = None) -> ScoreResult:
    """Validate and score an export exactly as ``score`` would; store and write nothing."""
    rules = load_rules(rules_dir)
    export = read_export(path, rules, month)
    conn = open_read_only(db or store.default_path())
    try:
        scores = score_month(export, rules, _history(conn, export.month))
    finally:
        if conn is not None:
            conn.close()
    return ScoreResult(export, scores, rules, None, {})


Step = Callable[[str], None]


def _quiet(name: str) -> None:
    """The default progress callback: say nothing."""


SCORE_STEPS = 4


def score_file(path: Path, *, rules_dir: Path | None = None, db: Path | None = None,
               out_dir: Path | None = None, month: str | None = None,
               replace: bool = False, step: Step = _quiet) -> ScoreResult:
    """Read, score, store and write one month. Nothing is stored or written on any problem.

    ``step`` is told the name of each of the SCORE_STEPS phases as it starts.
    """
    rules = load_rules(rules_dir)
    with _no_gc():
        step("读取并校验导出文件")
        export = read_export(path, rules, month)
        db = db or store.default_path()
        with store.locked(db):
            return _score_locked(path, export, rules, db, out_dir, replace, step)


def _score_locked(path: Path, export: MonthExport, rules: RuleSet, db: Path,
                  out_dir: Path | None, replace: bool, step: Step) -> ScoreResult:
    conn = store.connect(db)
    try:
        if export.month in store.stored_months(conn) and not replace:
            raise fail(f"{export.month} 已经计分并存入历史库；如需重新计分请加 --replace")
        step(f"计分 {len(export.managers)} 名客户经理")
        scores = score_month(export, rules, store.StoreHistory(conn, export.month))
        run = store.RunRecord("score", export.month, path.name, sha256_of(path), rules.hashes,
                              started_at=store.RunRecord.now())
        target = (out_dir or Path.cwd()) / f"scores-{export.month}.xlsx"
        record: dict[str, object] = {"file_sha256": run.file_sha256, "tool_version": run.tool_version,
                  "started_at": run.started_at}
        # The workbook is complete in a temp file before the month is committed, and
        # moved into place only after: a failure at any step leaves neither behind.
        with atomic_file(target) as tmp:
            step(f"写出 {target.name}")
            with alongside(len(scores.scores), write_scores, tmp, scores, export, rules,
                           record) as written:
                step("存入历史库")
                store.save_month(conn, scores, run, replace=replace, ready=written)
        span = window(export.month, NPL_WARNING_MONTHS)
        # Only CMs with an NPL in each of the months can be warned: a few, not 100k.
        warnings = {cm: w for cm, ratios in history.npl_candidates(conn, span).items()
                    if (w := npl_warning(ratios))}
    finally:
        conn.close()
    return ScoreResult(export, scores, rules, target, record, warnings)


@contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a command builds a national month's or year's
    objects: they hold no cycles (a 100k score run: 6 full passes collected nothing), and
    the passes cost ~0.5 s a grade or payroll run and ~1 s of a score run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class GradeResult:
    grading: Grading
    output: Path


def _require_months(conn: sqlite3.Connection, months: list[str], why: str) -> None:
    stored = set(store.stored_months(conn))
    missing = [m for m in months if m not in stored]
    if missing:
        raise fail(f"{why}需要的月份尚未计分：{'、'.join(missing)}；请先 cmscore score 这些月份"
                   f"（已计分：{'、'.join(sorted(stored)) or '无'}）")


def grade_window(months: int, *, end: str | None = None, db: Path | None = None,
                 out_dir: Path | None = None, rules_dir: Path | None = None) -> GradeResult:
    """Grade the 支行 pool over ``months`` months ending at ``end``; store and write."""
    if months < 1:
        raise fail("--months 必须是正整数")
    check_month(end, "--end")
    rules = load_rules(rules_dir)
    db = db or store.default_path()
    with store.locked(db), _no_gc():
        return _grade_locked(months, end, db, out_dir, rules)


def _grade_locked(months: int, end: str | None, db: Path, out_dir: Path | None,
                  rules: RuleSet) -> GradeResult:
    conn = store.connect(db)
    try:
        end = end or store.latest_month(conn)
        span = window(end, months)
        _require_months(conn, span, f"{months} 个月定级（{span[0]} 至 {span[-1]}）")
        effective = month_after(end)
        store.refuse_if_closed(conn, effective, f"重新定级（{effective} 起执行的定级）")
        result = grade_members(span, history.window_members(conn, span, db),
                               history.previous_annual(conn, effective) if months == 12 else None)
        run = store.RunRecord("grade", effective, "", "", rules.hashes,
                              started_at=store.RunRecord.now())
        target = (out_dir or Path.cwd()) / f"grades-{end}.xlsx"
        with atomic_file(target) as tmp, \
                alongside(len(result.decisions), outputs.write_grades, tmp, result, run) as written:
            history.save_grading(conn, result, run, ready=written)
    finally:
        conn.close()
    return GradeResult(result, target)


def run_payroll(*, month: str | None = None, supervisors_file: Path | None = None,
                db: Path | None = None, out_dir: Path | None = None,
                rules_dir: Path | None = None) -> PayrollResult:
    """Pay for a scored month; December also settles the year's risk fund."""
    check_month(month, "--month")
    rules = load_rules(rules_dir)
    sups = read_supervisors(supervisors_file) if supervisors_file else []
    db = db or store.default_path()
    with store.locked(db), _no_gc():
        return _payroll_locked(month, sups, supervisors_file, db, out_dir, rules)


def _payroll_locked(month: str | None, sups: list[Supervisor], supervisors_file: Path | None,
                    db: Path, out_dir: Path | None, rules: RuleSet) -> PayrollResult:
    conn = store.connect(db)
    try:
        month = month or store.latest_month(conn)
        _require_months(conn, [month], "发放绩效工资")
        store.refuse_if_closed(conn, month, "重新计算绩效工资")
        year = int(month[:4])
        with history.read_beside(db, lambda c: history.accruals(c, year, month)) as funds_read:
            rows = history.pay_rows(conn, month)
            effective = history.in_effect(conn, month)
            npl = history.npl_candidates(conn, window(month, NPL_WARNING_MONTHS))
            funds = funds_read()
        lines, ledger = _pay_lines(conn, rules.payroll, month, rows, funds, npl)
        sup_lines = _supervisor_lines(sups, rows, rules.payroll, supervisors_file)
        totals = reconcile(lines, sup_lines)
        paid = {cm for cm, *_ in rows}
        unsettled = sorted(cm for cm in funds.ids if cm not in paid) \
            if month.endswith("-12") else []
        run = store.RunRecord("payroll", month, supervisors_file.name if supervisors_file else "",
                              sha256_of(supervisors_file) if supervisors_file else "",
                              rules.hashes, started_at=store.RunRecord.now())
        result = PayrollResult(month, lines, sup_lines, totals, ledger, effective,
                               (out_dir or Path.cwd()) / f"payroll-{month}.xlsx", unsettled)
        with atomic_file(result.output) as tmp, \
                alongside(len(lines), outputs.write_payroll, tmp, result, run) as written:
            history.save_payroll(conn, month, lines, sup_lines, run, ready=written)
    finally:
        conn.close()
    return result


def _pay_lines(conn: sqlite3.Connection, payroll: Payroll, month: str,
               rows: list[history.PayRow], funds: history.Accruals,
               npl: dict[str, list[Decimal | None]]) -> tuple[list[PayLine], Ledger]:
    """Every CM's line and the risk-fund ledger, in integers (see ``pay.Bases``)."""
    bases = Bases(payroll)
    fen = bases.fen
    unit = {g: bases.units(g) for g in (*GRADES, TRANSITION)}
    base = {g: base_for(payroll, g) for g in unit}
    grades_in = _grade_lookup(conn, payroll)
    grades_now, default_now, note_found, note_default = grades_in(month)
    spans = [(funds.points[s], *grades_in(start)[:2]) for s, start in enumerate(funds.starts)]
    at = {cm: i for i, cm in enumerate(funds.ids)}
    december = month.endswith("-12")
    released: list[int | None] = []
    forfeited: list[int | None] = []
    opening = accrued = 0
    lines: list[PayLine] = []
    for cm, name, branch, category, total, risk_fund, ratio in rows:
        grade_now = grades_now.get(cm)
        note = note_found if grade_now is not None else note_default
        grade_now = grade_now or default_now
        now = unit[grade_now]
        line = PayLine(cm, name, branch, category, grade_now, note, base[grade_now], total,
                       fen(now * total))
        earlier = 0  # Σ base × points over the earlier spans, each at its own base
        i = at.get(cm)
        if i is not None:
            for points, grades, default in spans:
                if points[i]:
                    earlier += unit[grades.get(cm) or default] * points[i]
        before, amount = fen(earlier), fen(earlier + now * risk_fund)
        opening += before
        accrued += amount - before
        if december:
            if ratio == "0" or (ratio is not None and Decimal(ratio) == 0):
                line.release_fen = amount
                released.append(amount)
            else:
                line.forfeit_fen = amount
                forfeited.append(amount)
        warnings = npl.get(cm)
        if warnings is not None and (warning := npl_warning(warnings)):
            line.warnings.append(warning)
        lines.append(line)
    # Summed from ZERO line by line, an empty month or a month without releases keeps
    # the 0 without decimal places; total_of gives exactly those Decimals.
    ledger = Ledger(total_of([opening] if lines else []), total_of([accrued] if lines else []),
                    total_of(released), total_of(forfeited))
    return lines, ledger


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
    if not sups:
        return []
    problems: list[Problem] = []
    out: list[SupervisorLine] = []
    by_branch: dict[str, list[int]] = {}
    for row in rows:
        by_branch.setdefault(row[2], []).append(row[4])
    for s in sups:
        scores = by_branch.get(s.scope)
        if not scores:
            branches = "、".join(sorted(by_branch))
            problems.append(Problem(f"主管 {s.id} {s.name} 的管辖机构「{s.scope}」本月没有客户经理；"
                                    f"已计分的机构：{branches}", file=path.name if path else "",
                                    row=s.row, column="机构"))
            continue
        average = from_centi(divide_half_up(sum(scores), len(scores)))
        fixed, linked = supervisor_pay(payroll, s.wage, average)
        out.append(SupervisorLine(s.id, s.name, s.title, s.scope, s.wage, len(scores), average,
                                  fixed, linked, fixed + linked))
    if problems:
        raise InputError(problems)
    return out


def close_month(month: str, *, db: Path | None = None) -> None:
    check_month(month, "月份")
    db = db or store.default_path()
    with store.locked(db):
        conn = store.connect(db)
        try:
            store.close_month(conn, month)
        finally:
            conn.close()


def reopen_month(month: str, reason: str, *, db: Path | None = None) -> None:
    check_month(month, "月份")
    db = db or store.default_path()
    with store.locked(db):
        conn = store.connect(db)
        try:
            store.reopen_month(conn, month, reason)
        finally:
            conn.close()


def backup_store(target: Path, *, db: Path | None = None) -> Path:
    db = db or store.default_path()
    if not db.exists():
        raise fail(f"历史库 {db} 不存在")
    conn = store.connect(db)
    try:
        store.backup(conn, target)
    finally:
        conn.close()
    return target
