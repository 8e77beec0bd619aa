"""Issue 15, the grade pool is not hard-coded: grading.yaml names the pool categories and
the windows `grade --months` accepts."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import load_workbook

from cmscore.rules.ruleset import DEFAULT_DIR
from conftest import EXAMPLES, Cli, json_out

HALF = [f"2026-{k:02d}" for k in range(1, 7)]


def renamed_rules(tmp: Path, pool: str = "支行客户经理") -> Path:
    """A rules copy whose 附件1 category is 支行客户经理 and whose pool is ``pool``."""
    rules = tmp / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    table = rules / "1-zhihang.yaml"
    text = table.read_text(encoding="utf-8")
    assert "\ncategory: 支行\n" in text
    table.write_text(text.replace("\ncategory: 支行\n", "\ncategory: 支行客户经理\n"),
                     encoding="utf-8")
    grading = rules / "grading.yaml"
    text = grading.read_text(encoding="utf-8")
    grading.write_text(text.replace("\npool: [支行]\n", f"\npool: [{pool}]\n"), encoding="utf-8")
    return rules


def renamed_export(src: Path, target: Path) -> Path:
    """``src`` with every 类别 支行 written 支行客户经理, as another bank's export says it."""
    wb = load_workbook(src)
    ws = wb.active
    assert ws is not None
    for r in ws.iter_rows():
        for cell in r:
            if cell.value == "支行" and cell.column_letter == "E":
                cell.value = "支行客户经理"
    wb.save(target)
    return target


def grades(cli: Cli, tmp: Path, files: list[Path], rules: Path | None) -> dict[str, str]:
    db, out = tmp / "cmscore.db", tmp / "out"
    extra = ["--rules", rules] if rules else []
    for f in files:
        cli("score", f, "--db", db, "--out", out, "-q", *extra, code=0)
    doc = json_out(cli("grade", "--months", 6, "--db", db, "--out", out, "--json", *extra,
                       code=0))
    return {m["id"]: m["grade"] for m in doc["managers"]} | {"pool_size": doc["pool_size"]}


def test_a_renamed_category_grades_the_same_pool(cli: Cli, tmp_path: Path) -> None:
    """The issue's finding: renaming 支行 → 支行客户经理 emptied the hard-coded pool and every
    manager was graded 一级. Renamed in the rules copy (table and pool) and in the export,
    the grades are the same as the shipped rules give."""
    shipped = grades(cli, tmp_path / "a", [EXAMPLES / f"{m}.xlsx" for m in HALF], None)
    (tmp_path / "in").mkdir()
    files = [renamed_export(EXAMPLES / f"{m}.xlsx", tmp_path / "in" / f"{m}.xlsx") for m in HALF]
    renamed = grades(cli, tmp_path / "b", files, renamed_rules(tmp_path))
    assert renamed == shipped
    assert shipped["pool_size"] == 28 and list(shipped.values()).count("三级") > 0


def test_a_pool_category_without_a_table_is_refused(cli: Cli, tmp_path: Path) -> None:
    """Renaming the table but not the pool: refused naming grading.yaml, never an empty pool."""
    rules = renamed_rules(tmp_path, pool="支行")
    got = cli("rules", "check", rules, code=1)
    assert "grading.yaml:" in got.stderr + got.stdout
    assert "没有类别为 支行 的规则表" in got.stderr + got.stdout


def test_a_window_not_in_grading_yaml_is_refused(cli: Cli, tmp_path: Path) -> None:
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    cli("score", EXAMPLES / "2026-01.xlsx", "--db", db, "--out", out, "-q", code=0)
    got = cli("grade", "--months", 4, "--end", "2026-01", "--db", db, "--out", out, code=1)
    assert "--months 4 不是允许的定级窗口：允许 6、12 个月（grading.yaml 的 windows" in got.stderr


def test_grading_yaml_is_strict(cli: Cli, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    (rules / "grading.yaml").write_text("kind: grading\npool: [支行]\nwindow: [6]\n",
                                         encoding="utf-8")
    got = cli("rules", "check", rules, code=1)
    assert "grading.yaml:3: window: 未知的键（拼写错误？）" in got.stderr + got.stdout
