"""Problems are values that carry where they are, so all of them can be shown at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as it can be."""

    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None  # spreadsheet row number as Excel shows it (1-based)
    column: str = ""  # header text as written in the file, or a cell reference

    def where(self) -> str:
        parts = [self.file] if self.file else []
        if self.sheet:
            parts.append(f"工作表 {self.sheet}")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列 {self.column}")
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class InputError(Exception):
    """Raised with every problem found, after collecting them all."""

    def __init__(self, problems: list[Problem], title: str = "输入有误") -> None:
        self.problems = list(problems)
        self.title = title
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self) -> tuple[type[InputError], tuple[list[Problem], str]]:
        # A failure in the forked workbook writer comes back pickled (``aside``).
        return (InputError, (self.problems, self.title))


def fail(message: str, **where: object) -> InputError:
    """One-problem error, for the places where nothing further can be checked."""
    return InputError([Problem(message, **where)])  # type: ignore[arg-type]
