"""The command line: parse options, call one function of ``cmscore.app``, print.

Heavy libraries (calamine, rich tables, pydantic models) are imported inside the commands,
so ``cmscore --help`` answers at once.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    """``cmscore.cli.app``, built at first use: a plainly well-formed ``score`` runs
    without typer (``cli.quick``)."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _app() -> typer.Typer:
    # Each module registers its commands on ``base.app`` when imported, in the order
    # ``cmscore --help`` lists them.
    # isort: off
    from cmscore.cli.base import app
    from cmscore.cli import month, results, store, office, adjust  # noqa: F401
    # isort: on
    return app


def only(name: str) -> typer.Typer:
    """``app`` with only the command (or the group: ``db``, ``rules``) called ``name``,
    when there is one: typer builds every registered command's options at each start
    (≈ 20 ms for 22 commands) though a run uses one. What that command says (its help,
    its usage errors, in Chinese through the same ``Group``) does not depend on the
    others; ``cmscore --help``, an unknown name and its suggestions take the whole app."""
    import copy

    from typer.main import get_command_name

    app = _app()
    commands = [c for c in app.registered_commands if c.callback is not None and
                (c.name or get_command_name(c.callback.__name__)) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def main() -> None:
    """The console script. The command's work done and its output flushed, the process
    leaves with ``os._exit``: tearing the interpreter down freed a national month's
    million objects one by one (score 0.15 s, grade 0.07 s, payroll 0.06 s at 100k),
    memory the system takes back at once. Every file and the store are closed by then."""
    if not _stdout_usable():
        os._exit(1)
    try:
        from cmscore.cli import quick

        if not quick.run(sys.argv[1:]):
            only(sys.argv[1] if len(sys.argv) > 1 else "")()
        code = 0
    except SystemExit as exc:  # typer ends every command this way
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): Python prints it and exits 1
            print(exc.code, file=sys.stderr)
            code = 1
    except OSError as exc:
        # console.run turns the work's own system errors into located problems, so what
        # reaches here is the printing after it: a full disk or closed pipe under stdout.
        if exc.errno is None or exc.filename is not None:
            raise
        _cannot_print(exc)
        os._exit(1)
    failed = _stdout_fails()
    if failed is not None:
        _cannot_print(failed)
        code = code or 1
    try:
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: as Python reports it at exit
        code = code or 120
    os._exit(code)


# What cmscore prints, in characters a legacy encoding may lack: simplified Chinese (Big5,
# Shift-JIS and EUC-KR have 考核 but not 计 or 级), the dashes and signs of the help and
# the lines, and the tables' box drawing.
_PRINTED = "考核计分定级绩效工资–≈→━┃┏┓┗┛"


def _stdout_usable() -> bool:
    """Whether stdout is there and its encoding can carry what cmscore prints. One that
    cannot (an ASCII, Latin-1 or Big5 locale, ``PYTHONIOENCODING=ascii``) raised a
    UnicodeEncodeError at the first table, after a month had been stored: refused before
    anything is done, in English first, since the same stderr may show the Chinese only as
    escapes. A ``--json`` run writes its document in UTF-8 whatever the terminal's encoding
    (JSON is UTF-8, RFC 8259), as score's managers always were; a closed stdout is refused
    too."""
    if sys.stdout is None:
        print("cmscore: there is no standard output (it was closed); nothing was done. / "
              "标准输出已关闭，未执行任何操作。", file=sys.stderr, flush=True)
        return False
    if "--json" in sys.argv[1:] and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
        return True
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        _PRINTED.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        print(f"cmscore: the output encoding {encoding} cannot show Chinese; nothing was "
              "done. Set PYTHONIOENCODING=utf-8 and run again. / 标准输出的字符编码"
              f"（{encoding}）显示不了中文，未执行任何操作；请设置 PYTHONIOENCODING=utf-8"
              "（或改用 UTF-8 终端）后重新运行。", file=sys.stderr, flush=True)
        return False
    return True


def _stdout_fails() -> OSError | None:
    """What flushing stdout raises now: a short text waits in the buffer until then."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        return exc
    except ValueError:  # closed
        pass
    return None


def _cannot_print(exc: OSError) -> None:
    """One sentence instead of a traceback; a reader that stopped reading (``| head``)
    hears nothing, as from any Unix tool."""
    if isinstance(exc, BrokenPipeError):
        return
    try:
        print(f"cmscore：结果写不到标准输出（{exc.strerror}）。已存入历史库的内容不受影响，可用 "
              "cmscore status、cmscore show 查看；请腾出磁盘空间或改写到别处后重新查看",
              file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
