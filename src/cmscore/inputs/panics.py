"""calamine's panic text kept off the office's terminal.

A sheet calamine cannot turn into Python values makes it panic (a number no date can be
in a cell formatted as a date: chrono's ``TimeDelta``). pyo3 hands the panic to Python as
an exception, which ``sources`` catches and turns into a located problem with the fix
(``datecells``); but Rust's panic hook has already written its own lines — and, where
``RUST_BACKTRACE`` is set, a backtrace of some eighty frames — straight to file descriptor 2,
above the table of problems. No Python setting reaches that hook, so while calamine reads,
descriptor 2 goes to a temporary file; afterwards whatever else was written there (a
warning, the progress bar) is passed on, less the panics' own lines.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

# What Rust's default hook writes: a blank line (Rust 1.80 on; only a line of its own is
# taken, never the end of the line before), the thread and place, the
# message (one line for the panics seen from calamine), then a backtrace
# (RUST_BACKTRACE=1/full) and/or its note.
_PANIC = re.compile(
    rb"(?:(?<![^\n])\n)?thread '[^'\n]*'[^\n]* panicked at [^\n]*\n[^\n]*\n"
    rb"(?:stack backtrace:\n(?:[ \t][^\n]*\n)*)?"
    rb"(?:note: [^\n]*\n)?")


def without_panics(text: bytes) -> bytes:
    """``text`` less every panic report Rust's hook wrote in it."""
    return _PANIC.sub(b"", text)


@contextmanager
def panics_quiet() -> Iterator[None]:
    """Descriptor 2 held in a temporary file for the block (threads and Rust included);
    what was written there comes out afterwards less the panics' lines. Where
    descriptor 2 cannot be taken (closed, no temporary file), the block runs as it is."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        held = tempfile.TemporaryFile()
    except OSError:
        os.close(saved)
        yield
        return
    with held:
        _flush()
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            _flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            _write_all(without_panics(held.read()))


def _flush() -> None:
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):  # no stderr, or a closed one
        pass


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(2, view):]
    except OSError:  # stderr gone meanwhile: nothing to tell it
        pass
