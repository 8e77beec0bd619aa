"""The 定级 sheet of `grade` (issue 19): rendered by both processes of a forked run with the
same cells as in line, its figures given as text once per value (``celltext.Figures``) and
its texts entered in the shared strings all at once (``celltext.Shared.extend``)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cmscore.engine.grading import grade_members, window
from cmscore.outputs import aside
from cmscore.outputs import grades as out_grades
from cmscore.outputs.celltext import Escaped, Figures, Shared, column_texts
from conftest import Cli
from test_sheetparts import _cells, _parent_takes_blocks

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.skipif(not aside.can_fork(), reason="forks only on Linux")
def test_a_forked_grade_shares_the_grades_sheet_and_writes_the_in_line_workbook(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    forked, in_line = tmp_path / "forked", tmp_path / "in-line"
    for k in range(1, 7):
        cli("score", EXAMPLES / f"2026-{k:02d}.xlsx", "--db", forked / "c.db", "--out", forked,
            "--quiet", code=0)
    in_line.mkdir()
    shutil.copy(forked / "c.db", in_line / "c.db")
    monkeypatch.setenv("CMSCORE_NO_FORK", "0")
    monkeypatch.setattr(aside, "FORK_MIN_ROWS", 0)
    monkeypatch.setattr(out_grades, "BLOCK_ROWS", 3)  # many blocks to share
    taken = _parent_takes_blocks(monkeypatch)
    grade = ("grade", "--months", "6", "--end", "2026-06", "--quiet")
    cli(*grade, "--db", forked / "c.db", "--out", forked, code=0)
    assert taken and 0 not in taken  # block 0 is the child's: it measures the widths on it
    monkeypatch.setenv("CMSCORE_NO_FORK", "1")
    cli(*grade, "--db", in_line / "c.db", "--out", in_line, code=0)
    assert _cells(forked / "grades-2026-06.xlsx") == _cells(in_line / "grades-2026-06.xlsx")
    assert sorted(p.name for p in forked.iterdir() if not p.name.startswith("c.db")) == \
        ["grades-2026-06.xlsx", "scores-2026-01.xlsx", "scores-2026-02.xlsx",
         "scores-2026-03.xlsx", "scores-2026-04.xlsx", "scores-2026-05.xlsx",
         "scores-2026-06.xlsx", "公示-2026-01.xlsx", "公示-2026-02.xlsx", "公示-2026-03.xlsx",
         "公示-2026-04.xlsx", "公示-2026-05.xlsx", "公示-2026-06.xlsx"]  # no parts left


def test_figures_are_written_as_given_and_numbers_as_their_exact_text() -> None:
    shared, escaped = Shared(), Escaped()
    given = Figures(["85.00", None, "-1.50"])
    assert column_texts(given, False, escaped, shared) == (given, False)
    assert column_texts([Decimal("85.00"), None, Decimal("-1.50")], False, escaped, shared) == \
        (["85.00", None, "-1.50"], False)


def test_shared_extend_gives_the_indices_one_at_a_time_would() -> None:
    texts = ["张三", "支行", "张三", "A&B <甲>", "", "李四", "支行"]
    one, many = Shared(), Shared()
    one["已有"], many["已有"] = "0", "0"
    one.texts.append("已有")
    many.texts.append("已有")
    for t in texts:
        one[t]
    many.extend(texts)
    assert dict(many) == dict(one) and many.texts == one.texts
    assert many.texts[-2] == "A&amp;B &lt;甲&gt;"


def test_shared_extend_refuses_a_control_character_by_name() -> None:
    table = Shared()
    with pytest.raises(ValueError, match="控制字符"):
        table.extend(["张三", "王\x07五"])


def test_ties_rank_by_id_whatever_order_the_members_come_in() -> None:
    months = window("2026-06", 6)
    members = [(cm, cm, "一支行", "支行", (10000,) * 6) for cm in ("003", "001", "002")]
    members.append(("000", "000", "一支行", "支行", (9000,) * 6))
    ranked = grade_members(months, members).decisions
    assert [(d.id, d.rank) for d in ranked] == [("001", 1), ("002", 1), ("003", 1), ("000", 4)]
