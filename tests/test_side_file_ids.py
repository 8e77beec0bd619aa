"""工号 in the side files a person types into a spreadsheet: 011771 saved as the number 11771
gets its leading zeros back (export.yaml's id_width), as the export, roster, tasks,
supervisors and adjustments files already do. Before, the events file refused 11771 as a
工号 with no scores, and the opening file stored it under 11771, so 011771's 期初累计 was
silently left out of the year-to-date."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from conftest import HEADERS, ZEROS, Cli, row, write_csv, write_xlsx


def q(db: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def scored(tmp_path: Path, cli: Cli, month: str) -> Path:
    db = tmp_path / "h.db"
    export = write_csv(tmp_path / f"{month}.csv", HEADERS,
                       [row(ZEROS, 工号="011771", 姓名="甲", 放款户数=4)])
    cli("score", export, "--db", db, "--out", tmp_path, "-q", code=0)
    return db


def test_an_event_with_a_shortened_id_is_recorded_under_the_full_id(
        tmp_path: Path, cli: Cli) -> None:
    db = scored(tmp_path, cli, "2026-01")
    events = write_xlsx(tmp_path / "事件.xlsx", ["工号", "日期", "类型", "说明", "来源"],
                        [[11771, "2026-01-08", "违规", "代客户签字", "内控检查"]], titles=())
    r = cli("events", events, "--db", db, code=0)
    assert "预警 011771 甲（截至 2026-01）：触及第十六条第四项情形" in r.stdout
    assert q(db, "SELECT cm_id FROM events") == [("011771",)]


def test_an_opening_figure_with_a_shortened_id_counts_for_the_full_id(
        tmp_path: Path, cli: Cli) -> None:
    db = scored(tmp_path, cli, "2026-04")
    opening = write_xlsx(tmp_path / "期初累计.xlsx", ["工号", "项目", "期初累计"],
                         [[11771, "放款户数", 9]], titles=())
    cli("opening", opening, "--through", "2026-03", "--db", db, code=0)
    assert q(db, "SELECT cm_id, item_id, figure FROM opening_ytd") == [("011771", "loan_households", "9")]
