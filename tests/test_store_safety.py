"""The history store and the output files: nothing half-done survives, ever.

Two runs on one store, SIGKILL at any moment of score/grade/payroll, closed months,
backups, what the workbooks hold, and rule files that YAML would misread. Runs that
must be killed or must race each other are child processes; the rest go through the
CLI in-process.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import hostile_fixtures as hf
from cmscore.cli import app
from cmscore.rules.ruleset import DEFAULT_DIR
from cmscore.store import db as store
from conftest import with_grades, with_items
from hostile_fixtures import Ran, cm_row, cm_rows, export_rows

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1–3 months

KILL_ROWS = 300  # big enough that `score` runs for a couple of seconds


def title(month: str) -> str:
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月客户经理业绩报表"


def export(directory: Path, month: str, rows: list[list[Any]], name: str | None = None) -> Path:
    sheet = hf.Sheet(rows=export_rows(rows, titles=[(title(month),)]))
    return hf.write_xlsx(directory / (name or f"{month}.xlsx"), sheets=[sheet])


def cli(*args: Any) -> Ran:
    runner = CliRunner(env={"COLUMNS": "2000", "NO_COLOR": "1", "CMSCORE_DB": None})
    start = time.monotonic()
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"cmscore crashed (a traceback, not a message): "
                             f"{result.exception!r}\n{result.stderr}") from result.exception
    return Ran(result.exit_code, result.stdout, result.stderr, time.monotonic() - start)


def ok(ran: Ran) -> Ran:
    assert ran.code == 0, f"exit {ran.code}\n{ran.stdout[-2000:]}\n{ran.stderr[-2000:]}"
    return ran


def query(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(with_grades(with_items(sqlite3.connect(db)))) as conn:
        return conn.execute(sql, args).fetchall()


def months(db: Path) -> list[str]:
    if not db.exists():
        return []
    return [m for (m,) in query(db, "SELECT month FROM months ORDER BY month")]


def integrity(db: Path) -> None:
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []


def workbook_rows(path: Path) -> dict[str, int]:
    """Each sheet's row count: the workbook must open whole."""
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: sum(1 for _ in ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()


# ---------------------------------------------------------------- two runs, one store


def test_second_run_is_refused_while_another_holds_the_store(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    oct_file = export(tmp_path, "2026-10", cm_rows(5))
    ok(cli("score", oct_file, "--db", db, "--out", out, "-q"))
    nov_file = export(tmp_path, "2026-11", cm_rows(5))
    commands = {
        "score": ["score", nov_file, "--db", db, "--out", out],
        "grade": ["grade", "--months", "1", "--db", db, "--out", out],
        "payroll": ["payroll", "--db", db, "--out", out],
    }
    env = hf.child_env(CMSCORE_LOCK_WAIT="1")
    with store.locked(db, wait_s=0):
        procs = {name: subprocess.Popen(hf.cmscore_command(*args), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=env)
                 for name, args in commands.items()}
        results = {name: p.communicate(timeout=30) for name, p in procs.items()}
    for name, (stdout, stderr) in results.items():
        assert procs[name].returncode == 1, (name, stdout, stderr)
        assert "另一个 cmscore 正在使用历史库" in stderr, (name, stderr)
        assert f"进程 {os.getpid()}" in stderr, (name, stderr)  # who holds it
        assert "Traceback" not in stderr and "database is locked" not in stderr
    assert months(db) == ["2026-10"]
    assert query(db, "SELECT count(*) FROM runs") == [(1,)]
    assert list(out.glob("*2026-11*")) == [] and list(out.glob("grades-*")) == []
    assert list(out.glob("payroll-*")) == []


def test_two_runs_at_once_take_turns_and_both_months_are_whole(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    files = {m: export(tmp_path, m, cm_rows(KILL_ROWS // 2)) for m in ("2026-10", "2026-11")}
    env = hf.child_env(CMSCORE_LOCK_WAIT="60")
    procs = [subprocess.Popen(hf.cmscore_command("score", f, "--db", db, "--out", out, "-q"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env=env) for f in files.values()]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert months(db) == ["2026-10", "2026-11"]
    assert query(db, "SELECT month, count(*) FROM scores GROUP BY month ORDER BY month") == \
        [("2026-10", KILL_ROWS // 2), ("2026-11", KILL_ROWS // 2)]
    integrity(db)
    for m in files:
        assert workbook_rows(out / f"scores-{m}.xlsx")


# ---------------------------------------------------------------- kill -9


@dataclass
class Killed:
    finished: bool  # the run ended on its own before the kill
    code: int | None


def run_and_kill(args: list[Any], delay: float, cwd: Path) -> Killed:
    with open(cwd / "killed.stderr", "w") as err:
        proc = subprocess.Popen(hf.cmscore_command(*args), stdout=subprocess.DEVNULL,
                                stderr=err, env=hf.child_env(), cwd=cwd)
        try:
            code = proc.wait(timeout=delay)
            return Killed(True, code)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=20)
            return Killed(False, None)


def timed(args: list[Any], cwd: Path) -> float:
    start = time.monotonic()
    proc = subprocess.run(hf.cmscore_command(*args), capture_output=True, text=True,
                          env=hf.child_env(), cwd=cwd, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return time.monotonic() - start


@dataclass
class Base:
    """A store and outputs to copy before each kill, and how long one run takes."""

    root: Path
    seconds: float
    facts: dict[str, Any]

    def copy(self, target: Path) -> tuple[Path, Path]:
        shutil.copytree(self.root, target)
        return target / "store.db", target / "out"


@pytest.fixture(scope="module")
def score_base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    root = tmp_path_factory.mktemp("score-base")
    db, out = root / "store.db", root / "out"
    v1 = export(root, "2026-10", cm_rows(KILL_ROWS), "v1-2026-10.xlsx")
    export(root, "2026-10", [cm_row(i, 银行卡=20, 放款户数=6) for i in range(1, KILL_ROWS + 1)],
           "v2-2026-10.xlsx")
    export(root, "2026-11", cm_rows(KILL_ROWS), "2026-11.xlsx")
    seconds = timed(["score", v1, "--db", db, "--out", out, "-q"], root)
    (total,) = query(db, "SELECT sum(total_cp) FROM scores")[0]
    (items,) = query(db, "SELECT count(*) FROM items")[0]
    (runs,) = query(db, "SELECT count(*) FROM runs")[0]
    return Base(root, seconds, {"total": total, "items": items, "runs": runs,
                                "xlsx": workbook_rows(out / "scores-2026-10.xlsx")})


@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.85, 1.1])
def test_kill_during_score_replace_leaves_old_or_new_month_whole(
        score_base: Base, tmp_path: Path, fraction: float) -> None:
    db, out = score_base.copy(tmp_path / "w")
    killed = run_and_kill(["score", tmp_path / "w" / "v2-2026-10.xlsx", "--replace", "--db", db,
                           "--out", out, "-q"], score_base.seconds * fraction, tmp_path / "w")
    integrity(db)
    assert months(db) == ["2026-10"]
    assert query(db, "SELECT count(*) FROM scores") == [(KILL_ROWS,)]
    assert query(db, "SELECT count(*) FROM items") == [(score_base.facts["items"],)]
    (total,) = query(db, "SELECT sum(total_cp) FROM scores")[0]
    runs = query(db, "SELECT id, superseded_by FROM runs ORDER BY id")
    if total == score_base.facts["total"]:  # the old month, untouched
        assert runs == [(1, None)]
    else:  # the new month, whole, and the old run kept and marked
        assert runs == [(1, 2), (2, None)]
        assert query(db, "SELECT run_id FROM months") == [(2,)]
    if killed.finished:
        assert killed.code == 0 and total != score_base.facts["total"]
    # the previous workbook stays whole (or is whole the new one): never a partial file
    assert workbook_rows(out / "scores-2026-10.xlsx") == score_base.facts["xlsx"]


@pytest.mark.parametrize("fraction", [0.5, 0.85])
def test_kill_during_first_score_of_a_month_leaves_it_whole_or_absent(
        score_base: Base, tmp_path: Path, fraction: float) -> None:
    db, out = score_base.copy(tmp_path / "w")
    run_and_kill(["score", tmp_path / "w" / "2026-11.xlsx", "--db", db, "--out", out, "-q"],
                 score_base.seconds * fraction, tmp_path / "w")
    integrity(db)
    stored = months(db)
    assert stored in (["2026-10"], ["2026-10", "2026-11"])
    expected = KILL_ROWS if "2026-11" in stored else 0
    assert query(db, "SELECT count(*) FROM scores WHERE month = '2026-11'") == [(expected,)]
    if "2026-11" not in stored:
        assert query(db, "SELECT count(*) FROM items WHERE month = '2026-11'") == [(0,)]
        assert query(db, "SELECT count(*) FROM runs") == [(1,)]
    target = out / "scores-2026-11.xlsx"
    if target.exists():
        assert workbook_rows(target)  # whole, never a partial temp under the final name
    assert workbook_rows(out / "scores-2026-10.xlsx") == score_base.facts["xlsx"]


SMALL = 30


@pytest.fixture(scope="module")
def grade_pay_base(tmp_path_factory: pytest.TempPathFactory, short_windows: Path) -> Base:
    root = tmp_path_factory.mktemp("grade-pay-base")
    db, out = root / "store.db", root / "out"
    for m in ("2026-09", "2026-10"):
        ok(cli("score", export(root, m, cm_rows(SMALL)), "--db", db, "--out", out, "-q"))
    ok(cli("payroll", "--month", "2026-10", "--db", db, "--out", out, "-q"))
    seconds = timed(["grade", "--months", "2", "--end", "2026-10", "--db", db, "--out", out,
                     "-q"], root)
    return Base(root, seconds, {
        "grades": workbook_rows(out / "grades-2026-10.xlsx"),
        "grades_stored": query(db, "SELECT cm_id, grade FROM grades ORDER BY cm_id"),
        "payroll": workbook_rows(out / "payroll-2026-10.xlsx"),
        "pay": query(db, "SELECT cm_id, pay_fen FROM pay ORDER BY cm_id"),
    })


@pytest.mark.parametrize("fraction", [0.6, 0.95])
def test_kill_during_grade_leaves_the_grading_whole(
        grade_pay_base: Base, tmp_path: Path, fraction: float) -> None:
    db, out = grade_pay_base.copy(tmp_path / "w")
    run_and_kill(["grade", "--months", "2", "--end", "2026-10", "--db", db, "--out", out, "-q"],
                 grade_pay_base.seconds * fraction, tmp_path / "w")
    integrity(db)
    assert query(db, "SELECT effective_month, pool_size FROM gradings") == [("2026-11", SMALL)]
    assert query(db, "SELECT count(*) FROM grades") == [(SMALL,)]
    assert query(db, "SELECT cm_id, grade FROM grades ORDER BY cm_id") == \
        grade_pay_base.facts["grades_stored"]
    (gradings_run,) = query(db, "SELECT run_id FROM gradings")[0]
    assert query(db, "SELECT command FROM runs WHERE id = ?", gradings_run) == [("grade",)]
    assert workbook_rows(out / "grades-2026-10.xlsx") == grade_pay_base.facts["grades"]


@pytest.mark.parametrize("fraction", [0.6, 0.95])
def test_kill_during_payroll_leaves_the_pay_whole(
        grade_pay_base: Base, tmp_path: Path, fraction: float) -> None:
    db, out = grade_pay_base.copy(tmp_path / "w")
    run_and_kill(["payroll", "--month", "2026-10", "--db", db, "--out", out, "-q"],
                 grade_pay_base.seconds * fraction, tmp_path / "w")
    integrity(db)
    assert query(db, "SELECT month FROM payrolls") == [("2026-10",)]
    assert query(db, "SELECT cm_id, pay_fen FROM pay ORDER BY cm_id") == \
        grade_pay_base.facts["pay"]
    assert workbook_rows(out / "payroll-2026-10.xlsx") == grade_pay_base.facts["payroll"]


# ---------------------------------------------------------------- close, reopen, replace


@pytest.fixture
def oct_store(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    db, out = tmp_path / "store.db", tmp_path / "out"
    v1 = export(tmp_path, "2026-10", cm_rows(6), "v1-2026-10.xlsx")
    ok(cli("score", v1, "--db", db, "--out", out, "-q"))
    v2 = export(tmp_path, "2026-10", [cm_row(i, 银行卡=20) for i in range(1, 7)],
                "v2-2026-10.xlsx")
    yield db, out, v2


def test_closed_month_refuses_replace_and_payroll_until_reopened_with_a_reason(
        oct_store: tuple[Path, Path, Path]) -> None:
    db, out, v2 = oct_store
    before = query(db, "SELECT cm_id, total_cp FROM scores ORDER BY cm_id")
    workbook = (out / "scores-2026-10.xlsx").read_bytes()
    ok(cli("close", "2026-10", "--db", db))

    replaced = cli("score", v2, "--replace", "--db", db, "--out", out, "-q")
    assert replaced.code == 1 and "结账" in replaced.stderr
    paid = cli("payroll", "--month", "2026-10", "--db", db, "--out", out, "-q")
    assert paid.code == 1 and "结账" in paid.stderr
    assert query(db, "SELECT cm_id, total_cp FROM scores ORDER BY cm_id") == before
    assert (out / "scores-2026-10.xlsx").read_bytes() == workbook
    assert not (out / "payroll-2026-10.xlsx").exists()
    assert sorted(p.name for p in out.iterdir()) == ["scores-2026-10.xlsx", "公示-2026-10.xlsx"]

    assert cli("reopen", "2026-10", "--db", db).code == 2  # --reason is required
    blank = cli("reopen", "2026-10", "--reason", "  ", "--db", db)
    assert blank.code != 0
    assert query(db, "SELECT action FROM audit ORDER BY id") == [("close",)]

    ok(cli("reopen", "2026-10", "--reason", "城东支行补报放款数据", "--db", db))
    audit = query(db, "SELECT action, month, who, at, reason FROM audit ORDER BY id")
    assert [(a, m) for a, m, *_ in audit] == [("close", "2026-10"), ("reopen", "2026-10")]
    for _, _, who, at, _ in audit:
        assert who.strip()
        datetime.fromisoformat(at)
    assert audit[1][4] == "城东支行补报放款数据"

    ok(cli("score", v2, "--replace", "--db", db, "--out", out, "-q"))
    assert query(db, "SELECT cm_id, total_cp FROM scores ORDER BY cm_id") != before


def test_runs_are_never_deleted_across_replace(oct_store: tuple[Path, Path, Path]) -> None:
    db, out, v2 = oct_store
    for _ in range(2):
        ok(cli("score", v2, "--replace", "--db", db, "--out", out, "-q"))
    runs = query(db, "SELECT id, command, month, superseded_by FROM runs ORDER BY id")
    assert runs == [(1, "score", "2026-10", 2), (2, "score", "2026-10", 3),
                    (3, "score", "2026-10", None)]
    assert query(db, "SELECT run_id FROM months") == [(3,)]
    assert query(db, "SELECT count(*) FROM scores") == [(6,)]


def test_closing_an_unscored_or_closed_month_is_refused(
        oct_store: tuple[Path, Path, Path]) -> None:
    db, _, _ = oct_store
    assert cli("close", "2026-11", "--db", db).code == 1
    ok(cli("close", "2026-10", "--db", db))
    assert cli("close", "2026-10", "--db", db).code == 1
    assert query(db, "SELECT count(*) FROM audit") == [(1,)]


# ---------------------------------------------------------------- backup


def test_backup_is_a_whole_store_and_never_overwrites(
        oct_store: tuple[Path, Path, Path], tmp_path: Path) -> None:
    db, out, _ = oct_store
    nov = export(tmp_path, "2026-11", cm_rows(6))
    ok(cli("score", nov, "--db", db, "--out", out, "-q"))
    target = tmp_path / "backup.db"
    ok(cli("db", "backup", target, "--db", db))
    integrity(target)
    assert months(target) == months(db) == ["2026-10", "2026-11"]
    assert query(target, "SELECT * FROM scores ORDER BY month, cm_id") == \
        query(db, "SELECT * FROM scores ORDER BY month, cm_id")
    copy = target.read_bytes()
    again = cli("db", "backup", target, "--db", db)
    assert again.code == 1 and "已存在" in again.stderr
    assert target.read_bytes() == copy


def test_backup_into_a_missing_folder_is_a_plain_error(
        oct_store: tuple[Path, Path, Path], tmp_path: Path) -> None:
    db, _, _ = oct_store
    ran = cli("db", "backup", tmp_path / "no-such-folder" / "b.db", "--db", db)
    assert ran.code == 1 and "no-such-folder" in ran.stderr


def test_a_db_that_is_not_a_store_is_a_plain_error(tmp_path: Path) -> None:
    db = tmp_path / "notes.db"
    db.write_text("这不是历史库", encoding="utf-8")
    path = export(tmp_path, "2026-10", cm_rows(2))
    ran = cli("score", path, "--db", db, "--out", tmp_path / "out")
    assert ran.code == 1 and "notes.db" in ran.stderr
    assert db.read_text(encoding="utf-8") == "这不是历史库"


# ---------------------------------------------------------------- output hygiene

FORMULA_LIKE = ["=1+2", '=HYPERLINK("http://example.com","点我")', "+SUM(1,2)", "-1+1",
                "@SUM(1)", "=cmd|'/Ccalc'!A0"]


def test_formula_like_names_are_written_as_text(tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    rows = [cm_row(i + 1, 姓名=name) for i, name in enumerate(FORMULA_LIKE)]
    ok(cli("score", export(tmp_path, "2026-10", rows), "--db", db, "--out", out, "-q"))
    wb = load_workbook(out / "scores-2026-10.xlsx")
    found: dict[str, list[str]] = {name: [] for name in FORMULA_LIKE}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a formula in {ws.title}!{cell.coordinate}"
                if cell.value in found:
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.data_type)
                    found[cell.value].append(ws.title)
    assert all(found.values()), found  # every name is there, unchanged, as text
    stored = {n for (n,) in query(db, "SELECT name FROM scores")}
    assert stored == set(FORMULA_LIKE)


@pytest.mark.parametrize("name", ["张\x07伟", "李\x1b[31m娜", "王\x00芳", "赵\x7f强"])
def test_control_characters_in_a_name_are_refused_at_read_time(tmp_path: Path,
                                                                name: str) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    path = tmp_path / "2026-10.csv"
    lines = [title("2026-10"), ",".join(hf.HEADERS),
             ",".join(map(str, cm_row(1))), ",".join(map(str, cm_row(2, 姓名=name)))]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    ran = cli("score", path, "--db", db, "--out", out, "--json")
    assert ran.code == 1, ran.text
    problems = ran.json()["problems"]
    assert any(p["file"] == path.name for p in problems), problems
    if "\x00" not in name:  # NUL makes the whole file "not text", which is fine too
        assert any(p["row"] == 4 and p["column"] == "姓名" and "控制字符" in p["message"]
                   for p in problems), problems
    assert months(db) == []
    assert not out.exists() or list(out.iterdir()) == []


def test_control_character_escaped_in_xlsx_is_refused(tmp_path: Path) -> None:
    """Excel stores a control character as _x0007_; read back, it is one again."""
    db, out = tmp_path / "store.db", tmp_path / "out"
    path = export(tmp_path, "2026-10", [cm_row(1), cm_row(2, 姓名="张_x0007_伟")])
    ran = cli("score", path, "--db", db, "--out", out, "--json")
    assert ran.code == 1
    assert any(p["row"] == 4 and p["column"] == "姓名" for p in ran.json()["problems"])
    assert months(db) == []


# ---------------------------------------------------------------- rule files


def _line_of(path: Path, text: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() == text:
            return n
    raise AssertionError(f"{text!r} not in {path.name}")


def _break(rules: Path, file: str, old: str, new: str, insert: bool = False) -> int:
    """Replace (or, with ``insert``, add after) the first line equal to ``old``; return the
    1-based line number of the broken line."""
    path = rules / file
    n = _line_of(path, old)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    indent = lines[n - 1][: len(lines[n - 1]) - len(lines[n - 1].lstrip())]
    if insert:
        lines.insert(n, f"{indent}{new}\n")
        n += 1
    else:
        lines[n - 1] = f"{indent}{new}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return n


RULE_BREAKS = {
    "duplicate-key": ("1-zhihang.yaml", "rate: 2.5", "rate: 5", True, "重复"),
    "yaml11-no": ("1-zhihang.yaml", "early_completion: true", "early_completion: no", False,
                  "no"),
    "yaml11-octal": ("payroll.yaml", "三级: 900", "三级: 010", False, "010"),
    "unsafe-tag": ("payroll.yaml", "transition: 1000",
                   'transition: !!python/object/apply:os.system ["touch PWNED"]', False,
                   "python/object"),
}


@pytest.mark.parametrize("kind", RULE_BREAKS)
@pytest.mark.parametrize("command", ["check", "score"])
def test_broken_rule_file_is_refused_with_file_and_line(tmp_path: Path, kind: str,
                                                        command: str) -> None:
    file, old, new, insert, word = RULE_BREAKS[kind]
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    line = _break(rules, file, old, new, insert)
    db, out = tmp_path / "store.db", tmp_path / "out"
    path = export(tmp_path, "2026-10", cm_rows(3))
    extra = ["--out", out] if command == "score" else []
    ran = cli(command, path, "--rules", rules, "--db", db, *extra, "--json")
    assert ran.code == 1, ran.text
    messages = [p["message"] for p in ran.json()["problems"]]
    assert any(f"{file}:{line}" in m and word in m for m in messages), (line, messages)
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()
    assert months(db) == []



def test_a_failed_write_behind_the_formatting_is_raised_not_lost() -> None:
    from cmscore.outputs.xlsx import _behind

    class Full:
        def __init__(self) -> None:
            self.written: list[bytes] = []

        def write(self, chunk: bytes) -> None:
            if len(self.written) == 2:
                raise OSError(28, "No space left on device")
            self.written.append(chunk)

    entry = Full()
    with pytest.raises(OSError, match="No space left"), _behind(entry) as writer:
        for k in range(1000):  # the failure reaches a later write or, at the latest, the end
            writer.write(b"%d" % k)
    assert entry.written == [b"0", b"1"] and not writer.thread.is_alive()
