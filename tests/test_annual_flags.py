"""Issue 15: 第十六条第六项 (bottom 20% of the annual averages → 取消资格预警) for every
category, each within its own 12-month averages — it was only checked for the 支行 pool."""

from __future__ import annotations

from pathlib import Path

from conftest import HEADERS, WORKED, Cli, json_out, row, write_xlsx

People = list[tuple[str, str, str, int]]  # 工号, 机构, 类别, k (放款户数 k, 银行卡 2k)


def score_year(cli: Cli, tmp_path: Path, db: Path, out: Path, people: People,
               year: int = 2026) -> None:
    """Twelve months of ``year`` with the same managers and figures, scored in order."""
    for m in range(1, 13):
        rows = [row(WORKED, 工号=i, 姓名=f"经理{i}", 机构=b, 类别=c, 放款户数=k, 银行卡=2 * k)
                for i, b, c, k in people]
        path = write_xlsx(tmp_path / f"{year}-{m:02d}.xlsx", HEADERS, rows,
                          titles=(f"{year}年{m}月客户经理业绩报表",))
        cli("score", path, "--db", db, "--out", out, "-q", code=0)


def test_each_category_flags_its_own_bottom_fifth(cli: Cli, tmp_path: Path) -> None:
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    people = [(f"E00{k}", "城东支行", "支行", k) for k in range(1, 6)] + \
             [(f"F00{k}", "分行营业部", "分行个金", k) for k in range(1, 6)]
    score_year(cli, tmp_path, db, out, people)
    doc = json_out(cli("grade", "--months", 12, "--db", db, "--out", out, "--json", code=0))
    flagged = {m["id"]: m["flags"] for m in doc["managers"] if any("第十六条第六项" in f
                                                                   for f in m["flags"])}
    # 5 in each category: the 三级 quota is round-half-up(0.2 × 5) = 1, the lowest average
    assert sorted(flagged) == ["E001", "F001"]
    assert any("触及第十六条第六项情形" in f and "处于分行个金后20%" in f for f in flagged["F001"])
    assert next(m for m in doc["managers"] if m["id"] == "F001")["grade"] == "一级"  # 第六条


def test_an_annual_grading_made_before_its_predecessor_is_marked_stale(
        cli: Cli, tmp_path: Path) -> None:
    """第九条 (连续两年一级/二级) reads the previous annual grading: when that grading is made
    (or re-made with other grades) after the later one, the later one's flags are out of date
    and it is marked stale, so no payroll prices with it before it is re-graded."""
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    people = [(f"E00{k}", "城东支行", "支行", k) for k in range(1, 6)]
    for year in (2025, 2026):
        score_year(cli, tmp_path, db, out, people, year)
    later = json_out(cli("grade", "--months", 12, "--end", "2026-12", "--db", db, "--out", out,
                         "--json", code=0))
    assert not any("第九条" in f for m in later["managers"] for f in m["flags"])
    r = cli("grade", "--months", 12, "--end", "2025-12", "--db", db, "--out", out, code=0)
    assert ("注意：2027-01 起执行的年度定级按本次定级标记第九条，已标记为需重评；请运行 cmscore "
            "grade --months 12 --end 2026-12 --replace") in r.stdout.replace("\n", "")
    status = json_out(cli("status", "--db", db, "--json", code=0))
    stale = {g["effective"]: g["reason"] for g in status["gradings"] if g["stale"]}
    assert list(stale) == ["2027-01"]
    assert "上一年度定级（2026-01 起执行）" in stale["2027-01"]
    assert "第九条" in stale["2027-01"]
    # Re-grading brings the 第九条 flags in and clears the mark.
    again = json_out(cli("grade", "--months", 12, "--end", "2026-12", "--replace", "--db", db,
                         "--out", out, "--json", code=0))
    assert any("第九条" in f for m in again["managers"] for f in m["flags"])
    status = json_out(cli("status", "--db", db, "--json", code=0))
    assert not any(g["stale"] for g in status["gradings"])
    # Re-making the earlier grading with the same grades changes nothing downstream.
    doc = json_out(cli("grade", "--months", 12, "--end", "2025-12", "--replace", "--db", db,
                       "--out", out, "--json", code=0))
    assert doc["made_stale"] == []
    status = json_out(cli("status", "--db", db, "--json", code=0))
    assert not any(g["stale"] for g in status["gradings"])


def test_explain_shows_the_grade_payroll_pays(cli: Cli, tmp_path: Path) -> None:
    """Red team: explain said 「尚未定级，按过渡期」 for a 分行 manager payroll paid as 一级
    (第六条), and the same for a 支行 manager who joined after the grading (paid 三级)."""
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    people: People = [(f"E00{k}", "城东支行", "支行", k) for k in range(1, 6)] + \
        [("F001", "分行营业部", "分行个金", 3)]
    for m in range(1, 8):
        extra: People = [("E009", "城东支行", "支行", 2)] if m == 7 else []
        rows = [row(WORKED, 工号=i, 姓名=f"经理{i}", 机构=b, 类别=c, 放款户数=k, 银行卡=2 * k)
                for i, b, c, k in people + extra]
        path = write_xlsx(tmp_path / f"2026-{m:02d}.xlsx", HEADERS, rows,
                          titles=(f"2026年{m}月客户经理业绩报表",))
        cli("score", path, "--db", db, "--out", out, "-q", code=0)
        if m == 6:
            cli("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", out, "-q", code=0)

    def said(cm: str, month: str) -> tuple[str, dict[str, object]]:
        text = cli("explain", cm, "--month", month, "--db", db, code=0).stdout.replace("\n", "")
        grade = json_out(cli("explain", cm, "--month", month, "--db", db, "--json",
                             code=0))["grade"]
        return text, grade

    text, grade = said("F001", "2026-03")
    assert "等级：一级（分行个金客户经理为一级，第六条）" in text and "尚未定级" not in text
    assert (grade["grade"], grade["effective"]) == ("一级", None)
    text, grade = said("E009", "2026-07")
    assert "等级：三级（2026-07 起执行的定级后加入，按三级，第六条）" in text
    assert (grade["grade"], grade["effective"]) == ("三级", "2026-07")
    text, grade = said("E001", "2026-03")
    assert "等级：尚未定级，按过渡期" in text and grade is None
