"""Issue 15: the roster file (花名册: 任职、离职、休假) and the rest of grading.yaml's policy
(min_months, count_in_n, quota_rounding, tie); a manager who changed 类别 is never averaged
across tables. CLI tests on tiny stored histories."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.engine.grading import grade_members, quotas
from cmscore.rules.grading import Grading as Policy
from cmscore.rules.ruleset import DEFAULT_DIR
from history_helpers import cm, query, run, run_json, span, store_months, write_sheet

YEAR = span("2026-01", "2026-12")
HALF = YEAR[:6]
ROSTER_HEADER = "工号,姓名,类别,机构,任职日期,离职日期,状态,休假月份\n"


def grade(db: Path, tmp: Path, months: int, end: str, *extra: Any) -> dict[str, Any]:
    return run_json("grade", "--months", months, "--end", end, "--db", db, "--out", tmp / "out",
                    *extra)  # type: ignore[no-any-return]


def by_id(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in doc["managers"]}


def roster_file(tmp: Path, rows: list[str], name: str = "花名册.csv") -> Path:
    path = tmp / name
    path.write_text(ROSTER_HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def everyone(ids: list[str], **special: str) -> list[str]:
    """A roster row for each id (支行, in post since 2020), or the row given for it."""
    return [special.get(c, f"{c},姓名{c},支行,城东支行,2020-01-01,,在岗,") for c in ids]


SHIPPED = {"count_in_n": "count_in_n:\n  joiners: false\n  leavers: false\n",
           "tie": "tie: all_higher\n", "quota_rounding": "quota_rounding: half_up\n",
           "min_months": "min_months: 6\n"}


def rules_with(tmp: Path, **settings: str) -> Path:
    """A copy of the shipped rules with grading.yaml's ``settings`` written as given."""
    rules = tmp / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    grading = rules / "grading.yaml"
    text = grading.read_text(encoding="utf-8")
    for key, value in settings.items():
        assert "\n" + SHIPPED[key] in text
        text = text.replace("\n" + SHIPPED[key], "\n" + value)
    grading.write_text(text, encoding="utf-8")
    return rules


# --- the finding: 29 支行 managers, one missed a month, one joined in April ---------------

def finding_year(db: Path) -> Path:
    months: dict[str, dict[str, Any]] = {}
    for m in YEAR:
        cms = {f"P{i:02d}": cm(f"{90 - i}.00") for i in range(1, 28)}
        if m != "2026-05":
            cms["G"] = cm("95.00")  # missed May
        if m >= "2026-04":
            cms["J"] = cm("96.00")  # joined in April
        months[m] = cms
    return store_months(db, months)


def test_a_missed_month_and_an_april_joiner_stay_inside_the_quota(tmp_path: Path) -> None:
    """8 of 29 were 三级 (28%): the missing-month manager and the April joiner fell outside the
    quota as 三级. Now both are ranked on the months they were scored in (min_months 6), N is
    29 and 三级 is round-half-up(0.2 × 29) = 6."""
    db = finding_year(tmp_path / "h.db")
    doc = grade(db, tmp_path, 12, "2026-12")
    assert doc["pool_size"] == 29
    assert doc["quotas"] == {"一级": 9, "二级": 14, "三级": 6}
    assert doc["counts"] == {"一级": 9, "二级": 14, "三级": 6}
    managers = by_id(doc)
    assert (managers["J"]["rank"], managers["J"]["grade"], managers["J"]["average"]) == \
        (1, "一级", "96.00")
    assert managers["J"]["reason"] == "平均分第 1 名 / 29 人（按计分的 9 个月平均；2026-04 起计分）"
    assert (managers["G"]["rank"], managers["G"]["grade"], managers["G"]["average"]) == \
        (2, "一级", "95.00")
    assert managers["G"]["reason"] == "平均分第 2 名 / 29 人（按计分的 11 个月平均；未计分 2026-05）"
    assert [m["id"] for m in doc["managers"] if m["grade"] == "三级"] == \
        [f"P{i:02d}" for i in range(22, 28)]


def test_grade_says_what_it_inferred_without_a_roster(tmp_path: Path) -> None:
    db = finding_year(tmp_path / "h.db")
    out = run("grade", "--months", 12, "--end", "2026-12", "--db", db, "--out", tmp_path).stdout
    assert ("说明：未登记花名册（cmscore roster）：按各月导出推定——某月导出中没有该工号即该月未计分，"
            "窗口内晚于首月才出现的按新增人员；休假、离职无从得知") in out
    assert ("说明：计分不少于 6 个月的按实际计分月份平均参加排名（2 人少于窗口月数）；少于 6 个月的 0 人"
            "定为三级（grading.yaml 的 min_months）") in out


def test_a_joiner_below_min_months_is_third_grade_and_count_in_n_puts_him_in_n(
        tmp_path: Path) -> None:
    months = {m: {f"P{i}": cm(f"{90 - i}.00") for i in range(10)} for m in YEAR}
    for m in ("2026-11", "2026-12"):
        months[m]["N"] = cm("99.00")
    db = store_months(tmp_path / "h.db", months)
    doc = grade(db, tmp_path / "a", 12, "2026-12")
    n = by_id(doc)["N"]
    assert (n["grade"], n["rank"], n["reason"]) == ("三级", None, "新增人员（2026-11 起计分，第六条）")
    assert (doc["pool_size"], doc["quotas"]["三级"], doc["counts"]["三级"]) == (10, 2, 3)
    rules = rules_with(tmp_path, count_in_n="count_in_n:\n  joiners: true\n  leavers: false\n")
    doc = grade(db, tmp_path / "b", 12, "2026-12", "--replace", "--rules", rules)
    # N = 11: 一级 3, 三级 2 — the joiner fills one of the two 三级 places
    assert (doc["pool_size"], doc["quotas"]) == (11, {"一级": 3, "二级": 6, "三级": 2})
    assert doc["counts"] == {"一级": 3, "二级": 6, "三级": 2}
    assert [m["id"] for m in doc["managers"] if m["grade"] == "三级"] == ["P9", "N"]


# --- the roster: leave months, leavers ---------------------------------------------------

def half_with_leave(db: Path) -> Path:
    months = {m: {c: cm(t) for c, t in (("A", "90.00"), ("B", "80.00"), ("C", "70.00"),
                                        ("D", "60.00"), ("E", "50.00"))} for m in HALF}
    for m in HALF:
        if m != "2026-03":
            months[m]["L"] = cm("85.00" if m < "2026-03" else "75.00")
    return store_months(db, months)


def test_leave_months_in_the_roster_are_not_counted_against_the_manager(tmp_path: Path) -> None:
    """The transition window needs every month; L was on leave in March. Without a roster he
    is 三级 for the missing month; with it (grade --roster) he is ranked on his 5 months."""
    db = half_with_leave(tmp_path / "h.db")
    before = by_id(grade(db, tmp_path, 6, "2026-06"))["L"]
    assert (before["grade"], before["reason"]) == ("三级", "缺少月份 2026-03，不按少于 6 个月平均")
    roster = roster_file(tmp_path, everyone(
        ["A", "B", "C", "D", "E"], L="") + ["L,姓名L,支行,城东支行,2019-03-01,,在岗,2026-03"])
    doc = grade(db, tmp_path, 6, "2026-06", "--replace", "--roster", roster)
    after = by_id(doc)["L"]
    # (85 × 2 + 75 × 3) / 5 = 79.00: 3rd of 6 (一级 2 places)
    assert (after["average"], after["rank"], after["grade"]) == ("79.00", 3, "二级")
    assert after["reason"] == "平均分第 3 名 / 6 人（按计分的 5 个月平均；休假 2026-03 不计）"
    assert doc["notes"][0].startswith("花名册：花名册.csv（")
    assert not any("不一致" in note for note in doc["notes"])
    moved = roster_file(tmp_path, everyone(["A", "B", "C", "D", "E", "L"],
                                           E="E,姓名E,分行个金,分行营业部,2020-01-01,,在岗,",
                                           L="L,姓名L,支行,城东支行,2019-03-01,,在岗,2026-03"),
                        "花名册2.csv")
    doc = grade(db, tmp_path, 6, "2026-06", "--replace", "--roster", moved)
    assert ("花名册类别与窗口末导出不一致 1 人，定级按导出（当月计分所用的表）：E 姓名E（花名册 分行个金，"
            "导出 支行）；请核对花名册") in doc["notes"]
    assert by_id(doc)["E"]["rank"] == 6
    # both files kept, the latest in force
    assert query(db, "SELECT file_id, count(*) FROM staff GROUP BY file_id") == [(1, 6), (2, 6)]


def test_a_leaver_in_the_roster_is_not_graded_unless_count_in_n_says_so(tmp_path: Path) -> None:
    months = {m: {f"P{i}": cm(f"{90 - i}.00") for i in range(5)} for m in YEAR}
    for m in YEAR[:11]:
        months[m]["Z"] = cm("99.00")
        months[m]["Y"] = cm("99.00", category="分行个金")
    db = store_months(tmp_path / "h.db", months)
    roster = roster_file(tmp_path, everyone([f"P{i}" for i in range(5)])
                         + ["Z,姓名Z,支行,城东支行,2015-07-01,2026-11-20,离职,",
                            "Y,姓名Y,分行个金,分行营业部,2015-07-01,2026-11-30,离职,"])
    said = run("roster", roster, "--db", db).stdout
    assert "已登记花名册 花名册.csv：7 人（离职 2 人，有休假月份 0 人）" in said
    doc = grade(db, tmp_path / "a", 12, "2026-12")
    assert "Z" not in by_id(doc) and "Y" not in by_id(doc) and doc["pool_size"] == 5
    assert "Z 姓名Z 离职日期 2026-11-20（花名册），不参加定级、不计入参评人数" in doc["notes"]
    rules = rules_with(tmp_path, count_in_n="count_in_n:\n  joiners: false\n  leavers: true\n")
    doc = grade(db, tmp_path / "b", 12, "2026-12", "--replace", "--rules", rules)
    assert by_id(doc)["Z"]["rank"] == 1 and doc["pool_size"] == 6
    assert "Z 姓名Z 离职日期 2026-11-20（花名册），按 grading.yaml 的 count_in_n.leavers 参加定级、" \
        "计入参评人数" in doc["notes"]  # the README says the 说明 name him either way


def test_a_roster_with_problems_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    db = half_with_leave(tmp_path / "h.db")
    roster = roster_file(tmp_path, [
        "A,姓名A,支行,城东支行,2020-01-01,,离职,",
        "B,姓名B,支行客户,城东支行,2020-01-01,,在岗,",
        "C,姓名C,支行,城东支行,2020-13-01,,在岗,",
        "D,姓名D,支行,城东支行,2020-01-01,2026-05-31,在岗,",
        "E,姓名E,支行,城东支行,2020-01-01,,休假,",
        "L,姓名L,支行,城东支行,2020-01-01,,在岗,2026-05至2026-03",
        "A,姓名A,支行,城东支行,2020-01-01,2026-05-31,离职,",
        "F,姓名F,支行,城东支行,2026-04-01,,在岗,2026-02",
    ])
    got = run("roster", roster, "--db", db, code=1).stderr
    lines = [line for line in got.splitlines() if "花名册.csv" in line]
    wanted = [
        ("2", "离职日期", "状态为离职但离职日期为空：请填写离职日期"),
        ("3", "类别", "类别「支行客户」不是规则文件中的类别：请写 支行、分行个金、分行公司 之一"),
        ("4", "任职日期", "「2020-13-01」不是日期：请写成 2026-06-15 或 2026年6月15日"),
        ("5", "状态", "已填离职日期 2026-05-31，状态却是在岗：请把状态改为离职，或删去离职日期"),
        ("6", "休假月份", "状态为休假但休假月份为空：请填写休假月份（如 2026-03至2026-05）"),
        ("7", "休假月份", "「2026-05至2026-03」的起月晚于止月：请写成 2026-03至2026-05"),
        ("8", "工号", "工号 A 与第 2 行重复"),
        ("9", "休假月份", "休假月份 2026-02 不在任职期间（2026-04-01 至 今）：请核对"),
    ]
    for row, column, message in wanted:
        assert any(f"│ {row} " in line and f"│ {column} " in line and message in line
                   for line in lines), (row, message, got)
    assert "共 8 处问题" in got
    assert query(db, "SELECT count(*) FROM staff") == [(0,)]
    got = run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", tmp_path,
              "--roster", roster, code=1).stderr
    assert "共 8 处问题" in got
    assert query(db, "SELECT count(*) FROM staff") == query(db, "SELECT count(*) FROM gradings") \
        == [(0,)]


def test_the_example_roster_is_accepted(tmp_path: Path) -> None:
    db = half_with_leave(tmp_path / "h.db")
    examples = Path(__file__).parent.parent / "examples"
    doc = run_json("roster", examples / "roster-2026.csv", "--db", db)
    warnings = doc.pop("warnings")
    assert doc == {"file": "roster-2026.csv", "managers": 40, "left": 0, "on_leave": 1}
    # this store is not the examples' bank: the roster and the exports disagree, and it says so
    assert [w.split("（")[0] for w in warnings] == ["花名册中 40 个工号从未计分",
                                                    "最近计分月份 2026-06 有 6 名客户经理不在花名册中"]


def test_a_roster_that_disagrees_with_the_exports_is_said(tmp_path: Path) -> None:
    """Red team: a mistyped 工号 (L typed as LL) silently took L's leave month away (三级),
    and a 离职日期 before months still scored was taken as it stood. Both are said, by
    roster and by grade --roster, without refusing (a roster may come before a month)."""
    db = half_with_leave(tmp_path / "h.db")
    rows = everyone(["A", "B", "C", "D"]) + [
        "LL,姓名L,支行,城东支行,2019-03-01,,在岗,2026-03",
        "E,姓名E,支行,城东支行,2019-03-01,2026-04-30,离职,"]
    doc = run_json("roster", roster_file(tmp_path, rows), "--db", db)
    assert doc["warnings"] == [
        "花名册中 1 个工号从未计分（LL）：请核对工号（是否丢了前导零、是否录错）",
        "最近计分月份 2026-06 有 1 名客户经理不在花名册中（L）：其休假、离职无从得知",
        "1 人离职日期早于最后计分月份（E（离职日期 2026-04-30，2026-06 仍有计分））：请核对离职日期"]
    notes = grade(db, tmp_path, 6, "2026-06", "--roster", roster_file(tmp_path, rows))["notes"]
    assert "花名册与导出不一致：花名册中 1 个工号从未计分（LL）：请核对工号（是否丢了前导零、是否录错）" in notes


def test_a_roster_workbook_with_date_cells_is_read(tmp_path: Path) -> None:
    db = half_with_leave(tmp_path / "h.db")
    rows = [[c, f"姓名{c}", "支行", "城东支行", datetime(2020, 1, 1), None, "在岗", None]
            for c in "ABCDE"]
    rows.append(["L", "姓名L", "支行", "城东支行", datetime(2019, 3, 1), None, "在岗",
                 datetime(2026, 3, 1)])  # one month of leave typed as a date
    path = write_sheet(tmp_path / "花名册.xlsx", ROSTER_HEADER.strip().split(","), rows,
                       titles=("2026年客户经理花名册",))
    doc = grade(db, tmp_path, 6, "2026-06", "--roster", path)
    assert by_id(doc)["L"]["reason"] == "平均分第 3 名 / 6 人（按计分的 5 个月平均；休假 2026-03 不计）"
    assert query(db, "SELECT appointed, leave FROM staff WHERE cm_id = 'L'") == \
        [("2019-03-01", '["2026-03"]')]


# --- never averaged across tables ----------------------------------------------------------

def test_a_manager_who_changed_category_is_graded_on_that_category_months_only(
        tmp_path: Path) -> None:
    """M was 分行个金 (99.00 a month in 附件2) until June and 支行 (50.00) from July: graded
    in the 支行 pool on his 支行 months only, 50.00 — not 74.50 across the two tables."""
    months = {m: {f"P{i}": cm(f"{80 - i}.00") for i in range(4)} for m in YEAR}
    for m in YEAR:
        months[m]["M"] = cm("99.00", category="分行个金") if m <= "2026-06" else cm("50.00")
    db = store_months(tmp_path / "h.db", months)
    doc = grade(db, tmp_path, 12, "2026-12")
    m = by_id(doc)["M"]
    assert (m["category"], m["average"], m["rank"], m["grade"]) == ("支行", "50.00", 5, "三级")
    assert m["reason"] == ("平均分第 5 名 / 5 人（按计分的 6 个月平均；2026-07 起计分；"
                           "2026-01 至 2026-06 为其他类别，不跨表平均）")
    assert "类别变更 1 人：只按窗口末所在类别的月份平均，不跨表平均" in doc["notes"]


# --- quota rounding and the tie rule -------------------------------------------------------

def test_quota_rounding_down(tmp_path: Path) -> None:
    db = finding_year(tmp_path / "h.db")
    rules = rules_with(tmp_path, quota_rounding="quota_rounding: down\n")
    doc = grade(db, tmp_path, 12, "2026-12", "--rules", rules)
    assert doc["quotas"] == {"一级": 8, "二级": 16, "三级": 5}  # 8.7 → 8, 5.8 → 5
    assert doc["counts"] == {"一级": 8, "二级": 16, "三级": 5}


def test_a_tie_across_a_boundary_takes_the_lower_grade_when_grading_yaml_says_so(
        tmp_path: Path) -> None:
    totals = {"A": "90.00", "B": "80.00", "C": "80.00", "D": "70.00", "E": "60.00"}
    db = store_months(tmp_path / "h.db", {m: {c: cm(t) for c, t in totals.items()} for m in HALF})
    higher = by_id(grade(db, tmp_path / "a", 6, "2026-06"))
    assert [higher[c]["grade"] for c in "ABCDE"] == ["一级", "一级", "一级", "二级", "三级"]
    rules = rules_with(tmp_path, tie="tie: all_lower\n")
    lower = by_id(grade(db, tmp_path / "b", 6, "2026-06", "--replace", "--rules", rules))
    assert [lower[c]["grade"] for c in "ABCDE"] == ["一级", "二级", "二级", "二级", "三级"]
    assert lower["B"]["boundary"] == "与第 2 名平均分 80.00 并列，跨越一级名额（2 人）分界，按较低等级二级"
    assert lower["C"]["boundary"] is None


# --- grading.yaml strict, and shown ----------------------------------------------------------

def test_a_wrong_grading_policy_is_refused_with_file_and_line(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, tie="tie: both\n", min_months="min_months: 0\n")
    text = (rules / "grading.yaml").read_text(encoding="utf-8").splitlines()
    got = run("rules", "check", rules, code=1)
    said = got.stdout + got.stderr
    assert f"grading.yaml:{text.index('tie: both') + 1}: tie:" in said
    assert f"grading.yaml:{text.index('min_months: 0') + 1}: min_months: 应不小于 1" in said
    assert f"grading.yaml:{text.index('tie: both') + 1}: tie: 应为 all_higher、all_lower 之一（现为 both）" in said  # pydantic's English in the office's words (red team)


def test_rules_show_prints_the_grading_policy() -> None:
    out = run("rules", "show").stdout
    assert "定级政策（文件 grading.yaml）：" in out
    assert "  最少计分月数（min_months）：6（窗口更短时为窗口月数）" in out
    assert "  计入参评人数 N（count_in_n）：新增人员 不计入、离职人员 不计入（不定级）" in out
    assert "  名额取整（quota_rounding）：四舍五入" in out
    assert "  名额分界处并列（tie）：都按较高等级" in out


# --- the tie rule and the rounding, for any pool ---------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([5000, 6000, 7000, 7500, 8000, 9000]), min_size=1, max_size=40),
       st.sampled_from(["all_higher", "all_lower"]), st.sampled_from(["half_up", "down"]))
def test_the_tie_rule_keeps_its_side_of_each_quota(totals: list[int], tie: str,
                                                   rounding: str) -> None:
    """all_higher never gives fewer than the 一级 quota nor more than the 三级 one; all_lower
    the reverse; equal averages always share a grade, and a higher one never grades lower."""
    policy = Policy(tie=tie, quota_rounding=rounding)  # type: ignore[arg-type]
    members = [(f"C{i:02d}", "n", "b", "支行", (t,)) for i, t in enumerate(totals)]
    result = grade_members(["2026-01"], members, policy=policy)
    q, n = quotas(len(totals), rounding), result.counts()
    assert result.quotas == q
    if tie == "all_higher":
        assert n["一级"] >= q["一级"] and n["三级"] <= q["三级"]
    else:
        assert n["一级"] <= q["一级"] and n["三级"] >= q["三级"]
    order = {"一级": 0, "二级": 1, "三级": 2}
    ranked = sorted(result.decisions, key=lambda d: -d.totals[0])  # type: ignore[operator]
    for better, worse in itertools.pairwise(ranked):
        assert order[better.grade] <= order[worse.grade]
        if better.totals == worse.totals:
            assert better.grade == worse.grade


def test_a_roster_with_a_totals_row_and_an_empty_date_says_so_plainly(tmp_path: Path) -> None:
    """Red team: a 合计 row under the list was five problems (「姓名为空」…「「」不是日期」),
    and an empty 任职日期 read 「「」不是日期」."""
    db = half_with_leave(tmp_path / "h.db")
    rows = everyone(["A", "B"]) + ["C,姓名C,支行,城东支行,,,在岗,", "合计,,,,,,,"]
    r = run("roster", roster_file(tmp_path, rows), "--db", db, "--json", code=1)
    assert [(p["row"], p["column"], p["message"]) for p in json.loads(r.stdout)["problems"]] == [
        (4, "任职日期", "任职日期为空：每人都要写明任职日期"),
        (5, "", "这一行像是「合计」行：花名册每行一条记录，不需要合计，请删除这一行")]
