"""Tiny stored histories for the grade and pay tests, written inside each test.

A month is a dict ``{cm_id: (category, branch, total, risk_fund, npl_ratio)}``; the
figures are text so no float is involved. It is stored through the real
``store.save_month`` so grading and payroll read it exactly as they would after
``cmscore score``.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from cmscore.cli import app
from cmscore.engine.itemscore import ItemScore
from cmscore.engine.month import Manager
from cmscore.engine.scoring import ManagerScore, MonthScores, competition_ranks
from cmscore.rules.ruleset import DEFAULT_DIR
from cmscore.store import db as store
from conftest import with_grades

D = Decimal
Row = tuple[str, str, str, str, str]  # category, branch, total, risk fund, NPL ratio
Month = Mapping[str, Row]

RUNNER = CliRunner(env={"COLUMNS": "2000", "NO_COLOR": "1", "CMSCORE_DB": None})


def cm(total: str, *, category: str = "支行", branch: str = "城东支行", risk_fund: str = "6.00",
       npl: str = "0") -> Row:
    """One CM's stored month; by default a 支行 CM with NPL 0 (risk fund 6.00)."""
    return (category, branch, total, risk_fund, npl)


def month_scores(month: str, cms: Month) -> MonthScores:
    out = MonthScores(month)
    for cm_id, (category, branch, total, risk_fund, npl) in cms.items():
        manager = Manager(cm_id, f"姓名{cm_id}", branch, category, row=0)
        item = ItemScore("npl", D("0"), "test", figure=D(npl), risk_fund=D(risk_fund))
        out.scores.append(ManagerScore(manager, {"npl": item}, D(total), D(risk_fund), {}))
    for key, setter in ((lambda s: s.manager.category, "rank"),
                        (lambda s: s.manager.branch, "branch_rank")):
        groups: dict[str, list[ManagerScore]] = defaultdict(list)
        for s in out.scores:
            groups[key(s)].append(s)
        for members in groups.values():
            for s, r in zip(members, competition_ranks([m.total for m in members]), strict=True):
                setattr(s, setter, r)
    return out


def store_months(db: Path, months: Mapping[str, Month]) -> Path:
    """Store each month (any order) in the history store at ``db``; returns ``db``."""
    conn = store.connect(db)
    try:
        for month, cms in sorted(months.items()):
            run = store.RunRecord("score", month, f"{month}.xlsx", "0" * 64, {})
            store.save_month(conn, month_scores(month, cms), run)
    finally:
        conn.close()
    return db


def span(first: str, last: str) -> list[str]:
    """Calendar months from ``first`` to ``last`` inclusive."""
    out = [first]
    while out[-1] != last:
        year, mon = int(out[-1][:4]), int(out[-1][5:])
        out.append(f"{year + mon // 12}-{mon % 12 + 1:02d}")
    return out


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(with_grades(sqlite3.connect(db))) as conn:
        return list(conn.execute(sql, args))


def run(*args: Any, code: int | None = 0) -> Any:
    """Invoke ``cmscore`` in-process; a crash is a test failure, not exit 1."""
    result = RUNNER.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"cmscore crashed: {result.exception!r}\n{result.stderr}") \
            from result.exception
    if code is not None:
        assert result.exit_code == code, (f"exit {result.exit_code}, wanted {code}\n"
                                          f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def run_json(*args: Any) -> Any:
    """Run with ``--json``: stdout must be exactly one JSON document and nothing else."""
    result = run(*args, "--json")
    return json.loads(result.stdout)


def rules_with_payroll(tmp_path: Path, text: str) -> Path:
    """A copy of the shipped rule files with ``payroll.yaml`` replaced by ``text``."""
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    (target / "payroll.yaml").write_text(text, encoding="utf-8")
    return target


def write_sheet(path: Path, header: list[str], rows: list[list[Any]],
                titles: tuple[str, ...] = ()) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for title in titles:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def read_sheet(path: Path, sheet: str) -> list[dict[str, Any]]:
    """Rows of a sheet written by ``xlsx.Book`` (a note, a blank row, the header), by header."""
    wb = load_workbook(path, data_only=True)
    try:
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    # The note is one cell; the header is the first row with more than one cell.
    at = next(i for i, r in enumerate(rows) if sum(c is not None for c in r) > 1)
    header = rows[at]
    return [dict(zip(header, r, strict=True)) for r in rows[at + 1:]]
