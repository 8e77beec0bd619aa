"""Strict YAML: read a rule file into plain values and remember each value's line.

PyYAML's own loaders follow YAML 1.1, where ``no`` is False, ``010`` is octal and a
repeated key silently wins. A rule file drives payroll, so each of those is refused
with ``file:line`` instead. Numbers become ``Decimal`` exactly as written.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmscore.problems import Problem

if TYPE_CHECKING:
    import yaml

_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9][0-9_]*)?\.[0-9]+$|^[-+]?[0-9]+\.$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]")
# 08, 019, 09.5: not octal, so YAML 1.1 calls them text, and pydantic would then read
# "018" as 18. Caught with 010 instead of slipping through as a string.
_ZERO_PADDED = re.compile(r"^[-+]?0[0-9_]+(\.[0-9_]*)?$")
_BOOL_11 = {"y", "n", "yes", "no", "on", "off"}
# 1e3, 2.5E-1: YAML 1.1 calls them text, pydantic would then read "1e400" as a Decimal
# no arithmetic survives. Rule values are written out in full.
_EXPONENT = re.compile(r"^[-+]?([0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$")
_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}

Lines = dict[tuple[Any, ...], int]


class RuleFileError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


def load(path: Path, text: str | None = None) -> tuple[Any, Lines]:
    """Parse ``path`` (or ``text``, its contents already read); return (value,
    {path-in-document: 1-based line})."""
    # PyYAML only when a rule file is parsed: rules from the compiled cache never need it.
    import yaml

    if text is None:
        text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise RuleFileError([Problem(f"{path.name}{line}: YAML 语法错误：{exc}")]) from exc
    lines: Lines = {}
    problems: list[Problem] = []
    value = _convert(node, (), lines, problems, path.name) if node is not None else None
    if problems:
        raise RuleFileError(problems)
    return value, lines


def _convert(node: yaml.Node, at: tuple[Any, ...], lines: Lines, problems: list[Problem],
             name: str) -> Any:
    import yaml

    lines[at] = node.start_mark.line + 1
    where = f"{name}:{node.start_mark.line + 1}"
    if node.tag not in _ALLOWED_TAGS:
        problems.append(Problem(f"{where}: 不允许的 YAML 标签 {node.tag}"))
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STD + "str":
                problems.append(Problem(f"{name}:{key_node.start_mark.line + 1}: "
                                        f"键必须是文字：{key!r}"))
                continue
            if key in out:
                problems.append(Problem(f"{name}:{key_node.start_mark.line + 1}: "
                                        f"重复的键 {key}（第 {lines[at + (key,)]} 行已有）"))
                continue
            out[key] = _convert(value_node, at + (key,), lines, problems, name)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, at + (i,), lines, problems, name) for i, v in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node, where, problems)


def _scalar(node: yaml.ScalarNode, where: str, problems: list[Problem]) -> Any:
    text, tag = node.value, node.tag
    if node.style is not None:  # quoted: always text, whatever it looks like
        return text
    if tag == _STD + "bool":
        if text not in ("true", "false"):
            problems.append(Problem(f"{where}: 「{text}」在 YAML 1.1 中是逻辑值；"
                                    "请写 true/false，或加引号表示文字"))
        return text == "true"
    if text.lower() in _BOOL_11:
        problems.append(Problem(f"{where}: 「{text}」含义不明确；请写 true/false，或加引号"))
        return None
    if tag == _STD + "null":
        return None
    if tag in (_STD + "int", _STD + "float") or _INT.match(text) or _FLOAT.match(text) \
            or _ZERO_PADDED.match(text):
        if _LEADING_ZERO.match(text):
            problems.append(Problem(f"{where}: 「{text}」以 0 开头（YAML 1.1 视为八进制）；"
                                    "请去掉前导 0，或加引号表示文字"))
            return None
        if _INT.match(text) or _FLOAT.match(text):
            return Decimal(text.replace("_", ""))
        problems.append(Problem(f"{where}: 「{text}」不是本工具接受的数字写法"))
        return None
    if _EXPONENT.match(text):
        problems.append(Problem(f"{where}: 「{text}」是科学计数法；请直接写出数字（如 1000），"
                                "或加引号表示文字"))
        return None
    return text
