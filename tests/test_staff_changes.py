"""Issue 15, staff changes follow the regulation: a manager in a 分行 category (outside
grading.yaml's pool) is 一级 from the month he is in it (第六条) and paid so — a new 分行
manager who joins after a grading, a 支行 manager appointed to 分行 since the grading, and
every 分行 manager during the transition unless payroll.yaml says otherwise."""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from conftest import HEADERS, WORKED, Cli, json_out, row, write_xlsx

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1 month


def month(tmp: Path, m: int, people: list[tuple[str, str, str]], **low: Any) -> Path:
    """The worked example's figures for each (工号, 机构, 类别); E003 with ``low`` changes."""
    return write_xlsx(tmp / f"2026-{m:02d}.xlsx", HEADERS,
                      [row(WORKED, 工号=i, 姓名=f"经理{i}", 机构=b, 类别=c,
                           **(low if i == "E003" else {})) for i, b, c in people],
                      titles=(f"2026年{m}月客户经理业绩报表",))


JAN = [("E001", "城东支行", "支行"), ("E002", "城东支行", "支行"), ("E003", "城西支行", "支行"),
       ("F001", "分行营业部", "分行个金")]


def pay(cli: Cli, tmp: Path, m: int, *extra: Any) -> dict[str, dict[str, Any]]:
    doc = json_out(cli("payroll", "--month", f"2026-{m:02d}", "--db", tmp / "cmscore.db",
                       "--out", tmp / "out", "--json", *extra, code=0))
    return {line["id"]: line for line in doc["managers"]}


def score(cli: Cli, tmp: Path, file: Path, *extra: Any) -> None:
    cli("score", file, "--db", tmp / "cmscore.db", "--out", tmp / "out", "-q", *extra, code=0)


def test_branch_managers_are_first_grade_in_the_transition(cli: Cli, tmp_path: Path) -> None:
    """Before any grading a 分行 manager is paid the 一级 amount (1,500), not 1,000."""
    score(cli, tmp_path, month(tmp_path, 1, JAN))
    lines = pay(cli, tmp_path, 1)
    assert (lines["F001"]["grade"], lines["F001"]["base"]) == ("一级", "1500.00")
    assert (lines["E001"]["grade"], lines["E001"]["base"]) == ("过渡期", "1000.00")


def test_payroll_yaml_can_keep_the_transition_amount(cli: Cli, tmp_path: Path,
                                                     short_windows: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(short_windows, rules)
    path = rules / "payroll.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nnon_pool_in_transition: first_grade\n" in text
    path.write_text(text.replace("\nnon_pool_in_transition: first_grade\n",
                                 "\nnon_pool_in_transition: transition\n"), encoding="utf-8")
    cli("score", month(tmp_path, 1, JAN), "--db", tmp_path / "cmscore.db", "--out",
        tmp_path / "out", "--rules", rules, "-q", code=0)
    lines = pay(cli, tmp_path, 1, "--rules", rules)
    assert (lines["F001"]["grade"], lines["F001"]["base"]) == ("过渡期", "1000.00")


def test_joiners_and_appointments_after_a_grading_are_first_grade(cli: Cli,
                                                                  tmp_path: Path) -> None:
    """G001 joins 分行公司 after the grading (was paid 三级, 900); E003, graded in the 支行
    pool, is appointed to 分行个金 (kept his 支行 grade until the next grading)."""
    score(cli, tmp_path, month(tmp_path, 1, JAN))
    cli("grade", "--months", 1, "--end", "2026-01", "--db", tmp_path / "cmscore.db",
        "--out", tmp_path / "out", "-q", code=0)
    feb = [p for p in JAN if p[0] != "E003"] + [("E003", "分行营业部", "分行个金"),
                                                ("G001", "分行营业部", "分行公司")]
    score(cli, tmp_path, month(tmp_path, 2, feb))
    lines = pay(cli, tmp_path, 2)
    assert lines["E003"]["grade"] == "一级" and lines["E003"]["base"] == "1500.00"
    assert lines["G001"]["grade"] == "一级" and lines["G001"]["base"] == "1500.00"
    cents = Decimal("0.01")
    assert Decimal(lines["G001"]["pay"]) == \
        (Decimal(1500) * Decimal(lines["G001"]["score"]) / 100).quantize(cents, ROUND_HALF_UP)
    assert lines["E001"]["grade"] != "过渡期"  # the 支行 managers: the grading's grade


def test_the_risk_fund_values_months_outside_the_pool_at_first_grade(cli: Cli,
                                                                     tmp_path: Path) -> None:
    """E003's December release: January's accrual at the transition amount (a 支行 manager
    before the first grading), the months since his appointment to 分行个金 at 一级 (1,500),
    not at the 支行 grade the January grading gave him."""
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    score(cli, tmp_path, month(tmp_path, 1, JAN, 放款户数=0, 银行卡=0))
    graded = json_out(cli("grade", "--months", 1, "--end", "2026-01", "--db", db, "--out", out,
                          "--json", code=0))
    jan_grade = next(m["grade"] for m in graded["managers"] if m["id"] == "E003")
    moved = [p for p in JAN if p[0] != "E003"] + [("E003", "分行营业部", "分行个金")]
    funds = {}
    for m, extra in ((1, ()), (2, ()), (12, ("--allow-gap",))):
        if m > 1:
            score(cli, tmp_path, month(tmp_path, m, moved), *extra)
        doc = json_out(cli("show", f"2026-{m:02d}", "--db", db, "--json", code=0))
        funds[m] = Decimal(next(x["risk_fund"] for x in doc["managers"] if x["id"] == "E003"))
    due = (1000 * funds[1] + 1500 * (funds[2] + funds[12])) / 100
    lines = pay(cli, tmp_path, 12)
    assert Decimal(lines["E003"]["risk_fund_release"]) == due.quantize(Decimal("0.01"),
                                                                        ROUND_HALF_UP)
    assert jan_grade != "一级" and funds[2] > 0  # else the 支行 grade would give the same
