"""Output files appear whole or not at all, private, and as the view of what is stored.

``atomic_file`` writes any output beside its target and moves it into place; a new file
is readable by its owner only (0600, as the store: the workbooks carry scores and pay),
a file it replaces keeps its mode. ``stored_workbook`` is the workbook of a run that
also stores (score, grade, payroll): the path is checked before anything is stored, the
run records the finished workbook and its SHA-256 in its own transaction, and moves it
into place after COMMIT. A run killed in between leaves the store saying which workbook
it wrote and where that waits; the next run that writes the store puts it in place
(``store.workbooks.settle``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cmscore.problems import fail, os_failure
from cmscore.store import workbooks
from cmscore.store.workbooks import place, sha256_of

_NOT_STORED = "未存入历史库，也未写出文件"


@contextmanager
def atomic_file(target: Path, kept: str = "") -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success fsync it and move it into place.

    A crash or kill at any point leaves the previous ``target`` untouched. A target that
    cannot be written is refused before the body runs; ``kept`` ends the message of a
    failure (what the run left as it was).
    """
    tmp = _temp_beside(target, kept)
    try:
        with _said(target, kept):
            yield tmp
            _fsync(tmp)
            place(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


class Pending:
    """A workbook being written for a run that stores: where it waits, and once the run's
    transaction has recorded it, its run and hash."""

    def __init__(self, conn: sqlite3.Connection, target: Path, tmp: Path) -> None:
        self.conn, self.target, self.tmp = conn, target, tmp
        self.run_id: int | None = None  # set by a body whose transaction adds later runs

    def ready(self, written: Callable[[], None]) -> Callable[[], None]:
        """The ``ready`` of the store's transaction: once ``written`` has the workbook
        complete, record it and its hash with the run, just before COMMIT."""
        def ready() -> None:
            written()
            _fsync(self.tmp)
            self.run_id = workbooks.record(self.conn, str(self.target), sha256_of(self.tmp),
                                           str(self.tmp), self.run_id)
        return ready


@contextmanager
def stored_workbook(conn: sqlite3.Connection, target: Path) -> Iterator[Pending]:
    """The workbook of a run that stores: the body stores with ``ready=pending.ready(…)``.

    Before anything is stored, ``target`` is checked and a temp file made beside it.
    After COMMIT it is moved into place; if that fails, the finished workbook stays where
    it waits for the next run to place it.
    """
    target = Path(os.path.abspath(target))
    pending = Pending(conn, target, _temp_beside(target, _NOT_STORED))
    keep = False
    try:
        with _said(target, _NOT_STORED):
            yield pending
        assert pending.run_id is not None, "the body stores with ready=pending.ready(…)"
        try:
            place(pending.tmp, target)
        except OSError as exc:
            keep = True
            raise fail(f"已存入历史库，但未能把工作簿放到 {target}：{exc.strerror}；写好的工作簿"
                       f"在 {pending.tmp}，下次运行写入历史库的命令（score、grade、payroll 等）"
                       "时会自动放到位") from exc
        workbooks.mark_placed(conn, pending.run_id, str(target))
    finally:
        if not keep:
            pending.tmp.unlink(missing_ok=True)


@contextmanager
def parts_beside(tmp: Path) -> Iterator[Path]:
    """A private folder beside the temp workbook ``tmp`` for the parts two processes
    render of it (``sheetparts``); removed with everything in it when the run ends."""
    folder = tmp.with_name(f"{tmp.name}.parts")
    try:
        folder.mkdir(mode=0o700)
    except OSError as exc:
        raise os_failure(exc, tmp.parent, "在目录中建立文件夹", _NOT_STORED) from None
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _said(target: Path, kept: str) -> Iterator[None]:
    """What the system refused while writing ``target`` (a full disk), in words."""
    try:
        yield
    except OSError as exc:
        if exc.errno is None:
            raise
        raise os_failure(exc, target, "写出", kept) from exc


def _temp_beside(target: Path, kept: str) -> Path:
    """A private empty temp file beside ``target``, once ``target`` is known writable: not
    a folder or anything but a plain file, in a folder that takes a new file."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise os_failure(exc, target, "写出", kept) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise fail(f"无法写出 {target}：同名的是一个文件夹；请移走或改名该文件夹，或用 --out "
                   f"换一个目录。{kept}")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise fail(f"无法写出 {target}：同名的不是普通文件（管道或设备）；请移走它，或用 --out "
                   f"换一个目录。{kept}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise os_failure(exc, target.parent, "在目录中建立文件", kept) from None
    os.close(fd)
    return Path(name)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


