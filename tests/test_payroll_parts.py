"""A forked national `payroll` (issue 19): the child writes the payroll workbook while this
process writes the salary import and stores the pay, then renders what is left of the
child's 风险金明细 blocks (``sheetparts``). The files and the stored pay are those of
the run written in line, whoever renders which block."""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from cmscore.outputs import aside, sheetparts
from cmscore.outputs import payroll as out_payroll
from cmscore.problems import fail as fail_
from conftest import Cli
from test_sheetparts import EXAMPLES, _cells

pytestmark = pytest.mark.skipif(not aside.can_fork(), reason="forks only on Linux")


def _paid(cli: Cli, out: Path, code: int = 0) -> Any:
    db = out / "c.db"
    for month in ("2026-01", "2026-02"):
        cli("score", EXAMPLES / f"{month}.xlsx", "--db", db, "--out", out, "--quiet", code=0)
    return cli("payroll", "--month", "2026-02", "--db", db, "--out", out, code=code)


def _parent_takes(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[tuple[str, int]]:
    """The (sheet, block) pairs the parent renders; the child waits (up to 30 s) before each
    block until the parent has taken one, so that the parent's share is never empty."""
    parent, taken = os.getpid(), []
    render = sheetparts._render

    def recording(book: Any, folder: Path, name: str, *args: Any) -> None:
        if os.getpid() == parent:
            taken.append((name, args[-2]))
            (folder / "parent-took").touch()
            if fail and name == out_payroll.FUND_SHEET:  # the scoring runs go on
                raise fail_("风险金明细 第 7 行写不下去了")
        else:
            waited = time.monotonic()
            while not (folder / "parent-took").exists() and time.monotonic() - waited < 30:
                time.sleep(0.01)
        render(book, folder, name, *args)

    monkeypatch.setattr(sheetparts, "_render", recording)
    return taken


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked, and 风险金明细 in blocks of three managers: many blocks to share."""
    monkeypatch.setenv("CMSCORE_NO_FORK", "0")
    monkeypatch.setattr(aside, "FORK_MIN_ROWS", 0)
    monkeypatch.setattr(out_payroll, "BLOCK_ROWS", 3)


def test_the_parent_renders_fund_blocks_and_every_output_is_the_in_line_one(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, small_blocks: None) -> None:
    taken = _parent_takes(monkeypatch)
    forked, in_line = tmp_path / "forked", tmp_path / "in-line"
    printed = _paid(cli, forked).stdout
    fund = [k for name, k in taken if name == out_payroll.FUND_SHEET]
    assert fund and 0 not in fund  # block 0 is the child's: it measures the widths on it
    monkeypatch.setenv("CMSCORE_NO_FORK", "1")
    again = _paid(cli, in_line).stdout
    assert printed.replace(str(forked), "OUT") == again.replace(str(in_line), "OUT")
    for name in ("payroll-2026-02.xlsx", "工资导入-2026-02.xlsx"):
        got = _cells(forked / name)
        assert got == _cells(in_line / name), name
    assert len(_cells(forked / "payroll-2026-02.xlsx")[out_payroll.FUND_SHEET]) > 3 * 3
    assert (forked / "工资导入-2026-02.csv").read_bytes() == \
        (in_line / "工资导入-2026-02.csv").read_bytes()
    pay = "SELECT * FROM pay ORDER BY month, cm_id"
    with closing(sqlite3.connect(forked / "c.db")) as a, \
            closing(sqlite3.connect(in_line / "c.db")) as b:
        assert list(a.execute(pay)) == list(b.execute(pay)) != []
    assert not [p.name for p in forked.iterdir() if p.name.startswith(".")]  # no temp, no parts


def test_a_failure_in_the_parents_fund_blocks_stores_no_pay_and_leaves_no_file(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, small_blocks: None) -> None:
    taken = _parent_takes(monkeypatch, fail=True)
    got = _paid(cli, tmp_path, code=1)
    assert (out_payroll.FUND_SHEET, 1) in taken or (out_payroll.FUND_SHEET, 2) in taken
    assert "风险金明细 第 7 行写不下去了" in got.stderr
    with closing(sqlite3.connect(tmp_path / "c.db")) as conn:
        assert conn.execute("SELECT count(*) FROM pay").fetchone() == (0,)
    left = [p.name for p in tmp_path.iterdir() if not p.name.startswith("c.db")]
    assert not [n for n in left if n.startswith((".", "payroll", "工资导入"))], left
