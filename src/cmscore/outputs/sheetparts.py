"""One sheet's row blocks rendered by both processes of a forked run, assembled in order.

A national month's 明细 is three quarters of its workbook. The forked child (``aside``)
writes the other sheets, the 明细 sheet's head and its first block, then hands out the
numbers of the remaining blocks through a pipe; it and the parent (once it has stored
the month) each take the next number, render that block into a file of raw deflate
(``zipout.Deflater``, a full flush at its end) and take another, until the pipe is
empty. The child stops its zip before the central directory (``Book.stop``); the
parent, once the child has succeeded, appends the 明细 member from the parts in order
and closes the zip. Rows, row numbers and widths are the same whoever renders a block.

Shared strings: a block's text is looked up in the table as it stood before the 明细
sheet (the earlier sheets' names and branches, and ``seed``), frozen, so both
processes give a text the same index; a block with a text the table lacks is written
with that text inline (``Book._rows``), the same cells either way.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import accumulate
from pathlib import Path
from typing import Any

from cmscore.outputs import layout
from cmscore.outputs.aside import forks
from cmscore.outputs.celltext import Blocks, Escaped, Shared
from cmscore.outputs.files import parts_beside
from cmscore.outputs.xlsx import Book, Column, _behind, column_letters, sheet_head, sheet_tail
from cmscore.outputs.zipout import Deflater, Part, ZipOut, deflate_part

Maker = Callable[[], list[list[Any]]]  # a block's columns, made when it is rendered
PIECE_ROWS = 1024


class Split:
    """The block numbers of one sheet, handed out through a pipe made before the fork, and
    the folder (private, beside the temp workbook) the parts are written into."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._read, self._write = os.pipe()

    def hand_out(self, count: int) -> None:
        """Blocks 1 … count-1 (the writer renders block 0 itself, as it measures widths
        on it); then no process writes to the pipe, so an empty pipe reads as the end."""
        numbers = b"".join(k.to_bytes(4, "little") for k in range(1, count))
        assert len(numbers) < 4096, "a sheet of at most MAX_ROWS rows has few blocks"
        os.write(self._write, numbers)  # below PIPE_BUF: whole, and never blocks
        self._close_hand()

    def claim(self) -> int | None:
        """The next block to render, or None when all are taken. A four-byte read of a
        pipe is one read: two processes never share a number."""
        self._close_hand()  # the parent's copy: the pipe ends when the writer's closes
        got = os.read(self._read, 4)
        return int.from_bytes(got, "little") if got else None

    def _close_hand(self) -> None:
        if self._write >= 0:
            os.close(self._write)
            self._write = -1

    def close(self) -> None:
        self._close_hand()
        if self._read >= 0:
            os.close(self._read)
            self._read = -1


@contextmanager
def sharing(rows: int, tmp: Path) -> Iterator[Split | None]:
    """A ``Split`` for the workbook being written at ``tmp`` when ``aside.alongside``
    forks for ``rows`` rows, else None (written in line, as ever); its folder and pipe
    are gone when the run ends."""
    if not forks(rows):
        yield None
        return
    with parts_beside(tmp) as folder:
        split = Split(folder)
        try:
            yield split
        finally:
            split.close()


def helped(split: Split | None, path: Path, name: str,
           sheet: Callable[[], tuple[Sequence[Column], Sequence[Maker], Sequence[int]]],
           written: Callable[[], None]) -> Callable[[], None]:
    """The ``ready`` step of a run whose writer shares the sheet ``name`` (``sheet()``:
    the columns, makers and sizes it gave ``write_sheet``): this process renders the
    blocks left, waits for the writer (``written``), then finishes the workbook at ``path``."""
    if split is None:
        return written

    def whole() -> None:
        help_write(split, name, *sheet())
        written()
        assemble(split, path)
    return whole


class _Unseen(KeyError):
    """A text the frozen shared strings lack."""


class _Frozen(Shared):
    def __missing__(self, key: str) -> str:
        raise _Unseen(key)


class _Renderer(Book):
    """A book's way of rendering rows, without a file: each block goes to its own part."""

    def __init__(self, shared: Shared, widths: list[float]) -> None:
        self.shared, self.escaped, self._widths = shared, Escaped(), widths


def write_sheet(book: Book, split: Split, name: str, columns: Sequence[Column],
                makers: Sequence[Maker], sizes: Sequence[int], seed: Iterable[str],
                note: str = "") -> None:
    """The writer's side: ``book``'s next sheet (``note`` above its header, as
    ``Book.sheet``), rows given as blocks of ``sizes`` rows (``makers``), rendered by
    both processes; ``seed`` are texts the blocks share that the earlier sheets may not
    have (categories)."""
    index = len(book.sheets) + 1
    start = 3 if note else 1
    letters = column_letters(max(len(columns), 1))
    first = makers[0]() if makers else None
    widths = layout.fit_widths(columns, first)
    for text in seed:
        book.shared[text]
    frozen = _Frozen()
    frozen.update(book.shared)
    with open(split.folder / "plan", "wb") as fh:
        pickle.dump((widths, dict(frozen), start), fh)
    split.hand_out(len(makers))
    _save(deflate_part(split.folder / "head", [sheet_head(columns, widths, letters, start, note)],
                       last=False))
    renderer = _Renderer(frozen, widths)
    if first is not None:
        _render(renderer, split.folder, name, columns, first, 0, start)
    _claim_all(renderer, split, name, columns, makers, _first_rows(sizes, start))
    _save(deflate_part(split.folder / "tail", [sheet_tail(columns, widths, start)], last=True))
    last = letters[len(columns) - 1] if columns else "A"
    book.sheets.append((name, layout.defined_names(index - 1, name, start, last,
                                                   start + sum(sizes), bool(columns))))
    member = f"xl/worksheets/sheet{index}.xml"

    def stop(z: ZipOut) -> None:
        with open(split.folder / "state", "wb") as fh:
            pickle.dump((z.state(), member, len(makers)), fh)
        z.stop()
    book.stop = stop


def help_write(split: Split, name: str, columns: Sequence[Column], makers: Sequence[Maker],
               sizes: Sequence[int]) -> None:
    """The parent's side: render blocks until none is left."""
    k = split.claim()
    if k is None:
        return
    with open(split.folder / "plan", "rb") as fh:  # written before any number was handed out
        widths, shared, start = pickle.load(fh)
    frozen = _Frozen()
    frozen.update(shared)
    renderer = _Renderer(frozen, widths)
    rows = _first_rows(sizes, start)
    _render(renderer, split.folder, name, columns, makers[k](), k, rows[k])
    _claim_all(renderer, split, name, columns, makers, rows)


def assemble(split: Split, path: Path) -> None:
    """Once both sides are done: the sheet's member from its parts, and the central
    directory, appended to the writer's stopped zip at ``path``."""
    with open(split.folder / "state", "rb") as fh:
        state, member, count = pickle.load(fh)
    names = ["head", *map(str, range(count)), "tail"]
    z = ZipOut(path, state)
    try:
        z.add_parts(member, [_load(split.folder / n) for n in names])
    except BaseException:
        z.abandon()
        raise
    z.close()


def _first_rows(sizes: Sequence[int], start: int) -> list[int]:
    """The row before each block's first (the header is row ``start``)."""
    return list(accumulate(sizes, initial=start))


def _claim_all(renderer: _Renderer, split: Split, name: str, columns: Sequence[Column],
               makers: Sequence[Maker], rows: Sequence[int]) -> None:
    while (k := split.claim()) is not None:
        _render(renderer, split.folder, name, columns, makers[k](), k, rows[k])


def _render(book: _Renderer, folder: Path, name: str, columns: Sequence[Column],
            block: list[list[Any]], k: int, row: int) -> None:
    letters = column_letters(max(len(columns), 1))
    path = folder / str(k)
    # Rendered PIECE_ROWS rows at a time, the same bytes: a 明细 block's 4096 rows of
    # Chinese text escaped and encoded at once were ~60 MB at the peak, in each process.
    pieces = [[_rows_of(column, at, at + PIECE_ROWS) for column in block]
              for at in range(0, len(block[0]) if block else 0, PIECE_ROWS)]
    try:
        part = _deflated(path, lambda fh: book._blocks(fh, name, columns, letters,
                                                       Blocks(pieces), row))
    except _Unseen:  # a text no earlier sheet shared: this block's texts go inline
        part = _deflated(path, lambda fh: book._rows(fh, name, columns, letters,
                                                     zip(*block, strict=True), row))
    _save(part)


def _rows_of(column: list[Any], start: int, end: int) -> list[Any]:
    """Rows ``start`` … ``end`` of a block's column, as the same kind of column: a slice of
    a list subclass is a plain list, which would lose what the writer reads from the kind
    (a column of cell texts given for numbers; a ``Joined``'s parts for its row heights)."""
    if type(column) is list:
        return column[start:end]
    if isinstance(column, layout.Joined):
        joined = layout.Joined([], 0)
        joined.extend(column[start:end])
        joined.parts = [part[start:end] for part in column.parts]
        return joined
    return type(column)(column[start:end])


def _deflated(path: Path, render: Callable[[Any], object]) -> Part:
    with open(path, "wb") as out:
        d = Deflater(out)
        with _behind(d) as fh:
            render(fh)
        d.finish(last=False)
    return Part(path, d.crc, d.size)


def _save(part: Part) -> None:
    part.path.with_suffix(".meta").write_text(f"{part.crc} {part.size}")


def _load(path: Path) -> Part:
    crc, size = map(int, path.with_suffix(".meta").read_text().split())
    return Part(path, crc, size)
