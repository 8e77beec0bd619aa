"""Look at a file before any parser runs: what it really is, and whether it is safe to open.

Spreadsheet parsers trust what they read: a zip bomb inflates until memory runs out,
a DOCTYPE expands entities, a single cell at XFD1048576 makes calamine allocate the
whole sheet and abort the process. So the container is measured here first, from its
bytes, and refused with a located message when it is over a limit (limits are in
``export.yaml`` under ``limits`` and named in every message).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

from isal.isal_zlib import crc32, decompressobj

from cmscore.problems import Problem, fail, row_ranges
from cmscore.rules.files import Limits

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW = re.compile(rb"<row\b[^>]*?\br=\"(\d+)\"")
# Any 'r="' then letters: a literal prefix the regex engine scans for fast (1.1 s → 0.1 s
# over a 78 MB sheet). It may also hit other attributes, which only costs the full look.
_LONG_COLUMN = re.compile(rb"r=\"[A-Z]{3}")
_TWO_LETTERS = re.compile(rb"r=\"[A-Z]{2}")
_CELL_REF = {n: re.compile(rb"<c\b[^>]*?\br=\"([A-Z]{%d,})([0-9]+)\"" % n) for n in (2, 3)}
_ERROR_CELL = re.compile(rb"<c\b([^>]*\bt=\"e\"[^>]*)>(.*?)</c>", re.DOTALL)
_REF = re.compile(rb"\br=\"([A-Z]+[0-9]+)\"")
_VALUE = re.compile(rb"<v>([^<]*)</v>")
# A formula cell, its attributes (for r="F5") and the formula's text (empty when shared).
_FORMULA = re.compile(rb"<c\b([^>]*)>\s*<f\b[^>]*?(?:/>|>([^<]*)</f>)")
_UNCACHED = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]+\d+)\"[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)"
                       rb"\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_CHUNK = 1 << 20


@dataclass
class Checked:
    """What the bytes say the file is, and problems found inside it per sheet name."""

    kind: str  # xlsx | ods | xls | html | spreadsheetml | text
    cell_problems: dict[str, list[Problem]] = field(default_factory=dict)
    # sheet name → (row, column) from 0 → the formula's text, for every formula cell
    formulas: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    # sheet name → merged ranges (first row, first column, last row, last column), for
    # the formats whose merges calamine does not report (.ods)
    merges: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    # xlsx: every member's inflated bytes, and worksheet part → sheet name, for reading a
    # large sheet in halves (``halves``) without inflating the file again
    members: dict[str, bytes] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)


def column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def sniff(path: Path, limits: Limits) -> Checked:
    size = path.stat().st_size
    if size > limits.max_file_mb * 2**20:
        raise fail(f"文件 {size / 2**20:.1f} MB，超过上限 max_file_mb={limits.max_file_mb}",
                   file=path.name)
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        raise fail("文件是空的（0 字节）", file=path.name)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _check_zip(path, limits)
    if head.startswith(OLE2):
        data = path.read_bytes()
        if _ENCRYPTED in data:
            raise fail("文件有密码保护（加密的 Excel 文件）；请在 Excel/WPS 中取消密码后另存为 .xlsx",
                       file=path.name)
        return Checked("xls")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Checked("text")  # UTF-16 with its BOM: Excel's 「Unicode 文本」
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or \
            (b"<table" in text and b"<" == text[:1]):
        return Checked("html")
    if text.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return Checked("spreadsheetml")
    zeros = sorted((head[0::2].count(0), head[1::2].count(0)))  # ASCII in UTF-16: every other
    if zeros[1] > len(head) // 4 and zeros[0] * 10 < zeros[1]:
        raise fail("文件像是 UTF-16 编码的文本，但开头没有字节顺序标记（BOM），无法确定字节顺序；"
                   "请在 Excel/WPS 中另存为「CSV UTF-8（逗号分隔）」或 .xlsx", file=path.name)
    if b"\x00" in head:
        raise fail("文件不是表格或文本：开头是无法识别的二进制内容（扩展名与内容不符？）",
                   file=path.name)
    return Checked("text")


def _check_zip(path: Path, limits: Limits) -> Checked:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise fail("文件已损坏或被截断（zip 结构不完整）；请重新导出", file=path.name) from exc
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if len(members) > limits.max_members:
            raise fail(f"压缩包内有 {len(members)} 个部件，超过上限 max_members={limits.max_members}",
                       file=path.name)
        if any(m.flag_bits & 0x1 for m in members):
            raise fail("文件内容被加密；请取消密码后另存", file=path.name)
        if any(PurePosixPath(n).name.lower() == "vbaproject.bin" for n in names):
            raise fail("文件含有宏（vbaProject.bin）；cmscore 不读取带宏的文件，"
                       "请在 Excel/WPS 中另存为不含宏的 .xlsx", file=path.name)
        if "xl/workbook.bin" in names:
            raise fail("文件是 Excel 二进制工作簿（.xlsb），cmscore 不读取这种格式；请在 Excel 中"
                       "打开后「另存为 → Excel 工作簿（*.xlsx）」", file=path.name)
        if "xl/workbook.xml" in names:
            kind = "xlsx"
        elif "content.xml" in names:
            kind = "ods"
        else:
            raise fail("这是一个 zip 压缩包，但不是 Excel（缺少 xl/workbook.xml）", file=path.name)
        declared = sum(m.file_size for m in members)
        cap = limits.max_inflated_mb * 2**20
        if declared > cap:
            raise fail(f"解压后 {declared / 2**20:.0f} MB，超过上限 max_inflated_mb="
                       f"{limits.max_inflated_mb}（疑似压缩炸弹）", file=path.name)
        sheets = _sheet_names(archive) if kind == "xlsx" else {}
        lowered = {k.lower(): v for k, v in sheets.items()}
        checked = Checked(kind, sheets=sheets)
        inflated = 0
        for m in members:
            if m.is_dir():
                continue
            data = _inflate(archive, m, cap - inflated, limits, path.name)
            inflated += len(data)
            if kind == "xlsx":
                checked.members[m.filename] = data
            # Every member that looks like XML is checked, whatever its name says.
            if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and \
                    m.filename not in sheets:
                continue
            if _DOCTYPE.search(data[:65536]) or (contains(data, b"<!") and _DOCTYPE.search(data)):
                raise fail(f"部件 {m.filename} 含有 DOCTYPE/ENTITY 声明（可用于实体扩展或读取本机文件），"
                           "正常的 Excel 文件不会有；已拒绝", file=path.name)
            if kind == "ods" and m.filename == "content.xml":
                _ods_cells(data, checked)
            # Any part holding cells is a sheet, whatever the relationships call it (a
            # reader may find it by another case or name); named by its sheet when known.
            if m.filename in sheets or b"<sheetData" in data:
                label = sheets.get(m.filename) or lowered.get(m.filename.lower(), m.filename)
                problems, formulas = _check_sheet(data, label, limits, path.name)
                if problems:
                    checked.cell_problems[label] = problems
                if formulas:
                    checked.formulas[label] = formulas
        if len(checked.members) != sum(not m.is_dir() for m in members):
            checked.members = {}  # a name twice: which one a parser takes is its own choice
        return checked


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, room: int, limits: Limits,
             name: str) -> bytes:
    """Decompress one member, counting the real bytes: declared sizes can lie."""
    quick = _isal_inflate(archive, member, room, limits)
    if quick is not None:
        return quick
    parts: list[bytes] = []
    total = 0
    try:
        with archive.open(member) as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > room:
                    raise fail(f"部件 {member.filename} 实际解压超过上限 max_inflated_mb="
                               f"{limits.max_inflated_mb}（声明大小 {member.file_size} 字节，"
                               "疑似压缩炸弹）", file=name)
                if member.compress_size and total > 2**20 and \
                        total / member.compress_size > limits.max_ratio:
                    raise fail(f"部件 {member.filename} 压缩比超过 {limits.max_ratio}:1"
                               "（max_ratio，疑似压缩炸弹）", file=name)
                parts.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise fail(f"部件 {member.filename} 已损坏（{exc}）；文件可能被截断，请重新导出",
                   file=name) from exc
    return b"".join(parts)


def _isal_inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, room: int,
                 limits: Limits) -> bytes | None:
    """The member's bytes by ISA-L's inflate in one call (a 78 MB sheet: ≈ 0.2 → 0.1 CPU s,
    no chunks joined, CRC-32 in a fraction of zlib's time); None sends it through the
    chunked read, which says what is wrong. Taken only when that read would refuse
    nothing: the bytes are inflated up to the first 1 MiB step at which it would stop (over
    ``room``, or past ``max_ratio`` beyond 1 MiB), and the member must end before it,
    whole, with its CRC-32."""
    # Flag bits 5 and 6 (patched data, strong encryption): zipfile's open refuses them.
    if member.compress_type != zipfile.ZIP_DEFLATED or not member.compress_size or \
            member.flag_bits & 0x60:
        return None
    stop = min(room, max(_CHUNK, member.compress_size * limits.max_ratio)) // _CHUNK * _CHUNK
    if stop < _CHUNK or archive.fp is None:
        return None
    try:
        archive.fp.seek(member.header_offset)
        header = archive.fp.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            return None
        flags, = struct.unpack("<H", header[6:8])
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        # Decoded by the local header's own UTF-8 flag (bit 11), as zipfile does: it
        # refuses a local name that differs from the directory's.
        if archive.fp.read(name_len).decode("utf-8" if flags & 0x800 else "cp437") != \
                member.orig_filename:
            return None
        archive.fp.seek(extra_len, 1)
        if archive.fp.tell() + member.compress_size > _end_offset(archive, member):
            return None  # zipfile (3.11.8+, 3.12.2+) refuses it: "Overlapped entries"
        packed = archive.fp.read(member.compress_size)
        inflater = decompressobj(-15)
        data = inflater.decompress(packed, stop)
    except Exception:  # anything odd: the chunked read meets it and names it
        return None
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data or \
            len(packed) != member.compress_size or len(data) != member.file_size or \
            crc32(data) != member.CRC:  # zipfile's read would cut to the declared size
        return None
    return data


def _end_offset(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    """Where the member's data must end, as zipfile's ``_end_offset`` puts it: the next
    local header (of those at one offset, the one listed first ends at the others'), or
    the central directory."""
    later = [m.header_offset for m in archive.filelist if m.header_offset > member.header_offset]
    same = [m for m in archive.filelist if m.header_offset == member.header_offset]
    if same[0] is not member:
        return member.header_offset
    return min(later, default=archive.start_dir)


def contains(data: bytes, needle: bytes) -> bool:
    """``needle in data`` for a two-byte needle that opens with 「<」, found through its
    second byte, which is rare in a sheet: ``in`` stops at every 「<」 (a 78 MB sheet:
    75 ms → 15 ms). After 64 near misses, ``in`` itself."""
    last = needle[1:]
    at = data.find(last, 1)
    for _ in range(64):
        if at < 0:
            return False
        if data[at - 1] == needle[0]:
            return True
        at = data.find(last, at + 1)
    return needle in data


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part path → sheet name, from workbook.xml and its relationships."""
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError):
        return {}
    if _DOCTYPE.search(book) or _DOCTYPE.search(rels):
        return {}  # refused later, when the member is checked
    try:
        targets = {r.get("Id"): r.get("Target", "") for r in ElementTree.fromstring(rels)}
        out = {}
        for sheet in ElementTree.fromstring(book).iter():
            if sheet.tag.endswith("}sheet"):
                rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
                target = targets.get(rid, "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                out[path] = sheet.get("name", path)
        return out
    except ElementTree.ParseError:
        return {}


def _cell(ref: bytes) -> dict[str, Any]:
    """A1-style reference → the row number and the cell reference for a Problem."""
    text = ref.decode()
    digits = text.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return {"row": int(digits), "column": text}


def _check_sheet(data: bytes, sheet: str, limits: Limits, name: str
                 ) -> tuple[list[Problem], dict[tuple[int, int], str]]:
    rows = [int(r) for r in _ROW.findall(data)]
    max_row = max(rows, default=0)
    # Columns of one letter need no look; wider ones are rare, so only then are they read.
    # Three letters imply two: the second full scan only when the first finds something.
    letters = (3 if _LONG_COLUMN.search(data) else 2) if _TWO_LETTERS.search(data) else 0
    refs = _CELL_REF[letters].findall(data) if letters else []
    max_col = max((column_number(c.decode()) for c, _ in refs), default=26 if data else 0)
    max_row = max([max_row, *(int(r) for _, r in refs)])
    area = max_row * max_col
    if max_row > limits.max_rows or max_col > limits.max_columns or area > limits.max_cells:
        far = max(refs, key=lambda cr: (int(cr[1]), column_number(cr[0].decode())), default=None)
        where = f"（最远的单元格 {far[0].decode()}{far[1].decode()}）" if far else ""
        raise fail(f"工作表范围过大：{max_row} 行 × {max_col} 列{where}，超过上限 "
                   f"max_rows={limits.max_rows} / max_columns={limits.max_columns} / "
                   f"max_cells={limits.max_cells}；请删除远处多余的单元格后另存",
                   file=name, sheet=sheet)
    # A column of the same error (a VLOOKUP filled down) is one problem with its rows.
    errors: dict[tuple[str, str], list[bytes]] = {}
    uncached: dict[str, list[bytes]] = {}
    if b't="e"' in data:
        for attrs, body in _ERROR_CELL.findall(data):
            ref = _REF.search(attrs)
            value = _VALUE.search(body)
            label = ref.group(1) if ref else b"?"
            shown = value.group(1).decode(errors="replace")[:40] if value else "错误"
            errors.setdefault((_letters(label), shown), []).append(label)
    formulas: dict[tuple[int, int], str] = {}
    if contains(data, b"<f"):
        for ref in _UNCACHED.findall(data):
            uncached.setdefault(_letters(ref), []).append(ref)
        for attrs, text in _FORMULA.findall(data):
            ref = _REF.search(attrs)
            if ref:
                at = _cell(ref.group(1))
                formulas[(at["row"] - 1, column_number(at["column"].rstrip("0123456789")) - 1)] = \
                    _unescape(text.decode(errors="replace"))
    problems = [_grouped(labels, f"是错误值 {shown}；请修正公式或改为数值", name, sheet)
                for (_, shown), labels in errors.items()]
    problems += [_grouped(labels, "的公式没有计算结果（文件未经 Excel 计算保存）；请在 Excel/WPS 中"
                                  "打开并保存，或改为数值", name, sheet)
                 for labels in uncached.values()]
    return problems, formulas


def _letters(ref: bytes) -> str:
    return ref.decode().rstrip("0123456789")


def _grouped(labels: list[bytes], said: str, name: str, sheet: str) -> Problem:
    """One cell's problem, or one for a column's cells alike, at the first, rows listed."""
    first = labels[0]
    where = _cell(first) if first != b"?" else {}
    if len(labels) == 1:
        return Problem(f"单元格 {first.decode()} {said}", file=name, sheet=sheet, **where)
    rows = sorted(_cell(label)["row"] for label in labels if label != b"?")
    what, fix = said.split("；", 1)
    return Problem(f"本列有 {len(labels):,} 个单元格{what}（第 {row_ranges(rows)} 行），第一个是 "
                   f"{first.decode()}；{fix}", file=name, sheet=sheet, **where)


def _unescape(text: str) -> str:
    """A formula's XML text as written: ``xml.sax.saxutils.unescape`` with &quot; and
    &apos;, the same replacements in the same order, without importing it (it pulls in
    urllib.request, http.client and ssl)."""
    text = text.replace("&lt;", "<").replace("&gt;", ">")
    return text.replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


_ODS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_CELLS = (_ODS + "table-cell", _ODS + "covered-table-cell")


def _ods_cells(data: bytes, checked: Checked) -> None:
    """The formula cells and merged ranges of an .ods, per sheet: calamine reads a
    formula's cached value and reports no merges for this format."""
    if b"table:formula" not in data and b"-spanned" not in data:
        return
    sheet, row, column, repeat = "", 0, 0, 1
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
            if event == "start" and el.tag == _ODS + "table":
                sheet, row = el.get(_ODS + "name", ""), 0
            elif event == "start" and el.tag == _ODS + "table-row":
                column, repeat = 0, int(el.get(_ODS + "number-rows-repeated", "1"))
            elif event == "start" and el.tag in _ODS_CELLS:
                across = int(el.get(_ODS + "number-columns-repeated", "1"))
                formula = el.get(_ODS + "formula")
                if formula and across * repeat <= 100_000:  # not a whole repeated block
                    text = formula.split(":", 1)[-1].lstrip("=")
                    checked.formulas.setdefault(sheet, {}).update(
                        {(row + r, column + c): text for r in range(repeat) for c in range(across)})
                rows = int(el.get(_ODS + "number-rows-spanned", "1"))
                columns = int(el.get(_ODS + "number-columns-spanned", "1"))
                if rows > 1 or columns > 1:
                    checked.merges.setdefault(sheet, []).append(
                        (row, column, row + rows - 1, column + columns - 1))
                column += across
            elif event == "end" and el.tag == _ODS + "table-row":
                row += repeat
                el.clear()
    except (ElementTree.ParseError, ValueError):
        return  # calamine then says what is wrong with the file
