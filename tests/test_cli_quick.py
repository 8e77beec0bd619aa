"""``cli.quick``: a plainly well-formed ``score``, ``grade`` or ``payroll`` line is read and
run without typer, with the values typer would give; every other line (help, a refusal,
anything unusual) is left to typer, so what cmscore says about it is typer's, word for word."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cmscore.cli import app, quick

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "2026-10.xlsx"


def _typer_command(name: str) -> Any:
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


def _declared(name: str) -> tuple[tuple[str, Any] | None, dict[str, tuple[str, Any]],
                                  dict[str, Any]]:
    """What typer declares for ``name``, in ``quick.COMMANDS``'s terms."""
    command = _typer_command(name)
    argument: tuple[str, Any] | None = None
    options: dict[str, tuple[str, Any]] = {}
    defaults: dict[str, Any] = {}
    for param in command.params:
        desc, info = param.type_descriptor, param.type_descriptor.parameter_info
        # Nothing the quick reading does not do: no env var, callback, prompt, repeat.
        assert (param.envvar, param.callback, param.is_eager, param.multiple, param.nargs) == \
            (None, None, False, False, 1), param.name
        assert getattr(param, "prompt", None) is None and info.parser is None
        if desc.annotation is Path:
            assert (info.readable, info.writable, info.resolve_path, info.allow_dash) == \
                (True, False, False, False), param.name
            kind: Any = (info.exists, info.file_okay, info.dir_okay)
        elif desc.annotation is int:  # a range typer refuses beyond (not clamped)
            assert not info.clamp, param.name
            kind = ("int", param.min, param.max)
        else:
            assert desc.annotation in (str, bool), param.name
            kind = desc.annotation
        if param.param_type_name == "argument":
            assert argument is None and param.required
            argument = (param.name, kind)
            continue
        assert not param.secondary_opts, param.name
        assert param.is_flag == (kind is bool), param.name
        options.update({spelling: (param.name, kind) for spelling in param.opts})
        if not param.required:  # a required option has no default: quick asks for it
            defaults[param.name] = param.default
    return argument, options, defaults


@pytest.mark.parametrize("name", sorted(quick.COMMANDS))
def test_each_quick_option_is_the_one_typer_declares(name: str) -> None:
    """A new option, a changed spelling, default or path check in ``cli`` fails here until
    ``quick.COMMANDS`` says the same."""
    where, argument, options, defaults = quick.COMMANDS[name]
    assert (argument, options, defaults) == _declared(name)
    module, function = where.split(":")
    body = getattr(__import__(module, fromlist=[function]), function)
    # The quick path calls the function typer's command calls, with the same names.
    typer_names = list(inspect.signature(_typer_command(name).callback).parameters)
    assert list(inspect.signature(body).parameters) == typer_names


def _typer_reads(args: list[str]) -> dict[str, Any] | None:
    """The values typer's ``score`` gives the command, or None where it says something
    instead (a refusal, help)."""
    from typer._click.exceptions import ClickException
    from typer.exceptions import Exit

    try:
        with _typer_command(args[0]).make_context(args[0], args[1:]) as ctx:
            return dict(ctx.params)
    except (ClickException, Exit):
        return None
    except ValueError:  # typer's reading lets os.stat's "embedded null byte" out
        return None


def _read_alike(args: list[str]) -> None:
    """What the quick reading takes, typer takes with the same values; what typer refuses
    (or answers with help), the quick reading leaves to typer."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        quick_read = quick.parse(args)
        typer_read = _typer_reads(args)
    if quick_read is not None:
        assert quick_read[1] == typer_read, args
    if typer_read is None:
        assert quick_read is None, args


TOKENS = ["--month", "2026-10", "--replace", "--allow-gap", "--accept-roster-change", "--db",
          "--rules", "--out", "--json", "--quiet", "-q", "--tasks", "--replace-tasks",
          "--db=c.db", "--help", "-h", "--bogus", "--", "-", "", "-qq", "--no-json", "--Json",
          "c.db", "src", "src/", "rules", "pyproject.toml", "pyproject.toml/", "nowhere/x",
          "examples/2026-10.xlsx", "a\x00b", "-1", "月份", " ", "--version", "2026-10.xlsx"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
@example(["examples/2026-10.xlsx", "--db", "c.db", "--out", "src", "--json"])
@example(["examples/2026-10.xlsx", "--rules", "rules", "--month", "2026-10", "-q"])
@example(["--out", "pyproject.toml", "examples/2026-10.xlsx"])   # typer: a file, not a folder
@example(["--rules", "nowhere/x", "examples/2026-10.xlsx"])      # typer: does not exist
@example(["--rules", "pyproject.toml", "examples/2026-10.xlsx"])
@example(["examples/2026-10.xlsx", "--json", "--json"])           # typer takes it; quick not
@example(["examples/2026-10.xlsx", "--month", "--json"])          # typer: month "--json"
@example(["examples/2026-10.xlsx", "--help"])
@example(["a\x00b"])
@example([])
def test_quick_and_typer_read_a_score_line_alike(tokens: list[str]) -> None:
    """Whatever the quick reading takes, typer takes with the same values; whatever typer
    refuses (or answers with help) the quick reading leaves to typer."""
    _read_alike(["score", *tokens])


RESULT_TOKENS = ["--months", "12", "6", "0", "25", "+6", "06", "1_2", "６", "--end", "2026-06",
                 "--month", "2026-10", "--replace", "--db", "c.db", "--rules", "rules", "--out",
                 "src", "--json", "--quiet", "-q", "--roster", "--supervisors",
                 "examples/roster-2026.csv", "examples", "nowhere/x", "--months=6", "--help",
                 "--bogus", "--", "", "-1", "x"]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["grade", "payroll"]), st.lists(st.sampled_from(RESULT_TOKENS), max_size=7))
@example("grade", ["--months", "12", "--end", "2026-06", "--db", "c.db", "--quiet"])
@example("grade", ["--months", "24", "--roster", "examples/roster-2026.csv", "--json"])
@example("grade", ["--months", "25"])                        # typer: out of range
@example("grade", ["--months", "+6"])                        # typer: 6; quick leaves it
@example("grade", ["--end", "2026-06"])                      # typer: --months missing
@example("payroll", ["--month", "2026-10", "--supervisors", "examples/roster-2026.csv"])
@example("payroll", ["--supervisors", "examples"])           # typer: a folder
@example("payroll", ["--supervisors", "nowhere/x"])          # typer: does not exist
@example("payroll", ["x"])                                   # typer: no argument taken
def test_quick_and_typer_read_a_grade_or_payroll_line_alike(name: str, tokens: list[str]) -> None:
    """As for ``score``: what the quick reading takes, typer takes with the same values;
    what typer refuses, the quick reading leaves to typer."""
    _read_alike([name, *tokens])


def test_the_usual_lines_are_taken_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a reading that leaves everything to typer: the lines people and bench.py type."""
    monkeypatch.chdir(ROOT)
    for tokens in (["examples/2026-10.xlsx"], ["examples/2026-10.xlsx", "--json", "--db", "c.db"],
                   ["--quiet", "examples/2026-10.xlsx", "--out", "src", "--month", "2026-10",
                    "--replace", "--allow-gap", "--accept-roster-change", "--replace-tasks",
                    "--tasks", "examples/tasks/任务下达-2026.csv", "--rules", "rules"]):
        assert quick.parse(["score", *tokens]) is not None, tokens
    assert quick.parse(["grade", "--months", "12", "--db", "c.db", "--quiet"]) is not None
    assert quick.parse(["payroll", "--month", "2026-10", "--out", "src"]) is not None
    assert quick.parse(["check", "examples/2026-10.xlsx"]) is None  # typer's: not known here
    monkeypatch.setenv("_CMSCORE_COMPLETE", "bash_complete")   # shell completion is typer's
    assert quick.parse(["score", "examples/2026-10.xlsx"]) is None


# The console script, then which of the modules named after "--" were imported.
PROBE = ("import os, sys\n"
         "at = sys.argv.index('--')\n"
         "names, sys.argv[1:] = sys.argv[at + 1:], sys.argv[1:at]\n"
         "leave = os._exit\n"
         "def _exit(code):\n"
         "    print(sorted(set(names) & set(sys.modules)), code, file=sys.stderr)\n"
         "    leave(code)\n"
         "os._exit = _exit\n"
         "from cmscore.cli import main\n"
         "main()\n")


def test_a_plain_score_runs_without_typer(tmp_path: Path) -> None:
    """Nor does it import ``engine.results`` (five dataclasses made at import for explain,
    diff and summary; a new month restates nothing)."""
    ran = subprocess.run([sys.executable, "-c", PROBE, "score", str(EXAMPLE), "--db",
                          str(tmp_path / "c.db"), "--out", str(tmp_path), "--json", "--",
                          "typer", "click", "typer._click", "cmscore.engine.results"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.stderr.splitlines()[-1] == "[] 0", ran.stderr
    assert json.loads(ran.stdout)["month"] == "2026-10"
    assert (tmp_path / "scores-2026-10.xlsx").exists()


def test_a_plain_grade_and_payroll_run_without_typer_and_say_what_typer_would(
        tmp_path: Path, cli_runner: Any) -> None:
    """The same stored six months graded and paid through the console script (quick) and
    through the whole typer app, each on its own copy: the same JSON, and no typer."""
    import shutil

    from history_helpers import cm, span, store_months

    first = store_months(tmp_path / "a.db", {m: {f"00{k:04d}": cm(f"{40 + k * 3 + n}.00")
                                                  for k in range(12)}
                                              for n, m in enumerate(span("2026-01", "2026-06"))})
    second = tmp_path / "b.db"
    shutil.copy(first, second)
    said = []
    for db, out in ((first, tmp_path / "quick"), (second, tmp_path / "typer")):
        lines = (["grade", "--months", "6", "--end", "2026-06", "--db", str(db), "--out",
                  str(out), "--json"],
                 ["payroll", "--month", "2026-06", "--db", str(db), "--out", str(out), "--json"])
        if db == first:
            runs = [subprocess.run([sys.executable, "-c", PROBE, *line, "--", "typer", "click"],
                                   capture_output=True, text=True, timeout=120, cwd=tmp_path)
                    for line in lines]
            assert [r.stderr.splitlines()[-1] for r in runs] == ["[] 0", "[] 0"], runs
            said.append([json.loads(r.stdout) for r in runs])
        else:
            said.append([json.loads(cli_runner.invoke(app, line).stdout) for line in lines])
    assert said[0] == said[1]
    assert said[0][1]["month"] == "2026-06" and len(said[0][1]["managers"]) == 12


@pytest.mark.parametrize("tokens", [
    ["score", "--out", "pyproject.toml", str(EXAMPLE)],
    ["score", str(EXAMPLE), "--bogus"],
    ["score", str(EXAMPLE), "--db"],
    ["score", "--json"],
    ["score", str(EXAMPLE), "--help"],
    ["grade", "--months", "25"],
    ["grade", "--end", "2026-06"],
    ["grade", "--months", "6", "--help"],
    ["payroll", "x"],
    ["payroll", "--supervisors", "src"],
])
def test_what_typer_says_about_a_quick_command_line_is_said_by_the_console_script(
        tokens: list[str]) -> None:
    """Through ``main`` (where ``cli.quick`` looks first) a refused or help line gets
    typer's answer: the same words and exit code as the whole typer app's, run alike."""
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "2000", "NO_COLOR": "1"}
    script = Path(sys.executable).parent / "cmscore"
    ran = subprocess.run([str(script), *tokens],
                         capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    whole = subprocess.run([sys.executable, "-c", "import sys\nfrom cmscore.cli import app\n"
                            "app(prog_name='cmscore')", *tokens],
                           capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert (ran.returncode, ran.stdout, ran.stderr) == \
        (whole.returncode, whole.stdout, whole.stderr), tokens
    assert ran.returncode in (0, 2) and (ran.stdout + ran.stderr).strip()


@pytest.mark.parametrize(("raised", "code", "said"), [(KeyboardInterrupt, 130, ""),
                                                      (EOFError, 1, "\nAborted!\n")])
def test_an_interrupted_quick_run_ends_as_typer_ends_it(
        raised: type[BaseException], code: int, said: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], cli_runner: Any, tmp_path: Path) -> None:
    """Ctrl-C (130, nothing said) and an end of input (1, "Aborted!"): the exit typer's
    own ``main`` gives a command that raises them."""
    from cmscore.cli import scorebody

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise raised

    monkeypatch.setattr(scorebody, "score", interrupted)
    args = ["score", str(EXAMPLE), "--db", str(tmp_path / "c.db"), "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as ended:
        quick.run(args)
    assert (ended.value.code, capsys.readouterr().err) == (code, said)
    typer_said = cli_runner.invoke(app, args)
    assert (typer_said.exit_code, typer_said.stderr) == (code, said)
