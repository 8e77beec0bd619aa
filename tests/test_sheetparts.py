"""The 明细 sheet rendered by both processes of a forked `score` (``sheetparts``): the same
cells as written in line, whoever renders which block, and a failure on the parent's
side still leaves nothing stored and no workbook."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import zipfile
from functools import partial
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from cmscore.outputs import aside, sheetparts
from cmscore.outputs import scores as out_scores
from cmscore.outputs.celltext import Blocks
from cmscore.outputs.xlsx import Book, Column
from cmscore.problems import fail as fail_
from conftest import Cli, stored_months

EXAMPLES = Path(__file__).parent.parent / "examples"
pytestmark = pytest.mark.skipif(not aside.can_fork(), reason="forks only on Linux")


def _cells(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names
            if n != "运行记录"}  # it holds the run's start time


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked, and 明细 in blocks of three managers: many blocks to share."""
    monkeypatch.setenv("CMSCORE_NO_FORK", "0")
    monkeypatch.setattr(aside, "FORK_MIN_ROWS", 0)
    monkeypatch.setattr(out_scores, "BLOCK_ROWS", 3)


def _parent_takes_blocks(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[int]:
    """The blocks the parent renders; the child waits (up to 30 s) before each block until
    the parent has taken one, so that the parent's share is never empty."""
    parent, taken = os.getpid(), []
    render = sheetparts._render

    def recording(book: Any, folder: Path, *args: Any) -> None:
        if os.getpid() == parent:
            taken.append(args[-2])
            (folder / "parent-took").touch()
            if fail:
                raise fail_("明细 第 7 行写不下去了")
        else:
            waited = time.monotonic()
            while not (folder / "parent-took").exists() and time.monotonic() - waited < 30:
                time.sleep(0.01)
        render(book, folder, *args)

    monkeypatch.setattr(sheetparts, "_render", recording)
    return taken


def test_the_parent_renders_its_share_and_the_workbook_is_the_in_line_one(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, small_blocks: None) -> None:
    taken = _parent_takes_blocks(monkeypatch)
    forked, in_line = tmp_path / "forked", tmp_path / "in-line"
    cli("score", EXAMPLES / "2026-01.xlsx", "--db", forked / "c.db", "--out", forked,
        "--quiet", code=0)
    assert taken and 0 not in taken  # block 0 is the child's: it measures the widths on it
    monkeypatch.setenv("CMSCORE_NO_FORK", "1")
    cli("score", EXAMPLES / "2026-01.xlsx", "--db", in_line / "c.db", "--out", in_line,
        "--quiet", code=0)
    for name in ("scores-2026-01.xlsx", "公示-2026-01.xlsx"):
        assert _cells(forked / name) == _cells(in_line / name), name
    assert sorted(p.name for p in forked.iterdir() if not p.name.startswith("c.db")) == \
        ["scores-2026-01.xlsx", "公示-2026-01.xlsx"]  # no temp file, no folder of parts


def test_score_json_renders_its_managers_before_commit_and_prints_the_same_document(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, small_blocks: None) -> None:
    """The --json document's managers are rendered while the month is not yet committed
    (beside the forked child, on the other core), not after it; the bytes printed are
    those of the document built in line."""
    import sqlite3

    from cmscore.outputs import scorejson

    forked, in_line = tmp_path / "forked", tmp_path / "in-line"
    seen: list[int] = []
    build = scorejson.scores_json

    def watching(scores: Any, rules: Any) -> Any:
        if not seen:  # how many of the month's rows another reader sees at that moment
            with sqlite3.connect(forked / "c.db") as other:
                seen.append(other.execute("SELECT count(*) FROM scores").fetchone()[0])
        return build(scores, rules)

    monkeypatch.setattr(scorejson, "scores_json", watching)
    printed = cli("score", EXAMPLES / "2026-01.xlsx", "--db", forked / "c.db", "--out", forked,
                  "--json", code=0).stdout
    assert seen == [0]
    monkeypatch.setattr(scorejson, "scores_json", build)
    monkeypatch.setenv("CMSCORE_NO_FORK", "1")
    again = cli("score", EXAMPLES / "2026-01.xlsx", "--db", in_line / "c.db", "--out", in_line,
                "--json", code=0).stdout
    assert printed == again and printed.startswith('{\n "month": "2026-01",\n "managers": [')


def test_a_failure_in_the_parents_share_stops_the_child_and_leaves_nothing(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, small_blocks: None) -> None:
    taken = _parent_takes_blocks(monkeypatch, fail=True)
    db = tmp_path / "c.db"
    got = cli("score", EXAMPLES / "2026-01.xlsx", "--db", db, "--out", tmp_path, code=1)
    assert taken and "明细 第 7 行写不下去了" in got.stderr
    assert stored_months(db) == []
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("c.db")) == []


def _written(path: Path, rows: list[list[Any]], seed: list[str], share: bool) -> Path:
    """A two-sheet book whose second sheet is rendered in parts (in line: the writer
    takes every block) or, ``share`` False, as one sheet."""
    columns = [Column("工号", 12), Column("姓名", 10), Column("分", 8, "points"),
               Column("说明", 30, "wrap")]
    blocks = [[list(c) for c in zip(*rows[k:k + 2], strict=True)] for k in range(0, len(rows), 2)]
    book = Book(path)
    book.sheet("名单", columns[:2], [r[:2] for r in rows[:3]])
    if share:
        folder = path.with_name(f"{path.name}.parts")
        folder.mkdir()
        split = sheetparts.Split(folder)
        sheetparts.write_sheet(book, split, "明细", columns,
                               [partial(list, b) for b in blocks], [len(b[0]) for b in blocks], seed,
                               note="上方的说明：grade 的定级表也有")
        book.sheet("后", [Column("项目", 10)], [["运行"], ["记录"]])
        book.close()
        sheetparts.help_write(split, "明细", columns, [], [])  # nothing left to take
        sheetparts.assemble(split, path)
        split.close()
    else:
        book.sheet("明细", columns, Blocks(blocks), note="上方的说明：grade 的定级表也有")
        book.sheet("后", [Column("项目", 10)], [["运行"], ["记录"]])
        book.close()
    return path


def test_a_text_the_earlier_sheets_lack_is_written_inline_with_the_same_cells(
        tmp_path: Path) -> None:
    """Seeded or not, a block's text reads back the same: a text the frozen shared strings
    lack sends its block through the cell-by-cell path (inline text)."""
    from decimal import Decimal

    rows = [[f"{k:04d}", ["张三", "李四", "王五"][k % 3], Decimal(k) / 4, f"第{k}行\n" + "说明" * 40]
            for k in range(9)]
    plain = _cells(_written(tmp_path / "plain.xlsx", rows, [], share=False))
    for seed, shared in (([], False), (["李四", "张三", "王五"], True)):
        got = _written(tmp_path / f"parts-{len(seed)}.xlsx", rows, seed, share=True)
        assert _cells(got) == plain
        with zipfile.ZipFile(got) as zf:
            detail = zf.read("xl/worksheets/sheet2.xml").decode()
        assert ('<c r="B4" s="1" t="s">' in detail) == shared, detail[:2000]
        with zipfile.ZipFile(got) as zf, zipfile.ZipFile(tmp_path / "plain.xlsx") as zp:
            # The same print area, print titles and filter (the header is row 3).
            assert zf.read("xl/workbook.xml") == zp.read("xl/workbook.xml")


SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice 未安装（soffice 不在 PATH）")
def test_libreoffice_opens_a_workbook_assembled_from_parts(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, small_blocks: None) -> None:
    assert SOFFICE is not None
    _parent_takes_blocks(monkeypatch)
    cli("score", EXAMPLES / "2026-01.xlsx", "--db", tmp_path / "c.db", "--out", tmp_path,
        "--quiet", code=0)
    profile = f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}"
    subprocess.run([SOFFICE, profile, "--headless", "--convert-to",
                    "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,4",
                    "--outdir", str(tmp_path / "csv"), str(tmp_path / "scores-2026-01.xlsx")],
                   check=True, capture_output=True, timeout=300)
    detail = (tmp_path / "csv" / "scores-2026-01-明细.csv").read_text(encoding="utf-8")
    managers = _cells(tmp_path / "scores-2026-01.xlsx")["明细"][1:]
    assert detail.splitlines()[0].startswith("工号,姓名,机构,类别")
    assert all(str(m[0]) in detail for m in managers) and len(managers) > 9


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")  # dead, waiting to be reaped by whoever adopted it


def test_a_killed_parent_leaves_no_child_rendering_and_nothing_stored(tmp_path: Path) -> None:
    """SIGKILL to a forked `score` while its child renders 明细 blocks: the child dies
    with it (PR_SET_PDEATHSIG), and the month is not stored."""
    import signal
    import sys

    db, out = tmp_path / "c.db", tmp_path / "out"
    script = f"""
import os, sys, time
from pathlib import Path
from cmscore.outputs import aside, sheetparts
from cmscore.outputs import scores as out_scores
aside.FORK_MIN_ROWS = 0
out_scores.BLOCK_ROWS = 2
parent, render = os.getpid(), sheetparts._render
def slow(book, folder, *args):
    if os.getpid() != parent:
        (folder.parent / f"child-{{os.getpid()}}").touch()
        time.sleep(120)  # still rendering when the parent is killed
    render(book, folder, *args)
sheetparts._render = slow
from cmscore.cli import main
sys.argv = ["cmscore", "score", {str(EXAMPLES / "2026-01.xlsx")!r}, "--db", {str(db)!r},
            "--out", {str(out)!r}, "--quiet"]
main()
"""
    env = {**os.environ, "CMSCORE_NO_FORK": "0"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        waited = time.monotonic()
        while not list(out.glob("child-*")) and time.monotonic() - waited < 120:
            assert proc.poll() is None, "the run ended before its child rendered"
            time.sleep(0.05)
        child = int(next(out.glob("child-*")).name.split("-")[1])
        assert not _gone(child)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    waited = time.monotonic()
    while not _gone(child) and time.monotonic() - waited < 10:
        time.sleep(0.05)
    assert _gone(child)
    assert stored_months(db) == []
    assert not list(out.glob("scores-*.xlsx"))  # a temp file and its parts may be left


def test_a_block_is_rendered_a_few_rows_at_a_time_into_the_same_sheet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each process renders a 明细 block PIECE_ROWS rows at a time (a block's 4096 rows of
    Chinese text at once were ~60 MB, in each process): the same sheet XML."""
    from decimal import Decimal

    rows = [[f"{k:04d}", ["张三", "李四", "王五"][k % 3], Decimal(k) / 4, f"第{k}行\n" + "说明" * 40]
            for k in range(9)]
    whole = _written(tmp_path / "whole.xlsx", rows, ["李四", "张三", "王五"], share=True)
    sizes: list[int] = []
    blocks = Book._blocks

    def counted(self: Any, fh: Any, name: str, columns: Any, letters: Any, given: Any,
                start: int) -> int:
        pieces = list(given)
        sizes.extend(len(p[0]) for p in pieces)
        return blocks(self, fh, name, columns, letters, Blocks(pieces), start)
    monkeypatch.setattr(Book, "_blocks", counted)
    monkeypatch.setattr(sheetparts, "PIECE_ROWS", 1)
    pieces = _written(tmp_path / "pieces.xlsx", rows, ["李四", "张三", "王五"], share=True)
    assert sizes and max(sizes) == 1
    with zipfile.ZipFile(whole) as zw, zipfile.ZipFile(pieces) as zp:
        assert zw.read("xl/worksheets/sheet2.xml") == zp.read("xl/worksheets/sheet2.xml")


def test_a_block_s_pieces_keep_the_kind_of_each_column(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    """A slice of a list subclass is a plain list: each piece's columns are of their
    block's kind (a Joined keeps its parts, from which the row heights are counted; a
    column whose kind tells the writer how to read it stays that kind)."""
    from cmscore.outputs.layout import Joined

    class Marked(list):  # type: ignore[type-arg]
        pass

    joined = Joined([["一", "二", "三"], ["甲", "乙", "丙"]], 3)
    block = [["1", "2", "3"], Marked(["a", "b", "c"]), joined]
    seen: list[list[Any]] = []

    def recording(self: Any, fh: Any, name: str, columns: Any, letters: Any, given: Any,
                  start: int) -> int:
        seen.extend(given)
        return start
    monkeypatch.setattr(sheetparts._Renderer, "_blocks", recording)
    monkeypatch.setattr(sheetparts, "PIECE_ROWS", 2)
    columns = [Column("工号", 12), Column("标记", 10), Column("说明", 30, "wrap")]
    sheetparts._render(sheetparts._Renderer(sheetparts._Frozen(), [10.0] * 3), tmp_path, "明细",
                       columns, block, 0, 1)
    assert [[list(c) for c in piece] for piece in seen] == \
        [[["1", "2"], ["a", "b"], ["一\n甲", "二\n乙"]], [["3"], ["c"], ["三\n丙"]]]
    assert all(type(piece[1]) is Marked and type(piece[2]) is Joined for piece in seen)
    assert [piece[2].parts for piece in seen] == [[["一", "二"], ["甲", "乙"]], [["三"], ["丙"]]]


def test_the_detail_sheet_ends_in_small_blocks_and_keeps_its_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """明细's last BLOCK_ROWS rows come in blocks of at most TAIL_ROWS (so neither process
    of a forked run waits long for the other's last block); the first block, on which the
    widths are fit, and the blocks before the tail keep BLOCK_ROWS; no block spans two
    categories."""
    from cmscore.engine.scoring import score_month
    from cmscore.inputs.reader import read_export
    from cmscore.rules.ruleset import load_rules

    rules = load_rules()
    scores = score_month(read_export(EXAMPLES / "2026-10.xlsx", rules), rules)
    groups = out_scores.ordered(scores, rules)
    monkeypatch.setattr(out_scores, "BLOCK_ROWS", 8)
    monkeypatch.setattr(out_scores, "TAIL_ROWS", 3)
    _, makers, sizes = out_scores.detail_sheet(scores, rules, groups)
    whole = [len(m) for _, m in groups]
    assert sum(sizes) == sum(whole) == 40 and len(makers) == len(sizes)
    assert sizes[0] == min(8, whole[0])
    tail = len(sizes) - 1  # the fewest last blocks that hold the last 8 rows
    while sum(sizes[tail:]) < 8:
        tail -= 1
    assert tail > 0 and all(size <= 3 for size in sizes[tail:]), sizes
    ends = set(accumulate(whole))  # where each category ends: a block boundary
    assert ends <= set(accumulate(sizes))
    assert all(size == 8 for size, end in zip(sizes[:tail], accumulate(sizes[:tail]),
                                              strict=True)
               if end not in ends), sizes  # full, but at a category's end
