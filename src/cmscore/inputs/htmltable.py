"""Read the first <table> of an HTML page saved as .xls (a common 'Excel export').

The standard library's HTMLParser does not fetch anything or expand entities beyond
the HTML ones, so such a file can be read safely as a plain grid of text cells. A cell
spanning rows or columns keeps its text in its first position, blanks in the others
(as Excel shows a merged range), and is recorded as a merged range: a ``rowspan`` does
not shift the next row's cells to the left.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[object]] = []
        self.merges: list[tuple[int, int, int, int]] = []
        self._row: list[object] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)  # (rows, columns) of the open cell
        self._down: dict[int, int] = {}  # column → rows a rowspan still covers
        self.depth = 0
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "table":
            self.depth += 1
        elif tag == "tr" and self.depth == 1:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            given = dict(attrs)
            self._span = (_span(given.get("rowspan"), 10_000), _span(given.get("colspan"), 200))
            self._skip_covered()
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            rows, columns = self._span
            first = len(self._row)
            self._row.append("".join(self._cell).strip())
            self._row.extend([""] * (columns - 1))
            if rows > 1 or columns > 1:
                at = len(self.rows)
                self.merges.append((at, first, at + rows - 1, first + columns - 1))
            for c in range(first, first + columns) if rows > 1 else ():
                self._down[c] = rows  # this row included: counted down at its end
            self._cell = None
        elif tag == "tr" and self._row is not None:
            while self._down and max(self._down) >= len(self._row):
                self._skip_covered(to_end=True)
            self.rows.append(self._row)
            self._row = None
            self._down = {c: n - 1 for c, n in self._down.items() if n > 1}
        elif tag == "table":
            self.depth -= 1
            self.done = self.depth == 0

    def _skip_covered(self, to_end: bool = False) -> None:
        """Blank the positions of this row that a rowspan above still covers."""
        assert self._row is not None
        while len(self._row) in self._down or (to_end and self._down and
                                                len(self._row) < max(self._down)):
            self._row.append("")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _span(given: str | None, most: int) -> int:
    return int(given) if given and given.isdigit() and 0 < int(given) <= most else 1


def read_table(text: str) -> tuple[list[list[object]], list[tuple[int, int, int, int]]]:
    """The first table's rows, and its merged ranges (first row, first column, last row,
    last column, from 0)."""
    parser = _Tables()
    parser.feed(text)
    parser.close()
    return parser.rows, parser.merges
