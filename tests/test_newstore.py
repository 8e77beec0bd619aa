"""A store that does not exist yet is made on a thread while the export is read
(``app.newstore``), put in place only once the export was read without a problem."""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from cmscore.app import newstore
from cmscore.app.newstore import NewStore
from cmscore.app.score import score_file
from cmscore.problems import InputError
from cmscore.store import db as store
from conftest import worked_file


def _made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths the thread made a store at."""
    paths: list[Path] = []
    real = newstore.NewStore._make

    def make(self: NewStore) -> None:
        paths.append(self.tmp)
        real(self)
    monkeypatch.setattr(newstore.NewStore, "_make", make)
    return paths


def _months(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [m for (m,) in conn.execute("SELECT month FROM months ORDER BY month")]


def test_a_new_store_is_made_beside_the_read_and_put_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _made(monkeypatch)
    db = tmp_path / "cmscore.db"
    score_file(worked_file(tmp_path), db=db, out_dir=tmp_path)
    assert made == [tmp_path / f".cmscore.db.{os.getpid()}.new"]
    assert _months(db) == ["2026-10"]
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # everyone's pay: the owner's only
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_refused_export_leaves_no_store_and_no_hidden_file(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    made = _made(monkeypatch)
    db = tmp_path / "cmscore.db"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(InputError):
        score_file(bad, db=db, out_dir=tmp_path)
    assert made and sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]


def test_a_store_made_meanwhile_is_the_one_used(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cmscore.db"
    real = newstore.NewStore.place

    def place(self: NewStore) -> None:  # another run made the store while this one read
        self._wait()
        if not db.exists():
            with closing(store.connect(db)) as conn:
                conn.execute("CREATE TABLE mark (x)")
        real(self)
    monkeypatch.setattr(newstore.NewStore, "place", place)
    score_file(worked_file(tmp_path), db=db, out_dir=tmp_path)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM mark").fetchone() == (0,)
    assert _months(db) == ["2026-10"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_thread_that_fails_leaves_the_store_to_be_made_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = store.connect

    def connect(path: Path) -> Any:
        calls.append(path)
        if path.name.endswith(".new"):
            raise sqlite3.OperationalError("disk I/O error")
        return real(path)
    monkeypatch.setattr(store, "connect", connect)
    db = tmp_path / "cmscore.db"
    score_file(worked_file(tmp_path), db=db, out_dir=tmp_path)
    assert [p.name for p in calls] == [f".cmscore.db.{os.getpid()}.new", "cmscore.db"]
    assert _months(db) == ["2026-10"]


def test_an_existing_store_is_opened_as_ever(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cmscore.db"
    store.connect(db).close()
    made = _made(monkeypatch)
    score_file(worked_file(tmp_path), db=db, out_dir=tmp_path)
    assert made == [] and _months(db) == ["2026-10"]
