"""JSON documents whose large parts come already encoded, a column at a time.

`--json` prints ``json.dumps(doc, ensure_ascii=False, indent=1)``. With ``indent``,
Python 3.11's json uses its pure-Python encoder: a national month's document (a dict per
manager) took ~10 s and ~900 MB at 100k managers. A part given as ``Encoded`` is written
by its own function (e.g. from per-row templates over the frame's columns) and spliced
into the rest of the document, which is still encoded by ``json.dumps``: the text is
byte for byte what ``json.dumps`` would write for the value it stands for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

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


def chunks(doc: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(doc, ensure_ascii=False, indent=1)`` in pieces, with ``Encoded`` values
    at the top level of ``doc`` spliced in as their own pieces (in document order)."""
    marks = {f"\ue000encoded-{k}\ue000": v for k, v in enumerate(doc.values())
             if isinstance(v, Encoded)}
    slots = {id(v): mark for mark, v in marks.items()}
    text = json.dumps({k: slots.get(id(v), v) for k, v in doc.items()}, ensure_ascii=False,
                      indent=1)
    done = 0
    for mark, encoded in marks.items():
        at = text.index(f'"{mark}"', done)
        yield text[done:at]
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
