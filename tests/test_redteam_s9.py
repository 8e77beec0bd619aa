"""Red-team of session 9's merge against release 7904697: what main does differently.

Each test here failed on main (00ab9fc) and passed in spirit on 7904697; the comment on
each says what 7904697 printed for the same input.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cmscore.rules.ruleset import DEFAULT_DIR
from conftest import Cli


def _rules_with(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    path = rules / "payroll.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return rules, text


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_an_english_grade_name_with_a_bad_value_is_located_on_its_own_line(
        tmp_path: Path, cli: Cli) -> None:
    # payroll.yaml with `second: x` (the English name README still accepts).
    # 7904697: 「错误：payroll.yaml:5: grades.second: 应为数字（现为 x）」 — line 5 is `second: x`.
    # main:    「错误：payroll.yaml:4: grades.二级: 应为数字（现为 x）」 — line 4 is `first: 1500`:
    # the renaming of first/second/third to 一级/二级/三级 (files._named) loses the line map.
    rules, text = _rules_with(tmp_path, "  一级: 1500\n  二级: 1200\n  三级: 900",
                              "  first: 1500\n  second: x\n  third: 900")
    got = cli("rules", "check", rules, code=1)
    assert f"payroll.yaml:{_line_of(text, 'second: x')}:" in got.stderr, got.stderr


def test_an_english_grade_name_out_of_bounds_is_located_on_its_own_line(
        tmp_path: Path, cli: Cli) -> None:
    # 7904697: 「payroll.yaml:6: grades.third: -5 超出允许范围 [0, 1000000]」 (line 6: `third: -5`).
    # main:    「payroll.yaml:4: grades.三级: -5 超出允许范围 [0, 1000000]」 (line 4: `一级: 1500`).
    rules, text = _rules_with(tmp_path, "  三级: 900", "  third: -5")
    got = cli("rules", "check", rules, code=1)
    assert f"payroll.yaml:{_line_of(text, 'third: -5')}:" in got.stderr, got.stderr


def test_a_grade_given_under_both_names_is_refused(tmp_path: Path, cli: Cli) -> None:
    # grades: {一级: 1500, first: 9999, 二级: 1200, 三级: 900} — two amounts for one grade.
    # 7904697: exit 1, 「错误：payroll.yaml:5: grades.first: 未知的键（拼写错误？）」.
    # main:    exit 0, 「规则目录 …：6 个文件，检查通过。」 — first: 9999 is dropped without a
    # word (files._named: "the Chinese wins"), so the office never learns which amount pays.
    rules, text = _rules_with(tmp_path, "  一级: 1500\n", "  一级: 1500\n  first: 9999\n")
    got = cli("rules", "check", rules, code=1)
    assert f"payroll.yaml:{_line_of(text, 'first: 9999')}:" in got.stderr, got.stderr
