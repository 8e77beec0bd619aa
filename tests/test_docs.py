"""Every command is documented in the README, and every option has help text."""

from pathlib import Path

import typer.main

from cmscore.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> dict[str, object]:
    group = typer.main.get_group(app)
    out: dict[str, object] = {}
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        if sub:
            out.update({f"{name} {n}": c for n, c in sub.items()})
        else:
            out[name] = command
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name in _commands() if f"cmscore {name}" not in README]
    assert missing == []


def test_every_option_has_help_and_every_command_an_example() -> None:
    for name, command in _commands().items():
        assert "例：" in (command.help or ""), name  # type: ignore[attr-defined]
        for param in command.params:  # type: ignore[attr-defined]
            if param.param_type_name == "option" and param.name != "help":
                assert getattr(param, "help", None), f"{name} {param.name}"
