"""SPEC §4: every item kind and every scoring rule, on tiny inputs written here."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmscore.engine.itemcolumns import NoHistory
from cmscore.engine.month import Manager, MonthExport
from cmscore.engine.points import clamp, linear_points, linear_points_each
from cmscore.engine.scoring import (
    competition_ranks,
    score_linear,
    score_manager,
    score_month,
    score_per_client,
    score_tiered,
)
from cmscore.inputs.reader import read_export
from cmscore.numbers import round2
from cmscore.problems import InputError
from cmscore.rules.ruleset import Item, RuleSet, Table, load_rules
from conftest import FakeHistory, worked_file, write_xlsx

D = Decimal
CATEGORIES = ("支行", "分行个金", "分行公司")


def item_of(rules: RuleSet, item_id: str, category: str = "支行") -> Item:
    return next(i for i in rules.tables[category].items if i.id == item_id)


def linear(item: Item, history: Any = None, cm_id: str = "E001", **figures: Any) -> Any:
    result = score_linear(item, {k: (None if v is None else D(v)) for k, v in figures.items()},
                          cm_id, history or NoHistory())
    assert not isinstance(result, str), result
    return result


def tiered(item: Item, **figures: str | int) -> Any:
    result = score_tiered(item, {k: D(v) for k, v in figures.items()})
    assert not isinstance(result, str), result
    return result


def zero_figures(table: Table) -> dict[str, dict[str, Decimal | None]]:
    """Figures for every item of ``table`` that score 0 (NPL ≥ 1% → 0)."""
    out: dict[str, dict[str, Decimal | None]] = {}
    for item in table.items:
        if item.kind == "per_client":
            out[item.id] = {t.label: D(0) for t in item.client_tiers}
        elif item.kind == "tiered":
            out[item.id] = {"ratio": D("0.01")}
        elif item.basis == "vs_baseline":
            out[item.id] = {"increase": D(0)}
        else:
            out[item.id] = {"value": D(0)}
    return out


def manager(cm_id: str = "E001", category: str = "支行", branch: str = "城东支行",
            figures: dict[str, dict[str, Decimal | None]] | None = None, row: int = 3) -> Manager:
    return Manager(cm_id, f"客户经理{cm_id}", branch, category, row, figures or {})


def export_of(*managers: Manager, month: str = "2026-10") -> MonthExport:
    return MonthExport("t.xlsx", "业绩", month, list(managers), header_row=2)


# --- 4.1 linear items -------------------------------------------------------------------


def test_linear_points_are_proportional(rules: RuleSet) -> None:
    amount = item_of(rules, "loan_amount")  # 1 point per 4 万元
    assert linear(amount, value=50).points == D("12.50")  # not 12
    assert linear(amount, value=51).points == D("12.75")
    assert linear(amount, value="0.4").points == D("0.10")
    households = item_of(rules, "loan_households")  # 2.5 per household
    assert linear(households, value=3).points == D("7.50")


def test_whole_units_counts_only_whole_units(rules: RuleSet) -> None:
    amount = item_of(rules, "loan_amount").model_copy(update={"whole_units": True})
    assert linear(amount, value=50).points == D("12.00")
    assert linear(amount, value="51.99").points == D("12.00")
    assert linear(amount, value=52).points == D("13.00")
    assert linear(amount, value="3.99").points == D("0.00")
    assert "取整" in linear(amount, value=50).text


def test_decrease_is_clamped_at_zero(rules: RuleSet) -> None:
    managed = item_of(rules, "managed_households")
    result = linear(managed, value=120, baseline=126)  # −6 households
    assert result.points == D("0.00")
    assert result.figure == D(-6)
    assert "减少不扣分" in result.text
    savings = item_of(rules, "savings_growth")
    assert linear(savings, increase="-35.5").points == D("0.00")


def test_excess_over_cap_is_dropped(rules: RuleSet) -> None:
    households = item_of(rules, "loan_households")  # full 10, cap 20
    assert linear(households, value=8).points == D("20.00")  # exactly the cap
    over = linear(households, value=9)  # 22.5 → 20
    assert over.points == D("20.00")
    assert "超过高限" in over.text
    corporate = item_of(rules, "corporate_growth")  # 1 per 2 万元, cap 50
    assert linear(corporate, increase=1000).points == D("50.00")
    assert linear(corporate, increase="99.98").points == D("49.99")


# --- 4.2 baselines ----------------------------------------------------------------------


def test_vs_baseline_uses_the_export_baseline(rules: RuleSet) -> None:
    managed = item_of(rules, "managed_households")  # 2 per household above last year-end
    history = FakeHistory(baselines={("E001", "managed_households"): D(100)})
    result = linear(managed, history, value=130, baseline=126)
    assert result.points == D("8.00")  # the export's 126 wins over the store's 100
    assert (result.figure, result.baseline, result.baseline_source) == (D(4), D(126), "导出文件")


def test_vs_baseline_falls_back_to_the_previous_december(rules: RuleSet) -> None:
    managed = item_of(rules, "managed_households")
    history = FakeHistory(baselines={("E001", "managed_households"): D(127)})
    result = linear(managed, history, value=130, baseline=None)
    assert result.points == D("6.00")
    assert result.baseline == D(127)
    assert result.baseline_source == "历史库 2025-12"
    # Another CM's December does not count.
    other = score_linear(managed, {"value": D(130), "baseline": None}, "E002", history)
    assert isinstance(other, str)


def test_missing_baseline_is_an_error_naming_the_cm_and_item(rules: RuleSet) -> None:
    figures = zero_figures(rules.tables["支行"])
    figures["managed_households"] = {"value": D(130), "baseline": None}
    export = export_of(manager("E007", figures=figures, row=9))
    with pytest.raises(InputError) as caught:
        score_month(export, rules, FakeHistory())
    [problem] = caught.value.problems
    assert "E007" in problem.message
    assert "管户户数" in problem.message
    assert "基数" in problem.message
    assert (problem.file, problem.sheet, problem.row) == ("t.xlsx", "业绩", 9)


def test_increase_column_variant(rules: RuleSet) -> None:
    savings = item_of(rules, "savings_growth")  # 1 per 1 万元
    corporate = item_of(rules, "corporate_growth")  # 1 per 2 万元
    assert linear(savings, increase=20).points == D("20.00")
    assert linear(corporate, increase=30).points == D("15.00")
    # The increase column needs no baseline, from the export or the store.
    assert linear(corporate, FakeHistory(), increase="30.5").points == D("15.25")


def test_value_and_baseline_columns_for_deposits(rules: RuleSet) -> None:
    savings = item_of(rules, "savings_growth", "分行公司")  # 1 per 2 万元
    result = linear(savings, value="1020.50", baseline="1000.00")
    assert result.figure == D("20.50")
    assert result.points == D("10.00")  # 10.25 capped at 10


# --- 4.4 tiered items and 4.5 the risk fund -----------------------------------------------


@pytest.mark.parametrize(("ratio", "points"), [
    ("0", "6.00"), ("0.001", "3.00"), ("0.0049999", "3.00"), ("0.005", "1.00"),
    ("0.0099", "1.00"), ("0.01", "0.00"), ("0.5", "0.00"), ("1", "0.00"),
])
def test_npl_tiers_at_each_bound(rules: RuleSet, ratio: str, points: str) -> None:
    result = tiered(item_of(rules, "npl"), ratio=ratio)
    assert result.points == D(points)
    assert result.risk_fund == D(points)  # accrues the tier points again
    assert result.figure == D(ratio)


@pytest.mark.parametrize(("bad", "base", "points"), [
    ("0", "200", "6.00"), ("1", "200", "1.00"),  # exactly 0.5%
    ("0.5", "200", "3.00"), ("2", "200", "0.00"),  # 0.25%, 1%
    ("0", "0", "6.00"),  # no loans in the base: ratio 0
])
def test_npl_from_numerator_and_denominator(rules: RuleSet, bad: str, base: str,
                                            points: str) -> None:
    result = tiered(item_of(rules, "npl"), numerator=bad, denominator=base)
    assert result.points == D(points)
    assert result.risk_fund == D(points)
    assert result.figure == (D(bad) / D(base) if D(base) else D(0))


def test_npl_with_bad_loans_but_no_base_is_refused(rules: RuleSet) -> None:
    result = score_tiered(item_of(rules, "npl"), {"numerator": D(5), "denominator": D(0)})
    assert isinstance(result, str)
    assert "发放贷款余额为 0" in result


def test_risk_fund_is_not_in_the_total(rules: RuleSet) -> None:
    table = rules.tables["支行"]
    figures = zero_figures(table)
    figures["npl"] = {"ratio": D("0.001")}
    result = score_manager(table, manager(figures=figures), NoHistory())
    assert not isinstance(result, list)
    assert result.items["npl"].points == D("3.00")
    assert result.total == D("3.00")
    assert result.risk_fund == D("3.00")


@pytest.mark.parametrize(("small", "large", "points"), [
    (1, 0, "3.00"), (0, 1, "6.00"), (2, 1, "12.00"), (3, 1, "12.00"), (0, 0, "0.00"),
])
def test_payroll_agency_per_client_tiers(rules: RuleSet, small: int, large: int,
                                         points: str) -> None:
    result = score_per_client(item_of(rules, "payroll_agency"),
                              {"50人以下": D(small), "50人及以上": D(large)})
    assert result.points == D(points)
    assert result.figure == D(small + large)


# --- 4.3 early completion ---------------------------------------------------------------


def test_early_completion_scores_full_plus_the_month(rules: RuleSet) -> None:
    households = item_of(rules, "loan_households")  # monthly task 4, annual 48
    assert households.yearly_task == D(48)
    done = FakeHistory(ytd={("E001", "loan_households"): D(48)})
    result = linear(households, done, value=3)
    assert result.early
    assert result.points == D("17.50")  # 10 + 3 × 2.5
    assert "提前完成" in result.text
    assert linear(households, done, value=0).points == D("10.00")  # full with no new business
    assert linear(households, done, value=5).points == D("20.00")  # 22.5 capped


def test_before_the_annual_task_is_reached_scoring_is_normal(rules: RuleSet) -> None:
    households = item_of(rules, "loan_households")
    # Jan–Sep total 45; this month's 3 reach 48: this month is scored normally.
    reaching = FakeHistory(ytd={("E001", "loan_households"): D(45)})
    result = linear(households, reaching, value=3)
    assert not result.early
    assert result.points == D("7.50")
    # Another CM's year-to-date total is not this CM's.
    other = FakeHistory(ytd={("E002", "loan_households"): D(100)})
    assert linear(households, other, value=3).points == D("7.50")


def test_early_completion_uses_the_rule_files_annual_task(rules: RuleSet) -> None:
    amount = item_of(rules, "loan_amount")  # monthly task 72 万元, default annual 864
    assert amount.monthly_task == D(72)
    assert amount.yearly_task == D(864)
    history = FakeHistory(ytd={("E001", "loan_amount"): D(500)})
    assert not linear(amount, history, value=20).early
    custom = amount.model_copy(update={"annual_task": D(500)})
    result = linear(custom, history, value=20)
    assert result.early
    assert result.points == D("23.00")  # 18 + 20 / 4


def test_early_completion_applies_to_linear_monthly_items_only(rules: RuleSet) -> None:
    table = rules.tables["支行"]
    huge = D(10**6)
    history = FakeHistory(ytd={("E001", i.id): huge for i in table.items})
    figures = zero_figures(table)
    scored = score_manager(table, manager(figures=figures), history)
    assert not isinstance(scored, list)
    for item in table.items:
        early = item.kind == "linear" and item.basis == "monthly"
        assert scored.items[item.id].early is early, item.id
        assert scored.items[item.id].points == (item.full if early else D(0)), item.id


# --- 4.6 rounding, totals -------------------------------------------------------------------


@pytest.mark.parametrize(("item_id", "figure", "points"), [
    ("personal_ebank", "8.35", "2.51"),  # 0.3 × 8.35 = 2.505 → 2.51 (half-even: 2.50)
    ("personal_ebank", "8.335", "2.50"),  # 2.5005
    ("personal_ebank", "8.3499", "2.50"),  # 2.50497
    ("loan_amount", "0.1", "0.03"),  # 0.025 → 0.03 (half-even: 0.02)
    ("loan_amount", "0.02", "0.01"),  # 0.005
    ("loan_amount", "0.0199", "0.00"),  # 0.004975
    ("cards", "0.025", "0.01"),  # 0.005
])
def test_item_points_round_half_up_to_two_places(rules: RuleSet, item_id: str, figure: str,
                                                 points: str) -> None:
    result = linear(item_of(rules, item_id), value=figure)
    assert result.points == D(points)
    assert result.points.as_tuple().exponent == -2


def test_total_is_the_sum_of_rounded_items(rules: RuleSet) -> None:
    table = rules.tables["支行"]
    figures = zero_figures(table)
    figures["personal_ebank"] = {"value": D("8.35")}  # 2.505 → 2.51
    figures["cards"] = {"value": D("0.025")}  # 0.005 → 0.01
    result = score_manager(table, manager(figures=figures), NoHistory())
    assert not isinstance(result, list)
    assert result.total == D("2.52")  # the unrounded sum 2.51 would round to 2.51
    assert result.groups == {"loans": D("0.00"), "deposits": D("0.00"),
                             "intermediate": D("2.52")}


# --- 4.7 ranking ------------------------------------------------------------------------


def test_competition_ranks() -> None:
    assert competition_ranks([D(90), D(80), D(80), D(70)]) == [1, 2, 2, 4]
    assert competition_ranks([D(70), D(80), D(90), D(80)]) == [4, 2, 1, 2]
    assert competition_ranks([D(5), D(5), D(5)]) == [1, 1, 1]
    assert competition_ranks([D("50.01"), D("50.00")]) == [1, 2]
    assert competition_ranks([]) == []


def test_month_ranks_within_category_and_within_branch(rules: RuleSet) -> None:
    def cm(cm_id: str, households: int, branch: str, category: str = "支行") -> Manager:
        figures = zero_figures(rules.tables[category])
        figures["loan_households"] = {"value": D(households)}
        return manager(cm_id, category, branch, figures)

    export = export_of(
        cm("A", 4, "城东支行"), cm("B", 3, "城西支行"), cm("C", 3, "城东支行"),
        cm("D", 1, "城西支行"), cm("E", 2, "城东支行"),
        cm("F", 1, "分行营业部", "分行个金"), cm("G", 9, "分行营业部", "分行个金"),
    )
    scores = score_month(export, rules)
    got = {s.manager.id: (s.total, s.rank, s.branch_rank) for s in scores.scores}
    assert got == {
        "A": (D("10.00"), 1, 1),
        "B": (D("7.50"), 2, 1),
        "C": (D("7.50"), 2, 2),
        "E": (D("5.00"), 4, 3),
        "D": (D("2.50"), 5, 2),
        "G": (D("9.00"), 1, 1),  # 分行个金: 1 per household, ranked apart from 支行
        "F": (D("1.00"), 2, 2),
    }


# --- SPEC §9 worked example ----------------------------------------------------------------


WORKED_ITEMS = {
    "loan_households": "7.50", "loan_amount": "12.50", "managed_households": "8.00",
    "npl": "6.00", "savings_growth": "20.00", "corporate_growth": "15.00", "cards": "2.40",
    "payroll_agency": "3.00", "personal_ebank": "2.40", "corporate_ebank": "2.00", "pos": "3.00",
}


def test_worked_example_item_by_item(rules: RuleSet, tmp_path: Path) -> None:
    export = read_export(worked_file(tmp_path), rules)
    scores = score_month(export, rules)
    [s] = scores.scores
    assert {k: str(v.points) for k, v in s.items.items()} == WORKED_ITEMS
    assert list(s.items) == [i.id for i in rules.tables["支行"].items]
    assert s.total == D("81.80")
    assert str(s.total) == "81.80"
    assert s.risk_fund == D("6.00")
    assert s.groups == {"loans": D("34.00"), "deposits": D("35.00"), "intermediate": D("12.80")}
    assert (s.rank, s.branch_rank) == (1, 1)


def test_worked_example_with_value_and_baseline_columns(rules: RuleSet, tmp_path: Path) -> None:
    """The same figures as stocks with last year's averages and NPL as two amounts."""
    headers = ["工号", "姓名", "机构", "类别", "放款户数", "放款金额", "管户户数", "上年末管户户数",
               "不良贷款余额", "发放贷款余额", "储蓄日均", "上年储蓄日均", "对公日均", "上年对公日均",
               "银行卡", "代发工资50人以下", "代发工资50人及以上", "个人网银", "企业网银", "POS收单"]
    data = ["E001", "张伟", "城东支行", "支行", 3, 50, 130, 126, 0, 800, 520, 500, 330, 300,
            12, 1, 0, 8, 1, 3]
    export = read_export(write_xlsx(tmp_path / "stocks.xlsx", headers, [data]), rules)
    [s] = score_month(export, rules).scores
    assert {k: str(v.points) for k, v in s.items.items()} == WORKED_ITEMS
    assert (s.total, s.risk_fund) == (D("81.80"), D("6.00"))


# --- properties ---------------------------------------------------------------------------

amounts = st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False,
                      allow_infinity=False)
counts = st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False,
                     allow_infinity=False)
ratios = st.decimals(min_value=0, max_value=1, places=5, allow_nan=False, allow_infinity=False)


def _all_items(rules_: RuleSet) -> list[tuple[str, Item]]:
    return [(c, i) for c, t in rules_.tables.items() for i in t.items]


def _linear_items() -> list[tuple[str, Item]]:
    from cmscore.rules.ruleset import load_rules

    return [(c, i) for c, i in _all_items(load_rules()) if i.kind == "linear"]


LINEAR = _linear_items()
LINEAR_IDS = [f"{c}-{i.id}" for c, i in LINEAR]


def _figures_for(item: Item, x: Decimal) -> dict[str, Decimal | None]:
    return {"increase": x} if item.basis == "vs_baseline" else {"value": x}


@pytest.mark.parametrize(("category", "item"), LINEAR, ids=LINEAR_IDS)
@settings(max_examples=60, deadline=None)
@given(x=amounts, y=amounts, ytd=st.sampled_from([D(0), D(10**6)]))
def test_linear_points_stay_in_range_and_grow_with_the_figure(
        category: str, item: Item, x: Decimal, y: Decimal, ytd: Decimal) -> None:
    history = FakeHistory(ytd={("E001", item.id): ytd})
    lo, hi = sorted((x, y))
    p_lo = score_linear(item, _figures_for(item, lo), "E001", history)
    p_hi = score_linear(item, _figures_for(item, hi), "E001", history)
    assert not isinstance(p_lo, str) and not isinstance(p_hi, str)
    for p in (p_lo, p_hi):
        assert type(p.points) is Decimal
        assert D(0) <= p.points <= item.cap
        assert p.points.as_tuple().exponent == -2
    assert p_lo.points <= p_hi.points


@pytest.mark.parametrize("category", CATEGORIES)
@settings(max_examples=60, deadline=None)
@given(a=ratios, b=ratios)
def test_npl_points_stay_in_range_and_never_reward_more_bad_loans(
        rules: RuleSet, category: str, a: Decimal, b: Decimal) -> None:
    npl = item_of(rules, "npl", category)
    lo, hi = sorted((a, b))
    r_lo, r_hi = tiered(npl, ratio=lo), tiered(npl, ratio=hi)
    for r in (r_lo, r_hi):
        assert type(r.points) is Decimal and type(r.risk_fund) is Decimal
        assert D(0) <= r.points <= npl.full
        assert r.risk_fund == r.points  # the cap part mirrors the tier points
        assert r.points + r.risk_fund <= npl.cap
    assert r_lo.points >= r_hi.points


@pytest.mark.parametrize("category", CATEGORIES)
@settings(max_examples=60, deadline=None)
@given(n=st.tuples(counts, counts), extra=st.tuples(counts, counts))
def test_payroll_agency_in_range_and_monotone(rules: RuleSet, category: str,
                                              n: tuple[Decimal, Decimal],
                                              extra: tuple[Decimal, Decimal]) -> None:
    item = item_of(rules, "payroll_agency", category)
    labels = [t.label for t in item.client_tiers]
    base = score_per_client(item, dict(zip(labels, n, strict=True)))
    more = score_per_client(item, {k: v + e for k, v, e in zip(labels, n, extra, strict=True)})
    for r in (base, more):
        assert type(r.points) is Decimal
        assert D(0) <= r.points <= item.cap
    assert base.points <= more.points


@st.composite
def managers(draw: Any, table: Table) -> dict[str, dict[str, Decimal | None]]:
    figures: dict[str, dict[str, Decimal | None]] = {}
    for item in table.items:
        if item.kind == "per_client":
            figures[item.id] = {t.label: draw(counts) for t in item.client_tiers}
        elif item.kind == "tiered":
            figures[item.id] = {"ratio": draw(ratios)}
        elif item.basis == "vs_baseline":
            figures[item.id] = {"increase": draw(amounts)}
        else:
            figures[item.id] = {"value": draw(counts)}
    return figures


@pytest.mark.parametrize("category", CATEGORIES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_total_is_sum_of_items_and_grows_with_any_figure(rules: RuleSet, category: str,
                                                         data: Any) -> None:
    table = rules.tables[category]
    figures = data.draw(managers(table))
    ytd = data.draw(st.sampled_from([D(0), D(10**6)]))
    history = FakeHistory(ytd={("E001", i.id): ytd for i in table.items})
    before = score_manager(table, manager(category=category, figures=figures), history)
    assert not isinstance(before, list)
    assert before.total == sum((s.points for s in before.items.values()), D(0))
    assert before.total == sum(before.groups.values(), D(0))
    assert D(0) <= before.total <= sum((i.cap for i in table.items), D(0))
    assert type(before.total) is Decimal and type(before.risk_fund) is Decimal
    assert all(type(s.points) is Decimal for s in before.items.values())
    assert before.total.as_tuple().exponent == -2
    # Raise one business figure (any non-NPL item): neither the item nor the total falls.
    target = data.draw(st.sampled_from([i for i in table.items if i.kind != "tiered"]))
    delta = data.draw(counts)
    bumped = {k: dict(v) for k, v in figures.items()}
    role = next(iter(bumped[target.id]))
    current = bumped[target.id][role]
    assert current is not None
    bumped[target.id][role] = current + delta
    after = score_manager(table, manager(category=category, figures=bumped), history)
    assert not isinstance(after, list)
    assert after.items[target.id].points >= before.items[target.id].points
    assert after.total >= before.total



figures_any = st.decimals(min_value=-10**6, max_value=10**7, allow_nan=False, allow_infinity=False,
                          places=4)
LINEAR_ITEMS = [i for t in load_rules(None).tables.values() for i in t.items if i.kind == "linear"]
# and the rounding down to whole units that a rule file may ask for
LINEAR_ITEMS += [i.model_copy(update={"whole_units": True}) for i in LINEAR_ITEMS if i.unit != 1]


@settings(max_examples=60, deadline=None)
@given(st.lists(figures_any, max_size=20), st.sampled_from(LINEAR_ITEMS))
def test_points_of_a_column_are_each_figure_scored_alone(figures: list[Decimal],
                                                          item: Item) -> None:
    got = linear_points_each(item, figures)
    want = [round2(clamp(linear_points(item, f), item.cap)) for f in figures]
    assert [(str(a), a) for a in got] == [(str(b), b) for b in want]
