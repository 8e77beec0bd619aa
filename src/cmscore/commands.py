"""The command classes behind ``cli``: help and usage errors in Chinese, and each
command's store, output folder and rules filled in from the office's setup.

Typer ships its own copy of click with English strings and no gettext, so the words
are replaced where they are written: the usage line, the section headings, the help
option, and each usage error re-said from what it carries (which option, which value).
The setup is filled in here (``console.fill_setup``, which ``cli.quick`` calls too), once,
for every command that has ``--db``, ``--out`` or ``--rules``, so no command body repeats it.

Each option's value is read by ``QuickParam`` (below), not by typer's pydantic adapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer import _click
from typer._click import exceptions as click_errors
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import TyperCommand, TyperGroup, _TyperParameter

OPTIONS = "[选项]"
HELP_TEXT = "显示本帮助并退出"
# What typer writes into a help line besides the option's own help.
_HELP_WORDS = {"[required]": "[必填]", "default: ": "默认：", "<path>": "<路径>",
               "<dir>": "<目录>", "<file>": "<文件>", "<str>": "<文本>", "<int>": "<整数>"}


def _words(text: str) -> str:
    for english, chinese in _HELP_WORDS.items():
        text = text.replace(english, chinese)
    return text


class _Chinese:
    """Usage line, headings and the help option of a command or group, in Chinese."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix="用法：")

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
            quicken([option])
        return option

    def format_options(self, ctx: Any, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"argument": [], "option": []}
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = param.get_help_record(ctx)
            if record is not None and param.param_type_name in sections:
                sections[param.param_type_name].append((_words(record[0]), _words(record[1])))
        for kind, heading in (("argument", "参数"), ("option", "选项")):
            if sections[kind]:
                with formatter.section(heading):
                    formatter.write_dl(sections[kind])


# A whole number as people type it: what ``int()`` and pydantic read alike (no spaces,
# underscores or ".0", which only typer's own reading is trusted with).
_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")
_UNSURE = object()


@dataclass(frozen=True)
class QuickParam(RuntimeParam):
    """An option's value (str, int, bool or Path: all cmscore's options take) read
    without typer 0.29's pydantic adapters, which cost every command ≈ 0.1 s of imports
    and a TypeAdapter per option. It accepts only what typer accepts, and gives the same
    value; anything else (a bad value, an unusual spelling) goes to typer's own reading,
    so every refusal is typer's, word for word (tests/test_cli_params.py compares them)."""

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        got = self._quick(value, param, ctx)
        if got is _UNSURE:
            got = build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)
        return got

    def _quick(self, value: Any, param: Any, ctx: Any) -> Any:
        kind, info = self.annotation, self.parameter_info
        if kind is str or kind is bool:
            return value if type(value) is kind else _UNSURE
        if kind is int:
            if type(value) is str and _WHOLE.fullmatch(value):
                value = int(value)
            if type(value) is not int or (info.min is not None and value < info.min) or \
                    (info.max is not None and value > info.max):
                return _UNSURE
            return value
        if type(value) is str:  # kind is Path: typer's checks (exists, file_okay, …)
            try:
                return coerce_cli_path(Path(value), info, path_type=Path, param=param,
                                       ctx=ctx)
            except Exception:  # typer's own reading refuses it in its words, naming the value
                return _UNSURE  # as typed (a BadParameter, or pydantic's "Value error, …")
        return _UNSURE


def quicken(params: list[Any]) -> None:
    """Give each option whose type ``QuickParam`` reads its reader now; typer would build
    its pydantic one at the first value. Other types keep typer's."""
    for param in params:
        if not isinstance(param, _TyperParameter):
            continue
        desc = param.type_descriptor
        info = desc.parameter_info
        if desc.annotation in (str, int, bool, Path) and not desc.is_file and \
                info.parser is None and not info.clamp and \
                info.path_type is None and param.nargs == 1 and not param.multiple:
            param._runtime_param = QuickParam(annotation=desc.annotation, parameter_info=info)


class Command(_Chinese, TyperCommand):
    """One cmscore command (``app.command(cls=Command)``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["options_metavar"] = OPTIONS
        super().__init__(*args, **kwargs)
        quicken(self.params)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [OPTIONS]
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = str(getattr(param, "display_name_raw", param.name))
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def invoke(self, ctx: Any) -> Any:
        from cmscore.console import fill_setup

        fill_setup(ctx.params)
        return super().invoke(ctx)


class Group(_Chinese, TyperGroup):
    """cmscore itself, ``cmscore db`` and ``cmscore rules``: the usage errors of every
    command pass through the top group, and are said in Chinese there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["options_metavar"] = OPTIONS
        kwargs["subcommand_metavar"] = "命令 [参数]..."
        super().__init__(*args, **kwargs)
        quicken(self.params)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        super().format_options(ctx, formatter)
        shown = [(name, cmd) for name in self.list_commands(ctx)
                 if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
        if shown:  # as click does: the help cut to what fits beside the widest name
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            rows = [(name, cmd.get_short_help_str(limit)) for name, cmd in shown]
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except click_errors.UsageError as exc:
            _say_in_chinese(exc)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except click_errors.UsageError as exc:
            _say_in_chinese(exc)


class UsageError(click_errors.UsageError):
    """A usage error as cmscore shows it: usage line, where to find help, the error."""

    def show(self, file: Any = None) -> None:
        lines = []
        if self.ctx is not None:
            lines.append(self.ctx.get_usage())
            lines.append(f"查看帮助：{self.ctx.command_path} --help\n")
        lines.append(f"错误：{self.message}")
        _click.echo("\n".join(lines), err=True)


def _say_in_chinese(exc: click_errors.UsageError) -> NoReturn:
    if isinstance(exc, click_errors.NoArgsIsHelpError | UsageError):  # help, or said already
        raise exc
    raise UsageError(chinese_message(exc), exc.ctx) from None


def _name(param: Any) -> str:
    if param is None:
        return ""
    if param.param_type_name == "option":
        return " / ".join(param.opts)
    return str(getattr(param, "display_name_raw", param.name))


_DETAILS = [
    (re.compile(r"^\w+ '(.*)' does not exist\.$"), "{0} 不存在"),
    (re.compile(r"^\w+ '(.*)' is a file\.$"), "{0} 是文件，这里要的是目录"),
    (re.compile(r"^\w+ '(.*)' is a directory\.$"), "{0} 是目录，这里要的是文件"),
    (re.compile(r"^\w+ '(.*)' is not readable\.$"), "{0} 没有读权限"),
    (re.compile(r"^Input should be a valid integer"), "应为整数"),
    (re.compile(r"^Input should be greater than or equal to (\S+)"), "应不小于 {0}"),
    (re.compile(r"^Input should be less than or equal to (\S+)"), "应不大于 {0}"),
    (re.compile(r"^Input should be greater than (\S+)"), "应大于 {0}"),
    (re.compile(r"^Input should be less than (\S+)"), "应小于 {0}"),
]
_MESSAGES = [
    (re.compile(r"^No such command '(.*)'\. Did you mean '(.*)'\?$"), "没有命令 {0}；是否想用 {1}？"),
    (re.compile(r"^No such command '(.*)'\.?$"), "没有命令 {0}；{path} --help 列出全部命令"),
    (re.compile(r"^Missing command\.?$"), "缺少命令；{path} --help 列出全部命令"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$"), "多余的参数：{0}"),
    (re.compile(r"^Option '(.*)' requires (?:an argument|\d+ arguments)\.$"),
     "选项 {0} 后面要跟一个值"),
    (re.compile(r"^Option '(.*)' does not take a value\.$"), "选项 {0} 不带值"),
]


def _match(table: list[tuple[re.Pattern[str], str]], text: str, path: str = "cmscore"
           ) -> str | None:
    for pattern, chinese in table:
        found = pattern.search(text)
        if found:
            return chinese.format(*found.groups(), path=path)
    return None


def chinese_message(exc: click_errors.UsageError) -> str:
    """What went wrong, in Chinese; a message no pattern knows is kept as it is."""
    param = getattr(exc, "param", None)
    if isinstance(exc, click_errors.MissingParameter):
        kind = "参数" if exc.param_type == "argument" or (
            param is not None and param.param_type_name == "argument") else "选项"
        return f"缺少{kind} {_name(param)}"
    if isinstance(exc, click_errors.NoSuchOption):
        near = f"；是否想用 {'、'.join(sorted(exc.possibilities))}？" if exc.possibilities else ""
        return f"没有选项 {exc.option_name}{near}"
    if isinstance(exc, click_errors.BadParameter):
        detail = _match(_DETAILS, exc.message) or exc.message
        return f"{_name(param)} 的值无效：{detail}" if param is not None else f"值无效：{detail}"
    path = exc.ctx.command_path if exc.ctx is not None else "cmscore"
    return _match(_MESSAGES, exc.message, path) or exc.message


def version_option(value: bool) -> None:
    """``--version``: the version and the SHA-256 of each rule file in effect."""
    if not value:
        return
    from cmscore.app.setup import version_lines
    from cmscore.console import run

    for line in run(False, version_lines):
        typer.echo(line)
    raise typer.Exit(0)
