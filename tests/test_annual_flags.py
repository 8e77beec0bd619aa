"""Issue 15: 第十六条第六项 (bottom 20% of the annual averages → 取消资格预警) for every
category, each within its own 12-month averages — it was only checked for the 支行 pool."""

from __future__ import annotations

from pathlib import Path

from conftest import HEADERS, WORKED, Cli, json_out, row, write_xlsx


def test_each_category_flags_its_own_bottom_fifth(cli: Cli, tmp_path: Path) -> None:
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    people = [(f"E00{k}", "城东支行", "支行", k) for k in range(1, 6)] + \
             [(f"F00{k}", "分行营业部", "分行个金", k) for k in range(1, 6)]
    for m in range(1, 13):
        rows = [row(WORKED, 工号=i, 姓名=f"经理{i}", 机构=b, 类别=c, 放款户数=k, 银行卡=2 * k)
                for i, b, c, k in people]
        path = write_xlsx(tmp_path / f"2026-{m:02d}.xlsx", HEADERS, rows,
                          titles=(f"2026年{m}月客户经理业绩报表",))
        cli("score", path, "--db", db, "--out", out, "-q", code=0)
    doc = json_out(cli("grade", "--months", 12, "--db", db, "--out", out, "--json", code=0))
    flagged = {m["id"]: m["flags"] for m in doc["managers"] if any("第十六条第六项" in f
                                                                   for f in m["flags"])}
    # 5 in each category: the 三级 quota is round-half-up(0.2 × 5) = 1, the lowest average
    assert sorted(flagged) == ["E001", "F001"]
    assert any("触及第十六条第六项情形" in f and "处于分行个金后20%" in f for f in flagged["F001"])
    assert next(m for m in doc["managers"] if m["id"] == "F001")["grade"] == "一级"  # 第六条
