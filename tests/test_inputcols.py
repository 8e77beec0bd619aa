"""Migration 14 (issue 19): a month's raw figures as columns (``store.inputcols``) instead
of a JSON object in every ``scores`` row. A store made by the release before it (schema
13, tests/fixtures/store-v13: make.py made it, record.py recorded what that release
printed, both with main at df995c1) is migrated without rewriting a row, and explain,
diff and re-scoring print what that release printed, whichever layout each month is in."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cmscore.engine.month import Block, Figures, Manager
from cmscore.store import db as store
from cmscore.store import history, inputcols
from cmscore.store.schema import MIGRATIONS
from conftest import ROOT, UNDO_MIGRATION_14, Cli, fixture_script

FIXTURE = ROOT / "tests" / "fixtures" / "store-v13"
record = fixture_script(FIXTURE)
EXPECTED = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
figures = st.one_of(st.none(), st.decimals(min_value=-10**6, max_value=10**9, places=2),
                    st.decimals(allow_nan=False, allow_infinity=False))
keys = st.text(st.sampled_from('ab代"%\\s'), min_size=1, max_size=4)


def _rows(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT * FROM scores ORDER BY month, cm_id").fetchall()


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("v13") / "cmscore.db"
    shutil.copyfile(FIXTURE / "store-v13.db", db)
    store.connect(db).close()
    return db


def test_migration_14_rewrites_no_row(migrated: Path) -> None:
    with closing(sqlite3.connect(FIXTURE / "store-v13.db")) as old, \
            closing(sqlite3.connect(migrated)) as new:
        assert old.execute("PRAGMA user_version").fetchone() == (13,)
        assert new.execute("PRAGMA user_version").fetchone() == (14,)
        assert _rows(new) == _rows(old)
        assert all(row[10] for row in _rows(old))  # every figure in its row's JSON
        assert new.execute("SELECT count(*) FROM input_columns").fetchone() == (0,)


def test_a_new_store_has_large_pages_and_an_old_one_keeps_its_own(migrated: Path,
                                                                  tmp_path: Path) -> None:
    """32 KB pages for a store made now (store.PAGE_SIZE: a month's column texts in an
    eighth of the pages); a store made before keeps its 4 KB pages through migration, and
    the cases below print on it what they printed."""
    new = store.connect(tmp_path / "new.db")
    with closing(new):
        assert new.execute("PRAGMA page_size").fetchone() == (store.PAGE_SIZE,) == (32768,)
        assert new.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with closing(sqlite3.connect(migrated)) as old:
        assert old.execute("PRAGMA page_size").fetchone() == (4096,)


@pytest.mark.parametrize("case", list(record.CASES))
def test_every_case_prints_what_schema_13_printed(migrated: Path, cli: Cli, case: str) -> None:
    def run(args: list[str]) -> str:
        args = [str(ROOT / a) if a.startswith(("tests/", "rules")) else a for a in args]
        return str(cli(*args, code=0).stdout)

    assert record.run_case(migrated, record.CASES[case], run) == EXPECTED[case]


def _as_stored(managers: list[Manager]) -> dict[str, list[tuple[str, list[tuple[str, Any]]]]]:
    """Each manager's figures with their keys' order (a dict compares without it)."""
    return {m.id: [(item, list(roles.items())) for item, roles in m.figures.items()]
            for m in managers}


def test_a_month_rescored_is_read_back_from_its_columns_as_it_was(
        migrated: Path, tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "cmscore.db"
    shutil.copyfile(migrated, db)
    with closing(sqlite3.connect(db)) as conn:
        before = {m: _as_stored(history.stored_managers(conn, m)) for m in ("2025-12", "2026-01")}
        baselines = inputcols.baselines(conn, "2025-12")
    for month in ("2025-12", "2026-01"):
        cli("score", FIXTURE / f"{month}.xlsx", "--replace", "--db", db, "--out", tmp_path,
            "-q", code=0)
    with closing(sqlite3.connect(db)) as conn:
        assert {r[10] for r in _rows(conn)} == {""}  # now in input_columns
        assert conn.execute("SELECT count(DISTINCT month) FROM input_columns").fetchone() == (2,)
        for month, want in before.items():
            assert _as_stored(history.stored_managers(conn, month)) == want
            one = history.stored_managers(conn, month, "011908")
            assert _as_stored(one) == {"011908": want["011908"]}
        assert inputcols.baselines(conn, "2025-12") == baselines
        assert len(baselines) == 39 * 9  # the items with a 当月 figure, every manager
        conn.executescript(UNDO_MIGRATION_14)  # the columns hold exactly schema 13's JSON
        with closing(sqlite3.connect(FIXTURE / "store-v13.db")) as old:
            assert _rows(conn) == _rows(old)


def _stored(parts: list[Any], scores_of: list[Manager]) -> dict[str, Figures]:
    month = SimpleNamespace(month="2026-10", frames=parts, scores=[
        SimpleNamespace(manager=m) for m in scores_of])
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE scores (month, cm_id, inputs)")
        conn.execute(MIGRATIONS[14])
        inputcols.put_inputs(conn, month)  # type: ignore[arg-type]
        return inputcols.figures_of(conn, "2026-10")


@given(st.lists(st.lists(figures, min_size=3, max_size=3), min_size=1, max_size=8),
       st.lists(st.tuples(keys, keys), min_size=3, max_size=3, unique=True))
def test_a_blocks_columns_come_back_as_each_managers_figures(rows: list[list[Any]],
                                                             names: list[tuple[str, str]]) -> None:
    managers = [Manager(f"{k:04d}", "甲", "城东", "支行", k + 3) for k in range(len(rows))]
    block = Block("支行", managers, {key: [r[k] for r in rows] for k, key in enumerate(names)})
    for i, m in enumerate(managers):
        m.block, m.index = block, i
    got = _stored([SimpleNamespace(managers=managers)], managers)
    assert {cm: [(item, list(roles.items())) for item, roles in f.items()]
            for cm, f in got.items()} == _as_stored(managers)
    for cm, f in got.items():  # the same decimal text: 1.50 stays 1.50, 1E+2 is 100
        assert _texts(f) == _texts(managers[int(cm)].figures)


def _texts(figures: Figures) -> dict[tuple[str, str], str | None]:
    return {(item, role): None if v is None else f"{v:f}"
            for item, roles in figures.items() for role, v in roles.items()}


@given(st.lists(st.dictionaries(keys, st.dictionaries(keys, figures, max_size=2), max_size=3),
                min_size=1, max_size=6))
def test_managers_without_a_block_come_back_with_their_own_keys(rows: list[Figures]) -> None:
    """A cascade's re-scored month (managers rebuilt one at a time): each manager's keys,
    in their order, even an item with no figure at all."""
    managers = [Manager(f"{k:04d}", "甲", "城东", "支行", 0, f) for k, f in enumerate(rows)]
    got = _stored([], managers)
    assert {cm: [(item, list(roles.items())) for item, roles in f.items()]
            for cm, f in got.items()} == _as_stored(managers)


def test_baselines_of_a_month_stored_in_rows_are_its_value_figures() -> None:
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE TABLE scores (month, cm_id, inputs)")
        conn.execute(MIGRATIONS[14])
        conn.execute("INSERT INTO scores VALUES ('2025-12', 'A', ?)",
                     ('{"x":{"value":"1.50","baseline":"2"},"y":{"value":null}}',))
        assert inputcols.baselines(conn, "2025-12") == {("A", "x"): Decimal("1.50")}
