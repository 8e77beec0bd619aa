"""The history store: one SQLite file, one transaction per month (SPEC §7, §8).

Points are kept as integers of hundredths and money as integers of 分, so sums in
SQL stay exact; raw export figures are kept as decimal text, so a month can be
re-scored later under other rules (``diff``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import chain, islice, repeat
from pathlib import Path

from cmscore import __version__
from cmscore.engine.scoring import MonthScores
from cmscore.engine.tasks import Tasks
from cmscore.numbers import ZERO
from cmscore.problems import fail, os_failure
from cmscore.store import access, inputcols, itemcols, workbooks
from cmscore.store import tasks as stored_tasks
from cmscore.store.adjustments import put_effects
from cmscore.store.monthrows import score_rows
from cmscore.store.restate import record_sources
from cmscore.store.schema import MIGRATIONS, SCHEMA_VERSION

BUSY_TIMEOUT_S = 30.0
# The page size a new store is made with (see connect).
PAGE_SIZE = 32768


def default_path() -> Path:
    return Path(os.environ.get("CMSCORE_DB") or "cmscore.db")


LOCK_WAIT_S = float(os.environ.get("CMSCORE_LOCK_WAIT", "10"))


@contextmanager
def locked(path: Path, wait_s: float | None = None) -> Iterator[None]:
    """Hold the store for one whole run, so two runs never interleave.

    SQLite's own lock covers one transaction; a run reads history, writes a workbook
    and then commits, so it takes a lock file beside the store for all of it. The
    second run waits ``wait_s`` (``$CMSCORE_LOCK_WAIT``) and then says who holds it.
    The lock is named after the store's real path and never followed (``access``).
    """
    import fcntl

    wait_s = LOCK_WAIT_S if wait_s is None else wait_s
    access.check_writable(path)
    lock_path = access.lock_path(path)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_failure(exc, lock_path.parent, "建立历史库的目录") from None
    # Unbuffered: a note a full disk refused must not be written again on the way out.
    with os.fdopen(access.open_lock(lock_path), "r+b", buffering=0) as fh:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().decode("utf-8", "replace").strip() or "未知进程"
                    raise fail(f"另一个 cmscore 正在使用历史库 {path}（{holder}），"
                               f"已等待 {wait_s:g} 秒；请等它结束后再运行") from None
                time.sleep(0.05)
        try:  # who holds it, for the run that waits: a note, which a full disk may refuse
            fh.seek(0)
            fh.truncate()
            fh.write(f"进程 {os.getpid()}，开始于 {RunRecord.now()}".encode())
        except OSError:
            pass
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating 0600 and migrating) the store for a command that writes; autocommit
    off, explicit transactions. A workbook an earlier run stored but was killed before
    placing is put in place first. Commands that only read use ``access.open_read``."""
    access.check_writable(path)
    access.create_private(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        # Takes on a new store only (WAL keeps a written store's): a month is a few dozen
        # column texts of 0.1–4 MB, and 32 KB pages are an eighth of 4 KB ones' WAL frames
        # and overflow links (COMMIT + close of 20k managers 63 → 41 ms, 100k 0.29 → 0.19 s).
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        _migrate(conn)
        workbooks.settle(conn)
    except sqlite3.DatabaseError as exc:
        raise access.not_a_store(path, exc) from exc
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise fail(f"历史库的结构版本 {version} 比本工具（{SCHEMA_VERSION}）新；请升级 cmscore")
    if version == SCHEMA_VERSION:
        return
    # Every pending step in one transaction: a store is migrated whole or not at all, and
    # a new store costs one commit (one fsync) instead of one per step (12 of them took
    # 35–110 ms, a fifth of a small month's run).
    with transaction(conn):
        for step in range(version + 1, SCHEMA_VERSION + 1):
            # A number left free for a table merged from elsewhere is an empty step.
            for statement in filter(str.strip, MIGRATIONS.get(step, "").split(";")):
                conn.execute(statement)
            if step in _AFTER_STEP:
                _AFTER_STEP[step](conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


# Steps that SQL alone cannot do, run after the step's statements in its transaction.
_AFTER_STEP: dict[int, Callable[[sqlite3.Connection], None]] = {12: itemcols.fill_new}


@contextmanager
def transaction(conn: sqlite3.Connection,
                ready: Callable[[], None] | None = None) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT: the writer takes the lock up front, or waits for it.

    ``ready`` runs just before COMMIT and may still cancel it by raising: the workbook
    written beside the store (``aside``) has to be complete before the rows count. A
    full disk or a read-only store is said in words, the transaction rolled back.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            if ready is not None:
                ready()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite has rolled back already after some failures
                conn.execute("ROLLBACK")
            raise
    except sqlite3.OperationalError as exc:
        failure = access.store_failure(access.file_of(conn), exc)
        if failure is None:
            raise
        raise failure from exc


# The oldest SQLite Python may still ship with (before 3.32) takes 999 parameters a statement.
MAX_PARAMETERS = 999


def insert_rows(conn: sqlite3.Connection, table: str, width: int,
                rows: Iterable[Sequence[object]]) -> None:
    """``executemany`` with as many rows a statement as the parameters allow: binding
    one row a statement is most of what storing a national month costs (1.1M item rows:
    3.3 s one a statement, 2.0 s a hundred a statement)."""
    per = MAX_PARAMETERS // width
    one = "(" + ",".join("?" * width) + ")"
    tail: list[Sequence[object]] = []

    def full_statements() -> Iterator[tuple[object, ...]]:
        it = iter(rows)
        while True:
            chunk = list(islice(it, per))
            if len(chunk) < per:
                tail.extend(chunk)
                return
            yield tuple(chain.from_iterable(chunk))

    conn.executemany(f"INSERT INTO {table} VALUES " + ",".join([one] * per), full_statements())
    conn.executemany(f"INSERT INTO {table} VALUES {one}", tail)


@dataclass(frozen=True)
class RunRecord:
    command: str
    month: str
    file_name: str
    file_sha256: str
    rules: dict[str, str]
    tool_version: str = __version__
    started_at: str = ""
    note: str = ""  # why the run exists when a person did not ask for it (a cascade, a gap)

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).astimezone().isoformat(timespec="seconds")


def latest_month(conn: sqlite3.Connection) -> str:
    """The most recent scored month; an empty store is an error that says what to do."""
    months = stored_months(conn)
    if not months:
        raise fail("历史库中还没有任何已计分的月份；请先运行 cmscore score")
    return months[-1]


def insert_run(conn: sqlite3.Connection, run: RunRecord) -> int:
    """Every command that stores something leaves a run record; they are never deleted."""
    run_id = conn.execute(
        "INSERT INTO runs (command, month, file_name, file_sha256, rules, tool_version,"
        " started_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (run.command, run.month, run.file_name, run.file_sha256,
         json.dumps(run.rules, ensure_ascii=False, sort_keys=True), run.tool_version,
         run.started_at or RunRecord.now(), run.note)).lastrowid
    assert run_id is not None
    return run_id


def stored_months(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT month FROM months ORDER BY month")]


def save_month(conn: sqlite3.Connection, scores: MonthScores, run: RunRecord,
               replace: bool = False, ready: Callable[[], None] | None = None,
               then: Callable[[int], None] | None = None) -> int:
    """Store a scored month atomically; refuse an existing month unless ``replace``.

    ``then`` runs inside the same transaction with the new run's id: the months, gradings
    and pay that depend on this month are brought up to date before anything commits.
    """
    with transaction(conn, ready):
        old = conn.execute("SELECT run_id FROM months WHERE month = ?", (scores.month,)).fetchone()
        if old and not replace:
            raise fail(f"{scores.month} 已经计分并存入历史库；如需重新计分请加 --replace")
        refuse_if_closed(conn, scores.month, "重新计分")
        run_id = put_month(conn, scores, run)
        if then is not None:
            then(run_id)
    return run_id


def put_month(conn: sqlite3.Connection, scores: MonthScores, run: RunRecord) -> int:
    """Inside a transaction: the month's rows under a new run that supersedes the old one,
    with the record of which stored months it was scored from."""
    old = conn.execute("SELECT run_id FROM months WHERE month = ?", (scores.month,)).fetchone()
    run_id = insert_run(conn, run)
    if old:
        conn.execute("DELETE FROM scores WHERE month = ?", (scores.month,))
        conn.execute("UPDATE runs SET superseded_by = ? WHERE id = ?", (run_id, old[0]))
        conn.execute("UPDATE months SET run_id = ? WHERE month = ?", (run_id, scores.month))
    else:
        conn.execute("INSERT INTO months (month, run_id) VALUES (?, ?)", (scores.month, run_id))
    # Rows go in primary-key order: appending to the B-tree is several times faster
    # than inserting a national month at random places. No foreign key on items for
    # the same reason; this transaction writes both tables together.
    insert_rows(conn, "scores", 11, score_rows(scores))
    itemcols.put_points(conn, scores.month)
    inputcols.put_inputs(conn, scores)
    itemcols.put_items(conn, scores)
    record_sources(conn, scores.month)
    put_effects(conn, scores)
    return run_id


class StoreHistory:
    """Baselines and year-to-date totals for scoring ``month``, each read once when first asked."""

    def __init__(self, conn: sqlite3.Connection, month: str) -> None:
        self.conn = conn
        self.month = month
        self.year = int(month[:4])
        self.december = f"{self.year - 1}-12"
        self._baselines: dict[tuple[str, str], Decimal] | None = None
        self._ytd: dict[str, dict[str, Decimal]] = {}  # item → CM → total, loaded per item
        self._tasks: tuple[Tasks | None] | None = None  # the year's 任务下达, read once

    def tasks(self) -> Tasks | None:
        if self._tasks is None:
            self._tasks = (stored_tasks.year_tasks(self.conn, str(self.year)),)
        return self._tasks[0]

    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        if self._baselines is None:
            self._baselines = inputcols.baselines(self.conn, self.december)
        value = self._baselines.get((cm_id, item_id))
        return value, (f"历史库 {self.december}" if value is not None else "")

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return self._table(item_id).get(cm_id, ZERO)

    def years_to_date(self, ids: Sequence[str], item_id: str) -> list[Decimal]:
        return list(map(self._table(item_id).get, ids, repeat(ZERO)))

    def _table(self, item_id: str) -> dict[str, Decimal]:
        table = self._ytd.get(item_id)
        if table is None:
            table = self._ytd[item_id] = self._load_ytd(item_id)
        return table

    def _load_ytd(self, item_id: str) -> dict[str, Decimal]:
        """One item's earlier-month totals for every CM: the running total stored with the
        latest earlier month of the year (``itemcols``), exact."""
        if self.month[5:] == "01":  # nothing earlier in the year, nor an opening before it
            return {}
        out = itemcols.ytd_before(self.conn, self.month, item_id)
        # The opening file's figures (期初累计) for the months before the store's first.
        for cm, figure in self.conn.execute(
                "SELECT cm_id, figure FROM opening_ytd WHERE year = ? AND item_id = ?",
                (str(self.year), item_id)):
            out[cm] = out.get(cm, ZERO) + Decimal(figure)
        return out


def run_record(conn: sqlite3.Connection, month: str) -> dict[str, object] | None:
    row = conn.execute(
        "SELECT r.id, r.file_name, r.file_sha256, r.rules, r.tool_version, r.started_at"
        " FROM months m JOIN runs r ON r.id = m.run_id WHERE m.month = ?", (month,)).fetchone()
    if row is None:
        return None
    keys = ("run_id", "file_name", "file_sha256", "rules", "tool_version", "started_at")
    record = dict(zip(keys, row, strict=True))
    record["rules"] = json.loads(str(record["rules"]))
    return record


def closed(conn: sqlite3.Connection, month: str) -> bool:
    return conn.execute("SELECT 1 FROM closed_months WHERE month = ?", (month,)).fetchone() \
        is not None


def refuse_if_closed(conn: sqlite3.Connection, month: str, what: str) -> None:
    if closed(conn, month):
        raise fail(f"{month} 已结账（cmscore close），不能{what}；确需修改请先 "
                   f"cmscore reopen {month} --reason \"…\"")


def _who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return f"uid {os.getuid()}"


def current_user() -> str:
    """Who a record says did it (the system's user name)."""
    return _who()


def close_month(conn: sqlite3.Connection, month: str) -> None:
    """Lock a scored month: its scores, the grades taking effect in it and its pay."""
    with transaction(conn):
        if month not in stored_months(conn):
            raise fail(f"{month} 尚未计分，不能结账")
        if closed(conn, month):
            raise fail(f"{month} 已经结账")
        now, who = RunRecord.now(), _who()
        conn.execute("INSERT INTO closed_months VALUES (?, ?, ?)", (month, now, who))
        conn.execute("INSERT INTO audit (at, who, action, month, reason) VALUES (?, ?, ?, ?, ?)",
                     (now, who, "close", month, ""))


def reopen_month(conn: sqlite3.Connection, month: str, reason: str) -> None:
    """Unlock a closed month; who, when and why go into the audit table for good."""
    if not reason.strip():
        raise fail("重新打开已结账月份必须写明原因（--reason）")
    with transaction(conn):
        if not closed(conn, month):
            raise fail(f"{month} 没有结账，无需重新打开")
        conn.execute("DELETE FROM closed_months WHERE month = ?", (month,))
        conn.execute("INSERT INTO audit (at, who, action, month, reason) VALUES (?, ?, ?, ?, ?)",
                     (RunRecord.now(), _who(), "reopen", month, reason.strip()))


def backup(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy through SQLite's backup API (copying a live WAL file is not one)."""
    if target.exists():
        raise fail(f"备份目标 {target} 已存在；请换一个文件名")
    if not target.parent.is_dir():
        raise fail(f"备份目录 {target.parent} 不存在；请先创建")
    access.create_private(target, "建立备份")  # 0600, as the store: it holds everyone's pay
    try:
        dest = sqlite3.connect(target)
        try:
            conn.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise fail(f"无法写入备份 {target}（{exc}）；不完整的备份已删除，请检查磁盘空间和目录权限"
                   "后重新运行") from exc
