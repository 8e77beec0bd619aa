"""SPEC §4.5, §5.2, §5.3, §8 and 第十、十一(三)、十二、十六条第五项: pay on tiny stored histories."""

from __future__ import annotations

import json
import os
import sqlite3
import weakref
from contextlib import closing
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.app import payroll as app_payroll
from cmscore.engine.grading import window
from cmscore.engine.pay import (
    Bases,
    PayrollResult,
    fund_value,
    monthly_pay,
    npl_warning,
    supervisor_pay,
)
from cmscore.numbers import to_centi
from cmscore.outputs import payroll as out_payroll
from cmscore.rules.bounds import PAY_MAX
from cmscore.rules.files import Payroll
from cmscore.rules.ruleset import DEFAULT_DIR, load_rules
from cmscore.store import db as store
from cmscore.store import history, itemcols
from history_helpers import (
    cm,
    month_scores,
    query,
    read_sheet,
    rules_with_payroll,
    run,
    run_json,
    span,
    store_months,
    write_sheet,
)

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1–3 months

D = Decimal
MANAGER_KEYS = {"id", "grade", "base", "score", "pay", "risk_fund_release", "risk_fund_forfeit"}
TOTAL_KEYS = {"pay", "risk_fund_release", "risk_fund_forfeit", "supervisors_pay", "total"}


def payroll(db: Path, out: Path, *args: Any) -> dict[str, Any]:
    return run_json("payroll", "--db", db, "--out", out, *args)


def managers(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in doc["managers"]}


def assert_reconciles(doc: dict[str, Any]) -> None:
    """Totals are exact sums of the rounded lines; total = pay + release + supervisors."""
    t = {k: D(v) for k, v in doc["totals"].items()}
    for key in ("pay", "risk_fund_release", "risk_fund_forfeit"):
        assert t[key] == sum((D(m[key]) for m in doc["managers"]), D(0)), key
    assert t["supervisors_pay"] == sum((D(s["pay"]) for s in doc["supervisors"]), D(0))
    assert t["total"] == t["pay"] + t["risk_fund_release"] + t["supervisors_pay"]
    for m in doc["managers"]:
        assert D(m["pay"]) == (D(m["base"]) * D(m["score"]) / 100).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    ledger = {k: D(v) for k, v in doc["risk_fund_ledger"].items()}
    assert ledger["closing"] == (ledger["opening"] + ledger["accrued"] - ledger["released"]
                                 - ledger["forfeited"])


# --- pure arithmetic ---------------------------------------------------------------------

def test_monthly_pay_worked_example() -> None:
    # SPEC §9: 二级 1200 × 81.80 / 100 = 981.60.
    assert monthly_pay(D(1200), D("81.80")) == D("981.60")
    assert str(monthly_pay(D(1200), D("81.80"))) == "981.60"


@pytest.mark.parametrize(("base", "score", "pay"), [
    (D(1005), D("81.70"), D("821.09")),   # 821.085 → half-up (half-even would give 821.08)
    (D(1005), D("81.90"), D("823.10")),   # 823.095
    (D(1005), D("0.01"), D("0.10")),      # 0.1005
    (D(1500), D("0.01"), D("0.15")),
    (D(900), D("0.00"), D("0.00")),
    (D(1500), D("200.00"), D("3000.00")),
])
def test_monthly_pay_rounds_half_up_once(base: Decimal, score: Decimal, pay: Decimal) -> None:
    got = monthly_pay(base, score)
    assert got == pay and got.as_tuple().exponent == -2


def test_fund_value_values_each_month_at_its_base_and_rounds_once() -> None:
    # 6 points at 1000 (过渡期) + 6 at 1500 (一级) + 1 at 900 (三级).
    assert fund_value([(D(1000), D(6)), (D(1500), D(6)), (D(900), D(1))]) == D("159.00")
    # 1005 × 0.10 / 100 = 1.005 → 1.01; two such months are 2.010 → 2.01, not 1.01 + 1.01.
    assert fund_value([(D(1005), D("0.10"))]) == D("1.01")
    assert fund_value([(D(1005), D("0.10"))] * 2) == D("2.01")
    assert fund_value([]) == D("0.00")


def test_supervisor_pay_ninety_ten_rounded_half_up() -> None:
    payroll_rules = load_rules().payroll
    # 6500 × 10% × 81.81 / 100 = 531.765 → 531.77; fixed 6500 × 90% = 5850.00.
    assert supervisor_pay(payroll_rules, D(6500), D("81.81")) == (D("5850.00"), D("531.77"))
    assert supervisor_pay(payroll_rules, D(5000), D("100.00")) == (D("4500.00"), D("500.00"))


@pytest.mark.parametrize(("ratios", "warned"), [
    ([D("0.01"), D("0.015"), D("0.02")], True),     # exactly 1% counts (≥ 1%)
    ([D("0.02"), D("0.02")], False),                # two months are not enough
    ([D("0.003"), D("0.02"), D("0.02")], False),
    ([D("0.02"), D("0.0099"), D("0.02")], False),   # a month below 1% in the middle breaks it
    ([D("0.02"), None, D("0.02")], False),          # not scored that month
    ([D("0.005"), D("0.02"), D("0.02"), D("0.02")], True),  # the last three decide
    ([D("0.02"), D("0.02"), D("0.02"), D("0")], False),
])
def test_npl_warning_three_consecutive_months(ratios: list[Decimal | None],
                                              warned: bool) -> None:
    text = npl_warning(ratios)
    assert bool(text) is warned
    if warned:
        assert "第十六条第五项" in text


# --- effective dates, transition amount, joiners ----------------------------------------------

def graded_history(db: Path) -> Path:
    """2026-01…07. Pool A/B/C (1/1/1), F 分行个金; J joins in July, after the grading."""
    months = {}
    for m in span("2026-01", "2026-07"):
        months[m] = {"A": cm("90.00"), "B": cm("81.80"), "C": cm("50.00"),
                     "F": cm("60.00", category="分行个金", branch="分行个人金融部")}
    months["2026-07"]["J"] = cm("60.00")
    return store_months(db, months)


def test_transition_amount_before_any_grade(tmp_path: Path) -> None:
    db = graded_history(tmp_path / "h.db")
    doc = payroll(db, tmp_path, "--month", "2026-03")
    assert doc["grading_in_effect"] is None
    for m in doc["managers"]:  # the pool; 分行 managers are 一级 from the start (第六条)
        assert (m["grade"], m["base"]) == (("一级", "1500.00") if m["id"] == "F" else
                                           ("过渡期", "1000.00"))
    assert managers(doc)["B"]["pay"] == "818.00"
    assert managers(doc)["F"]["pay"] == "900.00"
    assert_reconciles(doc)


def test_window_end_month_uses_old_grade_next_month_the_new(tmp_path: Path) -> None:
    db = graded_history(tmp_path / "h.db")
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path)
    june = payroll(db, tmp_path, "--month", "2026-06")
    assert {m["grade"] for m in june["managers"] if m["id"] != "F"} == {"过渡期"}
    assert managers(june)["A"]["pay"] == "900.00"
    july = payroll(db, tmp_path, "--month", "2026-07")
    assert july["grading_in_effect"] == "2026-07"
    got = {c: (m["grade"], m["base"], m["score"], m["pay"]) for c, m in managers(july).items()}
    assert got == {
        "A": ("一级", "1500.00", "90.00", "1350.00"),
        "B": ("二级", "1200.00", "81.80", "981.60"),     # SPEC §9
        "C": ("三级", "900.00", "50.00", "450.00"),
        "F": ("一级", "1500.00", "60.00", "900.00"),      # 分行个金: 一级
        "J": ("三级", "900.00", "60.00", "540.00"),       # joined after the grading
    }
    assert july["totals"]["pay"] == "4221.60"
    assert_reconciles(july)


def test_regrading_changes_the_grade_paid_and_rerunning_payroll_keeps_one_set(
        tmp_path: Path) -> None:
    db = graded_history(tmp_path / "h.db")
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path)
    payroll(db, tmp_path, "--month", "2026-07")
    # June re-scored: C jumps far ahead, so on re-grading C is 一级 and A drops.
    conn = store.connect(db)
    try:
        june = {"A": cm("90.00"), "B": cm("81.80"), "C": cm("500.00"),
                "F": cm("60.00", category="分行个金", branch="分行个人金融部")}
        store.save_month(conn, month_scores("2026-06", june),
                         store.RunRecord("score", "2026-06", "x.xlsx", "0" * 64, {}),
                         replace=True)
    finally:
        conn.close()
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path, "--replace")
    july = payroll(db, tmp_path, "--month", "2026-07", "--replace")
    assert managers(july)["C"]["grade"] == "一级"
    assert managers(july)["C"]["pay"] == "750.00"
    assert query(db, "SELECT count(*) FROM pay WHERE month = '2026-07'") == [(5,)]
    assert query(db, "SELECT count(*) FROM gradings") == [(1,)]


def test_payroll_defaults_to_latest_month_and_writes_a_readable_workbook(tmp_path: Path) -> None:
    db = graded_history(tmp_path / "h.db")
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path)
    out = tmp_path / "out"
    doc = payroll(db, out)
    assert doc["month"] == "2026-07"
    rows = read_sheet(out / "payroll-2026-07.xlsx", "绩效工资")
    by_id = {r["工号"]: r for r in rows}
    assert by_id["B"]["等级"] == "二级"
    assert by_id["B"]["月度应得工资"] == pytest.approx(981.60)
    assert by_id["B"]["履职绩效工资"] == pytest.approx(1200)
    assert by_id["合计"]["月度应得工资"] == pytest.approx(4221.60)
    totals = {r["项目"]: r["金额（元）"] for r in read_sheet(out / "payroll-2026-07.xlsx", "合计")}
    assert totals["合计发放"] == pytest.approx(4221.60)


def test_payroll_human_output(tmp_path: Path) -> None:
    db = graded_history(tmp_path / "h.db")
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path)
    result = run("payroll", "--month", "2026-07", "--db", db, "--out", tmp_path)
    assert "合计 4221.60 元" in result.stdout
    assert "执行定级：2026-07" in result.stdout
    assert (tmp_path / "payroll-2026-07.xlsx").exists()


def test_grade_and_payroll_keep_their_result_until_the_process_leaves(tmp_path: Path) -> None:
    """The command's result outlives its return (cli.main leaves with os._exit: a national
    grading or payroll freed object by object cost ≈ 0.1 s); only the last one is kept."""
    from cmscore.app.grade import GradeResult
    from cmscore.cli import resultbody

    db = graded_history(tmp_path / "h.db")
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path)
    [graded] = resultbody._kept
    assert isinstance(graded, GradeResult) and graded.grading.effective == "2026-07"
    gone = weakref.ref(graded)
    del graded
    run("payroll", "--month", "2026-07", "--db", db, "--out", tmp_path, "--json")
    [paid] = resultbody._kept
    assert isinstance(paid, PayrollResult) and paid.month == "2026-07"
    assert gone() is None  # the grading's result let go when the payroll's was kept


def test_half_up_pay_through_the_cli_with_a_custom_payroll_file(tmp_path: Path) -> None:
    rules = rules_with_payroll(tmp_path, "kind: payroll\ngrades:\n  一级: 1500\n  二级: 1200\n"
                                         "  三级: 900\ntransition: 1005\n"
                                         "supervisor_link_share: 0.10\n")
    db = store_months(tmp_path / "h.db", {"2026-03": {"A": cm("81.70"), "B": cm("81.90")}})
    doc = payroll(db, tmp_path, "--rules", rules)
    assert managers(doc)["A"]["pay"] == "821.09"   # 821.085
    assert managers(doc)["B"]["pay"] == "823.10"   # 823.095
    assert doc["totals"]["pay"] == "1644.19"
    assert_reconciles(doc)


@pytest.mark.parametrize("grades", ["  一级: 1500\n  二级: 1200\n",
                                    "  一级: 1500\n  二级: 1200\n  三级: -900\n"],
                         ids=["missing-grade", "negative-amount"])
def test_payroll_file_with_a_missing_or_negative_grade_is_refused(tmp_path: Path,
                                                                  grades: str) -> None:
    rules = rules_with_payroll(tmp_path, f"kind: payroll\ngrades:\n{grades}transition: 1000\n"
                                         "supervisor_link_share: 0.10\n")
    db = store_months(tmp_path / "h.db", {m: {"A": cm("80.00"), "B": cm("70.00"),
                                              "C": cm("60.00")} for m in ("2026-01", "2026-02")})
    run("grade", "--months", 1, "--end", "2026-01", "--db", db, "--out", tmp_path,
        "--rules", rules, code=None)
    result = run("payroll", "--month", "2026-02", "--db", db, "--out", tmp_path,
                 "--rules", rules, code=1)  # a crash fails here too (run() re-raises it)
    assert "payroll.yaml" in result.stderr and "三级" in result.stderr


# --- December: the risk fund -----------------------------------------------------------------

def year_end(db: Path) -> Path:
    """2026-09…12, graded on 09–10 (effective 2026-11): 09/10 transition, 11/12 graded.

    A: NPL 0 all year → released. B: NPL 0.3% in December → forfeited.
    C: NPL 0.6% in November but 0 in December → released. L left after October.
    """
    npl_c = {"2026-09": ("6.00", "0"), "2026-10": ("6.00", "0"), "2026-11": ("1.00", "0.006"),
             "2026-12": ("6.00", "0")}
    months = {}
    for m in span("2026-09", "2026-12"):
        months[m] = {"A": cm("90.00"), "B": cm("80.00", risk_fund="3.00", npl="0.003"),
                     "C": cm("70.00", risk_fund=npl_c[m][0], npl=npl_c[m][1])}
        if m <= "2026-10":
            months[m]["L"] = cm("75.00")
    store_months(db, months)
    run("grade", "--months", 2, "--end", "2026-10", "--db", db, "--out", db.parent)
    return db


def test_december_releases_or_forfeits_each_month_at_its_base(tmp_path: Path) -> None:
    db = year_end(tmp_path / "h.db")
    doc = payroll(db, tmp_path, "--month", "2026-12")
    got = {c: (m["grade"], m["pay"], m["risk_fund_release"], m["risk_fund_forfeit"])
           for c, m in managers(doc).items()}
    assert got == {
        # 6 × 10 + 6 × 10 + 6 × 15 + 6 × 15
        "A": ("一级", "1350.00", "300.00", "0.00"),
        # 3 × 10 + 3 × 10 + 3 × 12 + 3 × 12, December NPL 0.3% → forfeited
        "B": ("二级", "960.00", "0.00", "132.00"),
        # 6 × 10 + 6 × 10 + 1 × 9 + 6 × 9: December NPL 0 → released despite November
        "C": ("三级", "630.00", "183.00", "0.00"),
    }
    # L left after October: his fund (6 × 10 + 6 × 10), held since, is 扣收 in December
    # (no December, so 年末无不良 cannot be checked; leaver_risk_fund: hold_to_year_end).
    assert doc["totals"] == {"pay": "2940.00", "risk_fund_release": "483.00",
                             "risk_fund_forfeit": "132.00", "supervisors_pay": "0.00",
                             "total": "3423.00", "risk_fund_forfeit_leavers": "120.00"}
    assert doc["risk_fund_ledger"] == {"opening": "555.00", "accrued": "180.00",
                                       "released": "483.00", "forfeited": "252.00",
                                       "closing": "0.00"}
    assert doc["unsettled_risk_fund"] == ["L"]
    assert_reconciles(doc)
    ledger = {r["项目"]: r["金额（元）"]
              for r in read_sheet(tmp_path / "payroll-2026-12.xlsx", "风险金台账")}
    assert ledger["期末余额"] == 0
    assert ledger["本月扣收"] == pytest.approx(252)


def test_non_december_month_releases_and_forfeits_nothing(tmp_path: Path) -> None:
    db = year_end(tmp_path / "h.db")
    doc = payroll(db, tmp_path, "--month", "2026-11")
    for m in doc["managers"]:
        assert (m["risk_fund_release"], m["risk_fund_forfeit"]) == ("0.00", "0.00")
    assert doc["totals"]["risk_fund_release"] == doc["totals"]["risk_fund_forfeit"] == "0.00"
    # Accrued so far: September/October at 1000, November at the grade in effect; L's
    # 120.00 of September/October held in the ledger since he left.
    assert doc["risk_fund_ledger"] == {"opening": "420.00", "accrued": "135.00",
                                       "released": "0.00", "forfeited": "0.00",
                                       "closing": "555.00"}
    assert doc["unsettled_risk_fund"] == ["L"]
    assert_reconciles(doc)


# --- supervisors (第十二条) ----------------------------------------------------------------------

SUP_HEADER = ["工号", "姓名", "职务", "机构", "履职岗位工资"]


def test_supervisors_ninety_percent_fixed_ten_percent_linked(tmp_path: Path) -> None:
    db = store_months(tmp_path / "h.db", {"2026-10": {
        "X": cm("81.80"), "Y": cm("81.81"), "Z": cm("50.00", branch="城西支行")}})
    sups = write_sheet(tmp_path / "主管.xlsx", SUP_HEADER, [
        ["S1", "王行长", "支行行长", "城东支行", 6500],
        ["S2", "李副行长", "支行副行长", "城西支行", 5000]], titles=("主管人员",))
    doc = payroll(db, tmp_path, "--supervisors", sups)
    s = {x["id"]: x for x in doc["supervisors"]}
    # 城东: (81.80 + 81.81) / 2 = 81.805 → 81.81; 6500 × 10% × 81.81 / 100 = 531.765 → 531.77.
    assert (s["S1"]["managers"], s["S1"]["average"], s["S1"]["fixed"], s["S1"]["linked"],
            s["S1"]["pay"]) == (2, "81.81", "5850.00", "531.77", "6381.77")
    assert (s["S2"]["average"], s["S2"]["fixed"], s["S2"]["linked"], s["S2"]["pay"]) == \
        ("50.00", "4500.00", "250.00", "4750.00")
    assert doc["totals"]["supervisors_pay"] == "11131.77"
    assert doc["totals"]["pay"] == "2136.10"   # 818.00 + 818.10 + 500.00 at 过渡期 1000
    assert doc["totals"]["total"] == "13267.87"
    assert_reconciles(doc)
    sheet = {r["工号"]: r for r in read_sheet(tmp_path / "payroll-2026-10.xlsx", "主管挂钩")}
    assert sheet["S1"]["应发"] == pytest.approx(6381.77)


def test_supervisor_scope_without_cms_warns_and_pays_the_policy(tmp_path: Path) -> None:
    """Issue 15: one supervisor whose 机构 has no managers made the whole payroll exit 1.
    Now a warning naming him, the file's row and the policy; the linked part at 100%
    (payroll.yaml supervisor_empty_scope: full, shipped), or not paid (zero)."""
    db = store_months(tmp_path / "h.db", {"2026-10": {"X": cm("81.80")}})
    sups = write_sheet(tmp_path / "主管.xlsx", SUP_HEADER, [
        ["S1", "王行长", "支行行长", "城东支行", 6500],
        ["S9", "赵行长", "支行行长", "城北支行", 6000]])
    result = run("payroll", "--supervisors", sups, "--db", db, "--out", tmp_path, code=0)
    assert "预警 主管 S9 赵行长（主管.xlsx 第 3 行）的管辖机构「城北支行」本月没有客户经理：" \
        "挂钩部分按 100% 发放（payroll.yaml 的 supervisor_empty_scope: full）" in result.stdout
    doc = payroll(db, tmp_path, "--supervisors", sups, "--replace")
    s9 = next(x for x in doc["supervisors"] if x["id"] == "S9")
    assert (s9["managers"], s9["average"], s9["fixed"], s9["linked"], s9["pay"]) == \
        (0, "100.00", "5400.00", "600.00", "6000.00")
    assert "城北支行" in s9["warning"]
    assert next(x for x in doc["supervisors"] if x["id"] == "S1")["warning"] is None
    assert_reconciles(doc)
    sheet = {r["工号"]: r for r in read_sheet(tmp_path / "payroll-2026-10.xlsx", "主管挂钩")}
    assert "supervisor_empty_scope" in sheet["S9"]["说明"]
    rules = rules_with_payroll(tmp_path, (DEFAULT_DIR / "payroll.yaml").read_text(
        encoding="utf-8").replace("supervisor_empty_scope: full\n", "supervisor_empty_scope: zero\n"))
    doc = payroll(db, tmp_path, "--supervisors", sups, "--replace", "--rules", rules)
    s9 = next(x for x in doc["supervisors"] if x["id"] == "S9")
    assert (s9["linked"], s9["pay"]) == ("0.00", "5400.00") and "不发放" in s9["warning"]


def test_a_supervisor_scope_narrowed_by_category_or_by_a_list_of_ids(tmp_path: Path) -> None:
    """Issue 15: a scope by 机构, optionally narrowed by 类别 (a 分行 department head over
    one category) or a list of 工号 (a team leader): optional columns 类别 and 管辖工号."""
    db = store_months(tmp_path / "h.db", {"2026-10": {
        "X": cm("80.00", category="分行个金", branch="分行营业部"),
        "Y": cm("60.00", category="分行公司", branch="分行营业部"),
        "Z": cm("70.00", category="分行公司", branch="分行营业部"),
        "W": cm("90.00")}})
    sups = write_sheet(tmp_path / "主管.xlsx", [*SUP_HEADER, "类别", "管辖工号"], [
        ["S1", "钱总", "个金部总经理", "分行营业部", 6000, "分行个金", ""],
        ["S2", "孙总", "公司部总经理", "分行营业部", 6000, "分行公司", ""],
        ["S3", "周组长", "团队长", "分行营业部", 5000, "", "Y、Z"],
        ["S4", "吴总", "营业部总经理", "分行营业部", 7000, "", ""],
        ["S5", "郑组长", "团队长", "分行营业部", 5000, "", "Y, Q9"]])
    result = run("payroll", "--supervisors", sups, "--db", db, "--out", tmp_path, code=0)
    assert ("预警 主管 S5 郑组长（主管.xlsx 第 6 行）的管辖工号 Q9 本月不在「分行营业部」的计分名单中"
            "（未计分、已调离或工号有误——如被表格软件丢了前导零），未计入挂钩平均分") in result.stdout.replace("\n", "")
    doc = payroll(db, tmp_path, "--supervisors", sups, "--replace")
    s = {x["id"]: x for x in doc["supervisors"]}
    assert {k: (v["scope"], v["managers"], v["average"]) for k, v in s.items()} == {
        "S1": ("分行营业部·分行个金", 1, "80.00"),
        "S2": ("分行营业部·分行公司", 2, "65.00"),
        "S3": ("分行营业部·工号 Y、Z", 2, "65.00"),
        "S4": ("分行营业部", 3, "70.00"),
        "S5": ("分行营业部·工号 Y、Q9", 1, "60.00")}
    assert_reconciles(doc)


def test_ids_in_a_supervisor_scope_get_their_leading_zeros_back(tmp_path: Path) -> None:
    """Red team: 管辖工号 typed as a number (11771) matched nobody, and the empty scope's
    policy paid the linked part at 100% with exit 0; now padded to id_width as the
    export's 工号 are."""
    db = store_months(tmp_path / "h.db", {"2026-10": {"011771": cm("80.00"), "X": cm("60.00")}})
    sups = write_sheet(tmp_path / "主管.xlsx", [*SUP_HEADER, "管辖工号"], [
        ["S1", "周组长", "团队长", "城东支行", 5000, 11771]])
    s1 = payroll(db, tmp_path, "--supervisors", sups)["supervisors"][0]
    assert (s1["scope"], s1["managers"], s1["average"], s1["linked"], s1["warning"]) == \
        ("城东支行·工号 011771", 1, "80.00", "400.00", None)


def test_a_supervisor_scope_with_an_unknown_category_is_refused(tmp_path: Path) -> None:
    db = store_months(tmp_path / "h.db", {"2026-10": {"X": cm("81.80")}})
    sups = write_sheet(tmp_path / "主管.xlsx", [*SUP_HEADER, "类别"], [
        ["S1", "王行长", "支行行长", "城东支行", 6500, "支行客户经理"]])
    result = run("payroll", "--supervisors", sups, "--db", db, "--out", tmp_path, "--json",
                 code=1)
    assert [(p["file"], p["row"], p["column"], p["message"])
            for p in json.loads(result.stdout)["problems"]] == [
        ("主管.xlsx", 2, "类别", "类别「支行客户经理」不是规则文件中的类别（支行、分行个金、分行公司）之一："
                               "请改为其中之一，或留空表示该机构全部客户经理")]
    assert query(db, "SELECT count(*) FROM payrolls") == [(0,)]


def test_a_supervisor_wage_out_of_range_is_refused_never_a_traceback(tmp_path: Path) -> None:
    """1e17 元 overflowed the store's integers (issue 17: bound every figure)."""
    db = store_months(tmp_path / "h.db", {"2026-10": {"X": cm("81.80")}})
    sups = write_sheet(tmp_path / "主管.xlsx", SUP_HEADER, [
        ["S1", "王行长", "支行行长", "城东支行", 1e17]])
    result = run("payroll", "--supervisors", sups, "--db", db, "--out", tmp_path, code=1)
    assert "履职岗位工资" in result.stderr and "超出上限" in result.stderr
    assert query(db, "SELECT count(*) FROM payrolls") == [(0,)]


# --- 第十六条第五项: NPL ≥ 1% three months running -------------------------------------------

NPL = {"W3": ("0.01", "0.015", "0.02"),    # 1% counts
       "W2": ("0.003", "0.02", "0.02"),    # only two months
       "WM": ("0.02", "0.005", "0.02"),    # broken in the middle
       "OK": ("0", "0", "0")}


def npl_months(db: Path) -> Path:
    months: dict[str, dict[str, Any]] = {}
    for i, m in enumerate(span("2026-08", "2026-10")):
        months[m] = {c: cm("60.00", risk_fund="0.00", npl=r[i]) for c, r in NPL.items()}
        if m != "2026-09":  # WG is not scored in September
            months[m]["WG"] = cm("60.00", risk_fund="0.00", npl="0.02")
    return store_months(db, months)


def test_npl_warning_in_payroll_json(tmp_path: Path) -> None:
    db = npl_months(tmp_path / "h.db")
    doc = managers(payroll(db, tmp_path, "--month", "2026-10"))
    assert len(doc["W3"]["warnings"]) == 1 and "第十六条第五项" in doc["W3"]["warnings"][0]
    assert {c for c, m in doc.items() if m["warnings"]} == {"W3"}
    # In September W3 has only two stored months (no July): no warning yet.
    sep = managers(payroll(db, tmp_path, "--month", "2026-09"))
    assert all(m["warnings"] == [] for m in sep.values())


EXPORT_HEADER = ["工号", "姓名", "机构", "类别", "放款户数", "放款金额", "管户户数",
                 "上年末管户户数", "不良率", "储蓄日均净增", "对公日均净增", "银行卡",
                 "代发工资50人以下", "代发工资50人及以上", "个人网银", "企业网银", "POS收单"]


def test_npl_warning_in_score_output(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    store_months(db, {m: {c: cm("60.00", npl=r[i]) for c, r in NPL.items() if c != "OK"}
                      for i, m in enumerate(["2026-08", "2026-09"])})
    zeros = [0, 0, 10, 10]
    tail = [0, 0, 0, 0, 0, 0, 0, 0]
    export = write_sheet(tmp_path / "2026-10.xlsx", EXPORT_HEADER, [
        [c, f"姓名{c}", "城东支行", "支行", *zeros, ratio, *tail]
        for c, ratio in (("W3", "2%"), ("W2", 0.02), ("WM", 0.02))],
        titles=("2026年10月客户经理业绩报表",))
    result = run("score", export, "--db", db, "--out", tmp_path)
    warned = [line for line in result.stdout.splitlines() if "第十六条第五项" in line]
    assert len(warned) == 1 and "W3" in warned[0]  # W2 and WM are not warned


# --- refusals and the JSON contract ------------------------------------------------------------

def test_payroll_of_a_never_scored_month_names_it(tmp_path: Path) -> None:
    db = store_months(tmp_path / "h.db", {"2026-10": {"X": cm("81.80")}})
    result = run("payroll", "--month", "2026-11", "--db", db, "--out", tmp_path, code=1)
    assert "2026-11" in result.stderr
    js = run("payroll", "--month", "2026-11", "--db", db, "--out", tmp_path, "--json", code=1)
    err = json.loads(js.stdout)
    assert "2026-11" in err["problems"][0]["message"]
    assert not (tmp_path / "payroll-2026-11.xlsx").exists()
    assert query(db, "SELECT count(*) FROM payrolls") == [(0,)]


def test_payroll_on_an_empty_store_is_refused(tmp_path: Path) -> None:
    result = run("payroll", "--db", tmp_path / "h.db", "--out", tmp_path, code=1)
    assert "score" in result.stderr


def test_payroll_json_contract(tmp_path: Path) -> None:
    db = graded_history(tmp_path / "h.db")
    result = run("payroll", "--month", "2026-05", "--db", db, "--out", tmp_path, "--json")
    doc = json.loads(result.stdout)  # exactly one document, nothing else on stdout
    assert {"month", "managers", "supervisors", "totals"} <= set(doc)
    assert set(doc["totals"]) == TOTAL_KEYS
    assert doc["supervisors"] == []
    for m in doc["managers"]:
        assert MANAGER_KEYS <= set(m)
        for key in ("base", "score", "pay", "risk_fund_release", "risk_fund_forfeit"):
            assert isinstance(m[key], str) and m[key] == f"{D(m[key]):.2f}"
    assert_reconciles(doc)


# --- the integer path (pay.Bases, history.accruals/npl_candidates) is the Decimal one ----------

amounts = st.integers(min_value=0, max_value=int(PAY_MAX)).flatmap(
    lambda n: st.sampled_from([D(n), D(n) / 10, D(n) / 100, D(n) / 1000]))


def payroll_of(first: Decimal, second: Decimal, third: Decimal, transition: Decimal) -> Payroll:
    return Payroll(kind="payroll", grades={"一级": first, "二级": second, "三级": third},
                   transition=transition, supervisor_link_share=D("0.1"))


@settings(max_examples=300, deadline=None)
@given(amounts, amounts, amounts, amounts,
       st.lists(st.tuples(st.sampled_from(["一级", "二级", "三级", "过渡期"]),
                          st.integers(min_value=-2000, max_value=30000)), max_size=6))
def test_integer_pay_and_fund_are_the_decimal_ones(first: Decimal, second: Decimal,
                                                   third: Decimal, transition: Decimal,
                                                   spans: list[tuple[str, int]]) -> None:
    payroll = payroll_of(first, second, third, transition)
    bases = Bases(payroll)
    for grade, points in spans:
        base = {"一级": first, "二级": second, "三级": third, "过渡期": transition}[grade]
        assert bases.fen(bases.units(grade) * points) == to_centi(monthly_pay(base, D(points) / 100))
    valued = [({"一级": first, "二级": second, "三级": third, "过渡期": transition}[g], D(p) / 100)
              for g, p in spans]
    units = sum(bases.units(g) * p for g, p in spans)
    assert bases.fen(units) == to_centi(fund_value(valued))


def churned_pay_year(db: Path) -> Path:
    """2026-01…12 graded twice in the year (effective 04 and 08): spans of three bases;
    joiners, leavers, gaps and NPL ratios stored as 0, 0.000, long decimals or none."""
    ids = ["A", "B", "C", "D", "E", "F", "G", "c,d"]
    ratios = ["0", "0.000", "0.0125", "0.01", "0.009999", "0.0200000000000000001", "0.003"]
    months = {}
    for k, m in enumerate(span("2026-01", "2026-12")):
        cms = {}
        for j, c in enumerate(ids):
            if (c == "D" and k < 5) or (c == "E" and k > 9) or (c == "F" and k == 7):
                continue
            npl = ratios[(j + k // 4) % len(ratios)] if c != "G" else "0.02"
            cms[c] = cm(f"{70 + (j * 5 + k) % 30}.{k % 10}5", risk_fund=f"{(j + k) % 7}.00",
                        npl=npl)
        months[m] = cms
    store_months(db, months)
    with closing(sqlite3.connect(db)) as conn:  # one CM stored without a ratio at all
        conn.execute("UPDATE scores SET npl_ratio = NULL WHERE cm_id = 'C' AND month = '2026-11'")
        itemcols.put_points(conn, "2026-11")  # as storing the month would have copied it
        conn.commit()
    for end in ("2026-03", "2026-07"):
        run("grade", "--months", 3, "--end", end, "--db", db, "--out", db.parent)
    return db


def test_accruals_sum_each_span_of_the_stored_rows(tmp_path: Path) -> None:
    db = churned_pay_year(tmp_path / "h.db")
    conn = store.connect(db)
    try:
        funds = history.accruals(conn, 2026, "2026-12")
    finally:
        conn.close()
    assert funds.starts == ["2026-01", "2026-04", "2026-08"]
    bounds = [*funds.starts, "2026-12"]
    for s, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
        expected = dict(query(db, "SELECT cm_id, sum(risk_fund_cp) FROM scores WHERE month >= ?"
                                  " AND month < ? GROUP BY cm_id", lo, hi))
        got = {cm: p for cm, p in zip(funds.ids, funds.points[s], strict=True) if cm in expected}
        assert got == expected
        assert all(p == 0 for cm, p in zip(funds.ids, funds.points[s], strict=True)
                   if cm not in expected)
    assert funds.ids == sorted(c for (c,) in query(
        db, "SELECT DISTINCT cm_id FROM scores WHERE month < '2026-12'"))


def test_npl_candidates_warn_as_the_full_history_does(tmp_path: Path) -> None:
    db = churned_pay_year(tmp_path / "h.db")
    conn = store.connect(db)
    try:
        for end in ("2026-03", "2026-06", "2026-11", "2026-12"):
            months = window(end, 3)
            full = history.npl_history(conn, months)
            few = history.npl_candidates(conn, months)
            assert {c: npl_warning(r) for c, r in full.items() if npl_warning(r)} == \
                {c: npl_warning(r) for c, r in few.items() if npl_warning(r)}
            assert len(few) < len(full)
            # every CM with a ratio other than 0 in each month, with their ratios as stored
            assert {c for c, r in full.items() if all(x is not None and x != 0 for x in r)} \
                <= set(few)
            assert all(few[c] == full[c] for c in few)
    finally:
        conn.close()
    assert "G" in few


def test_npl_candidates_come_in_the_same_order_every_run(tmp_path: Path) -> None:
    """The 第十六条第五项 warnings' order must not depend on the interpreter's string hashing
    (found by the session 8 red team: `score --json` listed 494 warnings in a new order
    each run). Two interpreters with different hash seeds, the same answer: by 工号."""
    import subprocess
    import sys

    months = {m: {f"N{k:03d}": cm("80.00", npl="0.012") for k in range(60)}
              for m in ("2026-01", "2026-02", "2026-03")}
    db = store_months(tmp_path / "h.db", months)
    code = ("import sys\nfrom pathlib import Path\nfrom cmscore.store import db, history\n"
            f"conn = db.connect(Path({str(db)!r}))\n"
            "print(list(history.npl_candidates(conn, ['2026-01', '2026-02', '2026-03'])))")
    seen = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": str(seed)}
                           ).stdout for seed in (1, 2, 3)}
    assert seen == {str(sorted(months["2026-01"])) + "\n"}


def test_december_pay_of_a_churned_year_reconciles(tmp_path: Path) -> None:
    db = churned_pay_year(tmp_path / "h.db")
    doc = payroll(db, tmp_path, "--month", "2026-12")
    assert_reconciles(doc)
    got = managers(doc)
    assert doc["unsettled_risk_fund"] == ["E"]
    assert got["C"]["risk_fund_release"] == "0.00" and got["C"]["risk_fund_forfeit"] != "0.00"
    assert any("第十六条第五项" in w for w in got["G"]["warnings"])
    # Each month's points at the base of the grade in effect then, summed and rounded once.
    grades = {e: dict(query(db, "SELECT cm_id, grade FROM grades WHERE effective_month = ?", e))
              for e in ("2026-04", "2026-08")}
    rules = load_rules().payroll
    for c, m in got.items():
        valued = []
        for month, points in query(db, "SELECT month, risk_fund_cp FROM scores WHERE cm_id = ?"
                                       " ORDER BY month", c):
            effective = "2026-08" if month >= "2026-08" else "2026-04" if month >= "2026-04" \
                else None
            grade = grades[effective].get(c, "三级") if effective else None
            base = rules.transition if grade is None else rules.grades[grade]
            valued.append((base, D(points) / 100))
        amount = fund_value(valued)
        assert D(m["risk_fund_release"]) + D(m["risk_fund_forfeit"]) == amount, c


def test_a_failing_workbook_stores_no_pay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = graded_history(tmp_path / "h.db")

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(out_payroll, "write_payroll", broken)
    with pytest.raises(OSError, match="disk full"):
        app_payroll.run_payroll(month="2026-05", db=db, out_dir=tmp_path)
    assert query(db, "SELECT count(*) FROM pay") == [(0,)]
    assert query(db, "SELECT count(*) FROM payrolls") == [(0,)]
    assert list(tmp_path.glob("*.xlsx")) == []
