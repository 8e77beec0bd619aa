"""An office's setup: which store, output folder and rules a command uses.

Each of the three is taken from the first of these that names it:

1. the command-line option (``--db``, ``--out``, ``--rules``);
2. the environment (``CMSCORE_DB``, ``CMSCORE_RULES``);
3. ``cmscore.toml`` in the working directory or the nearest parent that has one (as git
   finds ``.git``), its paths relative to the folder the file is in;
4. the built-in default: ``cmscore.db`` and the working directory, the shipped rules.

Only the standard library is imported here, so resolving costs nothing at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cmscore.problems import InputError, Problem

CONFIG_NAME = "cmscore.toml"
KEYS = {"office": "机构名称（报告标题用）", "db": "历史库路径", "out": "输出目录",
        "rules": "规则文件目录"}


@dataclass(frozen=True)
class Setup:
    """What a command runs against; ``None`` means the built-in default."""

    db: Path
    out: Path | None
    rules: Path | None
    office: str = ""
    config: Path | None = None  # the cmscore.toml read, if any


def find_config(start: Path) -> Path | None:
    """``cmscore.toml`` in ``start`` or the nearest parent folder that has one."""
    start = start.absolute()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def read_config(path: Path) -> dict[str, str]:
    """The settings of one ``cmscore.toml``; every problem named with the file."""
    import tomllib  # here: a run without cmscore.toml never compiles its parser (≈ 10 ms)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(f"{path} 不是有效的 TOML：{exc}；请按 cmscore init "
                                  "生成的样式改正", file=str(path))], "配置文件有误") from exc
    problems = []
    for key, value in data.items():
        if key not in KEYS:
            problems.append(Problem(f"未知的键 {key}（拼写错误？）；可用的键：{'、'.join(KEYS)}",
                                    file=str(path), column=key))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Problem(f"{key}（{KEYS[key]}）应是一个非空的字符串，"
                                    f'例如 {key} = "{_EXAMPLE[key]}"', file=str(path), column=key))
    if problems:
        raise InputError(problems, "配置文件有误")
    return dict(data)


_EXAMPLE = {"office": "某某分行", "db": "cmscore.db", "out": "outputs", "rules": "rules"}


def resolve(db: Path | None = None, out: Path | None = None, rules: Path | None = None,
            *, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Setup:
    """The setup of one command, by the order in the module docstring."""
    env = os.environ if env is None else env
    config = find_config(cwd or Path.cwd())
    settings = read_config(config) if config else {}
    home = config.parent if config else None

    def from_config(key: str) -> Path | None:
        return home / settings[key] if home and key in settings else None

    rules = rules or _env_path(env, "CMSCORE_RULES") or from_config("rules")
    if rules is not None and not rules.is_dir():
        where = "环境变量 CMSCORE_RULES" if env.get("CMSCORE_RULES") else f"{config} 的 rules"
        raise InputError([Problem(f"{where} 指向的规则目录 {rules} 不存在；请改正，"
                                  "或运行 cmscore init 建立工作目录")], "配置文件有误")
    return Setup(
        db=db or _env_path(env, "CMSCORE_DB") or from_config("db") or Path("cmscore.db"),
        out=out or from_config("out"),
        rules=rules,
        office=settings.get("office", ""),
        config=config,
    )


def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "")
    return Path(value) if value else None
