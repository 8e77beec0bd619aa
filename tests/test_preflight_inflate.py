"""The preflight's one-call ISA-L inflate gives exactly what zipfile's chunked read gives,
and leaves every member it cannot vouch for to that read (which names what is wrong)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cmscore.inputs import preflight
from cmscore.inputs.preflight import _CHUNK, _inflate, _isal_inflate
from cmscore.problems import InputError
from cmscore.rules.files import Limits

SHEET = b"<worksheet><sheetData>" + b"".join(
    b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7919) for i in range(1, 60000)
) + b"</sheetData></worksheet>"


def _zip(path: Path, members: dict[str, bytes]) -> zipfile.ZipFile:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in members.items():
            out.writestr(name, body)
    return zipfile.ZipFile(path)


def _chunked(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    with archive.open(member) as fh:
        return fh.read()


def test_one_call_inflate_is_zipfiles_read(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.xlsx", {"xl/styles.xml": b"<styleSheet/>",
                                         "xl/worksheets/sheet1.xml": SHEET,
                                         "xl/worksheets/中文.xml": SHEET[:5000]})
    for member in archive.infolist():
        got = _isal_inflate(archive, member, 256 << 20, Limits())
        assert got is not None and got == _chunked(archive, member)


def test_the_chunked_read_still_refuses_what_it_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.xlsx", {"xl/worksheets/sheet1.xml": SHEET})
    member = archive.infolist()[0]
    assert len(SHEET) > _CHUNK
    # Less room than the member: the one call leaves it to the chunked read's refusal.
    assert _isal_inflate(archive, member, len(SHEET) - 1, Limits()) is None
    with pytest.raises(InputError, match="max_inflated_mb"):
        _inflate(archive, member, len(SHEET) - 1, Limits(), "a.xlsx")
    # A ratio the member passes only below 1 MiB: the chunked read stops it at its first step.
    tight = Limits(max_ratio=2)
    assert len(SHEET) > 2 * member.compress_size
    assert _isal_inflate(archive, member, 256 << 20, tight) is None
    with pytest.raises(InputError, match="max_ratio"):
        _inflate(archive, member, 256 << 20, tight, "a.xlsx")


@pytest.mark.parametrize("lie", ["crc", "size", "name"])
def test_a_member_that_lies_is_left_to_zipfile(tmp_path: Path, lie: str) -> None:
    path = tmp_path / "a.xlsx"
    _zip(path, {"xl/worksheets/sheet1.xml": SHEET}).close()
    archive = zipfile.ZipFile(path)
    member = archive.infolist()[0]
    if lie == "crc":
        member.CRC ^= 1
    elif lie == "size":
        member.file_size -= 1
    else:  # the local header's name differs from the directory's
        data = bytearray(path.read_bytes())
        data[30:30 + len(member.filename)] = member.filename.upper().encode()
        path.write_bytes(bytes(data))
        archive = zipfile.ZipFile(path)
        member = archive.infolist()[0]
    assert _isal_inflate(archive, member, 256 << 20, Limits()) is None
    if lie != "size":
        with pytest.raises(InputError, match="已损坏"):
            _inflate(archive, member, 256 << 20, Limits(), "a.xlsx")


def test_sniff_keeps_the_sheet_as_zipfile_reads_it(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    src = Path(__file__).parent.parent / "examples" / "2026-10.xlsx"
    quick = preflight.sniff(src, Limits())
    monkeypatch.setattr(preflight, "_isal_inflate", lambda *args: None)
    slow = preflight.sniff(src, Limits())
    assert quick.members and quick.members == slow.members


@pytest.mark.parametrize("where", ["local", "directory"])
def test_a_name_whose_utf8_flag_differs_is_left_to_zipfile(tmp_path: Path, where: str) -> None:
    """red5: zipfile decodes the local header's name by the local header's own UTF-8 flag
    (bit 11) and refuses it when it differs from the directory's; the one call encoded the
    directory's name by the directory's flag, so the same bytes matched and it let through
    a member zipfile refuses."""
    path = tmp_path / "a.xlsx"
    _zip(path, {"xl/worksheets/中文.xml": SHEET}).close()
    data = bytearray(path.read_bytes())
    # Flag bits: at 6 in the local header, at 8 in the central directory's entry.
    at = 6 if where == "local" else data.rindex(b"PK\x01\x02") + 8
    data[at + 1] &= ~0x08  # bit 11 (0x800): the name is UTF-8
    path.write_bytes(bytes(data))
    archive = zipfile.ZipFile(path)
    member = archive.infolist()[0]
    with pytest.raises(zipfile.BadZipFile):
        _chunked(archive, member)
    assert _isal_inflate(archive, member, 256 << 20, Limits()) is None
    with pytest.raises(InputError, match="已损坏"):
        _inflate(archive, member, 256 << 20, Limits(), "a.xlsx")


@pytest.mark.parametrize("bit", [0x20, 0x40])
def test_a_member_zipfile_will_not_open_is_left_to_it(tmp_path: Path, bit: int) -> None:
    """red5: flag bit 5 (patched data) or 6 (strong encryption): zipfile's open refuses it,
    so the one call must not read it either."""
    path = tmp_path / "a.xlsx"
    _zip(path, {"xl/worksheets/sheet1.xml": SHEET}).close()
    archive = zipfile.ZipFile(path)
    member = archive.infolist()[0]
    member.flag_bits |= bit
    with pytest.raises(NotImplementedError):
        _chunked(archive, member)
    assert _isal_inflate(archive, member, 256 << 20, Limits()) is None


def test_an_overlapped_member_is_left_to_zipfile(tmp_path: Path) -> None:
    """red5: zipfile (3.11.8+, 3.12.2+, 3.13) refuses a member whose data runs into the
    next local header or the central directory ("Overlapped entries", the quoted-overlap
    zip bomb); the one call read it. Here the directory lists one local entry twice."""
    path = tmp_path / "a.xlsx"
    _zip(path, {"xl/worksheets/sheet1.xml": SHEET}).close()
    data = path.read_bytes()
    start = data.rindex(b"PK\x01\x02")
    end = data.rindex(b"PK\x05\x06")
    entry = data[start:end]
    eocd = bytearray(data[end:])
    eocd[8:10] = (2).to_bytes(2, "little")  # entries on this disk
    eocd[10:12] = (2).to_bytes(2, "little")  # entries in all
    eocd[12:16] = (2 * len(entry)).to_bytes(4, "little")  # the directory's size
    path.write_bytes(data[:end] + entry + bytes(eocd))
    archive = zipfile.ZipFile(path)
    first, second = archive.infolist()
    assert first.header_offset == second.header_offset
    assert _isal_inflate(archive, first, 256 << 20, Limits()) == SHEET
    assert _isal_inflate(archive, second, 256 << 20, Limits()) is None
    try:  # what this Python's zipfile does with it, the preflight does
        expected: bytes | None = _chunked(archive, second)
    except zipfile.BadZipFile:
        expected = None
    if expected is None:
        with pytest.raises(InputError, match="已损坏"):
            _inflate(archive, second, 256 << 20, Limits(), "a.xlsx")
    else:
        assert _inflate(archive, second, 256 << 20, Limits(), "a.xlsx") == expected
