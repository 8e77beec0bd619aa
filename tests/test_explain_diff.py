"""`cmscore explain` and `cmscore diff` through the command line (SPEC §8, §9).

Every store is built here by `cmscore score` of tiny exports written in tmp_path; the
figures that decide each assertion sit next to it. explain and diff only read the
store, so the stores are built once per module and shared (a test checks that they
really are left unchanged).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cmscore.rules.ruleset import DEFAULT_DIR
from conftest import HEADERS, WORKED, ZEROS, write_xlsx
from history_helpers import read_sheet, run, run_json

pytestmark = pytest.mark.usefixtures("short_windows")  # grades over 1–3 months

D = Decimal
CENT = D("0.01")
OCT = "2026-10"
ITEM_IDS = ["loan_households", "loan_amount", "managed_households", "npl", "savings_growth",
            "corporate_growth", "cards", "payroll_agency", "personal_ebank", "corporate_ebank",
            "pos"]


def r2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def export(folder: Path, month: str, rows: Sequence[dict[str, Any]],
           headers: Sequence[str] = HEADERS) -> Path:
    """A one-sheet export for ``month`` (title row names the month), rows as dicts."""
    year, mon = month.split("-")
    return write_xlsx(folder / f"{month}.xlsx", headers,
                      [[r[h] for h in headers] for r in rows],
                      titles=(f"{year}年{int(mon)}月客户经理业绩报表",))


def cm(base: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    values = dict(WORKED if base is None else base)
    values.update(changes)
    return values


def score(folder: Path, db: Path, out: Path, month: str, rows: Sequence[dict[str, Any]],
          headers: Sequence[str] = HEADERS) -> None:
    run("score", export(folder, month, rows, headers), "--month", month, "--db", db,
        "--out", out, "-q")


def explain(db: Path, cm_id: str, month: str) -> dict[str, Any]:
    return run_json("explain", cm_id, "--month", month, "--db", db)


def diff(db: Path, out: Path, rules: Path, *extra: Any) -> dict[str, Any]:
    return run_json("diff", "--rules", rules, "--db", db, "--out", out, *extra)


# The points a sentence ends on: 「= 7.50分」 for linear and per-client items, 「→ 6.00分」 for
# the NPL tiers (the risk fund's 「计提6.00分」 is not preceded by = or →).
POINTS_IN_TEXT = re.compile(r"(?:=|→) ?(-?\d+\.\d{2})分")


def sentence_points(text: str) -> Decimal:
    found = POINTS_IN_TEXT.findall(text)
    assert found, f"no points in {text!r}"
    return D(found[-1])


def assert_consistent(doc: dict[str, Any]) -> None:
    """Each sentence ends on its item's points, and the items add up to the total."""
    assert set(doc["items"]) == set(ITEM_IDS)
    for item_id, item in doc["items"].items():
        assert sentence_points(item["text"]) == D(item["points"]), (item_id, item)
    assert sum((D(i["points"]) for i in doc["items"].values()), D(0)) == D(doc["total"])


# 「新增9户 × 2.5分 = 」, 「新增50万元 ÷ 4万元 × 1分 = 」, 「130 − 上年末126 = 4户 × 2分 = 」
LINEAR = re.compile(r"(?P<fig>-?\d+(?:\.\d+)?)(?:户|万元|张)(?: ÷ (?P<unit>\d+(?:\.\d+)?)万元)?"
                    r" × (?P<rate>\d+(?:\.\d+)?)分 = (?P<eq>-?\d+(?:\.\d+)?)分")
PER_CLIENT = re.compile(r"(\d+)户 × (\d+(?:\.\d+)?)分")


def stated_product_holds(text: str) -> bool:
    """The equation the sentence writes is true: figure ÷ unit × rate (+ full) = stated."""
    if "代发工资" in text:
        lhs = sum((D(n) * D(p) for n, p in PER_CLIENT.findall(text)), D(0))
        return r2(lhs) == D(re.search(r" = (\d+(?:\.\d+)?)分", text).group(1))  # type: ignore[union-attr]
    m = LINEAR.search(text)
    assert m, text
    lhs = D(m["fig"]) / D(m["unit"] or 1) * D(m["rate"])
    early = re.search(r"按满分(\d+)分 \+ ", text)
    if early:
        lhs += D(early.group(1))
    return r2(lhs) == D(m["eq"])


def table_digest(db: Path) -> dict[str, Any]:
    """Row counts of every table and a checksum of scores and items, to prove nothing moved."""
    with closing(sqlite3.connect(db)) as conn:
        tables = [t for (t,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        digest = hashlib.sha256()
        for t in ("scores", "item_columns", "ytd", "months", "runs"):
            for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2"):
                digest.update(repr(r).encode())
    return {"counts": counts, "sha256": digest.hexdigest()}


def stored_ranks(db: Path, month: str) -> dict[str, tuple[Decimal, int]]:
    with closing(sqlite3.connect(db)) as conn:
        return {c: (D(t) / 100, r) for c, t, r in conn.execute(
            "SELECT cm_id, total_cp, rank FROM scores WHERE month = ?", (month,))}


def rules_copy(tmp: Path, loan_rate: str | None = None) -> Path:
    """A copy of the shipped rule files; optionally 附件1 放款户数 rate 2.5 → ``loan_rate``."""
    target = tmp / ("rules" if loan_rate is None else f"rules-{loan_rate}")
    shutil.copytree(DEFAULT_DIR, target)
    if loan_rate is not None:
        path = target / "1-zhihang.yaml"
        text = path.read_text(encoding="utf-8")
        assert text.count("rate: 2.5\n") == 1  # only 放款户数 has this rate in 附件1
        path.write_text(text.replace("rate: 2.5\n", f"rate: {loan_rate}\n"), encoding="utf-8")
    return target


def competition(totals: dict[str, Decimal]) -> dict[str, int]:
    return {c: 1 + sum(1 for o in totals.values() if o > t) for c, t in totals.items()}


# --- the stores ---------------------------------------------------------------------------

# 2026-10, one month. 放款户数 per CM decides the diff under rate 3.
OCT_ROWS = [
    cm(),                                                     # E001: SPEC §9, 放款户数 3
    cm(工号="E002", 姓名="李娜", 放款户数=9, 管户户数=120,      # capped, decrease, 0.7%
       不良率=D("0.007"), 代发工资50人以下=0, 代发工资50人及以上=3),
    cm(ZEROS, 工号="E003", 姓名="王芳", 不良率=D("0.003")),    # 放款户数 0
    cm(ZEROS, 工号="E004", 姓名="赵强", 放款户数=7),            # 17.5 → 21 capped at 20
    cm(工号="F001", 姓名="刘洋", 机构="分行营业部", 类别="分行个金"),
    cm(工号="G001", 姓名="陈静", 机构="分行营业部", 类别="分行公司", 放款户数=1),
]


@pytest.fixture(scope="module")
def oct_store(tmp_path_factory: pytest.TempPathFactory, short_windows: Path) -> Path:
    tmp = tmp_path_factory.mktemp("oct")
    db = tmp / "cmscore.db"
    score(tmp, db, tmp / "out", OCT, OCT_ROWS)
    return db


# 2025-12 gives 管户户数 baselines; 2026-01..05 give E001 10 households a month (50 ≥ the
# annual task 48 = 12 × 4); 2026-06 is explained. The 2026 exports carry no baseline column.
NO_BASELINE = [h for h in HEADERS if h != "上年末管户户数"]


@pytest.fixture(scope="module")
def early_store(tmp_path_factory: pytest.TempPathFactory, short_windows: Path) -> Path:
    tmp = tmp_path_factory.mktemp("early")
    db, out = tmp / "cmscore.db", tmp / "out"
    score(tmp, db, out, "2025-12", [cm(ZEROS, 管户户数=126, 上年末管户户数=126, 放款户数=10),
                                    cm(ZEROS, 工号="E002", 管户户数=126, 上年末管户户数=126)])
    for mon in range(1, 6):
        score(tmp, db, out, f"2026-{mon:02d}",
              [cm(ZEROS, 管户户数=126, 放款户数=10), cm(ZEROS, 工号="E002", 管户户数=126,
                                                       放款户数=4)], NO_BASELINE)
    score(tmp, db, out, "2026-06", [cm(ZEROS, 管户户数=130, 放款户数=3),
                                    cm(ZEROS, 工号="E002", 管户户数=126, 放款户数=5)], NO_BASELINE)
    return db


# Three 支行 CMs, graded over 2026-01..02 (effective 2026-03): E009 一级, E001 二级, E008 三级;
# 2026-03 is scored and paid, E001 with the SPEC §9 row (二级: 1200 × 81.80 / 100 = 981.60).
GRADED = [cm(工号="E009", 姓名="高飞", 放款户数=6), cm(),
          cm(ZEROS, 工号="E008", 姓名="孙丽")]


@pytest.fixture(scope="module")
def graded_store(tmp_path_factory: pytest.TempPathFactory, short_windows: Path) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("graded")
    db, out = tmp / "cmscore.db", tmp / "out"
    for month in ("2026-01", "2026-02", "2026-03"):
        score(tmp, db, out, month, GRADED)
    run("grade", "--months", 2, "--end", "2026-02", "--db", db, "--out", out, "-q")
    run("payroll", "--month", "2026-03", "--db", db, "--out", out, "-q")
    return db, out


# --- 1. explain: each item's sentence ---------------------------------------------------

def test_explain_worked_example_every_sentence(oct_store: Path) -> None:
    doc = explain(oct_store, "E001", OCT)
    assert {"id", "month", "total", "items"} <= set(doc)
    assert (doc["id"], doc["month"], doc["total"]) == ("E001", OCT, "81.80")
    items = doc["items"]
    assert {k: v["points"] for k, v in items.items()} == {
        "loan_households": "7.50", "loan_amount": "12.50", "managed_households": "8.00",
        "npl": "6.00", "savings_growth": "20.00", "corporate_growth": "15.00", "cards": "2.40",
        "payroll_agency": "3.00", "personal_ebank": "2.40", "corporate_ebank": "2.00",
        "pos": "3.00"}
    # linear monthly, unit 1
    assert items["loan_households"]["text"] == "放款户数：新增3户 × 2.5分 = 7.50分（满分10 / 高限20）"
    # linear, unit ≠ 1 (proportional: 50 ÷ 4 = 12.5, not 12)
    assert "新增50万元 ÷ 4万元 × 1分 = 12.50分" in items["loan_amount"]["text"]
    # vs_baseline, baseline from the export
    assert "管户户数：130 − 上年末126 = 4户 × 2分 = 8.00分" in items["managed_households"]["text"]
    assert "基数取自" not in items["managed_households"]["text"]
    # vs_baseline with the export's increase column
    assert "储蓄日均净增：净增 20万元 × 1分 = 20.00分" in items["savings_growth"]["text"]
    assert "净增 30万元 ÷ 2万元 × 1分 = 15.00分" in items["corporate_growth"]["text"]
    # tiered NPL with the risk fund
    assert "→ 6.00分；风险金计提6.00分" in items["npl"]["text"]
    assert doc["risk_fund"] == "6.00"
    # per-client 代发工资
    assert "50人以下1户 × 3分 + 50人及以上0户 × 6分 = 3.00分" in items["payroll_agency"]["text"]
    assert_consistent(doc)
    for item_id in ITEM_IDS:
        if item_id != "npl":
            assert stated_product_holds(items[item_id]["text"]), items[item_id]["text"]


def test_explain_capped_decrease_and_npl_ratio(oct_store: Path) -> None:
    doc = explain(oct_store, "E002", OCT)
    items = doc["items"]
    # 9 × 2.5 = 22.5 > 高限 20
    assert items["loan_households"]["points"] == "20.00"
    assert "超过高限" in items["loan_households"]["text"]
    # 120 − 126 = −6: a decrease scores 0, never below
    assert items["managed_households"]["points"] == "0.00"
    assert "120 − 上年末126 = -6户" in items["managed_households"]["text"]
    assert "减少不扣分" in items["managed_households"]["text"]
    # NPL 0.7% is in [0.5%, 1%) → 1 point, and 1 point into the risk fund
    assert items["npl"]["points"] == "1.00"
    assert "0.7%" in items["npl"]["text"]
    assert "→ 1.00分；风险金计提1.00分" in items["npl"]["text"]
    assert doc["risk_fund"] == "1.00"
    # 代发工资 3 clients ≥ 50 people: 18 > 高限 12
    assert items["payroll_agency"]["points"] == "12.00"
    assert "50人及以上3户 × 6分" in items["payroll_agency"]["text"]
    assert "超过高限" in items["payroll_agency"]["text"]
    assert_consistent(doc)


def test_explain_npl_small_ratio_and_zero_items(oct_store: Path) -> None:
    doc = explain(oct_store, "E003", OCT)
    assert doc["items"]["npl"]["points"] == "3.00"
    assert "0.3%" in doc["items"]["npl"]["text"]
    assert "→ 3.00分；风险金计提3.00分" in doc["items"]["npl"]["text"]
    assert doc["items"]["loan_households"]["text"].startswith("放款户数：新增0户 × 2.5分 = 0.00分")
    assert doc["total"] == "3.00"
    assert_consistent(doc)


@pytest.mark.parametrize("cm_id", ["E004", "F001", "G001"])
def test_explain_other_managers_and_tables_are_consistent(oct_store: Path, cm_id: str) -> None:
    doc = explain(oct_store, cm_id, OCT)
    assert doc["id"] == cm_id and doc["stored_total"] == doc["total"]
    assert doc["rules_changed"] is False
    assert_consistent(doc)


def test_explain_early_completion(early_store: Path) -> None:
    # Jan..May: 5 × 10 = 50 ≥ 48; June scores min(20, 10 + 3 × 2.5) = 17.50.
    doc = explain(early_store, "E001", "2026-06")
    item = doc["items"]["loan_households"]
    assert item["points"] == "17.50"
    assert "提前完成年度任务" in item["text"]
    assert "此前累计50户" in item["text"] and "年度任务48户" in item["text"]
    assert D(item["points"]) == min(D(20), D(10) + 3 * D("2.5"))  # min(cap, full + month)
    assert "按满分10分 + 本月新增3户 × 2.5分 = 17.50分" in item["text"]
    assert stated_product_holds(item["text"])
    assert_consistent(doc)


def test_explain_below_the_annual_task_is_not_early(early_store: Path) -> None:
    # E002: Jan..May 5 × 4 = 20 < 48, so June (5 households) is a normal month: 12.50.
    doc = explain(early_store, "E002", "2026-06")
    assert doc["items"]["loan_households"]["points"] == "12.50"
    assert "提前完成" not in doc["items"]["loan_households"]["text"]
    assert_consistent(doc)


def test_explain_month_reaching_the_task_is_scored_normally(early_store: Path) -> None:
    # End of April: 40 < 48, so May scores 10 × 2.5 = 25 → capped 20, not early.
    doc = explain(early_store, "E001", "2026-05")
    item = doc["items"]["loan_households"]
    assert item["points"] == "20.00"
    assert "提前完成" not in item["text"] and "超过高限" in item["text"]
    assert_consistent(doc)


def test_explain_defaults_to_the_latest_month(early_store: Path) -> None:
    doc = run_json("explain", "E001", "--db", early_store)
    assert doc["month"] == "2026-06"


def test_explain_baseline_from_the_store(early_store: Path) -> None:
    # The 2026 exports carry no 上年末管户户数: the baseline is E001's 2025-12 管户户数 126.
    doc = explain(early_store, "E001", "2026-06")
    text = doc["items"]["managed_households"]["text"]
    assert doc["items"]["managed_households"]["points"] == "8.00"
    assert "130 − 上年末126" in text and "历史库 2025-12" in text
    assert "= 4户 × 2分 = 8.00分" in text


# A capped or clamped sentence writes 「9户 × 2.5分 = 20.00分，超过高限…」: the equation it
# states is false (9 × 2.5 = 22.5), which is what staff checking by hand will trip on.
@pytest.mark.parametrize("item_id", ["loan_households", "managed_households", "payroll_agency"])
def test_explain_clamped_sentence_states_a_true_equation(oct_store: Path, item_id: str) -> None:
    text = explain(oct_store, "E002", OCT)["items"][item_id]["text"]
    assert stated_product_holds(text), text


def test_explain_early_capped_sentence_states_a_true_equation(tmp_path: Path) -> None:
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    score(tmp_path, db, out, "2026-01", [cm(ZEROS, 放款户数=48)])
    score(tmp_path, db, out, "2026-02", [cm(ZEROS, 放款户数=10)])
    item = explain(db, "E001", "2026-02")["items"]["loan_households"]
    assert item["points"] == "20.00" and "提前完成年度任务" in item["text"]
    assert stated_product_holds(item["text"]), item["text"]


def test_explain_human_panel(oct_store: Path) -> None:
    result = run("explain", "E001", "--month", OCT, "--db", oct_store)
    assert "放款户数：新增3户 × 2.5分 = 7.50分" in result.stdout
    assert "81.80" in result.stdout
    assert "尚未定级" in result.stdout


# --- 2. explain: grade and pay ----------------------------------------------------------

def test_explain_grade_and_pay_match_payroll(graded_store: tuple[Path, Path]) -> None:
    db, out = graded_store
    pay = {m["id"]: m for m in run_json("payroll", "--month", "2026-03", "--replace", "--db", db,
                                        "--out", out)["managers"]}
    grades = {m["id"]: m for m in run_json("grade", "--months", 2, "--end", "2026-02", "--replace",
                                           "--db", db, "--out", out)["managers"]}
    for cm_id in ("E009", "E001", "E008"):
        doc = explain(db, cm_id, "2026-03")
        assert_consistent(doc)
        g = doc["grade"]
        assert g is not None
        assert g["grade"] == grades[cm_id]["grade"]
        assert g["rank"] == grades[cm_id]["rank"]
        assert g["effective"] == "2026-03" and g["window"] == "2026-01..2026-02"
        p, want = doc["pay"], pay[cm_id]
        assert p is not None
        assert (p["grade"], p["base"], p["score"], p["pay"]) == \
            (want["grade"], want["base"], want["score"], want["pay"])
        assert p["score"] == doc["total"]
        assert (f"履职绩效工资 {want['base']} 元 × 考核得分 {want['score']} / 100 = "
                f"{want['pay']} 元") in p["text"]
        assert D(want["pay"]) == r2(D(want["base"]) * D(want["score"]) / 100)
    assert [explain(db, c, "2026-03")["grade"]["grade"] for c in ("E009", "E001", "E008")] == \
        ["一级", "二级", "三级"]
    # SPEC §9: 二级 1200 × 81.80 / 100 = 981.60
    e001 = explain(db, "E001", "2026-03")["pay"]
    assert (e001["base"], e001["score"], e001["pay"]) == ("1200.00", "81.80", "981.60")


def test_explain_before_grading_and_payroll(graded_store: tuple[Path, Path]) -> None:
    db, _ = graded_store
    doc = explain(db, "E001", "2026-02")  # the grading takes effect in March; no payroll run
    assert doc["grade"] is None and doc["pay"] is None


def test_explain_panel_shows_grade_and_pay(graded_store: tuple[Path, Path]) -> None:
    db, _ = graded_store
    out = run("explain", "E001", "--month", "2026-03", "--db", db).stdout
    assert "二级" in out and "2026-03 起执行" in out
    assert "1200.00 元 × 考核得分 81.80 / 100 = 981.60 元" in out


# --- 3. explain: refusals -----------------------------------------------------------------

@pytest.mark.parametrize(("args", "named"), [
    (("E999", "--month", OCT), "E999"),
    (("E001", "--month", "2026-11"), "2026-11"),
])
def test_explain_unknown_id_or_unscored_month(oct_store: Path, args: tuple[str, ...],
                                              named: str) -> None:
    human = run("explain", *args, "--db", oct_store, code=1)
    assert named in human.stderr and human.stdout == ""
    doc = json.loads(run("explain", *args, "--db", oct_store, "--json", code=1).stdout)
    assert any(named in p["message"] for p in doc["problems"])


def test_explain_without_store(tmp_path: Path) -> None:
    result = run("explain", "E001", "--db", tmp_path / "none.db", code=1)
    assert "none.db" in result.stderr
    assert not (tmp_path / "none.db").exists()


# --- 4. diff: unchanged rules -------------------------------------------------------------

def test_diff_unchanged_rules_changes_nothing(oct_store: Path, tmp_path: Path) -> None:
    doc = diff(oct_store, tmp_path / "out", rules_copy(tmp_path))
    stored = stored_ranks(oct_store, OCT)
    assert doc["months"] == [OCT] and doc["graded"] is False
    assert sorted(m["id"] for m in doc["managers"]) == sorted(stored)
    for m in doc["managers"]:
        assert m["delta"] == "0.00"
        assert m["old_total"] == m["new_total"] == f"{stored[m['id']][0]:.2f}"
        assert m["old_rank"] == m["new_rank"] == stored[m["id"]][1]
    assert doc["totals"]["old_total"] == doc["totals"]["new_total"]
    assert "pay_change" not in doc["totals"]


def test_diff_unchanged_rules_over_a_window(graded_store: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    db, _ = graded_store
    doc = diff(db, tmp_path / "out", rules_copy(tmp_path), "--months", "2026-01..2026-03")
    assert doc["months"] == ["2026-01", "2026-02", "2026-03"] and doc["graded"] is True
    for m in doc["managers"]:
        assert m["delta"] == "0.00" and m["old_rank"] == m["new_rank"]
        assert m["old_grade"] == m["new_grade"] and m["old_pay"] == m["new_pay"]
    assert doc["totals"]["pay_change"] == "0.00"
    assert doc["totals"]["old_pay"] == doc["totals"]["new_pay"]
    assert (tmp_path / "out" / "diff-2026-01_2026-03.xlsx").exists()


# --- 5. diff: one changed rate ------------------------------------------------------------

def test_diff_loan_rate_3(oct_store: Path, tmp_path: Path) -> None:
    before = table_digest(oct_store)
    out = tmp_path / "out"
    doc = diff(oct_store, out, rules_copy(tmp_path, "3"))
    assert table_digest(oct_store) == before  # the store is not modified

    households = {r["工号"]: r["放款户数"] for r in OCT_ROWS}
    category = {r["工号"]: r["类别"] for r in OCT_ROWS}
    lines = {m["id"]: m for m in doc["managers"]}
    assert set(lines) == set(households)
    for cm_id, m in lines.items():
        h = D(households[cm_id])
        if category[cm_id] == "支行":
            want = min(D(20), 3 * h) - min(D(20), D("2.5") * h)
        else:
            want = D(0)  # 附件2/3 are not touched
        assert D(m["delta"]) == want, cm_id
        assert D(m["new_total"]) - D(m["old_total"]) == D(m["delta"])
    changed = {c: lines[c]["delta"] for c in lines if lines[c]["delta"] != "0.00"}
    # E001: 3 households → +1.50 (0.5 × 3); E004: 7 → 17.50 becomes 20 (capped), +2.50;
    # E002 (9, capped both ways) and E003 (0) unchanged.
    assert changed == {"E001": "1.50", "E004": "2.50"}
    below_cap = [c for c in lines if category[c] == "支行" and 0 < households[c] and
                 3 * households[c] <= 20]
    assert below_cap == ["E001"]
    assert all(D(lines[c]["delta"]) == D("0.5") * households[c] for c in below_cap)

    # ranks: old ones are the stored ones; new ones rank the new totals within category
    stored = stored_ranks(oct_store, OCT)
    for c, m in lines.items():
        assert m["old_rank"] == stored[c][1]
    for cat in set(category.values()):
        members = {c: D(lines[c]["new_total"]) for c in lines if category[c] == cat}
        assert {c: lines[c]["new_rank"] for c in members} == competition(members)
    assert D(doc["totals"]["new_total"]) - D(doc["totals"]["old_total"]) == D("4.00")

    # the workbook: readable, one row per manager, the same figures
    path = out / f"diff-{OCT}_{OCT}.xlsx"
    assert path.exists()
    rows = {r["工号"]: r for r in read_sheet(path, "对比")}
    assert set(rows) == set(lines)
    for c, m in lines.items():
        assert D(str(rows[c]["变化"])).quantize(CENT) == D(m["delta"])
        assert rows[c]["新排名"] == m["new_rank"]
    wb = load_workbook(path, read_only=True)
    try:
        assert wb.sheetnames == ["对比", "合计", "运行记录"]
    finally:
        wb.close()


def test_diff_loan_rate_3_over_a_window_changes_pay(graded_store: tuple[Path, Path],
                                                     tmp_path: Path) -> None:
    db, _ = graded_store
    before = table_digest(db)
    doc = diff(db, tmp_path / "out", rules_copy(tmp_path, "3"), "--months", "2026-01..2026-03")
    assert table_digest(db) == before
    lines = {m["id"]: m for m in doc["managers"]}
    # E009 6 households: 15 → 18; E001 3: 7.5 → 9; E008 0: unchanged.
    assert {c: m["delta"] for c, m in lines.items()} == \
        {"E009": "3.00", "E001": "1.50", "E008": "0.00"}
    assert lines["E001"]["old_pay"] == "981.60"  # 二级 1200 × 81.80 / 100
    assert lines["E001"]["new_pay"] == "999.60"  # 1200 × 83.30 / 100
    t = doc["totals"]
    assert D(t["pay_change"]) == D(t["new_pay"]) - D(t["old_pay"])
    assert D(t["new_pay"]) == sum((D(m["new_pay"]) for m in lines.values()), D(0))
    assert D(t["old_pay"]) == sum((D(m["old_pay"]) for m in lines.values()), D(0))


def test_diff_human_output_and_store_untouched(oct_store: Path, tmp_path: Path) -> None:
    before = table_digest(oct_store)
    result = run("diff", "--rules", rules_copy(tmp_path, "3"), "--db", oct_store,
                 "--out", tmp_path / "out")
    assert "得分上升 2 人" in result.stdout and "历史库未改动" in result.stdout
    assert table_digest(oct_store) == before


def test_diff_refuses_unscored_months(oct_store: Path, tmp_path: Path) -> None:
    result = run("diff", "--rules", rules_copy(tmp_path), "--db", oct_store, "--out",
                 tmp_path / "out", "--months", "2026-09..2026-10", code=1)
    assert "2026-09" in result.stderr
    assert not (tmp_path / "out").exists()  # refused before any workbook is written


# --- 6. diff --json -----------------------------------------------------------------------

def test_diff_json_is_one_document(oct_store: Path, tmp_path: Path) -> None:
    result = run("diff", "--rules", rules_copy(tmp_path, "3"), "--db", oct_store, "--out",
                 tmp_path / "out", "--json")
    text = result.stdout.strip()
    doc, end = json.JSONDecoder().raw_decode(text)
    assert end == len(text)  # nothing after the document
    assert set(doc) >= {"managers", "totals"}
    assert isinstance(doc["managers"], list) and len(doc["managers"]) == len(OCT_ROWS)
    for m in doc["managers"]:
        assert {"id", "old_total", "new_total", "delta", "old_rank", "new_rank"} <= set(m)
        for key in ("old_total", "new_total", "delta"):
            assert re.fullmatch(r"-?\d+\.\d{2}", m[key]), (key, m[key])
        assert isinstance(m["old_rank"], int) and isinstance(m["new_rank"], int)
    assert {"old_total", "new_total"} <= set(doc["totals"])
    assert D(doc["totals"]["old_total"]) == sum((D(m["old_total"]) for m in doc["managers"]),
                                                D(0))
    assert D(doc["totals"]["new_total"]) == sum((D(m["new_total"]) for m in doc["managers"]),
                                                D(0))


def test_explain_ignores_a_changed_payroll_file_but_not_a_changed_table(
        oct_store: Path, tmp_path: Path) -> None:
    # The store was scored with the shipped rules; pay bases and the salary system's codes
    # do not change a score, a table does.
    rules = rules_copy(tmp_path)
    payroll = rules / "payroll.yaml"
    payroll.write_text(payroll.read_text(encoding="utf-8").replace("pay: JX01", "pay: JX09"),
                       encoding="utf-8")
    doc = run_json("explain", "E001", "--month", OCT, "--db", oct_store, "--rules", rules)
    assert doc["rules_changed"] is False and doc["notes"] == []
    table = rules / "1-zhihang.yaml"
    table.write_text(table.read_text(encoding="utf-8") + "# 改过\n", encoding="utf-8")
    doc = run_json("explain", "E001", "--month", OCT, "--db", oct_store, "--rules", rules)
    assert doc["rules_changed"] is True


def test_diff_grades_as_grade_does_with_the_roster(tmp_path: Path) -> None:
    """diff's grades under unchanged rules are the stored grading's, roster included: L was
    on leave in February (花名册), so grade ranks him on his two months; diff graded him
    三级 for the missing month, as if no roster had been recorded."""
    db, out = tmp_path / "cmscore.db", tmp_path / "out"
    people = [cm(ZEROS, 工号=f"P{i}", 姓名=f"员工{i}", 放款户数=8 - i) for i in range(5)]
    leave = cm(ZEROS, 工号="L", 姓名="休假者", 放款户数=7)
    for month in ("2026-01", "2026-02", "2026-03"):
        score(tmp_path, db, out, month, people + ([] if month == "2026-02" else [leave]))
    roster = tmp_path / "花名册.csv"
    roster.write_text("工号,姓名,类别,机构,任职日期,离职日期,状态,休假月份\n" + "".join(
        f"P{i},员工{i},支行,城东支行,2020-01-01,,在岗,\n" for i in range(5))
        + "L,休假者,支行,城东支行,2020-01-01,,在岗,2026-02\n", encoding="utf-8")
    graded = run_json("grade", "--months", 3, "--end", "2026-03", "--db", db, "--out", out,
                      "--roster", roster)
    stored = {m["id"]: m["grade"] for m in graded["managers"]}
    assert stored["L"] != "三级"  # ranked on January and March
    doc = diff(db, tmp_path / "d", rules_copy(tmp_path), "--months", "2026-01..2026-03")
    assert {m["id"]: m["old_grade"] for m in doc["managers"]} == stored
    assert {m["id"]: m["new_grade"] for m in doc["managers"]} == stored
