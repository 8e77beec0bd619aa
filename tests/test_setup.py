"""An office's setup: `cmscore init`, `cmscore.toml` and the order the store, output
folder and rules are found in; `rules check`/`show`, `--version`, and reads that must
not create a store."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from cmscore import __version__
from cmscore.cli import app
from cmscore.commands import Command, Group
from cmscore.rules.ruleset import DEFAULT_DIR, load_rules
from conftest import EXAMPLES, HEADERS, Cli, row, stored_months, write_xlsx
from test_docs import _commands

RULE_FILES = sorted(p.name for p in DEFAULT_DIR.glob("*.yaml"))


def run(args: list[Any], code: int, **env: str) -> Any:
    """cmscore with these environment variables (and CMSCORE_DB/CMSCORE_RULES unset
    unless given)."""
    runner = CliRunner(env={"COLUMNS": "2000", "NO_COLOR": "1", "CMSCORE_DB": None,
                            "CMSCORE_RULES": None, **env})
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder made by ``cmscore init``, the working directory of the test."""
    folder = tmp_path / "绩效考核"
    run(["init", folder, "--office", "城东分行"], 0)
    monkeypatch.chdir(folder)
    return folder


# --- init ---------------------------------------------------------------------------------------


def test_init_makes_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "office"
    result = run(["init", folder], 0)
    assert result.stdout.startswith(f"已在 {folder.resolve()} 建立工作目录：cmscore.toml、rules/"
                                    f"（{len(RULE_FILES)} 个规则文件）、inputs/、outputs/")
    assert sorted(p.name for p in folder.iterdir()) == \
        [".gitignore", "cmscore.toml", "inputs", "outputs", "rules"]
    assert sorted(p.name for p in (folder / "rules").iterdir()) == RULE_FILES
    assert not any((folder / "inputs").iterdir()) and not any((folder / "outputs").iterdir())
    toml = (folder / "cmscore.toml").read_text(encoding="utf-8")
    assert 'db = "cmscore.db"' in toml and 'out = "outputs"' in toml and 'rules = "rules"' in toml
    ignored = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "*.db" in ignored and "*.db.lock" in ignored
    # Each copy says what to edit at its top, and still loads as the shipped rules do.
    export = (folder / "rules" / "export.yaml").read_text(encoding="utf-8")
    assert export.startswith("# 本机构核心系统导出文件的样式。") and "ignore_columns" in \
        export.splitlines()[0] + export.splitlines()[1]
    assert (folder / "rules" / "1-zhihang.yaml").read_text(encoding="utf-8") \
        .startswith("# 本机构的计分表")
    assert load_rules(folder / "rules").tables.keys() == load_rules().tables.keys()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    run(["init", tmp_path], 0)
    (tmp_path / "rules" / "export.yaml").write_text("edited", encoding="utf-8")
    result = run(["init", tmp_path], 1)
    assert "已存在：这里已经是一个 cmscore 工作目录，不会覆盖" in result.stderr
    assert (tmp_path / "rules" / "export.yaml").read_text(encoding="utf-8") == "edited"


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    assert "a.txt 是一个文件，不是文件夹" in run(["init", tmp_path / "a.txt"], 1).stderr


def test_init_adds_to_an_existing_gitignore(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pdf\n*.db\n", encoding="utf-8")
    run(["init", tmp_path], 0)
    lines = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ["*.pdf", "*.db"] and lines.count("*.db") == 1 and "*.db.lock" in lines


# --- the first month in a new office ------------------------------------------------------------


def test_score_with_no_options_uses_the_setup(office: Path) -> None:
    inside = office / "inputs"
    shutil.copy(EXAMPLES / "2026-10.xlsx", inside)
    # From a sub-folder, as from the folder itself: cmscore.toml is found above.
    (inside / "深处").mkdir()
    os.chdir(inside / "深处")
    run(["score", "../2026-10.xlsx", "--quiet"], 0)
    assert stored_months(office / "cmscore.db") == ["2026-10"]
    assert sorted(p.name for p in (office / "outputs").iterdir()) == \
        ["scores-2026-10.xlsx", "公示-2026-10.xlsx"]
    assert not (inside / "深处" / "cmscore.db").exists()


def test_the_report_is_titled_with_the_office(office: Path) -> None:
    run(["score", EXAMPLES / "worked-example.xlsx", "--quiet"], 0)
    run(["report"], 0)
    html = (office / "outputs" / "report-2026-10.html").read_text(encoding="utf-8")
    assert "<title>城东分行 2026年10月 客户经理考核报告</title>" in html


def test_an_unknown_column_names_the_file_to_edit_and_one_edit_accepts_it(office: Path) -> None:
    header = [*HEADERS, "手机号", "所属部门"]
    export = write_xlsx(office / "inputs" / "2026-10.xlsx", header,
                        [row() + ["13800000000", "个金部"]])
    refused = run(["check", export, "--json"], 1).stdout
    for column in ("手机号", "所属部门"):
        assert (f"未知列「{column}」：规则文件中没有项目读取它。如是无关列，请把它加入 "
                "rules/export.yaml 的 ignore_columns；如是业务列，请把它加入 rules/1-zhihang.yaml "
                "中对应项目 columns 的别名（当前规则：cmscore rules show）") in refused
    rules = office / "rules" / "export.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("ignore_columns: [序号,", "ignore_columns: [手机号, 所属部门, 序号,"),
                     encoding="utf-8")
    assert "检查通过" in run(["check", export], 0).stdout


def test_with_the_shipped_rules_the_message_says_to_init_first(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    monkeypatch.chdir(tmp_path)
    export = write_xlsx(tmp_path / "2026-10.xlsx", [*HEADERS, "手机号"], [row() + ["138"]])
    said = run(["check", export, "--json"], 1).stdout
    assert "当前使用的是随工具发布的规则（装在程序里，不能修改）：请先运行 cmscore init" in said
    assert "rules/export.yaml 的 ignore_columns" in said


def test_a_missing_column_names_the_table_file_and_the_item(office: Path) -> None:
    header = [h for h in HEADERS if h != "银行卡"]
    data = [[v for h, v in zip(HEADERS, row(), strict=True) if h != "银行卡"]]
    export = write_xlsx(office / "inputs" / "2026-10.xlsx", header, data)
    said = run(["check", export, "--json"], 1).stdout
    assert "如导出文件用的是别的列名，请把它加入 rules/1-zhihang.yaml 中项目 cards 的 columns" in said


# --- precedence: option > environment > cmscore.toml > default ----------------------------------


def test_store_and_output_precedence(office: Path, tmp_path: Path) -> None:
    source = EXAMPLES / "worked-example.xlsx"
    run(["score", source, "--quiet"], 0)  # cmscore.toml
    assert stored_months(office / "cmscore.db") == ["2026-10"]
    env_db = tmp_path / "env.db"
    run(["score", source, "--quiet"], 0, CMSCORE_DB=str(env_db))  # environment over toml
    assert stored_months(env_db) == ["2026-10"]
    option_db, option_out = tmp_path / "opt.db", tmp_path / "opt-out"
    run(["score", source, "--quiet", "--db", option_db, "--out", option_out], 0,
        CMSCORE_DB=str(env_db))  # option over environment
    assert stored_months(option_db) == ["2026-10"]
    assert sorted(p.name for p in option_out.iterdir()) == \
        ["scores-2026-10.xlsx", "公示-2026-10.xlsx"]
    assert sorted(p.name for p in (office / "outputs").iterdir()) == \
        ["scores-2026-10.xlsx", "公示-2026-10.xlsx"]


def test_rules_precedence(office: Path, tmp_path: Path) -> None:
    env_rules, option_rules = tmp_path / "env-rules", tmp_path / "opt-rules"
    shutil.copytree(DEFAULT_DIR, env_rules)
    shutil.copytree(DEFAULT_DIR, option_rules)
    assert f"规则目录 {office / 'rules'}：" in run(["rules", "check"], 0).stdout
    assert f"规则目录 {env_rules}：" in \
        run(["rules", "check"], 0, CMSCORE_RULES=str(env_rules)).stdout
    assert f"规则目录 {option_rules}：" in \
        run(["rules", "check", option_rules], 0, CMSCORE_RULES=str(env_rules)).stdout
    said = run(["score", EXAMPLES / "worked-example.xlsx"], 1, CMSCORE_RULES="没有").stderr
    assert "错误：环境变量 CMSCORE_RULES 指向的规则目录 没有 不存在" in said


def test_with_no_setup_the_defaults_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert f"规则目录 {DEFAULT_DIR}：" in run(["rules", "check"], 0).stdout
    run(["score", EXAMPLES / "worked-example.xlsx", "--quiet"], 0)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == \
        ["cmscore.db", "scores-2026-10.xlsx", "公示-2026-10.xlsx"]


def test_a_broken_config_is_named(office: Path) -> None:
    (office / "cmscore.toml").write_text('db = "a.db"\nrulez = "rules"\n', encoding="utf-8")
    said = run(["score", EXAMPLES / "worked-example.xlsx"], 1).stderr
    assert "配置文件有误：共 1 处问题" in said
    assert "未知的键 rulez（拼写错误？）；可用的键：office、db、out、rules" in said
    doc = json.loads(run(["score", EXAMPLES / "worked-example.xlsx", "--json"], 1).stdout)
    assert doc["error"] == "配置文件有误"
    assert [(p["file"], p["column"]) for p in doc["problems"]] == \
        [(str(office / "cmscore.toml"), "rulez")]
    assert not (office / "a.db").exists()
    (office / "cmscore.toml").write_text('rules = "没有这个目录"\n', encoding="utf-8")
    said = run(["rules", "check"], 1).stderr
    assert f"错误：{office / 'cmscore.toml'} 的 rules 指向的规则目录 {office / '没有这个目录'} " \
           "不存在" in said


# --- rules check, rules show, --version ---------------------------------------------------------


def test_rules_check_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, broken)
    table = broken / "1-zhihang.yaml"
    table.write_text(table.read_text(encoding="utf-8").replace("cap: 20", "cap: 5", 1),
                     encoding="utf-8")
    payroll = broken / "payroll.yaml"
    payroll.write_text(payroll.read_text(encoding="utf-8") + "bonus: 1\n", encoding="utf-8")
    result = run(["rules", "check", broken], 1)
    lines = result.stderr.splitlines()
    item_at = table.read_text(encoding="utf-8").splitlines().index("      - id: loan_households")
    assert lines == [
        f"错误：1-zhihang.yaml:{item_at + 1}: groups.0.items.0: 满分 full=10 大于高限 cap=5",
        f"错误：payroll.yaml:{len(payroll.read_text(encoding='utf-8').splitlines())}: bonus: "
        "未知的键（拼写错误？）",
    ]
    assert run(["rules", "check", DEFAULT_DIR], 0).stdout == \
        f"规则目录 {DEFAULT_DIR}：{len(RULE_FILES)} 个文件，检查通过。\n"


def test_rules_show_prints_the_attachments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.chdir(tmp_path)
    shown = run(["rules", "show"], 0).stdout
    for title in ("附件1 支行客户经理考核计分表", "附件2", "附件3"):
        assert title in shown
    assert "│ 贷款类（40分）" in shown and "│ 放款户数" in shown
    assert "每新增1户计2.5分；提前完成年度任务（48户）的，按满分加本月新增计" in shown
    assert "= 0%：6分；> 0% 且 < 0.5%：3分" in shown
    assert "不读取的列（ignore_columns）：序号、备注、联系电话、职务、入职日期" in shown


def test_version_prints_the_rule_hashes(office: Path) -> None:
    lines = run(["--version"], 0).stdout.splitlines()
    assert lines[0] == f"cmscore {__version__}"
    assert lines[1] == f"规则目录：{office / 'rules'}"
    assert lines[2:] == [f"  {p.name}  sha256 {hashlib.sha256(p.read_bytes()).hexdigest()}"
                         for p in sorted((office / "rules").glob("*.yaml"))]


# --- a read finds no store: nothing created -----------------------------------------------------


@pytest.mark.parametrize("args", [
    ["grade", "--months", "6"], ["payroll"], ["explain", "E001"], ["report"],
    ["close", "2026-10"], ["reopen", "2026-10", "--reason", "补报"],
])
def test_a_read_with_no_store_creates_nothing(args: list[str], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    said = run([*args, "--db", "sub/nothere.db"], 1).stderr
    assert said == "错误：历史库 sub/nothere.db 不存在；请先运行 cmscore score 计分，或用 --db" \
                   "（或 cmscore.toml 的 db）指向已有的历史库\n"
    assert list(tmp_path.iterdir()) == []


# --- the command line in Chinese ----------------------------------------------------------------


def test_help_is_in_chinese(cli: Cli) -> None:
    top = cli("--help", code=0).stdout
    assert top.startswith("用法：cmscore [选项] 命令 [参数]...\n")
    assert "  --help     显示本帮助并退出" in top and "\n命令:\n" in top
    score = cli("score", "--help", code=0).stdout
    assert score.startswith("用法：cmscore score [选项] 文件\n")
    assert "  文件 <路径>  当月导出文件" in score and "[必填]" in score
    assert "Show this message" not in score and "Usage" not in score and "{file}" not in score


def test_every_command_speaks_chinese() -> None:
    """A command added without ``cls=Command`` would show English help and skip the setup."""
    for name, command in _commands().items():
        assert isinstance(command, Command), f"cmscore {name}: @app.command(..., cls=Command)"
    top = typer.main.get_group(app)
    assert isinstance(top, Group)
    assert all(isinstance(top.commands[name], Group) for name in ("db", "rules"))
