"""What the command line prints around every command: problems as one table, progress,
JSON on stdout. ``cli`` uses these; nothing below the command line does.

Rich is imported inside each function, so ``cmscore --help`` answers at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from cmscore.problems import InputError, Problem

if TYPE_CHECKING:
    from cmscore.engine.month import MonthExport

T = TypeVar("T")


def make_console(json_mode: bool) -> Any:
    from rich.console import Console

    return Console(stderr=json_mode, highlight=False, soft_wrap=False)


def problems_table(problems: list[Problem], title: str) -> Any:
    from rich.table import Table

    table = Table(title=f"{title}：共 {len(problems)} 处问题，未保存、未写入任何文件",
                  title_justify="left", show_lines=False)
    for header in ("文件", "工作表", "行", "列", "问题"):
        table.add_column(header, overflow="fold")
    for p in problems:
        table.add_row(p.file, p.sheet, "" if p.row is None else str(p.row), p.column, p.message)
    return table


def run(json_mode: bool, job: Callable[[], T]) -> T:
    """Run a job; on bad input show every problem together and exit 1."""
    from cmscore.rules.yamlsafe import RuleFileError

    try:
        return job()
    except (InputError, RuleFileError) as exc:
        title = "规则文件有误" if isinstance(exc, RuleFileError) else exc.title
        problems = exc.problems
        if json_mode:
            print_json({"error": title, "problems": [
                {"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column,
                 "message": p.message} for p in problems]})
        from rich.console import Console

        err = Console(stderr=True, highlight=False, width=max(120, width()))
        if any(p.where() for p in problems):
            err.print(problems_table(problems, title))
        else:
            for p in problems:
                err.print(f"错误：{p.message}", soft_wrap=True, markup=False)
        raise typer.Exit(1) from None


@contextmanager
def progress(json_mode: bool, steps: int) -> Iterator[Callable[[str], None]]:
    """A phase bar on stderr for people at a terminal; nothing under --json or in a pipe."""
    if json_mode or not sys.stderr.isatty():
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("开始", total=steps)
        started = False

        def step(name: str) -> None:
            nonlocal started
            bar.update(task, description=name, advance=1 if started else 0)
            started = True

        yield step


def width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def print_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def say_format(console: Any, export: MonthExport) -> None:
    """Tell what a file really was when its name said otherwise (HTML or text as .xls)."""
    if export.actual:
        console.print(f"[yellow]{export.actual}[/]（编码 {export.encoding}）", soft_wrap=True)
