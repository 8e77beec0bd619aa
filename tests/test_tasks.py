"""任务下达 (issue 15): early completion measured against the task the bank assigned, per
工号 or per 机构; without it the rule file's annual_task or 12 × the monthly task, and the
output says which was used. 代发工资 takes part when its rule says so."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from cmscore.engine.month import Manager, MonthExport
from cmscore.engine.scoring import score_month
from cmscore.engine.tasks import ASSIGNED, DEFAULT, RULE_FILE, Tasks, annual_task
from cmscore.rules.ruleset import DEFAULT_DIR, Item, RuleSet, Table
from conftest import EXAMPLES, HEADERS, ZEROS, FakeHistory, row, write_csv, write_xlsx
from history_helpers import query, read_sheet
from test_scoring import zero_figures


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


def _month(rules: RuleSet, *rows: tuple[str, str, int],
           item: str = "loan_households") -> MonthExport:
    """Managers (工号, 机构, this month's 放款户数); every other figure 0."""
    managers = []
    for n, (cm, branch, figure) in enumerate(rows, start=3):
        figures = zero_figures(rules.tables["支行"])
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


# --- the command line ----------------------------------------------------------------------

TASK_HEADER = ["工号", "机构", "考核项目", "年度任务"]


def _export(tmp_path: Path, month: str, households: dict[str, int]) -> Path:
    """E001, E002 (城东支行) and E003 (城西支行) with only 放款户数 set; NPL 0 scores 6."""
    branch = {"E001": "城东支行", "E002": "城东支行", "E003": "城西支行"}
    return write_xlsx(tmp_path / f"{month}.xlsx", HEADERS, [
        row(ZEROS, 工号=cm, 姓名=f"经理{cm}", 机构=branch[cm], 放款户数=n)
        for cm, n in households.items()],
        titles=(f"{month[:4]}年{int(month[5:])}月客户经理业绩报表",))


JAN = {"E001": 10, "E002": 50, "E003": 2}
FEB = {"E001": 1, "E002": 1, "E003": 1}
# E001's own task 10 is reached in January (the default 48 is not); 城东支行's 60 holds
# E002 back although his 50 passed the default 48; E003 has no row: the default.
TASKS = [["E001", "", "放款户数", 10], ["", "城东支行", "放款户数", 60]]


def _totals(doc: Any) -> dict[str, str]:
    return {m["id"]: m["total"] for m in doc["managers"]}


def test_assigned_tasks_give_early_completion_where_the_default_would_not(
        tmp_path: Path, cli: Any) -> None:
    tasks = write_csv(tmp_path / "任务.csv", TASK_HEADER, TASKS)
    db, plain = tmp_path / "t.db", tmp_path / "plain.db"
    out = cli("score", _export(tmp_path, "2026-01", JAN), "--db", db, "--out", tmp_path,
              "--tasks", tasks, "--quiet", code=0).stdout
    assert "提前完成的年度任务（按客户经理 × 项目计）：下达任务 2 项（任务.csv）；默认 12×月度任务 16 项" \
        in out
    record = {r["项目"]: r["内容"] for r in read_sheet(tmp_path / "scores-2026-01.xlsx", "运行记录")}
    assert record["提前完成的年度任务"] == "下达任务 2 项（任务.csv）；默认 12×月度任务 16 项"
    # February without --tasks: the year's stored tasks decide.
    feb = _export(tmp_path, "2026-02", FEB)
    doc = json.loads(cli("score", feb, "--db", db, "--out", tmp_path, "--json", code=0).stdout)
    assert _totals(doc) == {"E001": "18.50", "E002": "8.50", "E003": "8.50"}  # 6 + 10 + 2.5
    got = {m["id"]: m["tasks"]["loan_households"] for m in doc["managers"]}
    assert got == {"E001": {"annual_task": "10", "task_source": "下达任务"},
                   "E002": {"annual_task": "60", "task_source": "下达任务"},
                   "E003": {"annual_task": "48", "task_source": "默认 12×月度任务"}}
    # The same year without tasks: the reverse for E001 and E002.
    cli("score", tmp_path / "2026-01.xlsx", "--db", plain, "--out", tmp_path / "p", code=0)
    doc = json.loads(cli("score", feb, "--db", plain, "--out", tmp_path / "p", "--json",
                         code=0).stdout)
    assert _totals(doc) == {"E001": "8.50", "E002": "18.50", "E003": "8.50"}
    doc = json.loads(cli("explain", "E001", "--month", "2026-02", "--db", db, "--json",
                         code=0).stdout)
    item = doc["items"]["loan_households"]
    assert (item["annual_task"], item["task_source"]) == ("10", "下达任务")
    assert item["text"] == ("放款户数：提前完成年度任务（此前累计10户 ≥ 年度任务10户，下达任务），按满分10分 + "
                            "本月新增1户 × 2.5分 = 12.50分（满分10 / 高限20）")
    text = " ".join(cli("explain", "E002", "--month", "2026-02", "--db", db, code=0).stdout.split())
    assert "年度任务（提前完成）：放款户数 60户（下达任务）、放款金额 864万元（默认 12×月度任务）" in text


def test_a_correction_cascades_with_the_stored_tasks(tmp_path: Path, cli: Any) -> None:
    tasks = write_csv(tmp_path / "任务.csv", TASK_HEADER, TASKS)
    db = tmp_path / "t.db"
    cli("score", _export(tmp_path, "2026-01", JAN), "--db", db, "--out", tmp_path,
        "--tasks", tasks, code=0)
    cli("score", _export(tmp_path, "2026-02", FEB), "--db", db, "--out", tmp_path, code=0)
    # January corrected: E001 lent to 9 households, short of his task 10. The cascade
    # re-scores February with the stored tasks: E001 loses early completion, and E002
    # (50 ≥ the default 48, short of 城东支行's 60) does not gain it.
    cli("score", _export(tmp_path, "2026-01", dict(JAN, E001=9)), "--db", db, "--out",
        tmp_path, "--replace", code=0)
    doc = json.loads(cli("show", "2026-02", "--db", db, "--json", code=0).stdout)
    assert _totals(doc) == {"E001": "8.50", "E002": "8.50", "E003": "8.50"}
    # The re-scored month's workbook written again records the year's tasks.
    cli("show", "2026-02", "--write", "--db", db, "--out", tmp_path / "again", code=0)
    record = {r["项目"]: r["内容"] for r in read_sheet(tmp_path / "again" / "scores-2026-02.xlsx",
                                                       "运行记录")}
    assert record["提前完成的年度任务"] == "下达任务 2 项（任务.csv）；默认 12×月度任务 16 项"
    assert {m["id"]: m["tasks"]["loan_households"]["annual_task"] for m in doc["managers"]} == \
        {"E001": "10", "E002": "60", "E003": "48"}


def test_new_tasks_for_a_scored_year_are_refused_unless_replace_tasks(
        tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "t.db"
    cli("score", _export(tmp_path, "2026-01", JAN), "--db", db, "--out", tmp_path, code=0)
    cli("score", _export(tmp_path, "2026-02", FEB), "--db", db, "--out", tmp_path, code=0)
    tasks = write_csv(tmp_path / "任务.csv", TASK_HEADER, TASKS)
    march = _export(tmp_path, "2026-03", FEB)
    refused = cli("score", march, "--db", db, "--out", tmp_path, "--tasks", tasks, code=1)
    assert "2026 年已有 2026-01、2026-02 按规则文件或默认年度任务计分，任务.csv 是该年第一份下达任务" \
        in refused.stderr.replace("\n", "")
    assert "--replace-tasks" in refused.stderr
    doc = json.loads(cli("score", march, "--db", db, "--out", tmp_path, "--tasks", tasks,
                         "--replace-tasks", "--json", code=0).stdout)
    # February re-scored under the tasks: E001 gains, E002 loses early completion.
    assert {(r["month"], r["id"], r["old_total"], r["new_total"]) for r in doc["restated"]} == {
        ("2026-02", "E001", "8.50", "18.50"), ("2026-02", "E002", "18.50", "8.50")}
    # --replace-tasks without a file is not silently ignored.
    alone = cli("score", march, "--db", db, "--out", tmp_path, "--replace", "--replace-tasks",
                code=1)
    assert "--replace-tasks 需与 --tasks 文件一起使用" in alone.stderr
    # The same file again is no change; another file is refused again.
    cli("score", march, "--db", db, "--out", tmp_path, "--tasks", tasks, "--replace", code=0)
    other = write_csv(tmp_path / "任务2.csv", TASK_HEADER, [["E001", "", "放款户数", 12]])
    refused = cli("score", march, "--db", db, "--out", tmp_path, "--tasks", other, "--replace",
                  code=1)
    assert "历史库已有 2026 年的下达任务（任务.csv），任务2.csv 与之不同" in refused.stderr


def test_every_problem_of_a_tasks_file_is_located(tmp_path: Path, cli: Any) -> None:
    tasks = write_csv(tmp_path / "任务.csv", TASK_HEADER, [
        ["E001", "", "放款次数", 10],  # 2: unknown item
        ["", "城东支行", "管户户数", 10],  # 3: no early completion
        ["E002", "", "银行卡", -5],  # 4: negative
        ["E002", "", "POS收单", "很多"],  # 5: not a number
        ["E009", "", "放款户数", 10],  # 6: not in the month
        ["", "火星支行", "放款户数", 10],  # 7: not in the month
        ["E001", "", "loan_households", 10],  # 8: by id, fine
        ["E001", "", "放款户数", 12],  # 9: duplicate of row 8
    ])
    result = cli("check", _export(tmp_path, "2026-01", JAN), "--tasks", tasks,
                 "--db", tmp_path / "t.db", "--json", code=1)
    problems = json.loads(result.stdout)["problems"]
    assert {p["file"] for p in problems} == {"任务.csv"}
    assert [(p["row"], p["column"], p["message"]) for p in problems] == [
        (2, "考核项目", "考核项目「放款次数」不是规则文件中的计分项目：请写项目名称或编号，可下达年度任务的"
                    "项目：放款户数、放款金额、银行卡、个人网银、企业网银、POS收单"),
        (3, "考核项目", "考核项目「管户户数」不参加提前完成（规则文件中没有 early_completion: true），"
                    "不下达年度任务：请删除此行；可下达年度任务的项目：放款户数、放款金额、银行卡、个人网银、"
                    "企业网银、POS收单"),
        (4, "年度任务", "年度任务 -5 不大于 0：请填写下达的全年任务数（户数、金额）"),
        (5, "年度任务", "年度任务「很多」不是数字：请填写下达的全年任务数（户数、金额）"),
        (6, "工号", "工号 E009 不在 2026-01 的导出文件中，也不在 2026 年已计分的月份中：请核对工号"
                  "（是否丢了前导零）"),
        (7, "机构", "机构「火星支行」不在 2026-01 的导出文件中，也不在 2026 年已计分的月份中：请按导出文件"
                  "的机构名称填写"),
        (9, "工号", "工号 E001 的「放款户数」与第 8 行重复：同一任务只下达一次，请删除一行")]
    assert not (tmp_path / "t.db").exists()


def _rules_with_payroll_agency(tmp_path: Path, extra: str) -> Path:
    """A rules copy whose 附件1 代发工资 has ``extra`` (YAML keys) under it."""
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    table = target / "1-zhihang.yaml"
    text = table.read_text(encoding="utf-8")
    anchor = "        kind: per_client\n"
    assert text.count(anchor) == 1
    table.write_text(text.replace(anchor, anchor + extra), encoding="utf-8")
    return target


def test_payroll_agency_in_early_completion_from_the_rule_file(tmp_path: Path, cli: Any) -> None:
    rules_dir = _rules_with_payroll_agency(
        tmp_path, "        early_completion: true\n        annual_task: 2\n")
    header = HEADERS
    branch = "城东支行"

    def month(name: str, small: int) -> Path:
        return write_xlsx(tmp_path / f"{name}.xlsx", header, [
            row(ZEROS, 工号="E001", 姓名="甲", 机构=branch, 代发工资50人以下=small)],
            titles=(f"2026年{int(name[5:])}月客户经理业绩报表",))

    db, plain = tmp_path / "t.db", tmp_path / "plain.db"
    for store in (db, plain):
        rules = ("--rules", rules_dir) if store == db else ()
        cli("score", month("2026-01", 2), "--db", store, "--out", tmp_path, *rules, code=0)
        doc = json.loads(cli("score", month("2026-02", 1), "--db", store, "--out", tmp_path,
                             *rules, "--json", code=0).stdout)
        [m] = doc["managers"]
        if store == db:  # 2 clients in January reach the task of 2: full 6 + 3 in February
            assert (m["items"]["payroll_agency"], m["total"]) == ("9.00", "15.00")
            assert m["tasks"]["payroll_agency"] == {"annual_task": "2", "task_source": "规则文件"}
        else:  # the shipped rules: the month alone
            assert (m["items"]["payroll_agency"], m["total"]) == ("3.00", "9.00")
            assert "payroll_agency" not in m["tasks"]
    shown = " ".join(cli("rules", "show", "--rules", rules_dir, code=0).stdout.split())
    assert "提前完成年度任务（2户）的，按满分加本月新增计" in shown


def test_payroll_agency_early_completion_without_annual_task_is_refused(
        tmp_path: Path, cli: Any) -> None:
    rules_dir = _rules_with_payroll_agency(tmp_path, "        early_completion: true\n")
    said = cli("rules", "check", rules_dir, code=1)
    assert "1-zhihang.yaml:" in said.stderr + said.stdout
    assert "per_client 项目参加提前完成须写 annual_task（年度任务，代发户数）" in said.stderr + said.stdout


def test_the_example_tasks_file_checks_against_the_example_month(cli: Any, tmp_path: Path) -> None:
    example = EXAMPLES / "tasks" / "任务下达-2026.csv"
    out = cli("check", EXAMPLES / "2026-10.xlsx", "--tasks", example, "--db", tmp_path / "t.db",
              code=0).stdout
    assert "提前完成的年度任务（按客户经理 × 项目计）：下达任务 13 项（任务下达-2026.csv）；" \
           "默认 12×月度任务 227 项" in out


def test_replace_tasks_restates_a_paid_month_and_a_closed_month_refuses(
        tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "t.db"
    cli("score", _export(tmp_path, "2026-01", JAN), "--db", db, "--out", tmp_path, code=0)
    cli("score", _export(tmp_path, "2026-02", FEB), "--db", db, "--out", tmp_path, code=0)
    cli("payroll", "--month", "2026-02", "--db", db, "--out", tmp_path, code=0)
    cli("close", "2026-02", "--db", db, code=0)
    tasks = write_csv(tmp_path / "任务.csv", TASK_HEADER, TASKS)
    march = _export(tmp_path, "2026-03", FEB)
    refused = cli("score", march, "--db", db, "--out", tmp_path, "--tasks", tasks,
                  "--replace-tasks", code=1)
    assert "会改变已结账月份 2026-02 的得分" in refused.stderr
    assert query(db, "SELECT count(*) FROM tasks") == [(0,)]
    cli("reopen", "2026-02", "--reason", "下达任务到位", "--db", db, code=0)
    cli("score", march, "--db", db, "--out", tmp_path, "--tasks", tasks, "--replace-tasks",
        code=0)
    # Paid at the transition's 1000: E001 185.00 → 18.50 points is 185.00 due, was 85.00.
    assert query(db, "SELECT cm_id, paid_fen, due_fen FROM restatements ORDER BY cm_id") == [
        ("E001", 8500, 18500), ("E002", 18500, 8500)]


def test_a_tasks_file_may_name_a_manager_of_an_earlier_month_and_padded_ids(
        tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "t.db"
    cli("score", _export(tmp_path, "2026-01", JAN), "--db", db, "--out", tmp_path, code=0)
    # E003 left after January: his row is accepted (a file issued for the year).
    tasks = write_csv(tmp_path / "任务.csv", TASK_HEADER, [["E003", "", "放款户数", 3]])
    feb = _export(tmp_path, "2026-02", {"E001": 1, "E002": 1})
    cli("check", feb, "--db", db, "--tasks", tasks, "--replace-tasks", code=0)
    # A 工号 a spreadsheet shortened (11771) gets its zeros back as the export's do.
    padded = write_csv(tmp_path / "补零.csv", TASK_HEADER, [[11771, "", "放款户数", 60]])
    doc = json.loads(cli("check", EXAMPLES / "2026-10.xlsx", "--tasks", padded, "--db",
                         tmp_path / "none.db", "--json", code=0).stdout)
    [manager] = [m for m in doc["managers"] if m["id"] == "011771"]
    assert manager["tasks"]["loan_households"] == {"annual_task": "60", "task_source": "下达任务"}


def test_a_tasks_file_of_branches_alone_and_one_without_either_column(
        tmp_path: Path, cli: Any) -> None:
    month = _export(tmp_path, "2026-01", JAN)
    branches = write_csv(tmp_path / "支行任务.csv", ["机构", "考核项目", "年度任务"],
                         [["城东支行", "放款户数", 20]])
    doc = json.loads(cli("check", month, "--tasks", branches, "--db", tmp_path / "t.db",
                         "--json", code=0).stdout)
    assert {m["id"]: m["tasks"]["loan_households"]["annual_task"] for m in doc["managers"]} == \
        {"E001": "20", "E002": "20", "E003": "48"}
    neither = write_csv(tmp_path / "无.csv", ["姓名", "考核项目", "年度任务"], [["甲", "放款户数", 20]])
    doc = json.loads(cli("check", month, "--tasks", neither, "--db", tmp_path / "t.db", "--json",
                         code=1).stdout)
    assert [(p["file"], p["row"], p["message"]) for p in doc["problems"]] == [
        ("无.csv", 1, "找不到表头行：任务下达文件须有列 考核项目、年度任务，以及 工号 或 机构（一列或两列都有）")]
