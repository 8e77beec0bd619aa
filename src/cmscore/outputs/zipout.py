"""A minimal zip writer for ``xlsx.Book``: members deflated here, or elsewhere in parts.

``zipfile`` deflates a member only as it is written, in one stream, by one process. A
sheet split across two processes (``outputs.sheetparts``) needs more: a member whose
parts were deflated independently, each in its own file, by whichever process rendered
it. Raw deflate parts ended with a full flush (the last with Z_FINISH) concatenate into
one valid deflate stream; their CRC-32s combine (``crc32_combine``, which ISA-L's binding
has and Python's zlib lacks). Deflate level 1, as ``Book`` always used; every date is 1980-01-01, so the same
content gives the same bytes. The deflate and the CRC-32 are ISA-L's (``isal``): the same
raw deflate format and CRC, 5–6× less CPU than zlib's level 1 on the sheets' XML and a
smaller result (benchmarks/README.md, session 10). A member that is streamed or assembled carries zip64 sizes
in its local header (as ``zipfile``'s ``force_zip64`` did), its central record only where
a size or offset needs them. The file is written where the caller says (a temp file
that ``outputs.files`` moves into place whole), and a writer can stop before its central
directory (``state``) for another process to finish it (``resume``).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from isal import isal_zlib  # zlib's interface: ISA-L's raw deflate and CRC-32

LEVEL = 1
_MARK = 0xFFFFFFFF  # a 32-bit field that says: see the zip64 record
ZIP64_AT = _MARK  # sizes and offsets from here on need zip64 (lowered in tests)
_DATE, _TIME = (0 << 9) | (1 << 5) | 1, 0  # 1980-01-01 00:00, the zip format's first day
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_SIZES = struct.Struct("<HHQQ")
_ATTRIBUTES = 0o600 << 16  # a private file, as the temp file it is written into


@dataclass(frozen=True)
class Part:
    """Raw deflate bytes in ``path``, the CRC-32 and length of what they inflate to."""
    path: Path
    crc: int
    size: int

    @property
    def csize(self) -> int:
        return self.path.stat().st_size


class Deflater:
    """Raw deflate of what is written to it, into ``out``, counting CRC-32 and sizes; a
    part of a member ends with ``finish(last=False)`` (a full flush: byte-aligned, no
    back references across it), a whole member or its last part with ``finish()``."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.zip = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)
        self.crc = self.size = self.csize = 0

    def write(self, data: bytes) -> None:
        self.crc = isal_zlib.crc32(data, self.crc)
        self.size += len(data)
        self._out(self.zip.compress(data))

    def finish(self, last: bool = True) -> None:
        self._out(self.zip.flush(isal_zlib.Z_FINISH if last else isal_zlib.Z_FULL_FLUSH))

    def _out(self, data: bytes) -> None:
        if data:
            self.out.write(data)
            self.csize += len(data)


def deflate_part(path: Path, chunks: Sequence[bytes], last: bool) -> Part:
    """``chunks`` deflated into a new file ``path``: a part of a member (or, ``last``, its end)."""
    with open(path, "wb") as fh:
        d = Deflater(fh)
        for chunk in chunks:
            d.write(chunk)
        d.finish(last)
    return Part(path, d.crc, d.size)


@dataclass
class _Entry:
    name: bytes
    crc: int
    size: int
    csize: int
    offset: int
    zip64: bool  # zip64 sizes in the local header


class _Member:
    """A member streamed into the file: its local header is patched with the CRC-32 and
    sizes once written whole; a failure leaves it unfinished (the writer is abandoned)."""

    def __init__(self, owner: ZipOut, name: str) -> None:
        self.owner = owner
        self.entry = owner._local(name, 0, 0, 0, zip64=True)
        self.deflater = Deflater(owner.fh)
        self.write = self.deflater.write

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        if kind is not None:
            return
        d = self.deflater
        d.finish()
        e = self.entry
        e.crc, e.size, e.csize = d.crc, d.size, d.csize
        fh = self.owner.fh
        end = fh.tell()
        fh.seek(e.offset + 14)
        fh.write(struct.pack("<I", e.crc))
        fh.seek(e.offset + _LOCAL.size + len(e.name) + 4)
        fh.write(struct.pack("<QQ", e.size, e.csize))
        fh.seek(end)
        self.owner.entries.append(e)


class ZipOut:
    """Write a zip at ``path`` member by member; ``close`` writes the central directory."""

    def __init__(self, path: Path, state: dict[str, Any] | None = None) -> None:
        if state is None:
            self.fh: BinaryIO = open(path, "wb")
            self.entries: list[_Entry] = []
        else:  # another process's writer, stopped before its central directory
            self.fh = open(path, "r+b")
            self.fh.seek(state["offset"])
            self.fh.truncate()
            self.entries = [_Entry(*e) for e in state["entries"]]

    def open(self, name: str) -> _Member:
        """A member to ``write`` bytes to, inside ``with``: deflated on the way."""
        return _Member(self, name)

    def writestr(self, name: str, text: str | bytes) -> None:
        data = text.encode("utf-8") if isinstance(text, str) else text
        packed = isal_zlib.compressobj(LEVEL, isal_zlib.DEFLATED, -15)
        body = packed.compress(data) + packed.flush()
        e = self._local(name, isal_zlib.crc32(data), len(data), len(body), zip64=False)
        self.fh.write(body)
        self.entries.append(e)

    def add_parts(self, name: str, parts: Sequence[Part]) -> None:
        """A member made of parts deflated elsewhere, in order (or one whole member)."""
        crc = size = 0
        for p in parts:
            crc = isal_zlib.crc32_combine(crc, p.crc, p.size)
            size += p.size
        e = self._local(name, crc, size, sum(p.csize for p in parts), zip64=True)
        for p in parts:
            with open(p.path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    self.fh.write(chunk)
        self.entries.append(e)

    def _local(self, name: str, crc: int, size: int, csize: int, zip64: bool) -> _Entry:
        raw = name.encode("utf-8")
        e = _Entry(raw, crc, size, csize, self.fh.tell(), zip64 or max(size, csize) >= ZIP64_AT)
        extra = _ZIP64_SIZES.pack(1, 16, size, csize) if e.zip64 else b""
        self.fh.write(_LOCAL.pack(
            0x04034B50, 45 if e.zip64 else 20, 0 if raw.isascii() else 0x800, 8, _TIME,
            _DATE, crc, _MARK if e.zip64 else csize, _MARK if e.zip64 else size, len(raw),
            len(extra)) + raw + extra)
        return e

    def state(self) -> dict[str, Any]:
        """What ``ZipOut(path, state)`` in another process needs to add members and close."""
        self.fh.flush()
        return {"offset": self.fh.tell(),
                "entries": [(e.name, e.crc, e.size, e.csize, e.offset, e.zip64)
                            for e in self.entries]}

    def stop(self) -> None:
        """Close the file without a central directory: another writer resumes it. What is
        written is synced first, here, so the writer that finishes it syncs only its end."""
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()

    def abandon(self) -> None:
        """Let go of a file that failed; it is a temp file its owner removes."""
        self.fh.close()

    def close(self) -> None:
        fh = self.fh
        start = fh.tell()
        for e in self.entries:
            big = max(e.size, e.csize) >= ZIP64_AT
            wide = [e.size, e.csize] if big else []
            if e.offset >= ZIP64_AT:
                wide.append(e.offset)
            extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
            version = 45 if e.zip64 or wide else 20
            fh.write(_CENTRAL.pack(
                0x02014B50, (3 << 8) | version, version, 0 if e.name.isascii() else 0x800, 8,
                _TIME, _DATE, e.crc, _MARK if big else e.csize, _MARK if big else e.size,
                len(e.name), len(extra), 0, 0, 0, _ATTRIBUTES, _MARK if e.offset >= ZIP64_AT else e.offset)
                + e.name + extra)
        end = fh.tell()
        count, size = len(self.entries), end - start
        if count > 0xFFFF or start >= ZIP64_AT or size >= ZIP64_AT:
            fh.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count,
                                 size, start))
            fh.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF),
                             min(count, 0xFFFF), _MARK if size >= ZIP64_AT else size,
                             _MARK if start >= ZIP64_AT else start, 0))
        fh.close()
