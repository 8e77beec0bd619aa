"""任务下达 (issue 15): early completion measured against the task the bank assigned, per
工号 or per 机构; without it the rule file's annual_task or 12 × the monthly task, and the
output says which was used. 代发工资 takes part when its rule says so."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from cmscore.engine.month import Manager, MonthExport
from cmscore.engine.scoring import score_month
from cmscore.engine.tasks import ASSIGNED, DEFAULT, RULE_FILE, Tasks, annual_task
from cmscore.rules.ruleset import Item, RuleSet, Table
from conftest import FakeHistory


def _item(rules: RuleSet, item_id: str) -> Item:
    return next(i for i in rules.tables["支行"].items if i.id == item_id)


def test_lookup_order_cm_then_branch_then_rule_file_then_default(rules: RuleSet) -> None:
    households = _item(rules, "loan_households")  # monthly task 4 households
    tasks = Tasks({("E1", "loan_households"): D(30)}, {("城东支行", "loan_households"): D(40)})
    assert annual_task(households, "E1", "城东支行", tasks) == (D(30), ASSIGNED)
    assert annual_task(households, "E2", "城东支行", tasks) == (D(40), ASSIGNED)
    assert annual_task(households, "E2", "城西支行", tasks) == (D(48), DEFAULT)
    ruled = households.model_copy(update={"annual_task": D(50)})
    assert annual_task(ruled, "E2", "城西支行", tasks) == (D(50), RULE_FILE)
    assert annual_task(ruled, "E2", "城东支行", tasks) == (D(40), ASSIGNED)


def _zeros(table: Table) -> dict[str, dict[str, D | None]]:
    """Every item's figures 0 (NPL ratio 0), as an export row with no business."""
    out: dict[str, dict[str, D | None]] = {}
    for item in table.items:
        if item.kind == "per_client":
            out[item.id] = {t.label: D(0) for t in item.client_tiers}
        elif item.kind == "tiered":
            out[item.id] = {"ratio": D(0)}
        else:
            out[item.id] = {"increase" if item.basis == "vs_baseline" else "value": D(0)}
    return out


def _month(rules: RuleSet, *rows: tuple[str, str, int],
           item: str = "loan_households") -> MonthExport:
    """Managers (工号, 机构, this month's 放款户数); every other figure 0."""
    managers = []
    for n, (cm, branch, figure) in enumerate(rows, start=3):
        figures = _zeros(rules.tables["支行"])
        if item == "payroll_agency":
            figures[item] = {"50人以下": D(figure), "50人及以上": D(0)}
        else:
            figures[item] = {"value": D(figure)}
        managers.append(Manager(cm, f"经理{cm}", branch, "支行", n, figures))
    return MonthExport("t.xlsx", "业绩", "2026-10", managers, header_row=2)


def test_assigned_task_decides_early_completion_both_ways(rules: RuleSet) -> None:
    # E1 has 30 households before October: the default annual task 48 is not reached,
    # his assigned 30 is. E2 has 50: past the default 48, short of his assigned 60.
    history = FakeHistory(ytd={("E1", "loan_households"): D(30),
                               ("E2", "loan_households"): D(50)},
                          tasks=Tasks({("E1", "loan_households"): D(30),
                                       ("E2", "loan_households"): D(60)}))
    export = _month(rules, ("E1", "城东支行", 1), ("E2", "城东支行", 1))
    assigned = {s.manager.id: s.items["loan_households"] for s in
                score_month(export, rules, history).scores}
    assert (assigned["E1"].points, assigned["E1"].early) == (D("12.50"), True)  # 10 + 2.5
    assert (assigned["E2"].points, assigned["E2"].early) == (D("2.50"), False)
    assert (assigned["E1"].annual_task, assigned["E1"].task_source) == (D(30), ASSIGNED)
    assert "年度任务30户，下达任务" in assigned["E1"].text
    default = {s.manager.id: s.items["loan_households"] for s in score_month(
        _month(rules, ("E1", "城东支行", 1), ("E2", "城东支行", 1)), rules,
        FakeHistory(ytd=history.ytd)).scores}
    assert (default["E1"].points, default["E1"].early) == (D("2.50"), False)
    assert (default["E2"].points, default["E2"].early) == (D("12.50"), True)
    assert (default["E2"].annual_task, default["E2"].task_source) == (D(48), DEFAULT)
    assert "年度任务48户，默认 12×月度任务" in default["E2"].text


def test_a_branch_row_applies_to_its_managers_and_a_cm_row_wins(rules: RuleSet) -> None:
    history = FakeHistory(ytd={("E1", "loan_households"): D(20),
                               ("E2", "loan_households"): D(20),
                               ("E3", "loan_households"): D(20)},
                          tasks=Tasks({("E2", "loan_households"): D(24)},
                                      {("城东支行", "loan_households"): D(20)}))
    export = _month(rules, ("E1", "城东支行", 0), ("E2", "城东支行", 0), ("E3", "城西支行", 0))
    got = {s.manager.id: s.items["loan_households"] for s in
           score_month(export, rules, history).scores}
    assert [(got[c].points, got[c].annual_task) for c in ("E1", "E2", "E3")] == [
        (D("10.00"), D(20)), (D("0.00"), D(24)), (D("0.00"), D(48))]


def _payroll_agency(rules: RuleSet, **update: object) -> RuleSet:
    table = rules.tables["支行"]
    groups = [g.model_copy(update={"items": [
        i.model_copy(update=update) if i.id == "payroll_agency" else i for i in g.items]})
        for g in table.groups]
    tables = dict(rules.tables, 支行=Table.model_validate(
        table.model_copy(update={"groups": groups}).model_dump()))
    return rules.model_copy(update={"tables": tables})


def test_payroll_agency_takes_part_in_early_completion_when_the_rule_says(
        rules: RuleSet) -> None:
    # Clients counted (both bands) in earlier months: 4 reach an annual task of 4.
    history = FakeHistory(ytd={("E1", "payroll_agency"): D(4)})
    export = _month(rules, ("E1", "城东支行", 1), item="payroll_agency")
    [plain] = score_month(export, rules, history).scores
    assert plain.items["payroll_agency"].points == D("3.00")  # the month alone
    early = _payroll_agency(rules, early_completion=True, annual_task=D(4))
    [done] = score_month(export, early, history).scores
    item = done.items["payroll_agency"]
    assert (item.points, item.early, item.task_source) == (D("9.00"), True, RULE_FILE)  # 6 + 3
    assert item.text == ("代发工资：提前完成年度任务（此前累计4户 ≥ 年度任务4户，规则文件），按满分6分 + "
                         "本月新增50人以下1户 × 3分 + 50人及以上0户 × 6分 = 9.00分（满分6 / 高限12）")
    # An assigned task of 5 clients is not reached yet.
    [short] = score_month(export, early, FakeHistory(
        ytd=history.ytd, tasks=Tasks({("E1", "payroll_agency"): D(5)}))).scores
    assert (short.items["payroll_agency"].points, short.items["payroll_agency"].early) == \
        (D("3.00"), False)


def test_payroll_agency_early_completion_needs_an_annual_task(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="per_client 项目参加提前完成须写 annual_task"):
        _payroll_agency(rules, early_completion=True)
