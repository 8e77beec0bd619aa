"""SPEC §3 and the rule-file contract: shipped values, strict YAML, file:line errors."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from cmscore.rules import yamlsafe
from cmscore.rules.ruleset import DEFAULT_DIR, Item, RuleSet, load_rules
from cmscore.rules.yamlsafe import RuleFileError

D = Decimal
ZHIHANG = "1-zhihang.yaml"

# SPEC §3, item by item: (full, cap, rate, unit) for linear items, (full, cap) otherwise.
INTERMEDIATE = {
    "cards": ("3", "6", "0.2", "1"),
    "payroll_agency": ("6", "12"),
    "personal_ebank": ("3", "6", "0.3", "1"),
    "corporate_ebank": ("4", "8", "2", "1"),
    "pos": ("4", "8", "1", "1"),
}
SPEC_TABLES: dict[str, tuple[str, dict[str, str], dict[str, tuple[str, ...]]]] = {
    "支行": ("附件1", {"loans": "40", "deposits": "40", "intermediate": "20"}, {
        "loan_households": ("10", "20", "2.5", "1"),
        "loan_amount": ("18", "36", "1", "4"),
        "managed_households": ("6", "12", "2", "1"),
        "npl": ("6", "12"),
        "savings_growth": ("15", "30", "1", "1"),
        "corporate_growth": ("25", "50", "1", "2"),
        **INTERMEDIATE,
    }),
    "分行个金": ("附件2", {"loans": "60", "deposits": "20", "intermediate": "20"}, {
        "loan_households": ("10", "20", "1", "1"),
        "loan_amount": ("28", "56", "1", "8"),
        "managed_households": ("16", "32", "1", "1"),
        "npl": ("6", "12"),
        "savings_growth": ("10", "20", "1", "1"),
        "corporate_growth": ("10", "20", "1", "1"),
        **INTERMEDIATE,
    }),
    "分行公司": ("附件3", {"loans": "60", "deposits": "20", "intermediate": "20"}, {
        "loan_households": ("10", "20", "10", "1"),
        "loan_amount": ("28", "56", "1", "40"),
        "managed_households": ("16", "32", "16", "1"),
        "npl": ("6", "12"),
        "savings_growth": ("5", "10", "1", "2"),
        "corporate_growth": ("15", "30", "1", "2"),
        **INTERMEDIATE,
    }),
}
# SPEC §6: the default columns each item must accept, by role.
DEFAULT_COLUMNS = {
    "loan_households": {"value": "放款户数"},
    "loan_amount": {"value": "放款金额"},
    "managed_households": {"value": "管户户数", "baseline": "上年末管户户数"},
    "npl": {"ratio": "不良率", "numerator": "不良贷款余额", "denominator": "发放贷款余额"},
    "savings_growth": {"increase": "储蓄日均净增", "value": "储蓄日均", "baseline": "上年储蓄日均"},
    "corporate_growth": {"increase": "对公日均净增", "value": "对公日均",
                         "baseline": "上年对公日均"},
    "cards": {"value": "银行卡"},
    "personal_ebank": {"value": "个人网银"},
    "corporate_ebank": {"value": "企业网银"},
    "pos": {"value": "POS收单"},
}


def items(rules: RuleSet, category: str) -> dict[str, Item]:
    return {i.id: i for i in rules.tables[category].items}


# --- the shipped rules -----------------------------------------------------------------


@pytest.mark.parametrize("category", list(SPEC_TABLES))
def test_shipped_tables_have_the_spec_values(rules: RuleSet, category: str) -> None:
    table_name, groups, spec_items = SPEC_TABLES[category]
    table = rules.tables[category]
    assert table.table == table_name
    assert {g.id: g.full for g in table.groups} == {k: D(v) for k, v in groups.items()}
    got = items(rules, category)
    assert list(got) == list(spec_items)  # same items, in the SPEC's order
    for item_id, values in spec_items.items():
        item = got[item_id]
        assert (item.full, item.cap) == (D(values[0]), D(values[1])), item_id
        assert item.cap == 2 * item.full, item_id
        if len(values) == 4:
            assert item.kind == "linear", item_id
            assert (item.rate, item.unit) == (D(values[2]), D(values[3])), item_id
            assert not item.whole_units, item_id  # SPEC §4.1: proportional by default
    assert sum((i.full for i in table.items), D(0)) == 100


@pytest.mark.parametrize("category", list(SPEC_TABLES))
def test_shipped_bases_tiers_and_columns(rules: RuleSet, category: str) -> None:
    got = items(rules, category)
    stock = {"managed_households", "savings_growth", "corporate_growth"}
    for item in got.values():
        if item.kind == "linear":
            assert item.basis == ("vs_baseline" if item.id in stock else "monthly"), item.id
            assert item.early_completion is (item.basis == "monthly"), item.id
    npl = got["npl"]
    assert npl.kind == "tiered" and npl.risk_fund
    assert [(t.label(), t.points) for t in npl.tiers] == [
        ("= 0%", D(6)), ("> 0% 且 < 0.5%", D(3)), ("≥ 0.5% 且 < 1%", D(1)), ("≥ 1%", D(0))]
    payroll = got["payroll_agency"]
    assert payroll.kind == "per_client"
    assert [(t.columns[0], t.points) for t in payroll.client_tiers] == [
        ("代发工资50人以下", D(3)), ("代发工资50人及以上", D(6))]
    for item_id, roles in DEFAULT_COLUMNS.items():
        for role, column in roles.items():
            assert column in got[item_id].columns[role], (item_id, role, column)


@pytest.mark.parametrize(("ratio", "tier"), [
    ("0", 0), ("0.0000001", 1), ("0.0049999", 1), ("0.005", 2), ("0.0099999", 2), ("0.01", 3),
    ("1", 3),
])
def test_each_ratio_lies_in_exactly_one_tier(rules: RuleSet, ratio: str, tier: int) -> None:
    tiers = items(rules, "支行")["npl"].tiers
    assert [t.contains(D(ratio)) for t in tiers] == [i == tier for i in range(len(tiers))]


def test_shipped_export_and_payroll(rules: RuleSet) -> None:
    assert rules.export.identity["id"][0] == "工号"
    assert [v[0] for v in rules.export.identity.values()] == ["工号", "姓名", "机构", "类别"]
    assert rules.export.total_markers == ["合计", "总计", "小计"]
    assert [rules.payroll.grades[g] for g in ("一级", "二级", "三级")] == [D(1500), D(1200), D(900)]
    assert rules.payroll.transition == D(1000)
    assert set(rules.hashes) == {p.name for p in DEFAULT_DIR.glob("*.yaml")}
    assert all(len(h) == 64 for h in rules.hashes.values())


def test_numbers_load_as_decimal_exactly_as_written(rules: RuleSet, tmp_path: Path) -> None:
    got = items(rules, "支行")
    rate = got["personal_ebank"].rate
    assert type(rate) is Decimal and str(rate) == "0.3"
    assert str(got["cards"].rate) == "0.2"
    assert str(got["loan_households"].rate) == "2.5"
    assert [str(t.lt) for t in got["npl"].tiers[1:3]] == ["0.005", "0.01"]
    assert str(rules.payroll.supervisor_link_share) == "0.10"
    path = tmp_path / "n.yaml"
    path.write_text("a: 0.1\nb: 2.50\nc: 1_000\nd: -3\ne: '010'\nf: .5\ng: true\nh: 'no'\n",
                    encoding="utf-8")
    value, lines = yamlsafe.load(path)
    assert value == {"a": D("0.1"), "b": D("2.50"), "c": D(1000), "d": D(-3), "e": "010",
                     "f": D("0.5"), "g": True, "h": "no"}
    assert [type(value[k]) for k in "abcdf"] == [Decimal] * 5
    assert str(value["b"]) == "2.50"
    assert lines[("c",)] == 3


# --- broken rule directories --------------------------------------------------------------


def broken(tmp_path: Path, old: str, new: str, name: str = ZHIHANG) -> tuple[Path, str]:
    """Copy the shipped rules to tmp_path and replace ``old`` (which must occur once) by ``new``."""
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    path = target / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target, text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    [line] = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return line


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_rules(directory)
    assert str(caught.value)  # the exception's text lists every problem
    return [str(p) for p in caught.value.problems]


def only_problem(directory: Path) -> str:
    [problem] = problems_of(directory)
    return problem


def test_copied_rules_load(tmp_path: Path, rules: RuleSet) -> None:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    copied = load_rules(target)
    assert copied.tables == rules.tables
    assert copied.hashes == rules.hashes


def test_unknown_key(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        unit_label: 张\n",
                             "        unit_label: 张\n        ratee: 0.2\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'ratee')}:")
    assert "ratee" in problem and "未知的键" in problem


def test_duplicate_key(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        rate: 2.5\n", "        rate: 2.5\n        rate: 25\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'rate: 25')}:")
    assert "重复的键 rate" in problem
    assert f"第 {line_of(text, 'rate: 2.5')} 行已有" in problem


def test_full_greater_than_cap(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        full: 10\n        cap: 20\n",
                             "        full: 10\n        cap: 5\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'id: loan_households')}:")
    assert "full=10" in problem and "cap=5" in problem and "大于高限" in problem


def test_overlapping_tiers(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "{ge: 0.005, lt: 0.01, points: 1}",
                             "{ge: 0.004, lt: 0.01, points: 1}")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'id: npl')}:")
    assert "第 2 档与第 3 档重叠" in problem


def test_gapped_tiers(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "{ge: 0.005, lt: 0.01, points: 1}",
                             "{ge: 0.006, lt: 0.01, points: 1}")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'id: npl')}:")
    assert "第 2 档与第 3 档之间有空档" in problem


def test_open_bounds_meeting_leave_a_gap(tmp_path: Path) -> None:
    directory, _ = broken(tmp_path, "{ge: 0.005, lt: 0.01, points: 1}",
                          "{gt: 0.005, lt: 0.01, points: 1}")  # 0.005 itself scores nothing
    assert "空档" in only_problem(directory)


def test_empty_tier_is_refused(tmp_path: Path) -> None:
    """A tier whose lower bound is above its upper bound covers nothing; with it the
    neighbour checks pass while tiers 2 and 4 overlap ([0.1%, 0.5%) scored twice)."""
    directory, text = broken(tmp_path, "{ge: 0.005, lt: 0.01, points: 1}\n          - {ge: 0.01,",
                             "{ge: 0.005, lt: 0.001, points: 1}\n          - {ge: 0.001,")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'lt: 0.001')}:")
    assert "这一档是空的" in problem


def test_table_full_scores_must_sum_to_100(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "    full: 40\n    items:\n      - id: loan_households\n"
                             "        name: 放款户数\n        full: 10\n",
                             "    full: 45\n    items:\n      - id: loan_households\n"
                             "        name: 放款户数\n        full: 15\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'kind: table')}:")
    assert "各组满分之和为 105，应为 100" in problem


def test_group_items_must_sum_to_the_group_full(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        full: 18\n", "        full: 17\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'id: loans')}:")
    assert "各项满分之和 39" in problem and "组满分 40" in problem


def test_yaml_11_boolean_no(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        unit_label: 张\n",
                             "        unit_label: 张\n        whole_units: no\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'whole_units: no')}:")
    assert "「no」" in problem and "YAML 1.1" in problem and "true/false" in problem


@pytest.mark.parametrize("word", ["yes", "off", "y", "N", "True"])
def test_other_ambiguous_booleans(tmp_path: Path, word: str) -> None:
    directory, text = broken(tmp_path, "early_completion: true\n        columns:\n"
                             "          value: [银行卡",
                             f"early_completion: {word}\n        columns:\n"
                             "          value: [银行卡")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, f'early_completion: {word}')}:")
    assert f"「{word}」" in problem


def test_leading_zero_number(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        full: 18\n", "        full: 018\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'full: 018')}:")
    assert "「018」以 0 开头" in problem and "八进制" in problem


def test_leading_zero_ten(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        full: 10\n        cap: 20\n",
                             "        full: 010\n        cap: 20\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'full: 010')}:")
    assert "「010」以 0 开头" in problem


def test_unsafe_tag_is_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    directory, text = broken(tmp_path, "title: 支行客户经理考核计分表\n",
                             f"title: !!python/object/apply:os.system ['touch {marker}']\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'python/object')}:")
    assert "不允许的 YAML 标签" in problem and "python/object" in problem
    assert not marker.exists()


def test_unsafe_object_tag(tmp_path: Path) -> None:
    directory, text = broken(tmp_path, "        name: 放款户数\n",
                             "        name: !!python/object:builtins.str 放款户数\n")
    problem = only_problem(directory)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'python/object')}:")


def test_every_problem_of_a_directory_is_reported(tmp_path: Path) -> None:
    directory, _ = broken(tmp_path, "        full: 18\n", "        full: 018\n")
    other = directory / "2-fenhang-geren.yaml"
    other.write_text(other.read_text(encoding="utf-8").replace("        rate: 1\n",
                                                               "        rate: yes\n", 1),
                     encoding="utf-8")
    found = problems_of(directory)
    assert any(p.startswith(f"{ZHIHANG}:") for p in found)
    assert any(p.startswith("2-fenhang-geren.yaml:") for p in found)


def test_a_directory_without_a_table_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    for name in ("1-zhihang.yaml", "2-fenhang-geren.yaml", "3-fenhang-gongsi.yaml"):
        (target / name).unlink()
    assert any("kind: table" in p for p in problems_of(target))
    assert any("没有 .yaml" in p for p in problems_of(tmp_path / "nowhere"))


def test_grades_may_still_be_written_with_their_english_names(tmp_path: Path) -> None:
    """Grades were fields first/second/third with the aliases 一级/二级/三级; the models now
    being dataclasses named as the regulation names them, the English keys still read."""
    target, text = broken(tmp_path, "  一级: 1500\n", "  first: 1600\n", name="payroll.yaml")
    grades = load_rules(target).payroll.grades
    assert (grades["一级"], grades.first, grades.second) == (Decimal(1600), Decimal(1600),
                                                             grades["二级"])
    # Both names for one grade: two amounts, refused on the English key's line (as before
    # the models were dataclasses), never one of them dropped.
    target, text = broken(tmp_path / "b", "  一级: 1500\n", "  一级: 1500\n  first: 9\n",
                          name="payroll.yaml")
    assert [p for p in problems_of(target) if "grades" in p] == [
        f"payroll.yaml:{text.splitlines().index('  first: 9') + 1}: grades.first: 未知的键（拼写错误？）"]


def test_a_blank_header_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """Session 9's leftover: ``id: [""]`` passed `rules check`, then `check` blamed the
    export (「前 30 行中没有同时含 、姓名、机构、类别 的行」) for the rule file's slip."""
    said = "表头不能为空，也不能只含看不见的字符或控制字符；请写出该列在导出表中的表头文字"
    # "\u200b": blank as the reader sees it; "\u202e": a direction override (the red team's)
    for n, blank in enumerate(["  ", "\\u200b", "\\ufeff", "\\u3000", "工号\\u202e"]):
        target, text = broken(tmp_path / f"a{n}", "  id: [工号, 员工号, 客户经理工号]",
                              f'  id: [工号, "{blank}"]', name="export.yaml")
        assert problems_of(target) == [f"export.yaml:{line_of(text, 'id: [工号')}: identity.id.1: "
                                       + said], blank
    target, text = broken(tmp_path / "b", "          value: [放款户数, 新增放款户数]",
                          '          value: [""]')
    [problem] = problems_of(target)
    written = line_of(text, 'value: [""]')
    assert problem.startswith(f"{ZHIHANG}:{written}: ")
    assert problem.endswith(".columns.value.0: " + said)


def test_an_empty_list_of_headers_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """Red team (both releases): ``id: []`` in export.yaml or ``value: []`` under an item's
    columns passed `rules check`, then `check`/`score` crashed with an IndexError (the first
    header of a list is its canonical name)."""
    target, text = broken(tmp_path / "a", "  id: [工号, 员工号, 客户经理工号]", "  id: []",
                          name="export.yaml")
    assert problems_of(target) == [f"export.yaml:{line_of(text, 'id: []')}: identity.id: 至少要有 1 项"]
    target, text = broken(tmp_path / "b", "          value: [放款户数, 新增放款户数]",
                          "          value: []")
    [problem] = problems_of(target)
    assert problem.startswith(f"{ZHIHANG}:{line_of(text, 'value: []')}: ")
    assert problem.endswith(".columns.value: 至少要有 1 项")
