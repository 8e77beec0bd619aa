"""`cmscore report`: the self-contained HTML page (htmlreport.build_report).

A tiny store is built once per module by scoring three small exports through the CLI
(2026-08, 2026-09, 2026-10); tests that add a grading or a payroll work on a copy.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cmscore.numbers import round2
from cmscore.outputs import htmlreport
from cmscore.problems import InputError
from cmscore.rules.ruleset import RuleSet
from conftest import HEADERS, ZEROS, Cli, row, write_xlsx

MONTHS = ["2026-08", "2026-09", "2026-10"]
SCRIPT_NAME = "<script>alert('x')</script>"
FORBIDDEN = ("http://", "https://", 'src="//', "@import", "<link", "<script", "url(")


def export_rows(month: str) -> list[list[object]]:
    """12 支行 CMs (E001 is the SPEC §9 worked example in October), one 分行公司 CM.

    E003's NPL ratio is 1.2% every month: the 第十六条第五项 warning once three months exist.
    """
    rows = [row(), row(ZEROS, 工号="E002", 姓名=SCRIPT_NAME, 机构="城西支行", 放款户数=2),
            row(ZEROS, 工号="E003", 姓名="李娜", 机构="城西支行", 不良率="1.2%", 放款户数=1)]
    rows += [row(ZEROS, 工号=f"E{i:03d}", 姓名=f"客户经理{i}", 机构="南湖支行", 放款户数=i - 3,
                 银行卡=i) for i in range(4, 13)]
    rows.append(row(ZEROS, 工号="C001", 姓名="王强", 机构="分行营业部", 类别="分行公司",
                    放款户数=1, 放款金额=80))
    if month != "2026-10":  # the worked example's figures only in October
        rows[0] = row(ZEROS, 工号="E001", 姓名="张伟", 机构="城东支行", 放款户数=4)
    return rows


@dataclass(frozen=True)
class Built:
    db: Path
    docs: dict[str, dict]  # month → `score --json`
    files: dict[str, Path]  # month → the export scored


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, cli_runner: CliRunner) -> Built:
    """The store after scoring the three months, with each month's `score --json`."""
    base = tmp_path_factory.mktemp("report")
    db, cli = base / "h.db", Cli(cli_runner)
    docs: dict[str, dict] = {}
    files: dict[str, Path] = {}
    for month in MONTHS:
        y, m = month.split("-")
        files[month] = write_xlsx(base / f"{month}.xlsx", HEADERS, export_rows(month),
                                  titles=(f"{y}年{int(m)}月客户经理业绩报表",))
        result = cli("score", files[month], "--db", db, "--out", base / "out", "--json", code=0)
        docs[month] = json.loads(result.stdout)
    return Built(db, docs, files)


@pytest.fixture
def conn(built: Built) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(built.db)) as c:
        yield c


def copy_store(built: Built, target: Path) -> Path:
    """A consistent copy through SQLite's backup API (the store runs in WAL mode)."""
    with closing(sqlite3.connect(built.db)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}"')
    return html[start:html.index("</section>", start)]


VOID = {"meta", "br", "img", "hr", "input", "col", "wbr"}
SVG_EMPTY = {"line", "circle", "path", "polyline"}  # written self-closed (<line .../>)


class Balance(HTMLParser):
    """Every opened element is closed, in order; records the element names seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.seen: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


# --- the document ------------------------------------------------------------------------------


def test_a_complete_balanced_html_document(conn: sqlite3.Connection, rules: RuleSet) -> None:
    html = htmlreport.build_report(conn, "2026-10", rules)
    assert html.startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert '<html lang="zh-CN">' in html and '<meta charset="utf-8">' in html
    assert "<title>2026年10月 客户经理考核报告</title>" in html
    assert "<h1>2026年10月 客户经理考核报告</h1>" in html
    parser = Balance()
    parser.feed(html)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    assert {"html", "head", "style", "body", "section", "table", "svg"} <= parser.seen
    assert parser.seen.isdisjoint({"script", "link", "img", "iframe", "object"})


def test_no_external_reference_or_script(conn: sqlite3.Connection, rules: RuleSet) -> None:
    html = htmlreport.build_report(conn, "2026-10", rules)
    for bad in FORBIDDEN:
        assert bad not in html, bad
    assert "xmlns" not in html  # inline SVG in HTML needs no namespace URL
    assert not re.search(r"(src|href)\s*=", html, re.I)


def test_names_from_the_store_are_escaped(conn: sqlite3.Connection, rules: RuleSet) -> None:
    html = htmlreport.build_report(conn, "2026-10", rules)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert SCRIPT_NAME not in html


def test_run_record(conn: sqlite3.Connection, rules: RuleSet, built: Built) -> None:
    html = htmlreport.build_report(conn, "2026-10", rules)
    sha = hashlib.sha256(built.files["2026-10"].read_bytes()).hexdigest()
    assert "2026-10.xlsx" in html and sha[:16] in html
    assert "未结账" in html
    for name, digest in rules.hashes.items():
        assert f"{name}（{digest[:12]}）" in html


# --- the month's figures -----------------------------------------------------------------------


def test_month_figures_and_category_statistics(conn: sqlite3.Connection, rules: RuleSet,
                                                built: Built) -> None:
    html = htmlreport.build_report(conn, "2026-10", rules)
    assert "张伟" in html and "81.80" in html  # SPEC §9 worked example
    overview = section(html, "overview")
    for category in ("支行", "分行公司"):
        totals = [Decimal(m["total"]) for m in built.docs["2026-10"]["managers"]
                  if m["category"] == category]
        mean = round2(sum(totals, Decimal(0)) / len(totals))
        cells = [str(len(totals)), f"{mean:.2f}", f"{max(totals):.2f}", f"{min(totals):.2f}"]
        assert all(f'<td class="n">{c}</td>' in overview for c in cells), (category, cells)
    assert "分行个金" not in overview  # no such CM this month: no row, no histogram
    assert "80–90 分：1 人" in overview  # the 81.80 falls in its bin of the histogram


def test_every_figure_shown_has_two_places(conn: sqlite3.Connection, rules: RuleSet) -> None:
    html = htmlreport.build_report(conn, "2026-10", rules)
    cells = re.findall(r'<td class="n">([^<]*)</td>', html)
    decimals = [c for c in cells if "." in c]
    assert decimals and all(re.fullmatch(r"[\d,]+\.\d{2}%?", c) for c in decimals), decimals


def test_branch_comparison(conn: sqlite3.Connection, rules: RuleSet, built: Built) -> None:
    branches = section(htmlreport.build_report(conn, "2026-10", rules), "branches")
    nanhu = [Decimal(m["total"]) for m in built.docs["2026-10"]["managers"]
             if m["branch"] == "南湖支行"]
    mean = round2(sum(nanhu, Decimal(0)) / len(nanhu))
    assert "<svg" in branches
    assert f"南湖支行：{mean:.2f} 分（9 人）" in branches  # the bar's tooltip
    assert f'<td>南湖支行</td><td>支行</td><td class="n">9</td><td class="n">{mean:.2f}</td>' \
        in branches


def test_item_contribution_against_full_scores(conn: sqlite3.Connection, rules: RuleSet,
                                               built: Built) -> None:
    items = section(htmlreport.build_report(conn, "2026-10", rules), "items")
    zhihang = [m for m in built.docs["2026-10"]["managers"] if m["category"] == "支行"]
    mean = round2(sum((Decimal(m["items"]["cards"]) for m in zhihang), Decimal(0)) / len(zhihang))
    assert (f'<td>银行卡</td><td class="n">3.00</td><td class="n">6.00</td>'
            f'<td class="n">{mean:.2f}</td>') in items
    for item in rules.tables["分行公司"].items:
        assert f"<td>{item.name}</td>" in items


def test_top_and_bottom_ten(conn: sqlite3.Connection, rules: RuleSet, built: Built) -> None:
    ranks = section(htmlreport.build_report(conn, "2026-10", rules), "ranks")
    assert "前 10 名" in ranks and "后 10 名" in ranks  # 12 支行 CMs
    zhihang = [m for m in built.docs["2026-10"]["managers"] if m["category"] == "支行"]
    best, worst = zhihang[0], zhihang[-1]
    top, bottom = ranks.split("后 10 名")
    assert f"<td>{best['id']}</td>" in top and f"<td>{worst['id']}</td>" in bottom
    assert "分行公司：全部 1 人" in ranks


def test_trend_lists_every_stored_month_up_to_the_report(conn: sqlite3.Connection,
                                                         rules: RuleSet) -> None:
    trend = section(htmlreport.build_report(conn, "2026-10", rules), "trend")
    svg = trend[trend.index("<svg"):trend.index("</svg>")]
    for month in MONTHS:
        assert f">{month}</text>" in svg and f"<td>{month}</td>" in trend
    assert svg.count("<polyline") == 2  # 支行 and 分行公司
    september = section(htmlreport.build_report(conn, "2026-09", rules), "trend")
    assert "2026-10" not in september and "2026-08" in september


def test_unscored_month_is_refused(conn: sqlite3.Connection, rules: RuleSet) -> None:
    with pytest.raises(InputError, match="2026-07 尚未计分"):
        htmlreport.build_report(conn, "2026-07", rules)


# --- sections that appear only when there is something to show ---------------------------------


def test_npl_warning_after_three_months(conn: sqlite3.Connection, rules: RuleSet) -> None:
    npl = section(htmlreport.build_report(conn, "2026-10", rules), "npl")
    assert "<td>E003</td><td>李娜</td>" in npl and npl.count("1.20%") == 3
    assert "E001" not in npl
    assert 'id="npl"' not in htmlreport.build_report(conn, "2026-09", rules)  # only two months


@pytest.mark.usefixtures("short_windows_here")  # grades over 2 months
def test_grade_and_pay_sections_only_when_stored(tmp_path: Path, cli_runner: CliRunner,
                                                 built: Built, rules: RuleSet) -> None:
    db = copy_store(built, tmp_path / "copy.db")
    with closing(sqlite3.connect(db)) as c:
        before = htmlreport.build_report(c, "2026-10", rules)
    assert 'id="grades"' not in before and 'id="pay"' not in before

    cli = Cli(cli_runner)
    cli("grade", "--months", "2", "--end", "2026-09", "--db", db, "--out", tmp_path, code=0)
    pay = json.loads(cli("payroll", "--month", "2026-10", "--db", db, "--out", tmp_path,
                         "--json", code=0).stdout)
    with closing(sqlite3.connect(db)) as c:
        october = htmlreport.build_report(c, "2026-10", rules)
        september = htmlreport.build_report(c, "2026-09", rules)
    grades = section(october, "grades")
    assert "2026-10 起执行" in grades and "2026-08 至" in grades and "2026-09" in grades
    pool = 12  # the 支行 CMs scored in both window months; quotas 30/50/20 of 12: 4/6/2
    assert f"支行参评人员 {pool} 人" in grades
    assert ('<td>支行</td><td class="n">4</td><td class="n">6</td><td class="n">2</td>'
            '<td class="n">12</td>') in grades
    paid = section(october, "pay")
    total = Decimal(pay["totals"]["pay"])
    assert f"{total:,.2f} 元" in paid and f"{len(pay['managers'])} 人" in paid
    assert 'id="grades"' not in september and 'id="pay"' not in september
    assert "绩效工资" not in september


def test_cli_report_writes_the_same_page(tmp_path: Path, cli_runner: CliRunner, built: Built,
                                         rules: RuleSet) -> None:
    db = copy_store(built, tmp_path / "copy.db")
    Cli(cli_runner)("report", "--month", "2026-10", "--db", db, "--out", tmp_path, code=0)
    written = (tmp_path / "report-2026-10.html").read_text(encoding="utf-8")
    with closing(sqlite3.connect(db)) as c:
        assert written == htmlreport.build_report(c, "2026-10", rules)
