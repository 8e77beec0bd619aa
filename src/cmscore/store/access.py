"""The store's files as the operating system sees them: the lock file, a store created
private, a store opened only to read, and what SQLite or the system refusing means.

``db`` opens the store for the commands that write; this module is what those and the
commands that only read (check, explain, diff, report, db backup) share about files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path
from urllib.parse import quote

from cmscore.problems import InputError, fail, os_failure
from cmscore.store.schema import READS_FROM, SCHEMA_VERSION

# SQLite's primary result codes for what the environment refuses (sqlite3.h).
_PERM, _READONLY, _IOERR, _FULL, _CANTOPEN = 3, 8, 10, 13, 14
_NOT_STORED = "本次没有存入任何内容"
_NO_LINK = getattr(os, "O_NOFOLLOW", 0)  # Windows has no links to refuse (nor this flag)


def lock_path(db: Path) -> Path:
    """The lock beside the store's real file: two paths to one store (a symbolic link,
    ``..``) take one lock."""
    real = db.resolve()
    return real.with_name(real.name + ".lock")


def open_lock(path: Path) -> int:
    """The lock file's descriptor, opened read-write (created if missing) without
    following a link: a lock that is a link, not a plain file, or a second name of
    another file is refused, since the run writes into it."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if os.path.islink(path):
            raise fail(f"锁文件 {path} 是一个符号链接，cmscore 不会跟随它（那会改写它指向的"
                       f"文件）；请确认无误后删除它，再重新运行") from None
        raise os_failure(exc, path, "建立历史库的锁文件", _NOT_STORED) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        what = "不是普通文件" if not stat.S_ISREG(info.st_mode) else \
            f"与别的文件是同一个文件（有 {info.st_nlink} 个硬链接）"
        raise fail(f"锁文件 {path} {what}，cmscore 会改写它的内容；请确认无误后删除它，再重新运行")
    return fd


def check_writable(db: Path) -> None:
    """Before a command that writes: the store, if there, is a plain file it may write,
    in a folder it may write (SQLite keeps its -wal and -shm files beside it)."""
    info = _stat(db)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise fail(f"历史库 {db} 不是普通文件（是文件夹、管道或设备）；请检查 --db 或 $CMSCORE_DB")
    if info is not None and not os.access(db, os.W_OK):
        raise fail(f"历史库 {db} 是只读的，本命令要写入它；请修改它的权限，或在可写的副本上运行"
                   "（只读的命令 check、explain、diff、report、db backup 可以直接读它）")
    folder = db.resolve().parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise fail(f"历史库所在的目录 {folder} 不可写：SQLite 要在其中建立 -wal、-shm 文件，"
                   "cmscore 要在其中建立锁文件；请修改目录权限，或把历史库放到可写的目录")


def create_private(db: Path, doing: str = "建立历史库") -> None:
    """A new store (or backup) starts as an empty file readable by its owner only (0600):
    it holds everyone's pay. SQLite gives its -wal and -shm files the store's mode; an
    existing store keeps whatever mode it has."""
    if db.exists():
        return
    try:
        os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_LINK, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise os_failure(exc, db, doing, _NOT_STORED) from None


def store_failure(db: object, exc: sqlite3.Error) -> InputError | None:
    """What SQLite refusing a write means for the person running cmscore, or None when it
    is not the environment (a fault in cmscore itself, to be seen as such)."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _FULL or (code == _IOERR and _no_room(db)):  # a -shm that cannot grow: IOERR
        return fail(f"历史库 {db} 所在的磁盘已满（{exc}）；请腾出空间，或把历史库放到有空间的"
                    f"磁盘后重新运行。{_NOT_STORED}")
    if code in (_READONLY, _CANTOPEN, _PERM):
        return fail(f"无法写入历史库 {db}（{exc}）：它或它所在的目录是只读的或没有权限；请修改"
                    f"权限，或把历史库放到可写的目录。{_NOT_STORED}")
    if code == _IOERR:
        return fail(f"读写历史库 {db} 时磁盘出错（{exc}）；请检查磁盘后重新运行。{_NOT_STORED}")
    return None


def _no_room(db: object) -> bool:
    try:
        return shutil.disk_usage(Path(str(db)).parent).free < 1 << 20
    except OSError:
        return False


def not_a_store(db: object, exc: sqlite3.Error) -> InputError:
    return store_failure(db, exc) or fail(
        f"{db} 不是可用的 cmscore 历史库（{exc}）；请检查 --db 或 $CMSCORE_DB")


def file_of(conn: sqlite3.Connection) -> str:
    """The path of the store a connection has open (for messages)."""
    try:
        return str(conn.execute("PRAGMA database_list").fetchone()[2])
    except sqlite3.Error:
        return "历史库"


def open_read(db: Path) -> sqlite3.Connection:
    """The store for a command that only reads: opened read-only, so a store the user
    may not write (an auditor's copy) serves; never created, never migrated."""
    info = _stat(db)
    if info is None:
        raise fail(f"历史库 {db} 不存在；请先运行 cmscore score")
    if not stat.S_ISREG(info.st_mode):
        raise fail(f"历史库 {db} 不是普通文件（是文件夹、管道或设备）；请检查 --db 或 $CMSCORE_DB")
    uri = "file:" + quote(str(db.resolve())) + "?mode=ro"
    try:
        try:
            conn = _opened(uri)
        except sqlite3.OperationalError as exc:
            # A store in WAL mode needs a -shm file beside it, which a read-only folder
            # cannot take. With no -wal file either, nothing can be writing it, and SQLite
            # may read the file as it stands.
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF != _CANTOPEN:
                raise
            wal = Path(f"{db}-wal")
            if wal.exists() and wal.stat().st_size:
                raise fail(f"历史库 {db} 旁有尚未并入的 {wal.name}，而所在目录只读，无法一并读取；"
                           "请把历史库和它的 -wal 文件一起复制到可写的目录后再读") from None
            conn = _opened(uri + "&immutable=1")
    except sqlite3.DatabaseError as exc:
        raise not_a_store(db, exc) from exc
    try:
        _readable_version(conn, db)
    except BaseException:
        conn.close()
        raise
    return conn


def schema_version(db: Path) -> int:
    """The store's schema version, read without changing anything."""
    try:
        conn = _opened("file:" + quote(str(db.resolve())) + "?mode=ro")
        try:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise not_a_store(db, exc) from exc


def _opened(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # reads the file now
    except BaseException:
        conn.close()
        raise
    return conn


def _readable_version(conn: sqlite3.Connection, db: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise fail(f"历史库 {db} 的结构版本 {version} 比本工具（{SCHEMA_VERSION}）新；请升级 cmscore")
    if version == 0:
        raise fail(f"{db} 不是 cmscore 历史库（没有 cmscore 的表）；请检查 --db 或 $CMSCORE_DB")
    if version < READS_FROM:
        raise fail(f"历史库 {db} 的结构版本是 {version}，本工具读取需要 {READS_FROM} 或更新；只读的"
                   f"命令不会改动历史库。请先运行 cmscore db migrate --db {db} 升级它（需要写权限；"
                   "可先用 cmscore db backup 备份）")


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise os_failure(exc, path, "读取") from None
