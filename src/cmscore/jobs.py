"""One function per command: the library that the CLI is a thin layer over."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import store
from .reader import MonthExport, read_export
from .report import write_scores
from .rules import RuleSet, load_rules
from .scoring import History, MonthScores, NoHistory, score_month


@dataclass
class ScoreResult:
    export: MonthExport
    scores: MonthScores
    rules: RuleSet
    output: Path | None
    run: dict[str, object]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_read_only(db: Path) -> sqlite3.Connection | None:
    """The store for reading, without creating it (``check`` must write nothing)."""
    if not db.exists():
        return None
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _history(conn: sqlite3.Connection | None, month: str) -> History:
    return store.StoreHistory(conn, month) if conn is not None else NoHistory()


def check_file(path: Path, *, rules_dir: Path | None = None, db: Path | None = None,
               month: str | None = None) -> ScoreResult:
    """Validate and score an export exactly as ``score`` would; store and write nothing."""
    rules = load_rules(rules_dir)
    export = read_export(path, rules, month)
    conn = open_read_only(db or store.default_path())
    try:
        scores = score_month(export, rules, _history(conn, export.month))
    finally:
        if conn is not None:
            conn.close()
    return ScoreResult(export, scores, rules, None, {})


def score_file(path: Path, *, rules_dir: Path | None = None, db: Path | None = None,
               out_dir: Path | None = None, month: str | None = None,
               replace: bool = False) -> ScoreResult:
    """Read, score, store and write one month. Nothing is stored or written on any problem."""
    rules = load_rules(rules_dir)
    export = read_export(path, rules, month)
    conn = store.connect(db or store.default_path())
    try:
        if export.month in store.stored_months(conn) and not replace:
            raise store.fail(f"{export.month} 已经计分并存入历史库；如需重新计分请加 --replace")
        scores = score_month(export, rules, store.StoreHistory(conn, export.month))
        run = store.RunRecord("score", export.month, path.name, sha256_of(path), rules.hashes,
                              started_at=store.RunRecord.now())
        target = (out_dir or Path.cwd()) / f"scores-{export.month}.xlsx"
        record = {"file_sha256": run.file_sha256, "tool_version": run.tool_version,
                  "started_at": run.started_at}
        # The workbook is complete in a temp file before the month is committed, and
        # moved into place only after: a failure at any step leaves neither behind.
        from .xlsx import atomic_file

        with atomic_file(target) as tmp:
            write_scores(tmp, scores, export, rules, record)
            store.save_month(conn, scores, run, replace=replace)
    finally:
        conn.close()
    return ScoreResult(export, scores, rules, target, record)
