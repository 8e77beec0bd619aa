"""JSON documents whose large parts come already encoded, a column at a time.

`--json` prints ``json.dumps(doc, ensure_ascii=False, indent=1)``. With ``indent``,
Python 3.11's json uses its pure-Python encoder: a national month's document (a dict per
manager) took ~10 s and ~900 MB at 100k managers. A part given as ``Encoded`` is written
by its own function (e.g. from per-row templates over the frame's columns) and spliced
into the rest of the document, which is still encoded by ``json.dumps``: the text is
byte for byte what ``json.dumps`` would write for the value it stands for.
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

# What json.dumps(ensure_ascii=False) escapes in a string: the quote, the backslash and
# the C0 controls.
_ESCAPED = re.compile(r'["\\\x00-\x1f]')


class Encoded:
    """A value of a document, encoded by ``render(level)``: the JSON text of the value, in
    pieces, as it would stand at that nesting level (``indent=1``: the value's closing
    bracket is indented ``level`` spaces). ``value()`` gives it as plain Python (tests,
    callers that read it)."""

    def __init__(self, render: Callable[[int], Iterable[str]], value: Callable[[], Any]) -> None:
        self.render, self.value = render, value


class Spooled(Encoded):
    """An ``Encoded`` top-level value rendered ahead of time into a temporary file, as
    UTF-8. ``score --json`` renders its managers while the forked child is still writing
    the workbook (the second core), so the text costs no wall time after COMMIT and is
    never held whole in memory; ``print_json`` copies the bytes to stdout."""

    def __init__(self, encoded: Encoded) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile()
        try:
            buffer: list[str] = []
            size = 0
            for piece in encoded.render(1):
                buffer.append(piece)
                size += len(piece)
                if size >= 1 << 20:
                    self.file.write("".join(buffer).encode("utf-8"))
                    buffer, size = [], 0
            self.file.write("".join(buffer).encode("utf-8"))
        except BaseException:
            self.file.close()
            raise
        super().__init__(self._read, encoded.value)

    def _read(self, level: int) -> Iterator[str]:
        if level != 1:  # rendered for the top level of a document only
            raise ValueError("a spooled value stands at the top level of its document")
        decoder = codecs.getincrementaldecoder("utf-8")()  # a block may end mid-character
        self.file.seek(0)
        while block := self.file.read(1 << 20):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)

    def copy_to(self, out: IO[bytes]) -> None:
        self.file.seek(0)
        while block := self.file.read(1 << 20):
            out.write(block)


def chunks(doc: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(doc, ensure_ascii=False, indent=1)`` in pieces, with ``Encoded`` values
    at the top level of ``doc`` spliced in as their own pieces (in document order)."""
    for piece in pieces(doc):
        if isinstance(piece, Spooled):
            yield from piece.render(1)
        else:
            yield piece


def pieces(doc: dict[str, Any]) -> Iterator[str | Spooled]:
    """``chunks``, with each ``Spooled`` value given as itself (its bytes are copied)."""
    marks = {f"\ue000encoded-{k}\ue000": v for k, v in enumerate(doc.values())
             if isinstance(v, Encoded)}
    slots = {id(v): mark for mark, v in marks.items()}
    text = json.dumps({k: slots.get(id(v), v) for k, v in doc.items()}, ensure_ascii=False,
                      indent=1)
    done = 0
    for mark, encoded in marks.items():
        at = text.index(f'"{mark}"', done)
        yield text[done:at]
        if isinstance(encoded, Spooled):
            yield encoded
        else:
            yield from encoded.render(1)
        done = at + len(mark) + 2
    yield text[done:]


def dumps(doc: dict[str, Any]) -> str:
    return "".join(chunks(doc))


def plain(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with its ``Encoded`` values as plain Python."""
    return {k: v.value() if isinstance(v, Encoded) else v for k, v in doc.items()}


def strings(values: Iterable[str]) -> list[str]:
    """``json.dumps(v, ensure_ascii=False)`` of every text: quoted as they are when nothing
    in them needs escaping (names, 工号, branches: nearly always), else one at a time."""
    values = list(values)
    if not _ESCAPED.search("".join(values)):
        return [f'"{v}"' for v in values]
    return [json.dumps(v, ensure_ascii=False) for v in values]
