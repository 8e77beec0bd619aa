"""The zip container on its own: members streamed, written whole, or assembled from parts
deflated separately (in another process, in any split) read back equal, CRCs checked."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.outputs import zipout
from cmscore.outputs.zipout import ZipOut, deflate_part


def _split(text: str, cuts: list[int]) -> list[bytes]:
    data = text.encode("utf-8")
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[i:j] for i, j in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=4000), st.lists(st.integers(0, 12000), max_size=8))
def test_any_split_of_a_text_into_parts_deflated_separately_reads_back_equal(
        tmp_path_factory: pytest.TempPathFactory, text: str, cuts: list[int]) -> None:
    folder = tmp_path_factory.mktemp("parts")
    pieces = _split(text, cuts)
    parts = [deflate_part(folder / f"{k}", [p], last=k == len(pieces) - 1)
             for k, p in enumerate(pieces)]
    z = ZipOut(folder / "book.zip")
    z.writestr("first.xml", "头")
    z.add_parts("split.xml", parts)
    z.close()
    with zipfile.ZipFile(folder / "book.zip") as zf:
        assert zf.testzip() is None  # every member inflated and its CRC-32 checked
        assert zf.read("split.xml") == text.encode("utf-8")
        assert zf.read("first.xml") == "头".encode()


def test_a_zip_stopped_here_is_finished_by_another_writer_with_members_made_elsewhere(
        tmp_path: Path) -> None:
    """A child streams its members and stops before the central directory; the parent
    appends a member deflated in parts, by both, and closes the zip."""
    body = "".join(f'<row r="{k}"><c><v>{k}</v></c></row>' for k in range(5000)).encode()
    z = ZipOut(tmp_path / "book.xlsx")
    with z.open("xl/worksheets/sheet1.xml") as member:
        for k in range(0, len(body), 777):
            member.write(body[k:k + 777])
    state = z.state()
    z.stop()
    parts = [deflate_part(tmp_path / "a", [body[:1000]], last=False),
             deflate_part(tmp_path / "b", [body[1000:]], last=False),
             deflate_part(tmp_path / "c", [b"</sheetData>"], last=True)]
    again = ZipOut(tmp_path / "book.xlsx", state)
    again.add_parts("xl/worksheets/sheet2.xml", parts)
    again.close()
    with zipfile.ZipFile(tmp_path / "book.xlsx") as zf:
        assert zf.testzip() is None
        assert [i.filename for i in zf.infolist()] == ["xl/worksheets/sheet1.xml",
                                                       "xl/worksheets/sheet2.xml"]
        assert zf.read("xl/worksheets/sheet1.xml") == body
        assert zf.read("xl/worksheets/sheet2.xml") == body + b"</sheetData>"
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())


def _write(path: Path) -> None:
    z = ZipOut(path)
    z.writestr("a.xml", "甲" * 300)
    with z.open("b.xml") as member:
        member.write(b"x" * 5000)
    z.add_parts("c.xml", [deflate_part(path.with_suffix(".p"), [b"y" * 100], last=True)])
    z.close()


def test_the_same_members_give_the_same_bytes(tmp_path: Path) -> None:
    _write(tmp_path / "one.zip")
    _write(tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()


def test_sizes_and_offsets_past_the_32_bit_fields_go_to_zip64_records(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a member's size or offset needs zip64 (4 GB; lowered here), its central
    record carries them, and the directory gets the zip64 end records."""
    monkeypatch.setattr(zipout, "ZIP64_AT", 100)
    _write(tmp_path / "big.zip")
    with zipfile.ZipFile(tmp_path / "big.zip") as zf:
        assert zf.testzip() is None
        assert zf.read("a.xml") == ("甲" * 300).encode()
        assert zf.read("b.xml") == b"x" * 5000
        assert zf.read("c.xml") == b"y" * 100
    raw = (tmp_path / "big.zip").read_bytes()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # zip64 end record and locator


def test_a_member_that_fails_leaves_the_file_to_be_removed(tmp_path: Path) -> None:
    z = ZipOut(tmp_path / "x.zip")
    with pytest.raises(RuntimeError), z.open("a.xml") as member:
        member.write(b"abc")
        raise RuntimeError("disk full")
    z.abandon()
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(tmp_path / "x.zip")
