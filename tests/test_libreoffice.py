"""What a person sees: every workbook opened in LibreOffice Calc (headless), printed to
PDF and saved as CSV, once per session (soffice is slow to start).

Skipped with the reason shown where LibreOffice is not installed; under CI (CI=true),
where `.ci/run` installs it, a missing soffice fails instead of skipping.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cmscore.rules.ruleset import load_rules
from conftest import Workbooks

SOFFICE = shutil.which("soffice")
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(
    SOFFICE is None and not IN_CI,
    reason="LibreOffice 未安装（soffice 不在 PATH）：apt-get install libreoffice-calc-nogui "
           "poppler-utils fonts-noto-cjk 后运行这些测试")

BOOKS = ["scores-2026-10", "公示-2026-10", "grades-2026-10", "payroll-2026-10", "diff-2026-09_2026-10",
         "diff-2026-10_2026-10", "summary-2026", "工资导入-2026-10"]
# Every sheet as its own CSV, values as shown (number formats applied), UTF-8.
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


@dataclass
class Printed:
    pages: dict[str, list[str]]  # workbook → each PDF page's text
    sizes: dict[str, list[tuple[float, float]]]  # workbook → each page's width, height
    csv: Path

    def sheet(self, book: str, sheet: str) -> list[list[str]]:
        with open(self.csv / f"{book}-{sheet}.csv", encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))

    def table(self, book: str, sheet: str) -> list[dict[str, str]]:
        rows = self.sheet(book, sheet)
        start = 2 if rows[0][0] and not any(rows[1]) else 0
        return [dict(zip(rows[start], r, strict=True)) for r in rows[start + 1:]]


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=300).stdout


@pytest.fixture(scope="module")
def printed(workbooks: Workbooks, tmp_path_factory: pytest.TempPathFactory) -> Printed:
    if SOFFICE is None:
        pytest.fail("CI=true but soffice is missing: .ci/run should have installed "
                    "libreoffice-calc-nogui")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    base = tmp_path_factory.mktemp("libreoffice")
    # A profile of its own: a LibreOffice already open on this machine is left alone.
    profile = f"-env:UserInstallation={(base / 'profile').as_uri()}"
    files = [str(workbooks.path(f"{b}.xlsx")) for b in BOOKS]
    _run(SOFFICE, profile, "--headless", "--convert-to", "pdf", "--outdir", str(base / "pdf"),
         *files)
    _run(SOFFICE, profile, "--headless", "--convert-to", CSV_FILTER, "--outdir",
         str(base / "csv"), *files)
    pages, sizes = {}, {}
    for b in BOOKS:
        pdf = str(base / "pdf" / f"{b}.pdf")
        pages[b] = _run("pdftotext", "-raw", pdf, "-").split("\f")[:-1]
        info = _run("pdfinfo", "-f", "1", "-l", str(len(pages[b])), pdf)
        sizes[b] = [(float(w), float(h)) for w, h in
                    re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+)", info)]
    return Printed(pages, sizes, base / "csv")


def pages_of(printed: Printed, book: str, sheet: str) -> list[str]:
    """The pages whose footer names ``sheet``."""
    return [p for p in printed.pages[book] if re.search(rf"^{sheet} 第 \d+ 页", p, re.M)]


def test_a_ranked_sheet_prints_on_one_landscape_page_wide(printed: Printed,
                                                         workbooks: Workbooks) -> None:
    doc = workbooks.scores["2026-10"]
    branch = [m["id"] for m in doc["managers"] if m["category"] == "支行"]
    pages = pages_of(printed, "scores-2026-10", "支行排名")
    assert len(pages) == 1  # 30 managers and every column: one page, not 22
    page = pages[0]
    assert "排名 机构内排名 工号 姓名 机构" in page and "风险金计提" in page
    assert all(cm in page for cm in branch)
    width, height = printed.sizes["scores-2026-10"][0]
    assert width > height  # landscape
    # 明细, forty-odd columns and the sentences, is fitted to the width of A3 landscape.
    detail = [k for k, p in enumerate(printed.pages["scores-2026-10"])
              if re.search(r"^明细 第 \d+ 页", p, re.M)]
    assert detail and all(printed.sizes["scores-2026-10"][k] == (1190.55, 841.89)
                          for k in detail)


def test_every_page_repeats_the_header_and_numbers_itself(printed: Printed) -> None:
    for book, pages in printed.pages.items():
        total = len(pages)
        for k, page in enumerate(pages, start=1):
            assert re.search(rf"第 {k} 页 / 共 {total} 页", page), (book, k)
    detail = pages_of(printed, "scores-2026-10", "明细")
    assert len(detail) > 1  # long enough to test the repeated header
    for page in detail:
        assert re.search(r"^工号 姓名 机构 类别 .* 计分说明$", page, re.M), page[:200]
    pay = pages_of(printed, "payroll-2026-10", "绩效工资")
    for page in pay:  # names and 月度应得工资 on the same page
        assert "工号 姓名" in page and "月度应得工资" in page


def test_every_scoring_sentence_is_printed_whole(printed: Printed, workbooks: Workbooks) -> None:
    ws = load_workbook(workbooks.path("scores-2026-10.xlsx"))["明细"]
    text = re.sub(r"\s", "", "".join(pages_of(printed, "scores-2026-10", "明细")))
    notes = [r[-1] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert len(notes) == len(workbooks.scores["2026-10"]["managers"])
    for note in notes:
        assert note.count("\n") >= 10
        assert re.sub(r"\s", "", note) in text, note[:60]


def number(shown: str) -> D:
    return D(shown.replace(",", ""))


def test_ranked_sheets_show_the_json_figures(printed: Printed, workbooks: Workbooks) -> None:
    rules = load_rules()
    doc = {m["id"]: m for m in workbooks.scores["2026-10"]["managers"]}
    seen = 0
    for category, table in rules.tables.items():
        for row in printed.table("scores-2026-10", f"{category}排名"):
            m = doc[row["工号"]]
            seen += 1
            assert (row["排名"], row["机构内排名"]) == (str(m["rank"]), str(m["branch_rank"]))
            assert (row["总分"], row["风险金计提"]) == (m["total"], m["risk_fund"])
            assert {i.id: row[i.name] for i in table.items} == m["items"]
    assert seen == len(doc)
    record = dict(printed.sheet("scores-2026-10", "运行记录")[1:])
    assert record["表头行"] == "3" and record["客户经理人数"] == str(len(doc))


def test_grades_payroll_and_diff_show_the_json_figures(printed: Printed,
                                                       workbooks: Workbooks) -> None:
    grades = {m["id"]: m for m in workbooks.grades["managers"]}
    for row in printed.table("grades-2026-10", "定级"):
        m = grades[row["工号"]]
        assert (row["等级"], row["平均分"] or None) == (m["grade"], m["average"])
    pay = {m["id"]: m for m in workbooks.payroll["managers"]}
    rows = [r for r in printed.table("payroll-2026-10", "绩效工资") if r["工号"] != "合计"]
    assert len(rows) == len(pay)
    for row in rows:
        m = pay[row["工号"]]
        assert number(row["月度应得工资"]) == D(m["pay"]) and row["考核得分"] == m["score"]
        assert number(row["履职绩效工资"]) == D(m["base"])
    totals = {r["项目"]: number(r["金额（元）"]) for r in printed.table("payroll-2026-10", "合计")}
    assert totals["合计发放"] == D(workbooks.payroll["totals"]["total"])
    diff: dict[str, Any] = {m["id"]: m for m in workbooks.diff_window["managers"]}
    for row in printed.table("diff-2026-09_2026-10", "对比"):
        m = diff[row["工号"]]
        assert (row["原平均分"], row["新平均分"]) == (m["old_average"], m["new_average"])
        assert (row["原排名"], row["新排名"]) == (str(m["old_average_rank"]),
                                               str(m["new_average_rank"]))
        assert (row["原等级"], row["新等级"]) == (m["old_grade"], m["new_grade"])


def test_the_notice_prints_a_page_per_branch_with_the_json_figures(
        printed: Printed, workbooks: Workbooks) -> None:
    doc = workbooks.scores["2026-10"]["managers"]
    pages = printed.pages["公示-2026-10"]
    city = [m for m in doc if m["branch"] == "城东支行"]
    page = pages_of(printed, "公示-2026-10", "城东支行")
    assert len(page) == 1 and all(m["id"] in page[0] for m in city)
    assert len(pages) == len(load_workbook(workbooks.path("公示-2026-10.xlsx")).sheetnames)
    rows = printed.table("公示-2026-10", "城东支行")
    assert [(r["排名"], r["工号"], r["总分"]) for r in rows] == \
        [(str(m["rank"]), m["id"], m["total"]) for m in sorted(city, key=lambda m: m["rank"])]
    text = "".join(pages)
    assert not any(w in text for w in ("履职绩效工资", "月度应得工资", "风险金计提", "机构内排名"))
