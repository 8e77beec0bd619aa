"""A number no date can be, in a cell formatted as a date or a time: calamine cannot read
the sheet (Python's timedelta overflows, or calamine panics on ``TimeDelta``). Found by
big3 in session 10: a panic reached the person as a pyo3 traceback, an overflow as
「无法读取该工作表（days=2147483647; must have magnitude <= 999999999）」, neither naming a cell."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from cmscore.inputs.datecells import MESSAGE, date_styles
from cmscore.inputs.reader import read_export
from cmscore.problems import InputError, Problem
from cmscore.rules.ruleset import RuleSet

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "2026-10.xlsx"


def _export(path: Path, cells: dict[str, tuple[float, str]]) -> Path:
    book = openpyxl.load_workbook(EXAMPLE)
    sheet = book.active
    for ref, (value, fmt) in cells.items():
        sheet[ref].value = value
        sheet[ref].number_format = fmt
    book.save(path)
    return path


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (-1e20, "yyyy-mm-dd", "-1e+20"),  # calamine panics (TimeDelta::milliseconds out of bounds)
    (1e15, "[h]:mm:ss", "1000000000000000"),  # Python's timedelta overflows
])
def test_each_cell_that_no_date_can_be_is_named_with_the_fix(
        tmp_path: Path, rules: RuleSet, value: float, fmt: str, shown: str) -> None:
    path = _export(tmp_path / "2026-10.xlsx", {"G5": (value, fmt), "H9": (-5, 'yyyy"年"m"月"'),
                                                  "F6": (7, "yyyy-mm-dd")})  # 7: a date, read
    with pytest.raises(InputError) as caught:
        read_export(path, rules)
    assert caught.value.problems == [
        Problem(MESSAGE.format(value=shown), file="2026-10.xlsx", sheet="业绩", row=5, column="G5"),
        Problem(MESSAGE.format(value="-5"), file="2026-10.xlsx", sheet="业绩", row=9, column="H9")]


def test_date_and_time_formats_are_told_from_number_formats() -> None:
    styles = b"""<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
      <numFmts><numFmt numFmtId="164" formatCode="0.00&quot;days&quot;"/>
      <numFmt numFmtId="165" formatCode="[h]:mm"/><numFmt numFmtId="166" formatCode="[Red]0.0"/>
      <numFmt numFmtId="167" formatCode="yyyy\\-mm"/></numFmts>
      <cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>
      <xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="4"/><xf numFmtId="47"/></cellXfs>
    </styleSheet>"""
    assert date_styles(styles) == {1, 3, 5, 7}


def test_in_a_sheet_read_in_halves_calamine_stops_once_and_the_cell_is_named(
        tmp_path: Path, rules: RuleSet, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """The red team's find: a half that stopped on such a cell sent the whole sheet to be
    read again, which stopped on it again — calamine's panic said twice on stderr."""
    from cmscore.inputs import halves

    monkeypatch.setattr(halves, "MIN_BYTES", 0)  # every sheet cut, as a national one is
    path = _export(tmp_path / "2026-10.xlsx", {"G30": (-1e20, "yyyy-mm-dd")})
    with pytest.raises(InputError) as caught:
        read_export(path, rules)
    assert caught.value.problems == [Problem(MESSAGE.format(value="-1e+20"), file="2026-10.xlsx",
                                             sheet="业绩", row=30, column="G30")]
    assert "TimeDelta" not in capfd.readouterr().err  # said once, as the problem above


@pytest.mark.parametrize("backtrace", ["0", "1"])
def test_calamines_panic_lines_do_not_reach_the_terminal(
        tmp_path: Path, rules: RuleSet, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, backtrace: str) -> None:
    """Rust's panic hook wrote 「thread '<unnamed>' panicked at …chrono…」 (and with
    RUST_BACKTRACE set a backtrace of some eighty frames) above the table of problems."""
    monkeypatch.setenv("RUST_BACKTRACE", backtrace)
    path = _export(tmp_path / "2026-10.xlsx", {"G5": (-1e20, "yyyy-mm-dd")})
    with pytest.raises(InputError):
        read_export(path, rules)
    assert capfd.readouterr().err == ""
