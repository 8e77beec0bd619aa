"""The command line's common parts: the Typer app, the options every command shares, and
how a command that only says "done" says it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cmscore.commands import Group, version_option
from cmscore.console import make_console, print_json, shown

app = typer.Typer(
    name="cmscore",
    help="客户经理考核计分、定级与绩效工资（cmscore）。\n\n"
         "例：cmscore score 2026-10.xlsx；cmscore check 2026-10.xlsx",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    cls=Group,
)



@app.callback()
def _top(version: Annotated[bool, typer.Option(
        "--version", help="显示版本号和当前生效的各规则文件的 SHA-256，然后退出",
        callback=version_option, is_eager=True)] = False) -> None:
    """Options of cmscore itself (before the command)."""

DbOpt = Annotated[Path | None, typer.Option(
    "--db", help="历史库（SQLite）路径；默认 $CMSCORE_DB，其次 cmscore.toml 的 db，"
             "再次当前目录的 cmscore.db", show_default=False)]
RulesOpt = Annotated[Path | None, typer.Option(
    "--rules", help="规则文件目录；默认 $CMSCORE_RULES，其次 cmscore.toml 的 rules，"
                    "再次随工具发布的附件1–3规则", show_default=False,
    exists=True, file_okay=False)]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="输出目录；默认 cmscore.toml 的 out，其次当前目录", show_default=False,
    file_okay=False)]
JsonOpt = Annotated[bool, typer.Option(
    "--json", help="在标准输出打印一个 JSON 文档（人读的内容转到标准错误）")]
MonthOpt = Annotated[str | None, typer.Option(
    "--month", help="月份 YYYY-MM；默认取文件标题或文件名中的年月", show_default=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="不打印汇总表")]


def done(json_mode: bool, doc: dict[str, Any], message: str) -> None:
    if json_mode:
        print_json(doc)
    else:
        make_console(False).print(shown(message), soft_wrap=True)

