"""The workbook written in a forked child (``aside``) is the workbook written in line, and
a failure on either side still leaves nothing stored and nothing written."""

from __future__ import annotations

import os
import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cmscore.app import score as app_score
from cmscore.outputs import aside
from cmscore.problems import fail
from cmscore.store import db as store
from conftest import Cli, stored_months

EXAMPLES = Path(__file__).parent.parent / "examples"
SUPERVISORS = EXAMPLES / "supervisors" / "主管人员.csv"
pytestmark = pytest.mark.skipif(not aside.can_fork(), reason="forks only on Linux")


def _run_all(cli: Cli, out: Path) -> Path:
    db = out / "cmscore.db"
    for k in range(1, 7):
        cli("score", EXAMPLES / f"2026-{k:02d}.xlsx", "--db", db, "--out", out, "--quiet", code=0)
    cli("grade", "--months", "6", "--end", "2026-06", "--db", db, "--out", out, code=0)
    cli("payroll", "--month", "2026-06", "--supervisors", SUPERVISORS, "--db", db, "--out", out,
        code=0)
    return db


def _sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets
            if ws.title != "运行记录"}  # it holds the run's start time


def _table(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return list(conn.execute(sql))


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pid of every child forked from here on."""
    forked: list[int] = []
    real_fork = os.fork

    def recording_fork() -> int:
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    return forked


def test_forked_workbooks_and_store_equal_the_in_line_ones(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, children: list[int]) -> None:
    monkeypatch.setenv("CMSCORE_NO_FORK", "1")
    in_line = _run_all(cli, tmp_path / "in-line")
    assert children == []
    monkeypatch.setenv("CMSCORE_NO_FORK", "0")
    monkeypatch.setattr(aside, "FORK_MIN_ROWS", 0)
    forked = _run_all(cli, tmp_path / "forked")
    assert len(children) == 8  # six months, the grading and the payroll
    books = sorted(p.name for p in (tmp_path / "in-line").glob("*.xlsx"))
    assert books == sorted(p.name for p in (tmp_path / "forked").glob("*.xlsx"))
    # and six 公示 (by the same children), and the salary import's xlsx (by the parent)
    assert len(books) == 15
    for name in books:
        assert _sheets(tmp_path / "forked" / name) == _sheets(tmp_path / "in-line" / name), name
    for sql in ("SELECT * FROM scores ORDER BY month, cm_id",
                "SELECT * FROM item_columns ORDER BY month, item_id",
                "SELECT * FROM ytd ORDER BY month, item_id",
                "SELECT * FROM grade_columns ORDER BY effective_month",
                "SELECT * FROM pay ORDER BY month, cm_id"):
        assert _table(forked, sql) == _table(in_line, sql), sql
    assert not list((tmp_path / "forked").glob(".*.tmp"))


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMSCORE_NO_FORK", "0")
    monkeypatch.setattr(aside, "FORK_MIN_ROWS", 0)


def _nothing_left(out: Path, db: Path) -> None:
    assert stored_months(db) == []
    assert sorted(p.name for p in out.iterdir() if p.name != db.name
                  and not p.name.startswith(db.name)) == []


def test_a_failure_in_the_forked_writer_is_reported_and_nothing_is_stored(
        tmp_path: Path, cli: Cli, forking: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise fail("工作簿写不下去了", file="scores-2026-01.xlsx")

    monkeypatch.setattr(app_score, "write_scores", broken)
    db = tmp_path / "cmscore.db"
    got = cli("score", EXAMPLES / "2026-01.xlsx", "--db", db, "--out", tmp_path, code=1)
    # The child's InputError comes back whole: its problem and the file it names.
    assert "共 1 处问题" in got.stderr
    assert "│ scores-2026-01.xlsx │" in got.stderr and "│ 工作簿写不下去了 │" in got.stderr
    _nothing_left(tmp_path, db)


def test_a_forked_writer_killed_by_a_signal_is_reported_and_nothing_is_stored(
        tmp_path: Path, cli: Cli, forking: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(*args: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(app_score, "write_scores", killed)
    db = tmp_path / "cmscore.db"
    got = cli("score", EXAMPLES / "2026-01.xlsx", "--db", db, "--out", tmp_path, code=1)
    assert "写出工作簿的子进程异常退出（信号 9）；未存入历史库，也未写出文件" in got.stderr
    _nothing_left(tmp_path, db)


def test_a_failure_while_storing_stops_the_forked_writer_and_leaves_no_workbook(
        tmp_path: Path, cli: Cli, forking: None, monkeypatch: pytest.MonkeyPatch,
        children: list[int]) -> None:
    def refused(*args: Any, **kwargs: Any) -> None:
        raise fail("历史库写满了")

    monkeypatch.setattr(store, "save_month", refused)
    db = tmp_path / "cmscore.db"
    got = cli("score", EXAMPLES / "2026-01.xlsx", "--db", db, "--out", tmp_path, code=1)
    assert "历史库写满了" in got.stderr
    assert len(children) == 1
    with pytest.raises(ChildProcessError):  # already reaped: no zombie, no orphan
        os.waitpid(children[0], os.WNOHANG)
    _nothing_left(tmp_path, db)
