"""The phase bar at a terminal is taken off the screen before a refusal is printed.

Seen in session 11 in a terminal: a refused export's table of problems began on the
bar's own line (「⠋ 开始 ━━━━ 0:00:00输入有误：…」), the bar left standing above it, since the
problems were printed while the bar was still live. Run in a pseudo-terminal, as a
person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

pty = pytest.importorskip("pty", reason="a pseudo-terminal needs a POSIX system")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "2026-10.xlsx"
TITLE = "输入有误".encode()


def _at_a_terminal(args: list[str], cwd: Path) -> bytes:
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="120", LINES="40")
    env.pop("CI", None)  # rich draws no bar where it believes CI runs
    proc = subprocess.Popen([sys.executable, "-m", "cmscore.cli", *args], cwd=cwd, env=env,
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    try:
        while chunk := os.read(master, 65536):
            out += chunk
    except OSError:  # the terminal's other end closed: all is read
        pass
    finally:
        os.close(master)
    assert proc.wait(timeout=60) == 1
    return out


def test_a_refusal_is_printed_after_the_bar_is_taken_off(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(EXAMPLE)
    book.active["G5"].value = "abc"
    book.save(tmp_path / "2026-10.xlsx")
    out = _at_a_terminal(["score", "2026-10.xlsx", "--db", "s.db", "--out", "."], tmp_path)
    before = out[:out.index(TITLE)]
    assert "开始".encode() in before  # the bar was drawn
    # …and erased (rich's erase-line) after its last drawing, before the title.
    assert before.rfind(b"\x1b[2K") > before.rfind("━".encode())
    assert not (tmp_path / "s.db").exists()
