"""The salary system's import file written by `payroll` (issue 18): one row per person and
pay item, codes and column names from payroll.yaml, no title and no totals row."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal as D
from pathlib import Path

from openpyxl import load_workbook

from cmscore.rules.ruleset import DEFAULT_DIR
from conftest import EXAMPLES, Cli, Workbooks, json_out


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), "UTF-8 with BOM, so Excel opens it as UTF-8"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_one_row_per_person_and_pay_item_equal_to_the_payroll(workbooks: Workbooks) -> None:
    doc = workbooks.payroll
    rows = read_csv(workbooks.path("工资导入-2026-10.csv"))
    assert rows[0] == ["工号", "姓名", "工资项目代码", "金额"]  # the header first: no title
    body = rows[1:]
    assert all(r[0] not in ("合计", "") for r in body)  # no totals row, no blank line
    by_code: dict[str, dict[str, str]] = {}
    for cm, _, code, amount in body:
        assert cm not in by_code.setdefault(code, {}), (cm, code)  # one row per person and item
        by_code[code][cm] = amount
    assert by_code["JX01"] == {m["id"]: m["pay"] for m in doc["managers"]}
    assert by_code["GW01"] == {s["id"]: s["fixed"] for s in doc["supervisors"]}
    assert by_code["JX03"] == {s["id"]: s["linked"] for s in doc["supervisors"]}
    assert "JX02" not in by_code  # October: no risk fund is released
    assert sum((D(r[3]) for r in body), D(0)) == D(doc["totals"]["total"])
    names = {m["id"]: m["name"] for m in doc["managers"]}
    assert all(names[r[0]] == r[1] for r in body if r[2] == "JX01")

    ws = load_workbook(workbooks.path("工资导入-2026-10.xlsx")).active
    cells = list(ws.iter_rows(values_only=True))
    assert list(cells[0]) == rows[0]
    assert [(a, b, c, D(str(d)).quantize(D("0.01"))) for a, b, c, d in cells[1:]] == \
        [(a, b, c, D(d)) for a, b, c, d in body]
    assert ws.cell(2, 4).number_format == "#,##0.00" and isinstance(ws.cell(2, 4).value, float)


def test_codes_and_column_names_come_from_payroll_yaml(tmp_path: Path, cli: Cli) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    yaml = rules / "payroll.yaml"
    text = yaml.read_text(encoding="utf-8")
    for old, new in (("id: 工号", "id: 员工编号"), ("amount: 金额", "amount: 发放金额"),
                     ("pay: JX01", "pay: '6101'")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    yaml.write_text(text, encoding="utf-8")
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    cli("score", EXAMPLES / "2026-10.xlsx", "--db", db, "--out", out, "--rules", rules, "-q",
        code=0)
    doc = json_out(cli("payroll", "--db", db, "--out", out, "--rules", rules, "--json", code=0))
    rows = read_csv(out / "工资导入-2026-10.csv")
    assert rows[0] == ["员工编号", "姓名", "工资项目代码", "发放金额"]
    assert {r[0]: r[3] for r in rows[1:] if r[2] == "6101"} == \
        {m["id"]: m["pay"] for m in doc["managers"]}
    assert len(rows) == 1 + len(doc["managers"])  # no supervisors file: managers only
