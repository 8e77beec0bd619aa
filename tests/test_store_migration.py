"""Migration 12 (issue 19): a store made by the release before it (schema 9) is brought
into the item columns and running year-to-date, and every command then prints what that
release printed on the same store (tests/fixtures/store-v9: make.sh made the store,
record.py recorded the outputs, both with main at 68f2632)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cmscore.problems import InputError
from cmscore.store import db as store
from cmscore.store import itemcols
from conftest import ROOT, Cli, fixture_script, with_items

FIXTURE = ROOT / "tests" / "fixtures" / "store-v9"
record = fixture_script(FIXTURE)
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("v9") / "cmscore.db"
    shutil.copyfile(FIXTURE / "store-v9.db", db)
    store.connect(db).close()  # what `cmscore db migrate` and every writing command do
    return db


def test_the_fixture_is_a_schema_9_store() -> None:
    with closing(sqlite3.connect(FIXTURE / "store-v9.db")) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (9,)
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 4356  # 40 managers × 10 months, 10–11 items each


def test_migration_moves_every_item_row_exactly(migrated: Path) -> None:
    with closing(sqlite3.connect(FIXTURE / "store-v9.db")) as old:
        before = old.execute("SELECT * FROM items ORDER BY month, item_id, cm_id").fetchall()
    with closing(with_items(sqlite3.connect(migrated))) as new:
        assert new.execute("PRAGMA user_version").fetchone() == (store.SCHEMA_VERSION,)
        after = new.execute("SELECT * FROM items ORDER BY month, item_id, cm_id").fetchall()
        assert new.execute("SELECT name FROM main.sqlite_schema WHERE name IN"
                           " ('items', 'item_columns', 'ytd') ORDER BY 1").fetchall() == \
            [("item_columns",), ("ytd",)]
    assert after == before


def _sum_as_main_did(conn: sqlite3.Connection, month: str, item: str) -> dict[str, Decimal]:
    """Year-to-date as schema 9 summed it over the items rows (store.StoreHistory at 68f2632)."""
    earlier = [f"{month[:4]}-{m:02d}" for m in range(1, int(month[5:]))]
    where = f"WHERE month IN ({','.join('?' * len(earlier))}) AND item_id = ?"
    out = {cm: Decimal(micro).scaleb(-6) for cm, micro in conn.execute(
        f"SELECT cm_id, sum(figure_micro) FROM items {where} AND figure_micro IS NOT NULL"
        " GROUP BY cm_id", (*earlier, item))}
    for cm, figure in conn.execute(f"SELECT cm_id, figure FROM items {where} AND figure_micro"
                                   " IS NULL AND figure IS NOT NULL", (*earlier, item)):
        out[cm] = out.get(cm, Decimal(0)) + Decimal(figure)
    return out


def test_running_year_to_date_equals_the_sums_over_every_earlier_month(migrated: Path) -> None:
    with closing(sqlite3.connect(FIXTURE / "store-v9.db")) as old, \
            closing(sqlite3.connect(migrated)) as new:
        items = [i for (i,) in old.execute("SELECT DISTINCT item_id FROM items")]
        for m in range(2, 12):  # 2026-11 is not stored: it reads through October
            month = f"2026-{m:02d}"
            for item in items:
                want = _sum_as_main_did(old, month, item)
                got = itemcols.ytd_before(new, month, item)
                assert {k: (v, v.as_tuple().exponent) for k, v in got.items()} == \
                    {k: (v, v.as_tuple().exponent) for k, v in want.items()}, (month, item)


@pytest.mark.parametrize("case", list(record.CASES))
def test_every_command_prints_what_schema_9_printed(migrated: Path, cli: Cli,
                                                     case: str) -> None:
    def run(args: list[str]) -> str:
        args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
        return str(cli(*args, code=0).stdout)

    got: list[Any] = record.run_case(migrated, record.CASES[case], run)
    assert got == EXPECTED[case]


def test_a_read_only_command_refuses_the_schema_9_store_until_it_is_migrated(
        tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "v9.db"
    shutil.copyfile(FIXTURE / "store-v9.db", db)
    ran = cli("explain", "011771", "--month", "2026-10", "--db", db, code=1)
    assert "cmscore db migrate" in ran.stderr
    cli("db", "migrate", "--db", db, code=0)
    cli("explain", "011771", "--month", "2026-10", "--db", db, code=0)


def test_running_totals_after_corrections_equal_a_rebuild(migrated: Path, tmp_path: Path,
                                                          cli: Cli) -> None:
    db = tmp_path / "c.db"
    shutil.copyfile(migrated, db)
    for month in ("2026-03", "2026-09", "2026-05"):  # out of order, as corrections come
        cli("score", ROOT / "examples" / f"{month}.xlsx", "--replace", "--db", db,
            "--out", tmp_path, "-q", code=0)
    with closing(sqlite3.connect(db)) as conn:
        rolled = conn.execute("SELECT * FROM ytd ORDER BY month, item_id").fetchall()
        itemcols.rebuild_ytd(conn)
        assert conn.execute("SELECT * FROM ytd ORDER BY month, item_id").fetchall() == rolled
        conn.rollback()


def test_month_points_hold_each_months_scores_rows_in_id_order(migrated: Path) -> None:
    with closing(sqlite3.connect(migrated)) as conn:
        for (month,) in conn.execute("SELECT month FROM months").fetchall():
            rows = conn.execute("SELECT cm_id, total_cp, risk_fund_cp, category, npl_ratio"
                                " FROM scores WHERE month = ? ORDER BY cm_id", (month,)).fetchall()
            got = conn.execute("SELECT cm_ids, total_cp, risk_fund_cp, category, npl_ratio"
                               " FROM month_points WHERE month = ?", (month,)).fetchone()
            assert list(zip(*map(json.loads, got), strict=True)) == rows


def test_a_migration_that_fails_at_its_last_step_leaves_the_store_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pending step is one transaction: a failure in step 12 must not leave a
    schema-11 store that no release reads (each step used to commit on its own)."""
    db = tmp_path / "cmscore.db"
    shutil.copyfile(FIXTURE / "store-v9.db", db)

    def broken(conn: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(store._AFTER_STEP, 12, broken)
    with pytest.raises(InputError, match="disk I/O error"):
        store.connect(db)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (9,)
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 4356
