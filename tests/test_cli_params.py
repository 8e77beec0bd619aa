"""Options read without typer's pydantic adapters (``commands.QuickParam``): every option of
every command reads and refuses values exactly as typer 0.29's own reading does, and a
command run no longer imports ``typer._adapters`` (≈ 0.1 s of pydantic at every start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from cmscore.cli import app
from cmscore.commands import QuickParam


def _params() -> list[tuple[str, Any, Any]]:
    """(command path, click context, parameter) of every option and argument."""
    found: list[tuple[str, Any, Any]] = []

    def walk(command: Any, parent: Any, path: str) -> None:
        ctx = command.context_class(command, info_name=path.split()[-1], parent=parent)
        found.extend((path, ctx, p) for p in command.get_params(ctx))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, ctx, f"{path} {name}")

    walk(typer.main.get_command(app), None, "cmscore")
    return found


PARAMS = _params()


def test_every_option_of_every_command_is_read_by_quick_param() -> None:
    """A new option of another type would silently bring pydantic back at start-up."""
    slow = [f"{path} {p.name}" for path, _, p in PARAMS if
            not isinstance(p._runtime_param, QuickParam)]
    assert slow == []
    assert {p.type_descriptor.annotation for _, _, p in PARAMS} == {str, int, bool, Path}


def _typer_reads(param: Any, ctx: Any, value: Any) -> tuple[str, Any]:
    try:
        got = build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)
    except BadParameter as exc:
        return "refused", exc.format_message()
    except ValueError as exc:  # typer's own reading lets os.stat's "embedded null byte" out
        return "raised", str(exc)
    return "read", (type(got), got)


def _quick_reads(param: Any, ctx: Any, value: Any) -> tuple[str, Any]:
    try:
        got = param._runtime_param._coerce_value(value, param, ctx)
    except BadParameter as exc:
        return "refused", exc.format_message()
    except ValueError as exc:  # typer's own reading lets os.stat's "embedded null byte" out
        return "raised", str(exc)
    return "read", (type(got), got)


# One parameter of each kind (type and checks), and values that try each rule of the
# readers: signs, spaces, underscores, ".0", bounds, missing files, files for folders.
KINDS = {(p.type_descriptor.annotation, p.type_descriptor.parameter_info.min,
          p.type_descriptor.parameter_info.max, p.type_descriptor.parameter_info.exists,
          p.type_descriptor.parameter_info.file_okay, p.type_descriptor.parameter_info.dir_okay):
         (ctx, p) for _, ctx, p in PARAMS}
TRICKY = ["1", "0", "-1", "+3", "007", "24", "25", "4", "5", " 3", "3 ", "1_0", "1.0", "1.5",
          "", " ", "x", "１２", "٣", "9" * 19, "9" * 30, "true", "yes", "0x1", "-0",
          ".", "..", "/", "/nonexistent/dir", "pyproject.toml", "src", "src/", "src/./cmscore",
          "pyproject.toml/", "-", "a\x00b", "月份", True, False, 3]


@pytest.mark.parametrize("kind", sorted(KINDS, key=str), ids=str)
@pytest.mark.parametrize("value", TRICKY, ids=repr)
def test_quick_reading_matches_typer_on_tricky_values(kind: Any, value: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    ctx, param = KINDS[kind]
    assert _quick_reads(param, ctx, value) == _typer_reads(param, ctx, value)


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("0123456789+-_. \t/xa月\n"), max_size=8))
@example(text="12")
def test_quick_reading_matches_typer_on_any_text(text: str) -> None:
    for ctx, param in KINDS.values():
        assert _quick_reads(param, ctx, text) == _typer_reads(param, ctx, text), param.name


# Runs the command given before "--"; then says which of the modules after it were imported.
PROBE = ("import sys\n"
         "from cmscore.cli import app\n"
         "at = sys.argv.index('--')\n"
         "args, sys.argv[1:] = sys.argv[1:at], sys.argv[at + 1:]\n"
         "try:\n"
         "    app(args)\n"
         "except SystemExit as exc:\n"
         "    print('exit', exc.code)\n"
         "print(sorted(set(sys.argv[1:]) & set(sys.modules)))\n")


def test_a_command_run_does_not_import_typer_adapters(tmp_path: Path) -> None:
    """Options of every type read (int with bounds, str, Path with checks, bool) and the
    command run to its end: pydantic's TypeAdapter machinery was never imported."""
    ran = subprocess.run([sys.executable, "-c", PROBE, "summary", "--year", "2026",
                          "--quarter", "3", "--db", str(tmp_path / "none.db"),
                          "--out", str(tmp_path), "--", "typer._adapters"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert ran.stdout.splitlines()[-2:] == ["exit 1", "[]"], ran.stdout + ran.stderr
    assert "none.db" in ran.stderr  # refused by the command (no store), not by the parser


def test_score_json_imports_no_library_it_does_not_use(tmp_path: Path) -> None:
    """``score --json`` prints no table, reads no cmscore.toml, has typer read its options
    and takes its rules from the compiled-rules cache: rich, tomllib, statistics, typer's
    pydantic adapters and pydantic itself stay unimported."""
    from cmscore.rules.ruleset import load_rules

    load_rules()  # the shipped rules checked and cached (this test run's cache)
    example = Path(__file__).resolve().parent.parent / "examples" / "2026-10.xlsx"
    unused = ["rich", "rich.text", "tomllib", "statistics", "typer._adapters", "pydantic",
              "pydantic_core"]
    ran = subprocess.run([sys.executable, "-c", PROBE, "score", str(example), "--db",
                          str(tmp_path / "c.db"), "--out", str(tmp_path), "--json", "--", *unused],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.stdout.splitlines()[-1] == "[]", ran.stdout[-300:] + ran.stderr
    assert (tmp_path / "scores-2026-10.xlsx").exists()


def _names() -> list[str]:
    return sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", _names())
def test_a_run_builds_only_its_command_and_says_the_same(name: str, cli_runner: Any) -> None:
    """``main`` gives typer only the command named (``cli.only``): its help, a sub-command's
    help and its usage errors are the whole app's, word for word."""
    from cmscore.cli import only

    one = only(name)
    assert [c.callback.__name__ for c in one.registered_commands] + \
        [g.name for g in one.registered_groups] != []
    assert len(one.registered_commands) + len(one.registered_groups) == 1
    whole = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    asks = [[name, "--help"], [name, "--bogus"], [name]]
    asks += [[name, sub, "--help"] for sub in getattr(whole, "commands", {})]
    asks += [[name, sub, "--bogus"] for sub in getattr(whole, "commands", {})]
    for args in asks:
        said, alone = cli_runner.invoke(app, args), cli_runner.invoke(one, args)
        assert (alone.exit_code, alone.stdout, alone.stderr) == \
            (said.exit_code, said.stdout, said.stderr), args


def test_the_whole_app_answers_what_no_single_command_can() -> None:
    from cmscore.cli import only

    for first in ("", "--help", "--version", "scor", "frobnicate"):
        assert only(first) is app


def test_a_command_that_says_a_line_imports_no_rich(tmp_path: Path) -> None:
    """``db migrate`` says one plain line: written by ``console.Lines`` itself, the same
    line rich would print, and rich (≈ 180 M instructions) is never imported."""
    from cmscore.store import db

    db.connect(tmp_path / "c.db").close()
    ran = subprocess.run([sys.executable, "-c", PROBE, "db", "migrate", "--db",
                          str(tmp_path / "c.db"), "--", "rich", "rich.console"],
                         capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert ran.stdout.splitlines() == [f"历史库已是结构版本 {db.SCHEMA_VERSION}，无需升级。",
                                       "exit 0", "[]"], ran.stdout + ran.stderr


LINE = st.text(alphabet=st.sampled_from(list("ab 中文，：。/[]()_-.%'\"\\*<>{}|;#@!?&=+~`"
                                             "\n:\t\r\x1b\x08\u200b\u3000\u202e😀\u0301")),
               max_size=120)


@settings(max_examples=400, deadline=None)
@given(line=LINE, stderr=st.booleans(), markup=st.sampled_from([None, False]))
@example(line="已备份到 /tmp/x.db", stderr=False, markup=None)
@example(line="a:smile:b\tc", stderr=False, markup=False)
def test_a_plain_line_is_what_rich_prints(line: str, stderr: bool, markup: bool | None) -> None:
    """Whether ``Lines`` writes a line itself or hands it to rich, the bytes are rich's."""
    import contextlib
    import io

    from cmscore.console import make_console

    said = []
    for console in (make_console(stderr), make_console(stderr).rich()):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            console.print(line, soft_wrap=True, **({} if markup is None else {"markup": markup}))
        said.append((out.getvalue(), err.getvalue()))
    assert said[0] == said[1]
