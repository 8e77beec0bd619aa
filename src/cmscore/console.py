"""What the command line prints around every command: problems as one table, progress,
JSON on stdout. ``cli`` uses these; nothing below the command line does.

Data is never markup: every console prints with Rich markup off, so a name like ``[/]``
or ``[link=…]`` is printed as it is written, and text from files goes through ``shown``,
so no control sequence in it reaches the terminal. Rich is imported inside each
function, so ``cmscore --help`` answers at once.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from cmscore.numbers import CONTROLS
from cmscore.problems import InputError, Notice, Problem, os_failure

if TYPE_CHECKING:
    from cmscore.engine.month import MonthExport

T = TypeVar("T")


# What rich changes in a line it prints with soft_wrap: controls (it expands tabs, drops
# \r and \b) and ":" (its emoji codes, :smile:). A line without them it writes as it is.
_RICH_CHANGES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f:]")


def make_console(json_mode: bool, **options: Any) -> Lines:
    return Lines(json_mode, options)


class Lines:
    """The console commands print with (stderr under --json). A plain line (a ``str``
    printed with ``soft_wrap=True``, which rich writes unchanged) is written here; a table,
    a ``Text`` or a line rich would change goes to rich's Console, imported only then:
    ``rich.console`` is ≈ 180 M instructions a command that says a few lines (grade,
    payroll, adjust, db backup, …) no longer pays (tests/test_cli_params.py)."""

    def __init__(self, stderr: bool, options: dict[str, Any]) -> None:
        self.stderr, self.options = stderr, options
        self._rich: Any = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        line = objects[0] if len(objects) == 1 else None
        if type(line) is str and kwargs.get("soft_wrap") is True and not kwargs.get("markup") \
                and kwargs.keys() <= {"soft_wrap", "markup"} and not _RICH_CHANGES.search(line):
            stream = sys.stderr if self.stderr else sys.stdout
            try:
                stream.write(line + "\n")
                stream.flush()  # as rich does after each print: stdout and stderr in order
                return
            except BrokenPipeError:  # as rich meets it: its exit, stdout to /dev/null
                self.rich().on_broken_pipe()
            except UnicodeEncodeError:  # nothing written: rich says it, with its hint
                pass
        self.rich().print(*objects, **kwargs)

    def rich(self) -> Any:
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(stderr=self.stderr, highlight=False, soft_wrap=False,
                                 markup=False, **self.options)
        return self._rich


def shown(text: object) -> str:
    """Text from outside (a file or folder name, a cell quoted in a message) as it may
    reach a terminal: controls and bidirectional overrides as visible escapes (\\x1b,
    \\u202e); line breaks and tabs stay."""
    return CONTROLS.sub(lambda m: m[0] if m[0] in "\n\t" else
                        m[0].encode("unicode_escape").decode("ascii"), str(text))


def problems_table(problems: list[Problem], title: str) -> Any:
    from rich.table import Table

    table = Table(title=f"{title}：共 {len(problems)} 处问题，未保存、未写入任何文件",
                  title_justify="left", show_lines=False)
    for header in ("文件", "工作表", "行", "列", "问题"):
        table.add_column(header, overflow="fold")
    for p in problems:
        table.add_row(shown(p.file), shown(p.sheet), "" if p.row is None else str(p.row),
                      shown(p.column), shown(p.message))
    return table


def run(json_mode: bool, job: Callable[[], T]) -> T:
    """Run a job; on bad input show every problem together and exit 1. What the job
    wants said though it succeeds (``problems.notify``) goes to stderr after it."""
    from cmscore.rules.yamlsafe import RuleFileError

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always", Notice)
        try:
            return job()
        except (InputError, RuleFileError) as exc:
            title = "规则文件有误" if isinstance(exc, RuleFileError) else exc.title
            problems = exc.problems
        except OSError as exc:  # what the system refused where no step said it in words
            if exc.errno is None:
                raise
            title, problems = "无法完成", os_failure(exc, exc.filename or "文件", "读写").problems
        finally:
            _tell(said)
    if json_mode:
        print_json({"error": title, "problems": [
            {"file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column,
             "message": p.message} for p in problems]})
    err = make_console(True, width=max(120, width()))
    if any(p.where() for p in problems):
        err.print(problems_table(problems, title))
    else:
        for p in problems:
            err.print(f"错误：{shown(p.message)}", soft_wrap=True)
    raise SystemExit(1) from None  # as typer.Exit(1) ends a command; no typer needed


# The settings a command may leave to the setup, and where each is found in it.
_FROM_SETUP = {"db": "db", "out": "out", "rules": "rules", "old_rules": "rules"}


def fill_setup(params: dict[str, Any]) -> None:
    """A command's ``--db``, ``--out`` and ``--rules`` left unsaid, filled in from the
    office's setup (``app.config`` says in which order), once, for every command that has
    them: typer's commands (``commands.Command``) and ``cli.quick`` alike."""
    wanted = {name: key for name, key in _FROM_SETUP.items() if name in params}
    if wanted:
        from cmscore.app.config import resolve

        rules = params.get("rules", params.get("old_rules"))
        setup = run(bool(params.get("json_")),
                    lambda: resolve(params.get("db"), params.get("out"), rules))
        for name, key in wanted.items():
            if params[name] is None:
                params[name] = getattr(setup, key)


def _tell(said: list[warnings.WarningMessage]) -> None:
    for w in said:
        if issubclass(w.category, Notice):
            make_console(True).print(f"注意：{shown(w.message)}", soft_wrap=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


@contextmanager
def progress(json_mode: bool, steps: int) -> Iterator[Callable[[str], None]]:
    """A phase bar on stderr for people at a terminal; nothing under --json or in a pipe."""
    if json_mode or not sys.stderr.isatty():
        yield lambda name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
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
    """``json.dumps(doc, ensure_ascii=False, indent=1)`` and a newline on stdout; a document
    with parts already encoded from columns (``outputs.jsontext.Encoded``: score's
    managers) is written piece by piece."""
    from cmscore.outputs.jsontext import Encoded, Spooled, pieces

    if any(isinstance(v, Encoded) for v in doc.values()):
        raw = getattr(sys.stdout, "buffer", None)  # a text stream without one: tests
        for piece in pieces(doc):
            if not isinstance(piece, Spooled):
                sys.stdout.write(piece)
            elif raw is not None:
                sys.stdout.flush()  # its bytes as they are, after what came before
                piece.copy_to(raw)
                raw.flush()
            else:
                sys.stdout.writelines(piece.render(1))
        sys.stdout.write("\n")
    else:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")


def json_text(doc: dict[str, Any]) -> str:
    """What ``print_json`` writes, without the newline."""
    from cmscore.outputs.jsontext import dumps

    return dumps(doc)


def say_format(console: Any, export: MonthExport) -> None:
    """Tell what a file really was when its name said otherwise (HTML or text as .xls)."""
    from rich.text import Text

    if export.actual:
        console.print(Text.assemble((shown(export.actual), "yellow"), f"（编码 {export.encoding}）"),
                      soft_wrap=True)
