"""Every file in examples/ scored end to end through the CLI (see examples/README.md)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from cmscore.store import inputcols
from conftest import EXAMPLES, Cli, json_out, score_rows, stored_months, with_items

MONTHS = [f"2026-{m:02d}" for m in range(1, 11)]
STAR, JOINER, GAP, NPL, NA_NAME, BIG_CORP = "011771", "012832", "013893", "014954", "020420", \
    "030130"
TWINS = ("015115", "015252")


@dataclass
class Scored:
    db: Path
    out: Path
    docs: dict[str, Any]  # month → score --json document
    csv_db: Path
    csv_doc: Any
    worked_doc: Any
    worked_out: Path


def backup(src: Path, dst: Path) -> None:
    """A consistent copy of a store (SQLite's backup API: safe with WAL)."""
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory, cli_runner: CliRunner) -> Scored:
    cli = Cli(cli_runner)
    base = tmp_path_factory.mktemp("examples")
    db, out = base / "cmscore.db", base / "out"
    csv_db = base / "csv.db"
    docs = {}
    for month in MONTHS:
        if month == "2026-10":  # the CSV copy gets the same history, in its own store
            backup(db, csv_db)
        path = EXAMPLES / f"{month}.xlsx"
        docs[month] = json_out(cli("score", path, "--db", db, "--out", out, "--json", code=0))
    csv_doc = json_out(cli("score", EXAMPLES / "2026-10-gbk.csv", "--db", csv_db, "--out",
                           base / "csv-out", "--json", code=0))
    worked_out = base / "worked-out"
    worked_doc = json_out(cli("score", EXAMPLES / "worked-example.xlsx", "--db",
                              base / "worked.db", "--out", worked_out, "--json", code=0))
    return Scored(db, out, docs, csv_db, csv_doc, worked_doc, worked_out)


def by_id(doc: Any) -> dict[str, Any]:
    return {m["id"]: m for m in doc["managers"]}


def items_table(db: Path, cm_id: str, item_id: str) -> dict[str, tuple[Any, ...]]:
    """month → (figure, early, points in hundredths) from the store's items table."""
    with closing(with_items(sqlite3.connect(db))) as conn:
        return {month: tuple(rest) for month, *rest in conn.execute(
            "SELECT month, figure, early, points_cp FROM items"
            " WHERE cm_id = ? AND item_id = ? ORDER BY month", (cm_id, item_id))}


def test_every_example_file_is_covered() -> None:
    files = {p.name for p in EXAMPLES.iterdir()
             if p.is_file() and p.suffix in (".xlsx", ".xls", ".csv")}
    assert files == {f"{m}.xlsx" for m in MONTHS} | {"2026-10-gbk.csv", "worked-example.xlsx",
                                                     "roster-2026.csv"}  # test_roster_file


def test_each_month_is_stored(scored: Scored) -> None:
    assert stored_months(scored.db) == MONTHS
    assert sorted(p.name for p in scored.out.iterdir()) == \
        [f"scores-{m}.xlsx" for m in MONTHS] + [f"公示-{m}.xlsx" for m in MONTHS]
    # 40 CMs; the joiner is absent January–March and the gap CM in March.
    expected = {m: 40 for m in MONTHS} | {"2026-01": 39, "2026-02": 39, "2026-03": 38}
    assert {m: score_rows(scored.db, m) for m in MONTHS} == expected
    for month, doc in scored.docs.items():
        assert doc["month"] == month
        assert len(doc["managers"]) == expected[month]
        categories = [m["category"] for m in doc["managers"]]
        assert categories == sorted(categories, key=["支行", "分行个金", "分行公司"].index)
        assert {c: categories.count(c) for c in set(categories)}["分行公司"] == 5


def test_story_presence(scored: Scored) -> None:
    for month, doc in scored.docs.items():
        ids = set(by_id(doc))
        assert (JOINER in ids) is (month >= "2026-04"), month
        assert (GAP in ids) is (month != "2026-03"), month


def test_star_completes_the_loan_household_task_early(scored: Scored) -> None:
    rows = items_table(scored.db, STAR, "loan_households")
    assert list(rows) == MONTHS
    figures = [int(rows[m][0]) for m in MONTHS]
    assert all(n in (9, 10) for n in figures)
    assert sum(figures[:4]) < 48 <= sum(figures[:5])  # annual task 4 × 12 reached in May
    early = {m: bool(rows[m][1]) for m in MONTHS}
    assert early == {m: m >= "2026-06" for m in MONTHS}
    assert {rows[m][2] for m in MONTHS} == {2000}  # 9–10 households: the cap either way
    # Nobody completes the year's loan households before the year's sixth month.
    with closing(with_items(sqlite3.connect(scored.db))) as conn:
        early_cms = {cm for (cm,) in conn.execute(
            "SELECT DISTINCT cm_id FROM items WHERE item_id = 'loan_households' AND early = 1"
            " AND month <= '2026-05'")}
    assert early_cms == set()


def test_early_completion_needs_the_history(scored: Scored) -> None:
    """The CSV store has January–September too, so October is early there as well."""
    assert items_table(scored.csv_db, STAR, "loan_households")["2026-10"][1] == 1


def test_ties_share_the_best_rank(scored: Scored) -> None:
    for month, doc in scored.docs.items():
        cms = by_id(doc)
        a, b = cms[TWINS[0]], cms[TWINS[1]]
        assert a["total"] == b["total"], month
        assert a["rank"] == b["rank"], month
        assert a["branch_rank"] == b["branch_rank"], month
        higher = [m for m in doc["managers"]
                  if m["category"] == "支行" and float(m["total"]) > float(a["total"])]
        assert a["rank"] == len(higher) + 1, month


def test_ranks_are_competition_ranks(scored: Scored) -> None:
    for month, doc in scored.docs.items():
        for category in ("支行", "分行个金", "分行公司"):
            members = [m for m in doc["managers"] if m["category"] == category]
            for m in members:
                better = sum(1 for o in members if float(o["total"]) > float(m["total"]))
                assert m["rank"] == better + 1, (month, m["id"])


def test_na_stays_text(scored: Scored) -> None:
    for doc in [*scored.docs.values(), scored.csv_doc]:
        assert by_id(doc)[NA_NAME]["name"] == "NA"


def test_npl_of_one_percent_scores_nothing(scored: Scored) -> None:
    points = {m: by_id(doc)[NPL]["items"]["npl"] for m, doc in scored.docs.items()}
    assert [points[m] for m in ("2026-08", "2026-09", "2026-10")] == ["0.00"] * 3
    assert points["2026-07"] == "3.00"  # 0.4%
    assert by_id(scored.docs["2026-10"])[NPL]["risk_fund"] == "0.00"


def test_csv_copy_gives_the_same_scores_as_the_workbook(scored: Scored) -> None:
    assert scored.csv_doc["month"] == "2026-10"
    assert scored.csv_doc["managers"] == scored.docs["2026-10"]["managers"]
    assert stored_months(scored.csv_db) == MONTHS


def test_csv_copy_reads_the_same_figures(scored: Scored) -> None:
    def inputs(db: Path) -> dict[tuple[str, str], Any]:
        with closing(sqlite3.connect(db)) as conn:
            return {(cm, item): {k: (None if v is None else float(v)) for k, v in roles.items()}
                    for cm, figures in inputcols.figures_of(conn, "2026-10").items()
                    for item, roles in figures.items()}

    from_xlsx, from_csv = inputs(scored.db), inputs(scored.csv_db)
    assert from_csv == from_xlsx
    corporate = from_csv[(BIG_CORP, "corporate_growth")]
    assert corporate["value"] >= 1000  # written "1,2xx.xx" in the CSV
    raw = (EXAMPLES / "2026-10-gbk.csv").read_bytes().decode("gbk")
    line = next(x for x in raw.splitlines() if f",{BIG_CORP}," in x)
    assert f'"{corporate["value"]:,.2f}"' in line


def test_worked_example_in_its_own_store(scored: Scored) -> None:
    [m] = scored.worked_doc["managers"]
    assert (m["id"], m["total"], m["risk_fund"]) == ("E001", "81.80", "6.00")
    ws = load_workbook(scored.worked_out / "scores-2026-10.xlsx")["支行排名"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "排名")
    data = rows[rows.index(header) + 1]
    assert f"{data[header.index('总分')]:.2f}" == "81.80"
    assert f"{data[header.index('风险金计提')]:.2f}" == "6.00"
