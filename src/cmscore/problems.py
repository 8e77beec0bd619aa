"""Problems are values that carry where they are, so all of them can be shown at once."""

from __future__ import annotations

import errno
import warnings
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


# What the operating system refusing a file means, and what to do about it.
_OS_CAUSES = {
    errno.ENOSPC: ("磁盘已满", "请腾出空间，或换一个有空间的目录后重新运行"),
    errno.EDQUOT: ("磁盘配额已用完", "请腾出空间，或换一个有空间的目录后重新运行"),
    errno.EROFS: ("文件系统是只读的", "请换一个可写的目录"),
    errno.EACCES: ("没有写入权限", "请修改权限，或换一个可写的目录"),
    errno.EPERM: ("不允许写入（只读或受保护）", "请修改权限，或换一个可写的目录"),
    errno.EISDIR: ("同名的是一个文件夹", "请移走或改名该文件夹，或换一个目录"),
    errno.ENOTDIR: ("路径中有一段不是文件夹", "请检查路径"),
    errno.EIO: ("磁盘读写出错", "请检查磁盘后重新运行"),
}


def os_failure(exc: OSError, path: object, doing: str, kept: str = "") -> InputError:
    """An environment failure (disk full, read-only, no permission) as one located
    sentence that says what to do; ``kept`` says what the run left as it was."""
    cause, todo = _OS_CAUSES.get(exc.errno or 0, (exc.strerror or type(exc).__name__,
                                                  "请检查该路径后重新运行"))
    detail = f"（{exc.strerror}）" if exc.strerror and exc.strerror != cause else ""
    return fail(f"{doing} {path} 失败：{cause}{detail}；{todo}" + (f"。{kept}" if kept else ""))


def row_ranges(rows: list[int], most: int = 6) -> str:
    """[4, 5, 6, 9] → 「4–6、9」, at most ``most`` ranges, then 「等」."""
    spans: list[list[int]] = []
    for r in rows:
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    shown = [f"{a:,}" if a == b else f"{a:,}–{b:,}" for a, b in spans[:most]]
    return "、".join(shown) + ("等" if len(spans) > most else "")


class Notice(UserWarning):
    """Something a command did or found that the person running it should read, though
    the command succeeded (a workbook put back in place). ``console.run`` prints them."""


def notify(message: str) -> None:
    warnings.warn(Notice(message), stacklevel=2)
