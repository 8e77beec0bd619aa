"""Issue 19: benchmarks/identical.py, the byte-identity check of outputs before and after a
change, captures the same bytes for the same code (the run's clock and temporary folder
left out) and names every file that differs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def load_script() -> object:
    spec = importlib.util.spec_from_file_location("identical", ROOT / "benchmarks/identical.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not Path(sys.executable).with_name("cmscore").exists(),
                    reason="needs the installed cmscore script beside this Python")
def test_two_captures_of_the_same_code_are_identical_and_a_change_is_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script: object = load_script()
    a, b = tmp_path / "a", tmp_path / "b"
    script.capture(a, ["worked"])  # type: ignore[attr-defined]
    script.capture(b, ["worked"])  # type: ignore[attr-defined]
    names = sorted(p.name for p in a.iterdir())
    assert "worked-00-score.stdout" in names and "worked-00-scores-2026-10.cells.json" in names
    assert (a / "worked-01-score.rc").read_text() == "1\n"  # the month is already stored
    assert script.compare(a, b) == 0  # type: ignore[attr-defined]
    cells = b / "worked-00-scores-2026-10.cells.json"
    text = cells.read_text(encoding="utf-8")
    assert "计分说明" in text
    cells.write_text(text.replace("计分说明", "计分説明"), encoding="utf-8")
    assert script.compare(a, b) == 1  # type: ignore[attr-defined]
    assert "DIFFERS: worked-00-scores-2026-10.cells.json" in capsys.readouterr().out
