"""`init`: an office's working folder; and ``--version``'s lines.

The folder ``cmscore init`` makes is everything an office edits or keeps: its own copy
of the rule files (the shipped ones live inside the installed package, where an edit
would be lost at the next upgrade), where exports go in and workbooks come out, and a
``cmscore.toml`` that every command run inside the folder finds.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from cmscore import __version__
from cmscore.app.config import CONFIG_NAME, resolve
from cmscore.problems import fail
from cmscore.rules.ruleset import DEFAULT_DIR as SHIPPED

_TOML = """\
# cmscore 工作目录配置。在本目录或其子目录中运行的 cmscore 命令都读取本文件。
# 路径相对于本文件所在的目录。优先顺序：命令行选项（--db、--out、--rules）
# > 环境变量（CMSCORE_DB、CMSCORE_RULES）> 本文件 > 内置默认值。
{office}
db = "cmscore.db"        # 历史库：每月得分、定级、工资都存在这里，请定期 cmscore db backup
out = "outputs"          # 输出目录：scores-、grades-、payroll-、report- 文件写到这里
rules = "rules"          # 规则文件目录：本机构的附件1–3、导出格式和工资标准
"""

_GITIGNORE = """\
# cmscore：历史库（含全体客户经理的得分和工资）、它的锁文件和 SQLite 的临时文件
*.db
*.db-wal
*.db-shm
*.db.lock
"""

# What to edit in each kind of rule file, written at the top of the office's copy.
_HEADNOTES = {
    "table": "# 本机构的计分表（见 cmscore rules show）。可改：full（满分）、cap（高限）、\n"
             "# rate / unit 或 tiers（考核标准）；导出文件的列名与这里不同时，把它加入该项目\n"
             "# columns 下的别名列表。改完运行 cmscore rules check，再用 cmscore diff 看影响。\n",
    "export": "# 本机构核心系统导出文件的样式。导出文件有规则不读取的列（如 手机号、所属部门）时，\n"
              "# 把列名加入 ignore_columns；工号、姓名、机构、类别的列名不同时，加入 identity 的\n"
              "# 别名。改完运行 cmscore rules check，再 cmscore check 导出文件。\n",
    "payroll": "# 本机构的履职绩效工资标准（第十条，元/月）和主管挂钩比例（第十二条）。\n"
               "# 改完运行 cmscore rules check。\n",
}
_KIND = re.compile(r"^kind:\s*(\w+)", re.MULTILINE)


def init_office(folder: Path, office: str = "") -> list[Path]:
    """Make ``folder`` an office's setup; refuse if one is already there."""
    toml, rules = folder / CONFIG_NAME, folder / "rules"
    if folder.exists() and not folder.is_dir():
        raise fail(f"{folder} 是一个文件，不是文件夹；请指定一个文件夹（可以还不存在）")
    existing = [p for p in (toml, rules) if p.exists()]
    if existing:
        raise fail(f"{'、'.join(map(str, existing))} 已存在：这里已经是一个 cmscore 工作目录，"
                   "不会覆盖；如要重建，请先移走它们，或换一个目录")
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    rules.mkdir()
    for source in sorted(SHIPPED.glob("*.yaml")):
        text = source.read_text(encoding="utf-8")
        kind = _KIND.search(text)
        note = _HEADNOTES.get(kind.group(1) if kind else "", "")
        (rules / source.name).write_text(note + text, encoding="utf-8")
        made.append(rules / source.name)
    for sub in ("inputs", "outputs"):
        (folder / sub).mkdir(exist_ok=True)
        made.append(folder / sub)
    name = office.replace("\\", "\\\\").replace('"', '\\"')
    line = f'office = "{name}"        # 机构名称，写在报告标题前' if office else \
        '# office = "某某银行某某分行"   # 机构名称，写在报告标题前；去掉行首的 # 即生效'
    toml.write_text(_TOML.format(office=line), encoding="utf-8")
    made.append(toml)
    made.append(_gitignore(folder / ".gitignore"))
    return made


def _gitignore(path: Path) -> Path:
    """Write the ignore lines, or add the missing ones to an existing .gitignore."""
    if not path.exists():
        path.write_text(_GITIGNORE, encoding="utf-8")
        return path
    have = set(path.read_text(encoding="utf-8").splitlines())
    missing = [line for line in _GITIGNORE.splitlines()[1:] if line not in have]
    if missing:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\n" + "\n".join([_GITIGNORE.splitlines()[0], *missing]) + "\n")
    return path


def version_lines() -> list[str]:
    """The version, the rule folder in effect and each rule file's SHA-256, as the run
    records keep them, so a printed result can be matched to the rules behind it."""
    rules = resolve().rules or SHIPPED
    lines = [f"cmscore {__version__}", f"规则目录：{rules}"]
    for path in sorted(rules.glob("*.yaml")):
        lines.append(f"  {path.name}  sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}")
    return lines
