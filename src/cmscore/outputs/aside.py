"""Write an output workbook on the second core while this process stores the same results.

A national month takes about as long to write its workbook as to store its rows, each
bound to one core. A thread cannot overlap them (the GIL; measured slower), a forked
child can: it shares the scored month copy-on-write, writes the workbook into the temp
file it is given and exits. The parent stores meanwhile and commits only after the
child has succeeded (``join``), so a failure on either side still leaves nothing stored
and no workbook in place. Small jobs, and systems without ``fork`` (Windows), write the
workbook in line first, exactly as before.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from cmscore.problems import fail

# Below this many rows forking costs more than it saves (a few ms to copy the page tables).
FORK_MIN_ROWS = 20_000


def can_fork() -> bool:
    # macOS forks, but its system libraries are not fork-safe; Linux is where it is measured.
    return hasattr(os, "fork") and sys.platform.startswith("linux") \
        and os.environ.get("CMSCORE_NO_FORK", "") in ("", "0")


def forks(rows: int) -> bool:
    """Whether ``alongside`` writes ``rows`` rows' workbook in a forked child."""
    return rows >= FORK_MIN_ROWS and can_fork()


@contextmanager
def alongside(rows: int, write: Callable[..., Any], *args: Any) -> Iterator[Callable[[], None]]:
    """Run ``write(*args)`` beside the body; the body calls the yielded ``join`` before it
    commits, which waits for the writer and raises its error here if it failed."""
    child = None
    if forks(rows):
        # Frozen objects are never scanned by the parent's collector, whose writes to
        # every object header would otherwise copy the whole shared month page by page.
        gc.freeze()
        try:
            child = _Child(write, args)
        except OSError:  # no memory or process slot for a child: write in line after all
            gc.unfreeze()
    if child is None:
        write(*args)
        yield _nothing
        return
    try:
        yield child.join
        child.join()
    except BaseException:
        child.kill()
        raise
    finally:
        gc.unfreeze()


def _nothing() -> None:
    """Nothing to wait for: the workbook was written in line."""


class _Child:
    def __init__(self, write: Callable[..., Any], args: tuple[Any, ...]) -> None:
        read_end, write_end = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: write, report, exit without running the parent's cleanup
            os.close(read_end)
            _die_with(parent)
            _run_child(write, args, write_end)
        os.close(write_end)
        self.pid: int | None = pid
        self.pipe = read_end

    def join(self) -> None:
        if self.pid is None:
            return
        with os.fdopen(self.pipe, "rb") as pipe:
            report = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            return
        if report:
            raise pickle.loads(report)
        raise fail(f"写出工作簿的子进程异常退出（{_why(code)}）；未存入历史库，也未写出文件")

    def kill(self) -> None:
        if self.pid is None:
            return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.pipe)
        self.pid = None


def _die_with(parent: int) -> None:
    """A parent killed mid-run must not leave its child writing a temp file nobody removes."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # killed before the line above took effect
        os._exit(1)


def _run_child(write: Callable[..., Any], args: tuple[Any, ...], pipe: int) -> None:
    code = 0
    try:
        gc.disable()
        write(*args)
    except BaseException as exc:  # every failure goes back to the parent, which reports it
        code = 1
        try:
            report = pickle.dumps(exc)
        except Exception:
            report = pickle.dumps(RuntimeError(repr(exc)))
        view = memoryview(report)
        while view:
            view = view[os.write(pipe, view):]
    finally:
        os._exit(code)


def _why(code: int) -> str:
    return f"信号 {-code}" if code < 0 else f"退出码 {code}"
