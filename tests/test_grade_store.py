"""Migration 13 (issue 19): a grading is stored as one row of JSON arrays (``grade_columns``)
instead of a row per manager (``grades``); the rows of a store made before it are moved
over exactly, and the readers read what they read before."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cmscore.engine.grading import grade_members, window
from cmscore.store import db as store
from cmscore.store import gradecols, history
from conftest import GRADE_ROWS, ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "store-v9" / "store-v9.db"


def _rows(conn: sqlite3.Connection, sql: str) -> list[tuple[object, ...]]:
    """Each row with its flags as a list: the JSON text's spacing is not what was stored."""
    return [(*r[:-1], json.loads(r[-1])) for r in conn.execute(sql)]


def test_migration_13_moves_every_grade_row_exactly(tmp_path: Path) -> None:
    db = tmp_path / "cmscore.db"
    shutil.copyfile(FIXTURE, db)
    with closing(sqlite3.connect(FIXTURE)) as old:
        before = _rows(old, "SELECT * FROM grades ORDER BY effective_month, cm_id")
    store.connect(db).close()
    with closing(sqlite3.connect(db)) as new:
        assert new.execute("SELECT name FROM sqlite_schema WHERE name IN ('grades',"
                           " 'grade_columns')").fetchall() == [("grade_columns",)]
        after = _rows(new, f"SELECT * FROM ({GRADE_ROWS}) ORDER BY 1, 2")
        assert after == before and len(before) == 40
        assert history.grades_of(new, "2026-07") == {r[1]: r[7] for r in before}
        row = gradecols.grade_row(new, "2026-07", str(before[3][1]))
        assert row is not None and (row["grade"], row["reason"], row["rank"]) == \
            (before[3][7], before[3][8], before[3][6])
        assert gradecols.grade_row(new, "2026-07", "no-such-id") is None
        assert gradecols.grade_row(new, "2027-01", str(before[3][1])) is None


def test_a_grade_outside_the_three_is_refused_as_the_table_did(tmp_path: Path) -> None:
    months = window("2026-06", 6)
    grading = grade_members(months, [("001", "甲", "一支行", "支行", (10000,) * 6)])
    grading.decisions[0].grade = "四级"
    conn = store.connect(tmp_path / "c.db")
    try:
        with pytest.raises(ValueError, match="四级"):
            history.save_grading(conn, grading, store.RunRecord("grade", "2026-07", "", "", {}))
        assert conn.execute("SELECT count(*) FROM gradings").fetchone() == (0,)
    finally:
        conn.close()
