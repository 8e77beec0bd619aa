"""A plainly well-formed ``cmscore score …`` run without importing typer (≈ 0.1 G
instructions, a tenth of a 1k month's ``score``: typer pulls in its own click, and click
``platform``, ``uuid``, ``difflib``, ``gettext``).

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

# command -> (the function that does it, its argument's name and checks, its options:
# each spelling -> (parameter, str / bool / a path's checks), the defaults).
COMMANDS: dict[str, tuple[str, tuple[str, Any], dict[str, tuple[str, Any]], dict[str, Any]]] = {
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


def parse(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(the function's ``module:name``, its keyword arguments) for a plainly well-formed
    command line (``args`` without the program's name), else None."""
    if not args or args[0] not in COMMANDS or \
            any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # not a command known here, or shell completion (typer's)
    body, (arg_name, arg_checks), options, defaults = COMMANDS[args[0]]
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
        params[name] = value if kind is str else _path(value, kind)
        if params[name] is None:
            return None
    if len(positional) != 1 or not positional[0]:
        return None
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
