"""`cmscore score` and `cmscore check` through the command line (SPEC §6–§8)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cmscore.rules.ruleset import DEFAULT_DIR
from conftest import (
    EXAMPLES,
    HEADERS,
    TITLE,
    ZEROS,
    Cli,
    json_out,
    row,
    score_rows,
    stored_months,
    worked_file,
    write_xlsx,
)

ITEM_IDS = ["loan_households", "loan_amount", "managed_households", "npl", "savings_growth",
            "corporate_growth", "cards", "payroll_agency", "personal_ebank", "corporate_ebank",
            "pos"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "cmscore.db"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


def written(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("scores-*.xlsx")) if out.exists() else []


def score(cli: Cli, file: Path, db: Path, out: Path, *extra: Any, code: int = 0) -> Any:
    return cli("score", file, "--db", db, "--out", out, *extra, code=code)


def refused(cli: Cli, file: Path, db: Path, out: Path, *extra: Any) -> tuple[Any, list[dict]]:
    """Score ``file`` expecting exit 1; nothing written, no month stored; return the problems."""
    before = stored_months(db)
    files_before = written(out)
    human = score(cli, file, db, out, *extra, code=1)
    assert "未保存、未写入任何文件" in human.stderr or "错误：" in human.stderr
    assert human.stdout == ""
    doc = json_out(score(cli, file, db, out, *extra, "--json", code=1))
    assert doc["error"] == "输入有误"
    assert written(out) == files_before
    assert stored_months(db) == before
    return human, doc["problems"]


# --- success and the output contract -----------------------------------------------------------


def test_worked_example_json(cli: Cli, db: Path, out: Path) -> None:
    result = score(cli, EXAMPLES / "worked-example.xlsx", db, out, "--json")
    doc = json_out(result)
    assert doc["month"] == "2026-10"
    [m] = doc["managers"]
    assert {"id", "name", "branch", "category", "rank", "total", "risk_fund", "items"} <= set(m)
    assert (m["id"], m["name"], m["branch"], m["category"], m["rank"]) == \
        ("E001", "张伟", "城东支行", "支行", 1)
    assert m["total"] == "81.80"
    assert m["risk_fund"] == "6.00"
    assert m["items"] == {
        "loan_households": "7.50", "loan_amount": "12.50", "managed_households": "8.00",
        "npl": "6.00", "savings_growth": "20.00", "corporate_growth": "15.00", "cards": "2.40",
        "payroll_agency": "3.00", "personal_ebank": "2.40", "corporate_ebank": "2.00",
        "pos": "3.00"}
    assert written(out) == ["scores-2026-10.xlsx"]
    assert stored_months(db) == ["2026-10"]


def test_worked_example_workbook(cli: Cli, db: Path, out: Path) -> None:
    score(cli, EXAMPLES / "worked-example.xlsx", db, out)
    wb = load_workbook(out / "scores-2026-10.xlsx")
    ws = wb["支行排名"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    at = next(i for i, r in enumerate(rows) if r and r[0] == "排名")
    header, data = rows[at], rows[at + 1]
    cells = dict(zip(header, data, strict=True))
    assert cells["工号"] == "E001" and cells["姓名"] == "张伟"
    assert cells["排名"] == 1
    assert cells["总分"] == pytest.approx(81.8, abs=1e-9)
    assert cells["风险金计提"] == pytest.approx(6.0, abs=1e-9)
    assert cells["放款金额"] == pytest.approx(12.5, abs=1e-9)
    total_cell = ws.cell(row=at + 2, column=header.index("总分") + 1)
    assert total_cell.number_format == "0.00"  # shows 81.80
    assert f"{total_cell.value:.2f}" == "81.80"
    assert "明细" in wb.sheetnames
    assert len(rows) == at + 2  # one CM, nothing else below


def test_json_is_one_document_with_decimal_strings(cli: Cli, db: Path, out: Path,
                                                   tmp_path: Path) -> None:
    data = [row(工号="E001", 放款户数=3), row(工号="E002", 姓名="李娜", 放款户数=4),
            row(工号="E003", 姓名="王芳", 放款户数=3), row(工号="E004", 姓名="赵敏", 放款户数=1),
            row(ZEROS, 工号="F001", 姓名="NA", 机构="分行营业部", 类别="分行公司", 放款户数=1)]
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, data)
    result = score(cli, path, db, out, "--json")
    doc = json_out(result)  # the whole of stdout parses: nothing else is printed there
    assert set(doc) == {"month", "managers", "warnings", "restated", "gap_months",
                        "year_to_date_from", "roster_changes"}
    ranks = [(m["id"], m["category"], m["rank"], m["total"]) for m in doc["managers"]]
    assert ranks == [("E002", "支行", 1, "84.30"), ("E001", "支行", 2, "81.80"),
                     ("E003", "支行", 2, "81.80"), ("E004", "支行", 4, "76.80"),
                     ("F001", "分行公司", 1, "16.00")]
    for m in doc["managers"]:
        assert list(m["items"]) == ITEM_IDS
        for value in [m["total"], m["risk_fund"], *m["items"].values()]:
            assert isinstance(value, str)
            whole, frac = value.split(".")
            assert whole.isdigit() and len(frac) == 2
        assert isinstance(m["rank"], int)
    assert doc["managers"][-1]["name"] == "NA"


def test_human_output_goes_to_stdout_without_json(cli: Cli, db: Path, out: Path,
                                                  tmp_path: Path) -> None:
    result = score(cli, worked_file(tmp_path), db, out)
    assert "2026-10" in result.stdout
    assert "scores-2026-10.xlsx" in result.stdout


def test_rescoring_needs_replace(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    score(cli, worked_file(tmp_path), db, out)
    first = (out / "scores-2026-10.xlsx").read_bytes()
    again = worked_file(tmp_path, "again.xlsx", 放款户数=4)
    human = score(cli, again, db, out, code=1)
    assert "--replace" in human.stderr and "2026-10" in human.stderr
    doc = json_out(score(cli, again, db, out, "--json", code=1))
    assert any("--replace" in p["message"] for p in doc["problems"])
    assert (out / "scores-2026-10.xlsx").read_bytes() == first
    assert written(out) == ["scores-2026-10.xlsx"]
    assert stored_months(db) == ["2026-10"]
    assert score_rows(db, "2026-10") == 1
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT total_cp FROM scores").fetchall() == [(8180,)]


def test_only_a_replaced_month_works_out_totals_to_compare(
        cli: Cli, db: Path, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A correction (--replace) compares the month's totals before and after; a new month
    has none before, and a national one's 100k totals were 0.08 s before the fork."""
    from cmscore.app import score as app_score

    seen: list[object] = []
    real = app_score.to_centi
    monkeypatch.setattr(app_score, "to_centi", lambda v: seen.append(v) or real(v))
    score(cli, worked_file(tmp_path), db, out)
    assert seen == []
    score(cli, worked_file(tmp_path, "again.xlsx", 放款户数=4), db, out, "--replace")
    assert len(seen) == 1


def test_replace_rescores_and_keeps_one_copy(cli: Cli, db: Path, out: Path,
                                             tmp_path: Path) -> None:
    two = [row(工号="E001"), row(工号="E002", 姓名="李娜")]
    score(cli, write_xlsx(tmp_path / "a.xlsx", HEADERS, two), db, out)
    assert score_rows(db, "2026-10") == 2
    changed = [row(工号="E001", 放款户数=4), row(工号="E002", 姓名="李娜")]
    doc = json_out(score(cli, write_xlsx(tmp_path / "b.xlsx", HEADERS, changed), db, out,
                         "--replace", "--json"))
    assert [(m["id"], m["total"]) for m in doc["managers"]] == [("E001", "84.30"),
                                                                 ("E002", "81.80")]
    assert stored_months(db) == ["2026-10"]
    assert score_rows(db, "2026-10") == 2
    with closing(sqlite3.connect(db)) as conn:
        stored = dict(conn.execute("SELECT cm_id, total_cp FROM scores WHERE month = '2026-10'"))
    assert stored == {"E001": 8430, "E002": 8180}
    ws = load_workbook(out / "scores-2026-10.xlsx")["支行排名"]
    totals = [r[-2] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert totals == [pytest.approx(84.3), pytest.approx(81.8)]
    # A replace that drops a CM leaves only the new month's CMs.
    score(cli, write_xlsx(tmp_path / "c.xlsx", HEADERS, [row(工号="E002")]), db, out,
          "--replace")
    assert score_rows(db, "2026-10") == 1


def test_baseline_from_the_previous_december(cli: Cli, db: Path, out: Path,
                                             tmp_path: Path) -> None:
    december = write_xlsx(tmp_path / "dec.xlsx", HEADERS, [row(管户户数=127)],
                          titles=["2025年12月客户经理业绩报表"])
    score(cli, december, db, out)
    header = [h for h in HEADERS if h != "上年末管户户数"]
    data = [[v for h, v in zip(HEADERS, row(管户户数=130), strict=True) if h != "上年末管户户数"]]
    january = write_xlsx(tmp_path / "jan.xlsx", header, data,
                         titles=["2026年1月客户经理业绩报表"])
    [m] = json_out(score(cli, january, db, out, "--json"))["managers"]
    assert m["items"]["managed_households"] == "6.00"  # (130 − 127) × 2
    # The export's own baseline column, when present, wins over the store.
    with_base = write_xlsx(tmp_path / "feb.xlsx", HEADERS, [row(管户户数=130)],
                           titles=["2026年2月客户经理业绩报表"])
    [m] = json_out(score(cli, with_base, db, out, "--json"))["managers"]
    assert m["items"]["managed_households"] == "8.00"  # (130 − 126) × 2


def test_missing_baseline_names_the_cm_and_item(cli: Cli, db: Path, out: Path,
                                                tmp_path: Path) -> None:
    data = [row(工号="E001"), row(工号="E002", 上年末管户户数=None)]
    human, found = refused(cli, write_xlsx(tmp_path / "x.xlsx", HEADERS, data), db, out)
    [p] = found
    assert "E002" in p["message"] and "管户户数" in p["message"] and "基数" in p["message"]
    assert p["row"] == 4
    assert "E002" in human.stderr


# --- bad input: exit 1, nothing written, nothing stored ------------------------------------------


def test_missing_column(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    header = [h for h in HEADERS if h != "银行卡"]
    data = [[v for h, v in zip(HEADERS, row(), strict=True) if h != "银行卡"]]
    human, found = refused(cli, write_xlsx(tmp_path / "x.xlsx", header, data), db, out)
    [p] = found
    assert "找不到列 银行卡" in p["message"]
    assert "表头为：工号、姓名、机构、类别、放款户数" in p["message"]  # the headers seen
    assert "cards" in p["message"]  # the item id
    assert (p["file"], p["sheet"], p["row"]) == ("x.xlsx", "业绩", 2)
    assert "找不到列 银行卡" in human.stderr and "cards" in human.stderr


def test_missing_npl_columns_name_both_alternatives(cli: Cli, db: Path, out: Path,
                                                    tmp_path: Path) -> None:
    header = [h for h in HEADERS if h != "不良率"]
    data = [[v for h, v in zip(HEADERS, row(), strict=True) if h != "不良率"]]
    _, found = refused(cli, write_xlsx(tmp_path / "x.xlsx", header, data), db, out)
    [p] = found
    assert "不良率" in p["message"] and "不良贷款余额" in p["message"]
    assert "发放贷款余额" in p["message"] and "npl" in p["message"]


def test_non_numeric_cell(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(), row(工号="E002", 放款金额="五十")])
    human, found = refused(cli, path, db, out)
    assert found == [{"file": "x.xlsx", "sheet": "业绩", "row": 4, "column": "放款金额",
                      "message": "「五十」不是数字"}]
    assert "「五十」不是数字" in human.stderr


def test_negative_count(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(银行卡=-3)])
    _, found = refused(cli, path, db, out)
    [p] = found
    assert (p["row"], p["column"]) == (3, "银行卡")
    assert "负数 -3" in p["message"]


def test_negative_net_increase_is_allowed(cli: Cli, db: Path, out: Path,
                                          tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(储蓄日均净增=-20)])
    [m] = json_out(score(cli, path, db, out, "--json"))["managers"]
    assert m["items"]["savings_growth"] == "0.00"
    assert m["total"] == "61.80"


def test_duplicate_id(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS,
                      [row(工号="000123"), row(工号="000124"), row(工号="000123", 姓名="李娜")])
    human, found = refused(cli, path, db, out)
    [p] = found
    assert (p["row"], p["column"]) == (5, "工号")
    assert "工号 000123 重复" in p["message"] and "第 3 行" in p["message"]
    assert "000123" in human.stderr


def test_unknown_category(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(类别="总行公司")])
    _, found = refused(cli, path, db, out)
    [p] = found
    assert (p["row"], p["column"]) == (3, "类别")
    assert "未知类别「总行公司」" in p["message"]
    assert "支行、分行个金、分行公司" in p["message"]


def test_empty_sheet(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    _, found = refused(cli, write_xlsx(tmp_path / "x.xlsx", HEADERS, []), db, out)
    [p] = found
    assert "没有数据行" in p["message"]
    _, found = refused(cli, write_xlsx(tmp_path / "y.xlsx", [], [], titles=[]), db, out)
    [p] = found
    assert "找不到表头行" in p["message"]


@pytest.mark.parametrize(("content", "words"), [
    (b"hello, this is not a workbook\r\n", "内容却是文本"),
    (b"\x00\x01\x02\x03 binary junk", "不是表格"),
    (b"PK\x03\x04" + b"\x00" * 40, "损坏"),
])
def test_a_file_that_is_not_a_spreadsheet(cli: Cli, db: Path, out: Path, tmp_path: Path,
                                          content: bytes, words: str) -> None:
    path = tmp_path / "2026-10.xlsx"
    path.write_bytes(content)
    human, found = refused(cli, path, db, out)
    [p] = found
    assert p["file"] == "2026-10.xlsx"
    assert words in p["message"]
    assert "Traceback" not in human.stderr


def test_a_truncated_workbook(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    path = tmp_path / "2026-10.xlsx"
    path.write_bytes((EXAMPLES / "2026-10.xlsx").read_bytes()[:3000])
    _, found = refused(cli, path, db, out)
    assert "损坏" in found[0]["message"] or "截断" in found[0]["message"]


def test_title_month_disagreeing_with_option(cli: Cli, db: Path, out: Path,
                                             tmp_path: Path) -> None:
    path = worked_file(tmp_path, "export.xlsx")
    human, found = refused(cli, path, db, out, "--month", "2026-09")
    [p] = found
    assert "月份不一致" in p["message"]
    assert "--month为 2026-09" in p["message"] and "标题为 2026-10" in p["message"]
    assert "月份不一致" in human.stderr
    # With the month agreeing, the same file scores.
    score(cli, path, db, out, "--month", "2026-10")
    assert stored_months(db) == ["2026-10"]


def test_all_problems_are_reported_together(cli: Cli, db: Path, out: Path,
                                            tmp_path: Path) -> None:
    data = [row(工号="E001", 放款户数="x"), row(工号="E002", 银行卡=-1), row(工号="E001")]
    _, found = refused(cli, write_xlsx(tmp_path / "x.xlsx", HEADERS, data), db, out)
    assert [(p["row"], p["column"]) for p in found] == [(3, "放款户数"), (4, "银行卡"),
                                                       (5, "工号")]


def test_a_failure_after_good_months_keeps_them(cli: Cli, db: Path, out: Path,
                                                tmp_path: Path) -> None:
    september = write_xlsx(tmp_path / "s.xlsx", HEADERS, [row()],
                           titles=["2026年9月客户经理业绩报表"])
    score(cli, september, db, out)
    refused(cli, write_xlsx(tmp_path / "x.xlsx", HEADERS, [row(银行卡="n/a")]), db, out)
    assert stored_months(db) == ["2026-09"]
    assert written(out) == ["scores-2026-09.xlsx"]


# --- rule files through the CLI -------------------------------------------------------------------


def test_broken_rules_exit_1_with_file_and_line(cli: Cli, db: Path, out: Path,
                                                tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    path = rules / "1-zhihang.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("        cap: 36\n",
                                                             "        cap: 036\n"),
                    encoding="utf-8")
    result = score(cli, worked_file(tmp_path), db, out, "--rules", rules, "--json", code=1)
    doc = json_out(result)
    assert doc["error"] == "规则文件有误"
    assert any(p["message"].startswith("1-zhihang.yaml:27:") for p in doc["problems"])
    assert written(out) == [] and stored_months(db) == []
    human = score(cli, worked_file(tmp_path), db, out, "--rules", rules, code=1)
    assert "1-zhihang.yaml:27" in human.stderr


def test_other_rules_change_the_score(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    path = rules / "1-zhihang.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "        unit: 4\n", "        unit: 4\n        whole_units: true\n"), encoding="utf-8")
    doc = json_out(score(cli, worked_file(tmp_path, 放款金额=51), db, out, "--rules", rules,
                         "--json"))
    assert doc["managers"][0]["items"]["loan_amount"] == "12.00"  # 12.75 without whole units


# --- usage: exit 2 ----------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "said"), [
    (["score"], "用法：cmscore score [选项] 文件\n查看帮助：cmscore score --help\n\n"
                "错误：缺少参数 文件\n"),
    (["score", "x.xlsx", "--bogus"], "用法：cmscore score [选项] 文件\n"
                                     "查看帮助：cmscore score --help\n\n错误：没有选项 --bogus；是否想用 --out？\n"),
    (["score", "x.xlsx", "--rules", "/nonexistent/rules/dir"],
     "用法：cmscore score [选项] 文件\n查看帮助：cmscore score --help\n\n"
     "错误：--rules 的值无效：/nonexistent/rules/dir 不存在\n"),
    (["frobnicate"], "用法：cmscore [选项] 命令 [参数]...\n查看帮助：cmscore --help\n\n"
                     "错误：没有命令 frobnicate；cmscore --help 列出全部命令\n"),
    (["rules", "bogus"], "用法：cmscore rules [选项] 命令 [参数]...\n查看帮助：cmscore rules --help\n\n"
                         "错误：没有命令 bogus；cmscore rules --help 列出全部命令\n"),
    (["scor"], "用法：cmscore [选项] 命令 [参数]...\n查看帮助：cmscore --help\n\n"
               "错误：没有命令 scor；是否想用 score？\n"),
    (["check"], "用法：cmscore check [选项] 文件\n查看帮助：cmscore check --help\n\n"
                "错误：缺少参数 文件\n"),
    (["score", "x.xlsx", "--month"], "错误：选项 --month 后面要跟一个值\n"),
    (["grade", "--months", "x"], "用法：cmscore grade [选项]\n查看帮助：cmscore grade --help\n\n"
                                 "错误：--months 的值无效：应为整数\n"),
    (["grade"], "用法：cmscore grade [选项]\n查看帮助：cmscore grade --help\n\n"
                "错误：缺少选项 --months\n"),
])
def test_usage_errors_exit_2_in_chinese(cli: Cli, args: list[str], said: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    worked_file(tmp_path / "in", "x.xlsx")
    result = cli(*args, code=2)
    assert result.stdout == ""
    assert result.stderr == said
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no store, no workbook


def test_help_exits_0(cli: Cli) -> None:
    assert "score" in cli("--help", code=0).stdout
    assert "--replace" in cli("score", "--help", code=0).stdout


# --- check --------------------------------------------------------------------------------------


def test_check_passes_a_good_file_and_writes_nothing(cli: Cli, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = worked_file(tmp_path / "in")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("check", source, "--db", work / "cmscore.db", code=0)
    assert "2026-10" in result.stdout and "检查通过" in result.stdout
    doc = json_out(cli("check", source, "--db", work / "cmscore.db", "--json", code=0))
    assert doc["ok"] is True and doc["month"] == "2026-10"
    assert doc["managers"][0]["total"] == "81.80"
    cli("check", source, code=0)  # default store in the working directory: not created
    assert list(work.iterdir()) == []


def test_check_refuses_a_bad_file_and_writes_nothing(cli: Cli, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    source = write_xlsx(tmp_path / "in" / "x.xlsx", HEADERS, [row(放款户数="三")])
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("check", source, "--db", work / "cmscore.db", code=1)
    assert "「三」不是数字" in result.stderr
    doc = json_out(cli("check", source, "--db", work / "cmscore.db", "--json", code=1))
    assert doc["problems"][0]["row"] == 3
    assert list(work.iterdir()) == []


def test_check_leaves_an_existing_store_as_it_was(cli: Cli, db: Path, out: Path,
                                                  tmp_path: Path) -> None:
    score(cli, worked_file(tmp_path), db, out)
    before = db.read_bytes()
    september = write_xlsx(tmp_path / "s.xlsx", HEADERS, [row()],
                           titles=["2026年9月客户经理业绩报表"])
    cli("check", september, "--db", db, code=0)
    cli("check", worked_file(tmp_path), "--db", db, code=0)  # an already-scored month checks
    assert db.read_bytes() == before
    # SQLite may leave its -wal/-shm companions after a read-only open; nothing else appears.
    assert {p.name for p in db.parent.iterdir()} <= {
        "cmscore.db", "cmscore.db.lock", "cmscore.db-wal", "cmscore.db-shm"}
    assert stored_months(db) == ["2026-10"]
    assert written(out) == ["scores-2026-10.xlsx"]


def test_check_and_score_agree(cli: Cli, db: Path, out: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", HEADERS,
                      [row(), row(工号="E002", 放款金额="33.3", 不良率="0.7%")],
                      titles=[TITLE, "单位：万元"])
    checked = json_out(cli("check", path, "--db", db, "--json", code=0))
    scored = json_out(score(cli, path, db, out, "--json"))
    assert checked["managers"] == scored["managers"]
    assert [m["total"] for m in scored["managers"]] == ["81.80", "72.63"]  # 8.325 → 8.33


def test_the_console_script_flushes_its_output_and_keeps_exit_codes(tmp_path: Path) -> None:
    """``main`` leaves with os._exit: the JSON on a pipe must still be whole, and the
    exit codes those of the command (0 done, 1 bad input, 2 usage)."""
    import json
    import subprocess
    import sys

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cmscore.cli", *map(str, args)],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)

    done = run("score", EXAMPLES / "2026-10.xlsx", "--db", tmp_path / "c.db", "--out", tmp_path,
               "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["managers"]) == 40  # every CM of the example
    bad = tmp_path / "bad.csv"
    bad.write_text("工号,姓名\n", encoding="utf-8")
    refused = run("check", bad)
    assert refused.returncode == 1 and "未保存" in refused.stderr
    assert run("no-such-command").returncode == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
@pytest.mark.parametrize("args", [["--json"], []])
def test_output_that_cannot_be_written_is_one_plain_message_not_a_traceback(
        tmp_path: Path, args: list[str]) -> None:
    """``score --json > /dev/full`` (a full disk) ended in an OSError traceback after the
    month was stored; it now says so in one sentence on stderr and exits 1, the month
    stored (what was stored stays: the store is the truth, the terminal its view)."""
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "c.db"
    with open("/dev/full", "w") as full:
        ran = subprocess.run([sys.executable, "-m", "cmscore.cli", "score",
                              EXAMPLES / "2026-10.xlsx", "--db", db, "--out", tmp_path, *args],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert ran.returncode == 1
    assert ran.stderr == ("cmscore：结果写不到标准输出（No space left on device）。已存入历史库的"
                          "内容不受影响，可用 cmscore status、cmscore show 查看；请腾出磁盘空间或"
                          "改写到别处后重新查看\n")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT month FROM months").fetchall() == [("2026-10",)]


@pytest.mark.parametrize(("encoding", "named"), [("ascii", "ascii"), ("latin-1", "iso8859-1"),
                                               ("big5", "big5"), ("gb2312", "gb2312")])
def test_an_output_encoding_without_chinese_is_refused_before_anything_is_done(
        tmp_path: Path, encoding: str, named: str) -> None:
    """Session 9's leftover: under ``PYTHONIOENCODING=ascii`` (or a Latin-1 locale) `score`
    stored the month, then died in a UnicodeEncodeError traceback at its first table; Big5
    has 考核 but not 计 (the red team's find), GB2312 not the help's dash."""
    import os
    import subprocess
    import sys

    db = tmp_path / "c.db"
    ran = subprocess.run([sys.executable, "-m", "cmscore.cli", "score", EXAMPLES / "2026-10.xlsx",
                          "--db", db, "--out", tmp_path / "out"],
                         env={**os.environ, "PYTHONIOENCODING": encoding},
                         capture_output=True, timeout=60)
    assert ran.returncode == 1
    assert ran.stdout == b""
    # stderr shares the encoding: the Chinese after the English as it can, or escaped
    assert ran.stderr.startswith(f"cmscore: the output encoding {named} cannot show Chinese; "
                                 "nothing was done. Set PYTHONIOENCODING=utf-8 and run "
                                 "again. / ".encode())
    assert not db.exists() and not (tmp_path / "out").exists()


def test_a_json_run_writes_utf8_whatever_the_output_encoding(tmp_path: Path) -> None:
    """JSON is UTF-8 (RFC 8259): `score --json > file` under an ASCII locale worked before
    the refusal above and still does, Chinese names and all."""
    import os
    import subprocess
    import sys

    ran = subprocess.run([sys.executable, "-m", "cmscore.cli", "score", EXAMPLES / "2026-10.xlsx",
                          "--db", tmp_path / "c.db", "--out", tmp_path, "--json"],
                         env={**os.environ, "PYTHONIOENCODING": "ascii"},
                         capture_output=True, timeout=60)
    assert ran.returncode == 0
    assert json.loads(ran.stdout.decode("utf-8"))["managers"][0]["name"] == "蒋红梅"


def test_a_closed_stdout_is_refused_before_anything_is_done(tmp_path: Path) -> None:
    """``cmscore score … >&-`` stored the month, then an AttributeError traceback (both
    releases, the red team's find): nothing to print to is said at once."""
    import os
    import subprocess
    import sys

    ran = subprocess.run([sys.executable, "-m", "cmscore.cli", "score", EXAMPLES / "2026-10.xlsx",
                          "--db", tmp_path / "c.db", "--out", tmp_path / "out"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60,
                         preexec_fn=lambda: os.close(1), text=True)
    assert (ran.returncode, ran.stderr) == (1, "cmscore: there is no standard output (it was "
                                            "closed); nothing was done. / 标准输出已关闭，未执行任何操作。\n")
    assert not (tmp_path / "c.db").exists()
