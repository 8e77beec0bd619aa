"""`init` and `rules check` / `rules show`: an office's own setup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cmscore.cli.base import (
    JsonOpt,
    RulesOpt,
    app,
    done,
)
from cmscore.commands import Command, Group
from cmscore.console import make_console, run


@app.command("init", cls=Command)
def init_cmd(
    folder: Annotated[Path, typer.Argument(
        metavar="目录", help="要建成工作目录的文件夹；默认当前目录",
        show_default=False)] = Path("."),
    office: Annotated[str, typer.Option(
        "--office", help="机构名称（写入 cmscore.toml，用于报告标题）")] = "",
    json_: JsonOpt = False,
) -> None:
    """建立本机构的工作目录：配置文件、规则文件副本、输入和输出文件夹。

    写出 cmscore.toml、rules/（随工具发布的规则文件的副本）、inputs/、outputs/、.gitignore。在该目录（或其子目录）中运行的命令都按 cmscore.toml 找历史库、输出目录和规则，不必再写
    --db、--out、--rules。已有 cmscore.toml 或 rules/ 时拒绝，不覆盖。

    例：cmscore init 绩效考核 --office 某某分行
    """
    from cmscore.app.setup import init_office

    made = run(json_, lambda: init_office(folder, office))
    done(json_, {"folder": str(folder), "made": [str(p) for p in made]},
          f"已在 {folder.resolve()} 建立工作目录：cmscore.toml、rules/（{len(made) - 4} 个规则文件）、"
          "inputs/、outputs/、.gitignore。\n下一步：把导出文件放进 inputs/，运行 "
          "cmscore check inputs/导出文件.xlsx；有未知列时按提示改 rules/export.yaml。")


rules_app = typer.Typer(help="规则文件：校验、查看。", no_args_is_help=True,
                        rich_markup_mode=None, cls=Group)
app.add_typer(rules_app, name="rules")


@rules_app.command("check", cls=Command)
def rules_check(
    rules: Annotated[Path | None, typer.Argument(
        metavar="目录", help="规则目录；默认当前生效的规则（--rules 的默认顺序）",
        show_default=False, exists=True, file_okay=False)] = None,
    json_: JsonOpt = False,
) -> None:
    """校验一个规则目录：逐项列出问题（文件:行），有问题时退出码 1。

    例：cmscore rules check rules
    """
    from cmscore.rules.ruleset import load_rules

    loaded = run(json_, lambda: load_rules(rules))
    done(json_, {"rules": loaded.directory, "ok": True, "hashes": loaded.hashes},
          f"规则目录 {loaded.directory}：{len(loaded.hashes)} 个文件，检查通过。")


@rules_app.command("show", cls=Command)
def rules_show(rules: RulesOpt = None) -> None:
    """按制度附件的样式列出当前生效的计分表（附件1–3：项目、满分、高限、考核标准）和导出格式。

    例：cmscore rules show；cmscore rules show --rules 新规则
    """
    from cmscore.outputs.rulestables import rule_tables
    from cmscore.rules.ruleset import load_rules

    loaded = run(False, lambda: load_rules(rules))
    console = make_console(False)
    for part in rule_tables(loaded):
        console.print(part, soft_wrap=isinstance(part, str))
