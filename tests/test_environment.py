"""What the machine does to a run: links and odd files where cmscore writes or reads,
full disks, read-only folders and stores, the file modes of pay, and a run killed
between storing a month and placing its workbook (issue 17).

Each failure ends in one located sentence and exit 1, with nothing half-stored. Tests run
as root in CI, and root ignores file modes: a read-only path is made with ``chattr +i``
there (which binds root too) and with ``chmod`` for anyone else.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import hostile_fixtures as hf
from cmscore.outputs import xlsx
from cmscore.rules.ruleset import DEFAULT_DIR
from cmscore.store import db as store
from conftest import (
    UNDO_MIGRATION_12,
    UNDO_MIGRATION_13,
    UNDO_MIGRATION_14,
    UNDO_MIGRATIONS_6_TO_9,
)
from hostile_fixtures import cm_rows
from test_store_safety import cli, export, months, ok, query

Ran = hf.Ran


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_message(ran: Ran, *parts: object) -> None:
    """Exit 1, no traceback, and one message line naming every one of ``parts``."""
    assert ran.code == 1, ran.text
    assert "Traceback" not in ran.text and "Error:" not in ran.text, ran.text
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("错误："), ran.stderr
    for part in parts:
        assert str(part) in lines[0], (part, lines[0])


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make a file or folder read-only for this process, root included; undone after."""
    undo: list[Callable[[], Any]] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            mode = stat.S_IMODE(path.stat().st_mode)
            path.chmod(0o555 if path.is_dir() else 0o444)
            undo.append(lambda: path.chmod(mode))
            return
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(path)],
                                            capture_output=True).returncode != 0:
            pytest.skip("running as root, which ignores file modes, on a filesystem without "
                        "the immutable attribute (chattr +i): no way to make a path read-only")
        undo.append(lambda: subprocess.run([chattr, "-i", str(path)], check=True))

    yield make
    for step in reversed(undo):
        step()


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, Path]:
    """A store holding 2026-10, in a folder of its own, and the folder of its workbook."""
    db, out = tmp_path / "store" / "store.db", tmp_path / "out"
    db.parent.mkdir()
    ok(cli("score", export(tmp_path, "2026-10", cm_rows(6)), "--db", db, "--out", out, "-q"))
    return db, out


# ---------------------------------------------------------------- the lock file


@pytest.mark.parametrize("kind", ["symlink", "hard link"])
def test_a_lock_file_that_is_another_files_name_is_refused_and_that_file_kept(
        tmp_path: Path, kind: str) -> None:
    db, out = tmp_path / "out" / "db", tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("不能被清空", encoding="utf-8")
    lock = out / "db.lock"
    lock.symlink_to(victim) if kind == "symlink" else os.link(victim, lock)
    ran = cli("score", export(tmp_path, "2026-10", cm_rows(3)), "--db", db, "--out", out)
    one_line_message(ran, lock)
    assert victim.read_text(encoding="utf-8") == "不能被清空"
    assert months(db) == []


def test_two_paths_to_one_store_take_one_lock(stored: tuple[Path, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    db, out = stored
    alias = db.with_name("alias.db")  # ln -s store.db alias.db
    alias.symlink_to(db.name)
    monkeypatch.setattr(store, "LOCK_WAIT_S", 0.2)
    with store.locked(db, wait_s=0):
        ran = cli("score", export(tmp_path, "2026-11", cm_rows(6)), "--db", alias, "--out", out)
    assert ran.code == 1 and "另一个 cmscore 正在使用历史库" in ran.stderr, ran.text
    assert months(db) == ["2026-10"]


# ---------------------------------------------------------------- the workbook and the store


def test_a_folder_where_the_workbook_goes_is_refused_before_anything_is_stored(
        tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    (out / "scores-2026-10.xlsx").mkdir(parents=True)
    path = export(tmp_path, "2026-10", cm_rows(3))
    one_line_message(cli("score", path, "--db", db, "--out", out),
                     out / "scores-2026-10.xlsx", "文件夹", "未存入历史库")
    assert months(db) == []
    (out / "scores-2026-10.xlsx").rmdir()
    ok(cli("score", path, "--db", db, "--out", out, "-q"))  # not "已经计分"
    assert months(db) == ["2026-10"]


@pytest.mark.usefixtures("short_windows_here")  # grades over 1 month
def test_each_run_records_the_workbook_it_wrote_and_its_hash(stored: tuple[Path, Path]
                                                             ) -> None:
    db, out = stored
    ok(cli("grade", "--months", "1", "--db", db, "--out", out, "-q"))
    ok(cli("payroll", "--db", db, "--out", out, "-q"))
    recorded = query(db, "SELECT r.command, w.path, w.sha256, w.placed FROM workbooks w"
                         " JOIN runs r ON r.id = w.run_id ORDER BY w.run_id, w.path")
    # score writes its scores workbook and the 公示 under one run.
    names = [("score", "scores-2026-10.xlsx"), ("score", "公示-2026-10.xlsx"),
             ("grade", "grades-2026-10.xlsx"), ("payroll", "payroll-2026-10.xlsx")]
    assert [(r[0], Path(r[1]).name) for r in recorded] == names
    for _command, path, digest, placed in recorded:
        assert Path(path).parent == out.absolute()
        assert digest == sha256(Path(path)) and placed == 1


KILL_IN_THE_WINDOW = """
import os, signal, sys
real = os.replace
def replace(src, dst, *args, **kwargs):  # the ~50 ms between COMMIT and the move, hit
    if str(dst).endswith(".xlsx"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *args, **kwargs)
os.replace = replace
from cmscore.cli import main
sys.argv = ["cmscore", *sys.argv[1:]]
main()
"""


def killed_after_commit(*args: Any) -> None:
    proc = subprocess.run([sys.executable, "-c", KILL_IN_THE_WINDOW, *map(str, args)],
                          capture_output=True, text=True, env=hf.child_env(), timeout=60)
    assert proc.returncode == -9, proc.stderr


def test_a_workbook_a_killed_run_stored_but_did_not_place_is_placed_by_the_next_run(
        tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    path = export(tmp_path, "2026-10", cm_rows(6))
    killed_after_commit("score", path, "--db", db, "--out", out, "-q")
    assert months(db) == ["2026-10"] and not (out / "scores-2026-10.xlsx").exists()
    # What a person does next: run it again. The month is stored; its workbook is placed.
    ran = cli("score", path, "--db", db, "--out", out, "-q")
    assert ran.code == 1 and "已经计分" in ran.stderr
    assert "已把 score 2026-10 的工作簿放到" in ran.stderr, ran.stderr
    [(digest,)] = query(db, "SELECT sha256 FROM workbooks WHERE placed = 1"
                              " AND path LIKE '%scores-2026-10.xlsx'")
    assert sha256(out / "scores-2026-10.xlsx") == digest
    assert list(out.glob(".*.tmp")) == []


@pytest.mark.usefixtures("short_windows_here")  # grades over 1 month
def test_a_replaced_month_killed_before_its_workbook_moved_does_not_leave_the_old_one(
        stored: tuple[Path, Path], tmp_path: Path) -> None:
    db, out = stored
    old = sha256(out / "scores-2026-10.xlsx")
    v2 = export(tmp_path, "2026-10", [hf.cm_row(i, 银行卡=20) for i in range(1, 7)], "v2.xlsx")
    killed_after_commit("score", v2, "--replace", "--db", db, "--out", out, "-q")
    assert sha256(out / "scores-2026-10.xlsx") == old  # the old workbook, looking current
    ran = ok(cli("grade", "--months", "1", "--db", db, "--out", out, "-q"))
    assert "已把 score 2026-10 的工作簿放到" in ran.stderr
    [(digest,)] = query(db, "SELECT w.sha256 FROM workbooks w JOIN months m ON m.run_id = w.run_id"
                              " WHERE w.path LIKE '%scores-2026-10.xlsx'")
    assert sha256(out / "scores-2026-10.xlsx") == digest != old


@pytest.mark.usefixtures("short_windows_here")  # grades over 1 month
def test_a_workbook_that_cannot_be_placed_any_more_is_said_at_every_run(
        tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    killed_after_commit("score", export(tmp_path, "2026-10", cm_rows(6)), "--db", db,
                        "--out", out, "-q")
    for tmp in out.glob(".*.tmp"):
        tmp.unlink()
    for _ in range(2):
        ran = ok(cli("grade", "--months", "1", "--replace", "--db", db, "--out", out, "-q"))
        assert "不是 score 2026-10 存入历史库时写出的工作簿" in ran.stderr, ran.stderr
        assert "请用 cmscore show 2026-10 --write 重新生成它" in ran.stderr
    # As the messages say: the scores workbook from the store, the 公示 by publish.
    assert "请用 cmscore publish 2026-10 重新生成它" in ran.stderr
    ok(cli("show", "2026-10", "--write", "--db", db, "--out", out))
    ok(cli("publish", "2026-10", "--db", db, "--out", out))
    ran = ok(cli("grade", "--months", "1", "--replace", "--db", db, "--out", out, "-q"))
    assert "不是 score 2026-10" not in ran.stderr and (out / "scores-2026-10.xlsx").is_file()


# ---------------------------------------------------------------- file modes


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("short_windows_here")  # grades over 1 month
def test_the_store_workbooks_and_backups_are_private_under_the_usual_umask(
        umask_022: None, tmp_path: Path) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    ok(cli("score", export(tmp_path, "2026-10", cm_rows(6)), "--db", db, "--out", out, "-q"))
    ok(cli("grade", "--months", "1", "--db", db, "--out", out, "-q"))
    ok(cli("payroll", "--db", db, "--out", out, "-q"))
    ok(cli("db", "backup", tmp_path / "backup.db", "--db", db))
    ok(cli("report", "--db", db, "--out", out))
    written = [db, tmp_path / "backup.db", *sorted(out.iterdir())]
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}


@pytest.mark.parametrize("chosen", [0o600, 0o640])
def test_a_rewritten_payroll_keeps_the_mode_its_owner_gave_it(
        umask_022: None, stored: tuple[Path, Path], chosen: int) -> None:
    db, out = stored
    ok(cli("payroll", "--db", db, "--out", out, "-q"))
    (out / "payroll-2026-10.xlsx").chmod(chosen)
    ok(cli("payroll", "--replace", "--db", db, "--out", out, "-q"))
    assert mode(out / "payroll-2026-10.xlsx") == chosen


# ---------------------------------------------------------------- full disks, read-only paths


def test_a_full_disk_under_out_stores_nothing_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(xlsx.Book, "sheet", full)
    ran = cli("score", export(tmp_path, "2026-10", cm_rows(6)), "--db", db, "--out", out)
    one_line_message(ran, out / "scores-2026-10.xlsx", "磁盘已满", "未存入历史库")
    assert months(db) == [] and list(out.iterdir()) == []


def test_a_full_disk_under_the_store_stores_nothing_and_says_so(
        stored: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, out = stored
    connect = sqlite3.connect

    def no_room_to_grow(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # SQLite's own "database or disk is full"
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 1}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", no_room_to_grow)
    # 600 managers: more than the one page the store may grow by (32 KB, store.PAGE_SIZE)
    ran = cli("score", export(tmp_path, "2026-11", cm_rows(600)), "--db", db, "--out", out,
              "--accept-roster-change")  # 594 new of 600: not what this test is about
    one_line_message(ran, db, "磁盘已满", "没有存入")
    monkeypatch.undo()
    assert months(db) == ["2026-10"] and not (out / "scores-2026-11.xlsx").exists()


def test_a_read_only_output_folder_stores_nothing_and_says_so(
        tmp_path: Path, read_only: Callable[[Path], None]) -> None:
    db, out = tmp_path / "store.db", tmp_path / "out"
    out.mkdir()
    read_only(out)
    ran = cli("score", export(tmp_path, "2026-10", cm_rows(3)), "--db", db, "--out", out)
    one_line_message(ran, out, "未存入历史库")
    assert months(db) == []


@pytest.fixture(params=["store file", "store folder"])
def read_only_store(request: pytest.FixtureRequest, stored: tuple[Path, Path],
                    read_only: Callable[[Path], None]) -> tuple[Path, str, Path]:
    """The store of ``stored``, its SHA-256, and what of it was made read-only: the
    file, or its folder (an auditor's copy on a read-only share)."""
    db, _ = stored
    before = sha256(db)
    made = db if request.param == "store file" else db.parent
    read_only(made)
    return db, before, made


def test_a_read_only_store_is_refused_by_a_run_that_writes(
        read_only_store: tuple[Path, str, Path], tmp_path: Path) -> None:
    db, before, made = read_only_store
    ran = cli("score", export(tmp_path / "in", "2026-11", cm_rows(3)), "--db", db,
              "--out", tmp_path / "elsewhere")
    one_line_message(ran, made, "只读" if made == db else "不可写")
    assert sha256(db) == before and not Path(f"{db}-wal").exists()  # nothing stored


FULL_DISK = """
set -eu
mount -t tmpfs -o size=4m tmpfs "$FULL"
if [ "$WHERE" = db ]; then "$PY" -m cmscore.cli score "$OCT" --db "$FULL/store.db" --out "$OUT" -q; fi
dd if=/dev/zero of="$FULL/fill" bs=4096 2>/dev/null || true
set +e
if [ "$WHERE" = db ]; then
  "$PY" -m cmscore.cli score "$NOV" --db "$FULL/store.db" --out "$OUT" --accept-roster-change 2>"$ERR"
else
  "$PY" -m cmscore.cli score "$NOV" --db "$DB" --out "$FULL/out" --accept-roster-change 2>"$ERR"
fi
echo $? > "$CODE"
rm "$FULL/fill"
if [ "$WHERE" = db ]; then
  "$PY" -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute("SELECT month FROM months"))' "$FULL/store.db" > "$MONTHS"
fi
"""


@pytest.mark.parametrize("where", ["out", "db"])
def test_a_really_full_disk_is_said_in_one_line(tmp_path: Path, where: str) -> None:
    """The same on a tiny tmpfs in a mount namespace of its own (where that is allowed)."""
    unshare = shutil.which("unshare")
    probe = [unshare, "--mount", "--propagation", "private", "true"] if unshare else []
    if not probe or subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("no private mount namespace here (unshare --mount needs root): the "
                    "monkeypatched full-disk tests above stand in")
    full = tmp_path / "full"
    full.mkdir()
    env = hf.child_env(
        FULL=str(full), WHERE=where, PY=sys.executable, OUT=str(tmp_path / "out"),
        DB=str(tmp_path / "store.db"), ERR=str(tmp_path / "err"), CODE=str(tmp_path / "code"),
        MONTHS=str(tmp_path / "months"),
        OCT=str(export(tmp_path, "2026-10", cm_rows(6))),
        NOV=str(export(tmp_path, "2026-11", cm_rows(200))))
    subprocess.run([*probe[:-1], "sh", "-c", textwrap.dedent(FULL_DISK)], env=env, check=True,
                   timeout=120)
    ran = Ran(int((tmp_path / "code").read_text()), "", (tmp_path / "err").read_text(), 0)
    one_line_message(ran, full, "磁盘已满")
    if where == "db":
        assert (tmp_path / "months").read_text().split() == ["('2026-10',)"]
    else:
        assert months(tmp_path / "store.db") == []


# ---------------------------------------------------------------- readers


def test_commands_that_only_read_serve_a_read_only_store(
        read_only_store: tuple[Path, str, Path], tmp_path: Path) -> None:
    db, before, _ = read_only_store
    reports = tmp_path / "reports"
    ok(cli("report", "--db", db, "--out", reports))
    ok(cli("explain", "E0001", "--db", db))
    ok(cli("diff", "--rules", DEFAULT_DIR, "--db", db, "--out", reports, "-q"))
    ok(cli("check", export(tmp_path / "in", "2026-11", cm_rows(3)), "--db", db))
    ok(cli("db", "backup", tmp_path / "copy.db", "--db", db))
    assert sha256(db) == before and months(tmp_path / "copy.db") == ["2026-10"]


def test_a_read_never_migrates_and_names_the_command_that_does(
        stored: tuple[Path, Path], tmp_path: Path) -> None:
    db, out = stored
    with closing(sqlite3.connect(db)) as conn:  # the store as schema 4 left it
        conn.executescript(UNDO_MIGRATION_14 + UNDO_MIGRATION_13 + UNDO_MIGRATION_12 + UNDO_MIGRATIONS_6_TO_9
                           + " PRAGMA user_version = 4;")
    before = sha256(db)
    ran = cli("report", "--db", db, "--out", out)
    one_line_message(ran, db, "cmscore db migrate")
    assert sha256(db) == before and query(db, "PRAGMA user_version") == [(4,)]
    ran = ok(cli("db", "migrate", "--db", db))
    assert query(db, "PRAGMA user_version") == [(store.SCHEMA_VERSION,)]
    assert f"从结构版本 4 升级到 {store.SCHEMA_VERSION}" in ran.stdout
    ok(cli("report", "--db", db, "--out", out))


# ---------------------------------------------------------------- what is read


@pytest.mark.parametrize("command", ["check", "score"])
def test_a_named_pipe_called_csv_is_refused_not_waited_on(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "2026-10.csv"
    os.mkfifo(fifo)
    ran = hf.run_subprocess(command, fifo, "--db", tmp_path / "store.db", timeout=15)
    assert ran.code == 1 and "不是普通文件" in ran.stderr, ran.text
    assert months(tmp_path / "store.db") == []
