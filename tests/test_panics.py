"""inputs.panics: descriptor 2 held while calamine reads, passed on less Rust's panic lines."""

from __future__ import annotations

import os

import pytest

from cmscore.inputs.panics import panics_quiet, without_panics

PLAIN = (b"\nthread '<unnamed>' (7276) panicked at /root/.cargo/registry/src/chrono-0.4.45/"
         b"src/lib.rs:717:17:\nTimeDelta::milliseconds out of bounds\n"
         b"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n")
TRACED = (b"thread '<unnamed>' (7276) panicked at /root/chrono/src/lib.rs:717:17:\n"
          b"TimeDelta::milliseconds out of bounds\nstack backtrace:\n"
          b"   0: __rustc::rust_begin_unwind\n   1: core::panicking::panic_fmt\n"
          b"             at /tmp/python-build/Python-3.11.7/Objects/call.c:299:12\n"
          b"note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose "
          b"backtrace.\n")


@pytest.mark.parametrize("panic", [PLAIN, TRACED])
def test_a_panic_report_is_taken_out_and_what_surrounds_it_kept(panic: bytes) -> None:
    assert without_panics(b"before\n" + panic + b"after\n") == b"before\nafter\n"
    assert without_panics(panic + panic) == b""


def test_text_that_is_no_panic_report_is_kept_as_it_is() -> None:
    text = b"\x1b[2K\rprogress 50%\rUserWarning: thread 'x' said nothing\n"
    assert without_panics(text) == text


def test_what_else_is_written_during_the_block_comes_out_after_it(
        capfd: pytest.CaptureFixture[str]) -> None:
    with panics_quiet():
        os.write(2, b"a warning\n" + PLAIN + TRACED + b"the bar\r")
        assert capfd.readouterr().err == ""  # held, not yet shown
    assert capfd.readouterr().err == "a warning\nthe bar\r"
    os.write(2, b"after\n")  # descriptor 2 is the terminal's again
    assert capfd.readouterr().err == "after\n"


def test_a_closed_descriptor_2_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dup(fd: int) -> int:
        raise OSError(9, "Bad file descriptor")

    monkeypatch.setattr(os, "dup", no_dup)
    ran = []
    with panics_quiet():
        ran.append(1)
    assert ran == [1]
