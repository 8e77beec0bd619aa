"""A plainly well-formed ``cmscore score …``, ``grade …`` or ``payroll …`` run without
importing typer (≈ 0.1 G instructions, a tenth of a 1k month's ``score``: typer pulls in
its own click, and click ``platform``, ``uuid``, ``difflib``, ``gettext``).

Only a command line nothing can be said about is taken here: a command this module knows,
each option spelled as declared (``--db PATH``, not ``--db=PATH``), at most once, a value
that neither is empty nor starts with ``-``, exactly the arguments the command takes, and
every value one that typer reads without a word (a path's checks as typer makes them).
Everything else — help, ``--version``, a misspelled or repeated option, a value typer
refuses, a completion request — returns ``None`` and goes to typer, so every message stays
typer's (and ``commands``'s Chinese) word for word. tests/test_cli_quick.py checks that
each option here is the one typer declares and that both read the same command lines
alike."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

# A path's checks as typer's ``Option``/``Argument`` declare them: (exists, file_okay,
# dir_okay); readable is typer's default (True), writable and resolve_path not asked.
ANY_PATH = (False, True, True)
FOLDER = (False, False, True)
EXISTING_FOLDER = (True, False, True)
EXISTING_FILE = (True, True, False)

# An integer option's kind: ("int", least, most), as typer's ``min``/``max`` declare it.
MONTHS = ("int", 1, 24)

# command -> (the function that does it, its argument's name and checks or None, its
# options: each spelling -> (parameter, str / bool / an int's range / a path's checks),
# the defaults: an option without one must be given).
COMMANDS: dict[str, tuple[str, tuple[str, Any] | None, dict[str, tuple[str, Any]],
                          dict[str, Any]]] = {
    "score": (
        "cmscore.cli.scorebody:score",
        ("file", ANY_PATH),
        {"--month": ("month", str), "--replace": ("replace", bool),
         "--allow-gap": ("allow_gap", bool), "--accept-roster-change": ("accept_roster", bool),
         "--db": ("db", ANY_PATH), "--rules": ("rules", EXISTING_FOLDER),
         "--out": ("out", FOLDER), "--json": ("json_", bool), "--quiet": ("quiet", bool),
         "-q": ("quiet", bool), "--tasks": ("tasks", ANY_PATH),
         "--replace-tasks": ("replace_tasks", bool)},
        {"month": None, "replace": False, "allow_gap": False, "accept_roster": False,
         "db": None, "rules": None, "out": None, "json_": False, "quiet": False,
         "tasks": None, "replace_tasks": False},
    ),
    "grade": (
        "cmscore.cli.resultbody:grade",
        None,
        {"--months": ("months", MONTHS), "--end": ("end", str), "--replace": ("replace", bool),
         "--db": ("db", ANY_PATH), "--rules": ("rules", EXISTING_FOLDER),
         "--out": ("out", FOLDER), "--json": ("json_", bool), "--quiet": ("quiet", bool),
         "-q": ("quiet", bool), "--roster": ("roster", ANY_PATH)},
        {"end": None, "replace": False, "db": None, "rules": None, "out": None,
         "json_": False, "quiet": False, "roster": None},
    ),
    "payroll": (
        "cmscore.cli.resultbody:payroll",
        None,
        {"--month": ("month", str), "--supervisors": ("supervisors", EXISTING_FILE),
         "--replace": ("replace", bool), "--db": ("db", ANY_PATH),
         "--rules": ("rules", EXISTING_FOLDER), "--out": ("out", FOLDER),
         "--json": ("json_", bool), "--quiet": ("quiet", bool), "-q": ("quiet", bool)},
        {"month": None, "supervisors": None, "replace": False, "db": None, "rules": None,
         "out": None, "json_": False, "quiet": False},
    ),
}


def _path(value: str, checks: tuple[bool, bool, bool]) -> Path | None:
    """The Path typer gives for ``value``, or None where typer would refuse it or might:
    what ``typer._param_types.coerce_cli_path`` checks, in its order."""
    exists, file_okay, dir_okay = checks
    path = Path(value)
    try:
        st = os.stat(path)
    except OSError:
        return None if exists else path
    except ValueError:  # an embedded NUL: typer's reading says what it says
        return None
    if (not file_okay and S_ISREG(st.st_mode)) or (not dir_okay and S_ISDIR(st.st_mode)) \
            or not os.access(path, os.R_OK):
        return None
    return path


def _value(text: str, kind: Any) -> Any:
    """What typer gives an option of ``kind`` for ``text``, or None where it might refuse
    or read it otherwise."""
    if kind is str:
        return text
    if kind[0] == "int":  # digits only: what click's int() reads the same (no "+1", "1_0")
        number = int(text) if text.isascii() and text.isdecimal() else None
        return number if number is not None and kind[1] <= number <= kind[2] else None
    return _path(text, kind)


def parse(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(the function's ``module:name``, its keyword arguments) for a plainly well-formed
    command line (``args`` without the program's name), else None."""
    if not args or args[0] not in COMMANDS or \
            any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # not a command known here, or shell completion (typer's)
    body, argument, options, defaults = COMMANDS[args[0]]
    params = dict(defaults)
    seen: set[str] = set()
    positional: list[str] = []
    tokens = iter(args[1:])
    for token in tokens:
        if not token.startswith("-"):
            positional.append(token)
            continue
        option = options.get(token)
        if option is None or option[0] in seen:
            return None
        name, kind = option
        seen.add(name)
        if kind is bool:
            params[name] = True
            continue
        value = next(tokens, "")
        if not value or value.startswith("-"):
            return None
        params[name] = _value(value, kind)
        if params[name] is None:
            return None
    if any(name not in params for name, _ in options.values()):  # a required one not given
        return None
    if argument is None:
        return None if positional else (body, params)
    if len(positional) != 1 or not positional[0]:
        return None
    arg_name, arg_checks = argument
    params[arg_name] = _path(positional[0], arg_checks)
    return None if params[arg_name] is None else (body, params)


def run(args: list[str]) -> bool:
    """Run the command ``args`` names if the command line is plainly well-formed (True),
    ending as typer ends a command (``SystemExit`` for an exit code, 130 on Ctrl-C);
    False, having done nothing, for typer to read it."""
    found = parse(args)
    if found is None:
        return False
    from cmscore.console import fill_setup

    where, params = found
    module, name = where.split(":")
    command: Callable[..., Any] = getattr(import_module(module), name)
    try:
        fill_setup(params)
        command(**params)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except EOFError:  # as click says it (no command here reads the terminal)
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        raise SystemExit(1) from None
    return True
