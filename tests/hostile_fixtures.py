"""Hostile and messy export files, built by code into a given directory.

Nothing here is a committed binary: every fixture is written from scratch (a tiny
hand-rolled .xlsx writer, raw zip surgery, an OLE2 header) so what makes a file
hostile is visible next to the test that uses it. Everything is deterministic
(fixed zip timestamps, no randomness) and small on disk; the zip bombs are written
by repeating one precompressed deflate block, so building a 300 MB bomb costs a
few hundred kilobytes and a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from cmscore.inputs.sources import column_letter

TITLE = "2026年10月客户经理业绩报表"
HEADERS = ["工号", "姓名", "机构", "类别", "放款户数", "放款金额", "管户户数", "上年末管户户数",
           "不良率", "储蓄日均净增", "对公日均净增", "银行卡", "代发工资50人以下",
           "代发工资50人及以上", "个人网银", "企业网银", "POS收单"]
WORKED = ["E001", "张伟", "城东支行", "支行", 3, 50, 130, 126, 0, 20, 30, 12, 1, 0, 8, 1, 3]
COUNT_COLUMNS = ("放款户数", "管户户数", "银行卡", "个人网银", "企业网银", "POS收单")
_SURNAMES = "张王李赵刘陈杨黄周吴"
_GIVEN = "伟芳娜敏静丽强磊军洋"
_DATE_TIME = (2026, 10, 31, 12, 0, 0)
MB = 1 << 20


col = column_letter  # 0 → A, 25 → Z, 26 → AA


def cm_row(i: int, **changes: Any) -> list[Any]:
    """A plausible 支行 CM row, varied by ``i`` so ranks differ; ``changes`` by header."""
    values: dict[str, Any] = dict(zip(HEADERS, WORKED, strict=True))
    values.update({
        "工号": f"E{i:04d}", "姓名": _SURNAMES[i % 10] + _GIVEN[(i // 10) % 10] + str(i),
        "机构": ("城东支行", "城西支行", "城南支行")[i % 3],
        "放款户数": i % 7, "放款金额": 10 + i % 50, "管户户数": 120 + i % 13,
        "储蓄日均净增": i % 40, "银行卡": i % 15, "POS收单": i % 4,
    })
    values.update(changes)
    return [values[h] for h in HEADERS]


def cm_rows(n: int, start: int = 1) -> list[list[Any]]:
    return [cm_row(i) for i in range(start, start + n)]


# ---------------------------------------------------------------- a tiny xlsx writer


@dataclass(frozen=True)
class Formula:
    """A formula cell; ``cached`` None means no cached result (never calculated)."""

    text: str
    cached: Any = None


@dataclass(frozen=True)
class Error:
    """An error cell (#DIV/0!, #N/A, #REF!), optionally the result of a formula."""

    code: str
    formula: str | None = None


@dataclass
class Sheet:
    name: str = "业绩"
    rows: list[list[Any]] = field(default_factory=list)
    state: str = "visible"  # visible | hidden | veryHidden
    hidden_rows: frozenset[int] = frozenset()  # 1-based row numbers
    merges: Sequence[str] = ()  # "A1:Q1"
    dimension: str | None = "auto"  # "auto": the real extent; None: no <dimension>
    extra_cells: Sequence[tuple[str, Any]] = ()  # (ref, value) appended after the rows


def _cell_xml(ref: str, value: Any, strings: dict[str, int] | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, Formula):
        f = f"<f>{escape(value.text)}</f>"
        if value.cached is None:
            return f'<c r="{ref}">{f}</c>'
        if isinstance(value.cached, str):
            return f'<c r="{ref}" t="str">{f}<v>{escape(value.cached)}</v></c>'
        return f'<c r="{ref}">{f}<v>{value.cached}</v></c>'
    if isinstance(value, Error):
        f = f"<f>{escape(value.formula)}</f>" if value.formula else ""
        return f'<c r="{ref}" t="e">{f}<v>{escape(value.code)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    text = str(value)
    if strings is None:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
    index = strings.setdefault(text, len(strings))
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def sheet_xml(sheet: Sheet, strings: dict[str, int] | None) -> bytes:
    body = []
    width = max((len(r) for r in sheet.rows), default=1)
    for i, values in enumerate(sheet.rows, start=1):
        cells = "".join(_cell_xml(f"{col(j)}{i}", v, strings) for j, v in enumerate(values))
        hidden = ' hidden="1"' if i in sheet.hidden_rows else ""
        body.append(f'<row r="{i}"{hidden}>{cells}</row>')
    for ref, value in sheet.extra_cells:
        row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        body.append(f'<row r="{row}">{_cell_xml(ref, value, strings)}</row>')
    dimension = sheet.dimension
    if dimension == "auto":
        dimension = f"A1:{col(width - 1)}{max(len(sheet.rows), 1)}"
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    merges = ""
    if sheet.merges:
        merges = f'<mergeCells count="{len(sheet.merges)}">' + "".join(
            f'<mergeCell ref="{m}"/>' for m in sheet.merges) + "</mergeCells>"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{dim}'
            f'<sheetData>{"".join(body)}</sheetData>{merges}</worksheet>').encode()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def shared_strings_xml(strings: dict[str, int]) -> bytes:
    items = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>'
                    for s, _ in sorted(strings.items(), key=lambda kv: kv[1]))
    return (f'{_XML_DECL}<sst xmlns="{_MAIN}" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{items}</sst>').encode()


def xlsx_parts(sheets: Sequence[Sheet], shared: bool = True) -> dict[str, bytes]:
    """The parts of a minimal, valid .xlsx (what Excel needs, nothing more)."""
    strings: dict[str, int] | None = {} if shared else None
    parts: dict[str, bytes] = {}
    overrides = []
    book_sheets = []
    rels = []
    for n, sheet in enumerate(sheets, start=1):
        parts[f"xl/worksheets/sheet{n}.xml"] = sheet_xml(sheet, strings)
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="'
                         'application/vnd.openxmlformats-officedocument.spreadsheetml.'
                         'worksheet+xml"/>')
        state = "" if sheet.state == "visible" else f' state="{sheet.state}"'
        book_sheets.append(f'<sheet name="{escape(sheet.name)}" sheetId="{n}"{state} '
                           f'r:id="rId{n}"/>')
        rels.append(f'<Relationship Id="rId{n}" Type="{_OFFICE}/worksheet" '
                    f'Target="worksheets/sheet{n}.xml"/>')
    if strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings_xml(strings)
        overrides.append('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        rels.append(f'<Relationship Id="rId{len(sheets) + 1}" Type="{_OFFICE}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
    parts["xl/workbook.xml"] = (
        f'{_XML_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'{"".join(book_sheets)}</sheets></workbook>').encode()
    parts["xl/_rels/workbook.xml.rels"] = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG}">{"".join(rels)}</Relationships>').encode()
    parts["_rels/.rels"] = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode()
    parts["[Content_Types].xml"] = (
        f'{_XML_DECL}<Types xmlns="{_CT}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        f'{"".join(overrides)}</Types>').encode()
    # [Content_Types].xml first, as Excel writes it.
    return {"[Content_Types].xml": parts.pop("[Content_Types].xml"), **parts}


def write_zip(path: Path, parts: dict[str, bytes]) -> Path:
    """A deterministic deflated zip of ``parts`` (fixed timestamps, given order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, _DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def export_rows(rows: Iterable[Sequence[Any]] | None = None,
                titles: Sequence[Sequence[Any]] = ((TITLE,),),
                header: Sequence[Any] = HEADERS) -> list[list[Any]]:
    rows = [WORKED] if rows is None else rows
    return [list(t) for t in titles] + [list(header)] + [list(r) for r in rows]


def write_xlsx(path: Path, rows: Iterable[Sequence[Any]] | None = None, *,
               sheets: Sequence[Sheet] | None = None, shared: bool = True,
               extra_parts: dict[str, bytes] | None = None) -> Path:
    """An export as .xlsx: the title row, the header, ``rows`` (default: the worked row)."""
    if sheets is None:
        sheets = [Sheet(rows=export_rows(rows))]
    parts = xlsx_parts(sheets, shared=shared)
    parts.update(extra_parts or {})
    return write_zip(path, parts)


def valid_xlsx(directory: Path, name: str = "2026-10.xlsx", n: int = 3) -> Path:
    return write_xlsx(directory / name, cm_rows(n))


def replace_parts(src: Path, dst: Path, changes: dict[str, bytes | None]) -> Path:
    """Copy a zip, replacing (or with None, dropping) members; new names are added."""
    with zipfile.ZipFile(src) as zin:
        parts = {i.filename: zin.read(i) for i in zin.infolist()}
    for name, data in changes.items():
        if data is None:
            parts.pop(name, None)
        else:
            parts[name] = data
    return write_zip(dst, parts)


# ---------------------------------------------------------------- XML entities


def _with_doctype(xml: bytes, doctype: str) -> bytes:
    text = xml.decode()
    if text.startswith("<?xml"):
        decl, rest = text.split("?>", 1)
        return f"{decl}?>\n{doctype}{rest.lstrip()}".encode()
    return (doctype + text).encode()


def entity_export(directory: Path, name: str, doctype: str, reference: str,
                  part: str = "xl/sharedStrings.xml") -> Path:
    """A valid export whose ``part`` carries ``doctype`` and uses ``reference``."""
    path = directory / name
    base = write_xlsx(path, cm_rows(2))
    with zipfile.ZipFile(base) as zf:
        xml = zf.read(part)
    if part == "xl/sharedStrings.xml":  # the title string gets the reference
        new = _with_doctype(xml.replace(escape(TITLE).encode(),
                                        (escape(TITLE) + reference).encode(), 1), doctype)
    elif part.startswith("xl/worksheets/"):  # a cell far below the data gets it
        new = _with_doctype(xml, doctype).replace(
            b"</sheetData>", f'<row r="900"><c r="A900" t="inlineStr"><is><t>{reference}'
            "</t></is></c></row></sheetData>".encode(), 1)
    else:
        new = _with_doctype(xml, doctype)
    return replace_parts(base, path, {part: new})


def billion_laughs(directory: Path, name: str = "laughs-2026-10.xlsx") -> Path:
    """The classic: ten nested entities, each ten of the one before (10⁹ 'lol's)."""
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return entity_export(directory, name, f"<!DOCTYPE sst [{''.join(ents)}]>", "&lol9;")


def quadratic_blowup(directory: Path, name: str = "quadratic-2026-10.xlsx") -> Path:
    """No nesting (so no 'depth' alarm): one 100 kB entity used 3,000 times → 300 MB."""
    doctype = f'<!DOCTYPE sst [<!ENTITY a "{"A" * 100_000}">]>'
    return entity_export(directory, name, doctype, "&a;" * 3000)


def amplification_under_limit(directory: Path, name: str = "amplified-2026-10.xlsx") -> Path:
    """An entity expansion that stays under expat's amplification factor (100):

    300,000 references to a 1,000-character entity, each separated by 9 characters of
    incompressible text, so the document itself is ~3.6 MB and the factor ~85, yet it
    would expand to 300 MB of text in one shared string. The part is compressed, so
    the file on disk stays under ~2 MB.
    """
    doctype = f'<!DOCTYPE sst [<!ENTITY a "{"x" * 1000}">]>'
    seed = hashlib.sha256(b"cmscore").hexdigest()
    filler = []
    block = seed
    for _ in range(300_000):
        block = hashlib.sha256(block.encode()).hexdigest() if len(filler) % 7 == 0 else \
            block[9:] + block[:9]
        filler.append("&a;" + block[:9])
    return entity_export(directory, name, doctype, "".join(filler))


def xxe(directory: Path, name: str = "xxe-2026-10.xlsx", target: str = "/etc/hostname",
        part: str = "xl/sharedStrings.xml") -> Path:
    """An external entity that would paste a local file into a cell."""
    return entity_export(directory, name,
                         f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{target}">]>', "&xxe;",
                         part=part)


def parameter_entity(directory: Path, name: str = "param-2026-10.xlsx") -> Path:
    """A parameter entity fetching an external DTD (the blind-XXE form)."""
    doctype = ('<!DOCTYPE sst [<!ENTITY % ext SYSTEM "file:///etc/hostname"> %ext;]>')
    return entity_export(directory, name, doctype, "")


# ---------------------------------------------------------------- raw zips: bombs, lies


@dataclass
class RawMember:
    """A zip member written by hand: ``chunks`` is its deflate stream, in pieces."""

    name: str
    chunks: Iterable[bytes]
    crc: int
    size: int
    declared_size: int | None = None  # what the headers claim (default: the truth)


def deflated(data: bytes, name: str, declared_size: int | None = None,
             crc_of: bytes | None = None) -> RawMember:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    crc = zlib.crc32(data if crc_of is None else crc_of)
    return RawMember(name, [body], crc, len(data), declared_size)


def repeated(name: str, head: bytes, unit: bytes, count: int, tail: bytes,
             declared_size: int | None = None) -> RawMember:
    """head + unit × count + tail, deflated by repeating one precompressed block.

    After Z_FULL_FLUSH the compressor forgets everything, so the same input gives the
    same bytes again: the bomb is written without ever compressing more than ``unit``.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)

    def chunks() -> Iterator[bytes]:
        yield first
        for _ in range(count):
            yield block
        yield last

    return RawMember(name, chunks(), crc, len(head) + len(unit) * count + len(tail),
                     declared_size)


def write_raw_zip(path: Path, members: Sequence[RawMember]) -> Path:
    """Write a zip by hand, streaming each member's deflate chunks (no zip64: < 4 GB)."""
    dos_time = (_DATE_TIME[3] << 11) | (_DATE_TIME[4] << 5) | (_DATE_TIME[5] // 2)
    dos_date = ((_DATE_TIME[0] - 1980) << 9) | (_DATE_TIME[1] << 5) | _DATE_TIME[2]
    central = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        for m in members:
            name = m.name.encode()
            offset = fh.tell()
            declared = m.size if m.declared_size is None else m.declared_size
            fh.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, dos_time, dos_date,
                                 0, 0, 0, len(name), 0) + name)
            start = fh.tell()
            for chunk in m.chunks:
                fh.write(chunk)
            csize = fh.tell() - start
            end = fh.tell()
            fh.seek(offset + 14)
            fh.write(struct.pack("<III", m.crc, csize, declared))
            fh.seek(end)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8,
                                       dos_time, dos_date, m.crc, csize, declared, len(name),
                                       0, 0, 0, 0, 0, offset) + name)
        cd_start = fh.tell()
        for entry in central:
            fh.write(entry)
        cd_size = fh.tell() - cd_start
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                             cd_size, cd_start, 0))
    return path


def _raw_copy(parts: dict[str, bytes], skip: Iterable[str]) -> list[RawMember]:
    return [deflated(data, name) for name, data in parts.items() if name not in set(skip)]


def _sheet_halves() -> tuple[dict[str, bytes], bytes, bytes]:
    """The parts of a small valid export, and its sheet split around <sheetData>'s end."""
    parts = xlsx_parts([Sheet(rows=export_rows(cm_rows(2)))])
    sheet = parts["xl/worksheets/sheet1.xml"]
    head, tail = sheet.split(b"</sheetData>")
    return parts, head, b"</sheetData>" + tail


def sheet_bomb(directory: Path, name: str = "bomb-2026-10.xlsx", inflated_mb: int = 320,
               declared_size: int | None = None) -> Path:
    """~300 kB on disk, a sheet that inflates to ``inflated_mb`` MB of XML (whitespace
    between two valid rows and the end of sheetData)."""
    parts, head, tail = _sheet_halves()
    bomb = repeated("xl/worksheets/sheet1.xml", head, b" " * MB, inflated_mb, tail,
                    declared_size)
    members = _raw_copy(parts, ["xl/worksheets/sheet1.xml"])
    return write_raw_zip(directory / name, [bomb, *members])


def strings_bomb(directory: Path, name: str = "strings-bomb-2026-10.xlsx",
                 inflated_mb: int = 400) -> Path:
    """sharedStrings.xml whose title string inflates to one ``inflated_mb`` MB string."""
    parts = xlsx_parts([Sheet(rows=export_rows(cm_rows(2)))])
    xml = parts["xl/sharedStrings.xml"]
    cut = xml.index(escape(TITLE).encode()) + len(escape(TITLE).encode())
    bomb = repeated("xl/sharedStrings.xml", xml[:cut], b"W" * MB, inflated_mb, xml[cut:])
    return write_raw_zip(directory / name,
                         [bomb, *_raw_copy(parts, ["xl/sharedStrings.xml"])])


def lying_size(directory: Path, name: str = "lying-2026-10.xlsx") -> Path:
    """A sheet whose headers declare (and checksum) only its first part.

    The declared size and CRC cover a harmless prefix; the real deflate stream goes on
    to more rows, among them a cell at XFD1048576. A reader that trusts the declared
    size sees the prefix; one that inflates the stream sees everything.
    """
    parts, head, tail = _sheet_halves()
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    real = head + far + tail
    member = deflated(real, "xl/worksheets/sheet1.xml", declared_size=len(head),
                      crc_of=head)
    return write_raw_zip(directory / name,
                         [member, *_raw_copy(parts, ["xl/worksheets/sheet1.xml"])])


def lying_size_crc_full(directory: Path, name: str = "lying-crc-2026-10.xlsx") -> Path:
    """The declared size is a tenth of the real one; the CRC is that of the whole."""
    parts, head, tail = _sheet_halves()
    real = head + b" " * 200_000 + tail
    member = deflated(real, "xl/worksheets/sheet1.xml", declared_size=len(real) // 10)
    return write_raw_zip(directory / name,
                         [member, *_raw_copy(parts, ["xl/worksheets/sheet1.xml"])])


# ---------------------------------------------------------------- extent, dimension


def far_cell(directory: Path, ref: str = "XFD1048576", name: str | None = None,
             row_attribute: bool = True) -> Path:
    """A valid export plus one cell at ``ref`` (calamine allocates the whole rectangle)."""
    sheet = Sheet(rows=export_rows(cm_rows(2)), extra_cells=[(ref, 1)])
    parts = xlsx_parts([sheet])
    if not row_attribute:
        row = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
            f'<row r="{row}">'.encode(), b"<row>")
    return write_zip(directory / (name or f"far-{ref}-2026-10.xlsx"), parts)


def huge_dimension(directory: Path, name: str = "dimension-2026-10.xlsx") -> Path:
    """Small data, but a declared <dimension ref="A1:XFD1048576"/>."""
    sheet = Sheet(rows=export_rows(cm_rows(2)), dimension="A1:XFD1048576")
    return write_xlsx(directory / name, sheets=[sheet])


def small_dimension(directory: Path, n: int = 5, name: str = "dim-a1-2026-10.xlsx") -> Path:
    """A declared <dimension ref="A1:A1"/> while the data go on to Q(n+2)."""
    sheet = Sheet(rows=export_rows(cm_rows(n)), dimension="A1:A1")
    return write_xlsx(directory / name, sheets=[sheet])


def sheet_part_renamed(directory: Path, new: str, name: str, ref: str = "XFD1048576",
                       target: str | None = None) -> Path:
    """The sheet part stored under another name (``new``, e.g. an upper-case extension),
    found through the relationship (``target``: default, ``new`` exactly), with a far cell
    in it. A ``target`` differing from ``new`` only in case is still found by calamine."""
    sheet = Sheet(rows=export_rows(cm_rows(2)), extra_cells=[(ref, 1)])
    parts = xlsx_parts([sheet])
    parts[new] = parts.pop("xl/worksheets/sheet1.xml")
    rel_target = target or (new[3:] if new.startswith("xl/") else "/" + new)
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b'Target="worksheets/sheet1.xml"', f'Target="{rel_target}"'.encode())
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"/xl/worksheets/sheet1.xml", f"/{new}".encode())
    return write_zip(directory / name, parts)


# ---------------------------------------------------------------- containers


def _ole2_with_stream(stream_name: str) -> bytes:
    """A minimal OLE2 compound file: header, one FAT sector, one directory sector.

    The directory holds the root entry and one stream entry named ``stream_name``
    (UTF-16LE, as CFB stores names); that is what an encrypted OOXML file looks like
    from outside (streams EncryptionInfo and EncryptedPackage).
    """
    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 40, 0, 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0)
    struct.pack_into("<II", header, 68, 0xFFFFFFFE, 0)  # no DIFAT sectors
    struct.pack_into("<I", header, 76, 0)  # FAT sector 0
    for k in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * k, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * sector)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        e = bytearray(128)
        e[0:len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, 0xFFFFFFFF, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    directory = entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + \
        entry(stream_name, 2, 0xFFFFFFFF, 2, 64) + bytes(256)
    payload = bytes(range(64)) + bytes(sector - 64)
    return bytes(header) + bytes(fat) + directory + payload


def encrypted_xlsx(directory: Path, name: str = "password-2026-10.xlsx") -> Path:
    path = directory / name
    path.write_bytes(_ole2_with_stream("EncryptedPackage"))
    return path


def macro_xlsx(directory: Path, name: str = "macro-2026-10.xlsx") -> Path:
    base = write_xlsx(directory / name, cm_rows(2))
    return replace_parts(base, base, {"xl/vbaProject.bin": bytes(range(256)) * 4})


def truncated_xlsx(directory: Path, name: str = "truncated-2026-10.xlsx") -> Path:
    full = write_xlsx(directory / ("full-" + name), cm_rows(40))
    data = full.read_bytes()
    full.unlink()
    path = directory / name
    path.write_bytes(data[: len(data) // 2])
    return path


def html_as_xls(directory: Path, name: str = "2026-10.xls", rows: int = 3) -> Path:
    """What many core systems call an Excel export: an HTML table with a .xls name."""
    def tr(cells: Sequence[Any], tag: str = "td") -> str:
        return "<tr>" + "".join(f"<{tag}>{escape(str(c))}</{tag}>" for c in cells) + "</tr>"

    body = [f'<tr><td colspan="{len(HEADERS)}">{TITLE}</td></tr>', tr(HEADERS, "th")]
    body += [tr(r) for r in cm_rows(rows)]
    text = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            f'</head><body><table border="1">{"".join(body)}</table></body></html>')
    path = directory / name
    path.write_bytes(text.encode("utf-8"))
    return path


def gbk_tsv_as_xls(directory: Path, name: str = "2026-10.xls", rows: int = 3) -> Path:
    """Tab-separated text in GBK, saved with a .xls name."""
    lines = [TITLE, "\t".join(HEADERS)] + ["\t".join(map(str, r)) for r in cm_rows(rows)]
    path = directory / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def gb18030_csv(directory: Path, name: str = "2026-10.csv") -> Path:
    """GB18030 CSV: a rare character outside GBK (䶮, U+4DAE) and a quoted "1,234.50"."""
    rows = [cm_row(1, 姓名="王䶮", 放款金额="1,234.50"), cm_row(2)]
    lines = [TITLE, ",".join(HEADERS)]
    for r in rows:
        lines.append(",".join(f'"{v}"' if "," in str(v) else str(v) for v in r))
    path = directory / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


def undecodable_csv(directory: Path, name: str = "2026-10.csv") -> Path:
    """Neither UTF-8 nor GB18030: bytes 0x81 0x20 are no character in either."""
    text = "\r\n".join([TITLE, ",".join(HEADERS), ",".join(map(str, cm_row(1)))]) + "\r\n"
    data = text.encode("gb18030")
    cut = data.index("张".encode("gb18030")) if "张" in text else data.index(b"E0001") + 6
    path = directory / name
    path.write_bytes(data[:cut] + b"\x81\x20" + data[cut:])
    return path


# ---------------------------------------------------------------- the messy export


GROUPS = {"放款户数": "贷款类", "放款金额": "贷款类", "管户户数": "贷款类",
          "上年末管户户数": "贷款类", "不良率": "贷款类", "储蓄日均净增": "存款类",
          "对公日均净增": "存款类", "银行卡": "中间业务类", "代发工资50人以下": "中间业务类",
          "代发工资50人及以上": "中间业务类", "个人网银": "中间业务类", "企业网银": "中间业务类",
          "POS收单": "中间业务类"}


def as_read(value: Any) -> Decimal:
    """A cell as the export means it: "1,234.50" → 1234.50, "１２３" → 123, else 0."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(repr(value))
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(0)


def messy_export(directory: Path, name: str = "messy-2026-10.xlsx", *,
                 rows: Sequence[Sequence[Any]] | None = None,
                 total: dict[str, Any] | None = None, hidden_rows: Iterable[int] = (),
                 garbage_sheet: bool = True) -> Path:
    """A real-life export: a hidden garbage first sheet; on the visible one a 万元 title,
    a merged two-row header (贷款类/存款类/中间业务类 above the item names), data rows
    (some hidden), and a 合计 row whose cached SUM values are given in ``total``
    (by header; absent → the sums of the values as read)."""
    rows = [list(r) for r in (rows if rows is not None else cm_rows(4))]
    groups = [GROUPS.get(h, h if h in ("工号", "姓名", "机构", "类别") else "") for h in HEADERS]
    items = [h if h in GROUPS else "" for h in HEADERS]
    first_data = 4  # title, group row, item row, then data
    last_data = first_data + len(rows) - 1
    total_row: list[Any] = ["合计", "", "", ""]
    for j, h in enumerate(HEADERS[4:], start=4):
        if total is not None and h in total:
            cached = total[h]
        else:
            cached = sum((as_read(r[j]) for r in rows), Decimal(0))
        letter = col(j)
        total_row.append(Formula(f"SUM({letter}{first_data}:{letter}{last_data})", cached))
    visible = Sheet(
        name="客户经理业绩",
        rows=[["2026年10月客户经理业绩报表（单位：万元）"], groups, items, *rows, total_row],
        hidden_rows=frozenset(hidden_rows),
        merges=[f"A1:{col(len(HEADERS) - 1)}1", "A2:A3", "B2:B3", "C2:C3", "D2:D3",
                "E2:I2", "J2:K2", "L2:Q2"],
    )
    # Merged cells keep their value in the top-left cell only: blank the rest, as Excel does.
    for j in range(4, len(HEADERS)):
        if j not in (4, 9, 11):
            visible.rows[1][j] = ""
    sheets = [visible]
    if garbage_sheet:
        sheets.insert(0, Sheet(name="说明", state="hidden", rows=[
            ["工号", "姓名", "机构", "类别"], ["X", "垃圾", "无", "不存在的类别"],
            [Error("#REF!"), "=cmd|' /C calc'!A0", None, None]]))
    return write_xlsx(directory / name, sheets=sheets)


# ---------------------------------------------------------------- running cmscore


@dataclass
class Ran:
    """What one cmscore run did (in-process or in a subprocess)."""

    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


SUBPROCESS_MEMORY = 1536 * MB  # address-space cap for a child cmscore: "bounded memory"


def _child_limits() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CMSCORE_")}
    if "CMSCORE_RULES" in os.environ:  # the short_windows fixture's rules copy
        env["CMSCORE_RULES"] = os.environ["CMSCORE_RULES"]
    if "CMSCORE_CACHE_DIR" in os.environ:  # the test run's compiled rules (conftest)
        env["CMSCORE_CACHE_DIR"] = os.environ["CMSCORE_CACHE_DIR"]
    env.update({"COLUMNS": "2000", "NO_COLOR": "1", "RUST_BACKTRACE": "0",
                "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra)
    return env


def cmscore_command(*args: Any) -> list[str]:
    return [sys.executable, "-m", "cmscore.cli", *map(str, args)]


def run_subprocess(*args: Any, timeout: float = 20, cwd: Path | None = None,
                   env: dict[str, str] | None = None, limit_memory: bool = True) -> Ran:
    """cmscore in a child process, with a memory cap and a timeout (TimeoutExpired
    propagates: the caller decides whether that is a failure)."""
    start = time.monotonic()
    proc = subprocess.run(cmscore_command(*args), capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env or child_env(),
                          preexec_fn=_child_limits if limit_memory else None)
    return Ran(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


# ---------------------------------------------------------------- OpenDocument


def write_ods(path: Path, rows: Sequence[Sequence[Any]],
              spans: dict[tuple[int, int], tuple[int, int]] | None = None) -> Path:
    """A minimal .ods of ``rows`` (one sheet 「业绩」). A ``Formula`` cell is written with
    its cached value; ``spans`` maps a (row, column) from 0 to the (rows, columns) it
    merges, the cells it covers written as covered cells."""
    spans = spans or {}
    covered = {(r + i, c + j) for (r, c), (n, m) in spans.items()
               for i in range(n) for j in range(m)} - set(spans)

    def cell(r: int, c: int, value: Any) -> str:
        if (r, c) in covered:
            return "<table:covered-table-cell/>"
        attrs = ""
        if (r, c) in spans:
            n, m = spans[(r, c)]
            attrs += f' table:number-rows-spanned="{n}" table:number-columns-spanned="{m}"'
        if isinstance(value, Formula):
            attrs += f' table:formula="of:={escape(value.text)}"'
            value = value.cached
        if value is None or value == "":
            return f"<table:table-cell{attrs}/>"
        if isinstance(value, int | float):
            return (f'<table:table-cell{attrs} office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
        return (f'<table:table-cell{attrs} office:value-type="string">'
                f"<text:p>{escape(str(value))}</text:p></table:table-cell>")

    body = "".join("<table:table-row>" + "".join(cell(r, c, v) for c, v in enumerate(row)) +
                   "</table:table-row>" for r, row in enumerate(rows))
    ns = {"office": "office:1.0", "table": "table:1.0", "text": "text:1.0", "of": "of:1.2"}
    decl = " ".join(f'xmlns:{k}="urn:oasis:names:tc:opendocument:xmlns:{v}"' for k, v in ns.items())
    content = (f'{_XML_DECL}<office:document-content {decl} office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="业绩">{body}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = (f'{_XML_DECL}<manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype", _DATE_TIME),
                    "application/vnd.oasis.opendocument.spreadsheet",
                    compress_type=zipfile.ZIP_STORED)
        for name, data in (("content.xml", content), ("META-INF/manifest.xml", manifest)):
            zf.writestr(zipfile.ZipInfo(name, _DATE_TIME), data.encode(),
                        compress_type=zipfile.ZIP_DEFLATED)
    return path
