"""A new store made on a thread while the export is read, put in place once it is valid.

Making a store is waiting, not work: its migrations commit once, and the commit's fsyncs
took 25–60 ms of a `score` run's one-core start (≈ 7 ms of CPU), before the fork and
after the read. So when ``score`` is given a store that does not exist yet, a thread
makes it under a hidden name beside it (``.NAME.PID.new``) while the export is read
and parsed; under the store's lock, once the export was read without a problem and only
if there is still no store there, it is renamed into place, and ``store.connect`` opens
it as it opens any store (already migrated: nothing to commit). On any problem with the
export, and on any failure of the thread, the hidden file is removed and the run goes
on as before: a refused export still leaves no store behind, and the messages are the
ones ``store.connect`` gives. SQLite syncs the folder at the run's first commit (its WAL
is new), which makes the renamed store durable with it. A run killed between making the
hidden store and renaming it leaves that empty store behind, as any program's temp file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

from cmscore.store import db as store

_LEFT = ("-wal", "-shm", "-journal")


class NewStore:
    """``with NewStore(db) as new:`` … read the export … ``new.place()`` under the lock."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.tmp = db.with_name(f".{db.name}.{os.getpid()}.new")
        self.made = self.started = False
        self.thread: threading.Thread | None = None

    def __enter__(self) -> NewStore:
        if not os.path.lexists(self.db) and not os.path.lexists(self.tmp) and \
                self.db.parent.is_dir():
            self.thread = threading.Thread(target=self._make, daemon=True)
            try:
                self.thread.start()
                self.started = True
            except RuntimeError:  # no thread to be had: made where it is, as before
                self.thread = None
        return self

    def _make(self) -> None:
        try:
            store.connect(self.tmp).close()  # the last connection: the WAL folded in
        except BaseException:  # noqa: BLE001 - the store is then made in place, as before
            return
        self.made = not any(os.path.lexists(f"{self.tmp}{s}") for s in _LEFT)

    def _wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def place(self) -> None:
        """The new store renamed into place, when it was made and there still is no store
        (another run may have made one meanwhile); called holding the store's lock."""
        self._wait()
        if self.made and not os.path.lexists(self.db):
            try:
                os.rename(self.tmp, self.db)
            except OSError:
                pass  # made in place by store.connect, as before
        self._discard()

    def _discard(self) -> None:
        """The hidden store and its files, unless renamed: only ever this run's."""
        if self.started and os.path.lexists(self.tmp):
            for suffix in ("", *_LEFT):
                try:
                    os.unlink(f"{self.tmp}{suffix}")
                except FileNotFoundError:
                    pass
                except OSError:
                    break
        self.made = False

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._wait()
        self._discard()  # not placed: the export was refused
