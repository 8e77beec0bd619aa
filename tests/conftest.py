"""Shared helpers: build tiny exports inside a test, the default rules, a CLI runner.

Every input a test needs is written by the test itself with these helpers, so the
figures that decide the assertion are visible next to it.
"""

from __future__ import annotations

import atexit
import csv
import importlib.util
import io
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from cmscore.cli import app
from cmscore.engine.tasks import Tasks
from cmscore.rules.ruleset import DEFAULT_DIR, RuleSet, load_rules
from cmscore.store import itemcols

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# The compiled-rules cache of this test run, not the user's (~/.cache/cmscore): every
# test then loads its rules through the cache, as the command line does.
if "CMSCORE_CACHE_DIR" not in os.environ:
    os.environ["CMSCORE_CACHE_DIR"] = tempfile.mkdtemp(prefix="cmscore-test-cache-")
    atexit.register(shutil.rmtree, os.environ["CMSCORE_CACHE_DIR"], ignore_errors=True)

TITLE = "2026年10月客户经理业绩报表"

# The SPEC §9 worked example, with the alternative columns (ratio and net increases).
HEADERS = ["工号", "姓名", "机构", "类别", "放款户数", "放款金额", "管户户数", "上年末管户户数",
           "不良率", "储蓄日均净增", "对公日均净增", "银行卡", "代发工资50人以下",
           "代发工资50人及以上", "个人网银", "企业网银", "POS收单"]
WORKED = {"工号": "E001", "姓名": "张伟", "机构": "城东支行", "类别": "支行", "放款户数": 3,
          "放款金额": 50, "管户户数": 130, "上年末管户户数": 126, "不良率": 0, "储蓄日均净增": 20,
          "对公日均净增": 30, "银行卡": 12, "代发工资50人以下": 1, "代发工资50人及以上": 0,
          "个人网银": 8, "企业网银": 1, "POS收单": 3}
# Every business figure zero: a row that scores only what a test sets.
ZEROS = {h: (v if h in ("工号", "姓名", "机构", "类别") else 0) for h, v in WORKED.items()}
ZEROS["上年末管户户数"] = 0


def row(base: dict[str, Any] | None = None, headers: Sequence[str] = HEADERS,
        **changes: Any) -> list[Any]:
    """One data row in ``headers`` order: ``base`` (default: the worked example) + changes."""
    values = dict(WORKED if base is None else base)
    values.update(changes)
    return [values[h] for h in headers]


def write_xlsx(path: Path, header: Sequence[Any], rows: Iterable[Sequence[Any]],
               titles: Sequence[Sequence[Any] | str] = (TITLE,), sheet: str = "业绩",
               text_columns: Sequence[str] = ("工号",)) -> Path:
    """An .xlsx like a core-system export: title rows, the header, the data rows.

    Columns named in ``text_columns`` get the text number format (as exports do for 工号).
    """
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for title in titles:
        ws.append([title] if isinstance(title, str) else list(title))
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    for j, h in enumerate(header, start=1):
        if h in text_columns:
            for (cell,) in ws.iter_rows(min_row=len(titles) + 2, min_col=j, max_col=j):
                cell.number_format = "@"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, header: Sequence[Any], rows: Iterable[Sequence[Any]],
              encoding: str = "utf-8", titles: Sequence[str] = (), bom: bool = False) -> Path:
    """A CSV in the chosen encoding (CRLF, as Excel saves it); ``bom`` prefixes EF BB BF."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for title in titles:
        w.writerow([title])
    w.writerow(list(header))
    for r in rows:
        w.writerow(list(r))
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def worked_file(tmp_path: Path, name: str = "worked.xlsx", **changes: Any) -> Path:
    """The SPEC §9 export as a one-row .xlsx, with optional changes to its figures."""
    return write_xlsx(tmp_path / name, HEADERS, [row(**changes)])


class FakeHistory:
    """A History for scoring tests: baselines and year-to-date totals given directly."""

    def __init__(self, baselines: dict[tuple[str, str], Decimal] | None = None,
                 ytd: dict[tuple[str, str], Decimal] | None = None,
                 tasks: Tasks | None = None) -> None:
        self.baselines = baselines or {}
        self.ytd = ytd or {}
        self.assigned = tasks

    def baseline(self, cm_id: str, item_id: str) -> tuple[Decimal | None, str]:
        value = self.baselines.get((cm_id, item_id))
        return value, ("历史库 2025-12" if value is not None else "")

    def year_to_date(self, cm_id: str, item_id: str) -> Decimal:
        return self.ytd.get((cm_id, item_id), Decimal(0))

    def years_to_date(self, ids: Sequence[str], item_id: str) -> list[Decimal]:
        return [self.year_to_date(cm, item_id) for cm in ids]

    def tasks(self) -> Tasks | None:
        return self.assigned


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    """The rule files shipped with the package (附件1–3)."""
    return load_rules()


# Windows many tests grade over (1–3 months keep a test's year short); the shipped
# grading.yaml allows 6 and 12 only, as the regulation does (第六、八条).
SHORT_WINDOWS = "windows: [1, 2, 3, 6, 12]\n"


def allow_short_windows(rules_dir: Path) -> Path:
    """In a rules copy, let ``grade --months`` take 1, 2 and 3 besides 6 and 12."""
    path = rules_dir / "grading.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nwindows: [6, 12]\n" in text
    path.write_text(text.replace("\nwindows: [6, 12]\n", "\n" + SHORT_WINDOWS), encoding="utf-8")
    return rules_dir


@pytest.fixture(scope="session")
def short_window_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped rules whose grading.yaml allows windows of 1–3 months."""
    target = tmp_path_factory.mktemp("short-windows") / "rules"
    shutil.copytree(DEFAULT_DIR, target)
    return allow_short_windows(target)


@pytest.fixture(scope="module")
def short_windows(short_window_rules: Path) -> Iterator[Path]:
    """The module's commands (in process and in subprocesses) use ``short_window_rules``
    through $CMSCORE_RULES: tests that grade over 1–3 months."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CMSCORE_RULES", str(short_window_rules))
        yield short_window_rules


@pytest.fixture
def short_windows_here(short_window_rules: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``short_windows`` for one test only (in a module whose other tests must see the
    shipped rules, as test_environment's precedence tests do)."""
    monkeypatch.setenv("CMSCORE_RULES", str(short_window_rules))
    return short_window_rules


@pytest.fixture(scope="session")
def cli_runner() -> CliRunner:
    # This typer's CliRunner always keeps stdout and stderr apart (result.stdout,
    # result.stderr). A wide terminal keeps each problem on one line of the table.
    return CliRunner(env={"COLUMNS": "2000", "CMSCORE_DB": None, "NO_COLOR": "1"})


class Cli:
    """Invoke ``cmscore`` in-process; fail loudly on a crash (CliRunner maps those to 1)."""

    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner

    def __call__(self, *args: Any, code: int | None = None) -> Any:
        result = self.runner.invoke(app, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"cmscore crashed: {result.exception!r}\n{result.stderr}") \
                from result.exception
        if code is not None:
            assert result.exit_code == code, (
                f"exit {result.exit_code}, wanted {code}\nstdout:\n{result.stdout}\n"
                f"stderr:\n{result.stderr}")
        return result


@pytest.fixture
def cli(cli_runner: CliRunner) -> Cli:
    return Cli(cli_runner)


def json_out(result: Any) -> Any:
    """stdout must be exactly one JSON document (and nothing else)."""
    return json.loads(result.stdout)


def stored_months(db: Path) -> list[str]:
    if not db.exists():
        return []
    with closing(sqlite3.connect(db)) as conn:
        return [m for (m,) in conn.execute("SELECT month FROM months ORDER BY month")]


def score_rows(db: Path, month: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM scores WHERE month = ?", (month,)).fetchone()[0]


@dataclass
class Workbooks:
    """Every workbook cmscore writes, from the example months, and the JSON beside them."""

    out: Path
    scores: dict[str, Any]  # month → score --json
    grades: Any
    payroll: Any
    diff_window: Any
    diff_month: Any
    summary_year: Any
    summary_quarter: Any

    def path(self, name: str) -> Path:
        return self.out / name


@pytest.fixture(scope="session")
def workbooks(tmp_path_factory: pytest.TempPathFactory, cli_runner: CliRunner) -> Workbooks:
    """Six example months scored, graded over them, paid, diffed (放款户数 rate 2.5 → 3)
    over two months and over one, and summed up for the year and the third quarter:
    written once for the workbook and LibreOffice tests."""
    run = Cli(cli_runner)
    base = tmp_path_factory.mktemp("workbooks")
    db, out = base / "cmscore.db", base / "out"
    scores = {m: json_out(run("score", EXAMPLES / f"{m}.xlsx", "--db", db, "--out", out,
                              "--json", code=0))
              for m in (f"2026-{k:02d}" for k in range(5, 11))}
    grades = json_out(run("grade", "--months", 6, "--end", "2026-10", "--db", db, "--out", out,
                          "--json", code=0))
    payroll = json_out(run("payroll", "--month", "2026-10", "--supervisors",
                           EXAMPLES / "supervisors" / "主管人员.csv", "--db", db, "--out", out,
                           "--json", code=0))
    rules = base / "rules-3"
    shutil.copytree(DEFAULT_DIR, rules)
    yaml = rules / "1-zhihang.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("rate: 2.5\n", "rate: 3\n", 1),
                    encoding="utf-8")
    window = json_out(run("diff", "--rules", rules, "--months", "2026-09..2026-10", "--db", db,
                          "--out", out, "--json", code=0))
    month = json_out(run("diff", "--rules", rules, "--db", db, "--out", out, "--json", code=0))
    year = json_out(run("summary", "--year", 2026, "--db", db, "--out", out, "--json", code=0))
    quarter = json_out(run("summary", "--year", 2026, "--quarter", 3, "--db", db, "--out", out,
                           "--json", code=0))
    return Workbooks(out, scores, grades, payroll, window, month, year, quarter)


@pytest.fixture
def env(tmp_path: Path) -> Any:
    """A hostile-file test's folders and CLI (``test_hostile.Env``), for every test module
    that builds hostile files."""
    from test_hostile import Env

    return Env(tmp_path)


# What migrations 6–9 added, undone: a store as schema 5 (or, with the older steps' own
# undoing after it, older) left it, for the tests of migrating an older store.
def with_items(conn: sqlite3.Connection) -> sqlite3.Connection:
    """``conn`` with the stored item scores as the ``items`` table held them before
    migration 12 (a temp table), so a test's SQL over item rows reads the item columns."""
    conn.execute(f"CREATE TEMP TABLE items ({', '.join(itemcols.ITEM_COLUMNS)})")
    if not conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'item_columns'").fetchone():
        return conn  # not a store (yet)
    for (month,) in conn.execute("SELECT DISTINCT month FROM item_columns").fetchall():
        conn.executemany(f"INSERT INTO temp.items VALUES ({','.join('?' * 9)})",
                         itemcols.item_rows(conn, month))
    return conn


# A grading's rows as the ``grades`` table held them before migration 13: a row per
# manager (a tiny store's json_extract per element is quick enough).
GRADE_ROWS = (
    "SELECT g.effective_month, i.value, "
    + ", ".join(f"json_extract(g.{f}, '$[' || i.key || ']')" for f in (
        "names", "branches", "categories", "average_cp", "ranks", "grades", "reasons",
        "boundaries", "flags"))
    + " FROM grade_columns g, json_each(g.cm_ids) i")
GRADES_TABLE = (
    "grades (effective_month TEXT NOT NULL, cm_id TEXT NOT NULL, name TEXT NOT NULL,"
    " branch TEXT NOT NULL, category TEXT NOT NULL, average_cp INTEGER, rank INTEGER,"
    " grade TEXT NOT NULL, reason TEXT NOT NULL, boundary TEXT NOT NULL, flags TEXT NOT NULL,"
    " PRIMARY KEY (effective_month, cm_id))")
def fixture_script(folder: Path) -> ModuleType:
    """``folder``'s ``record.py`` (a store fixture's recorder) as a module: its cases and
    the way it ran them."""
    spec = importlib.util.spec_from_file_location(f"record_{folder.name}", folder / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Migration 14 undone: each manager's figures back into ``scores.inputs`` as the JSON object
# schema 13 wrote (byte for byte, tests/test_inputcols.py), from the month's input columns.
UNDO_MIGRATION_14 = """UPDATE scores SET inputs = (SELECT json_group_object(item, json(roles))
    FROM (SELECT c.value ->> 0 AS item,
                 json_group_object(c.value ->> 1, p.figures -> c.key ->> i.key) AS roles
          FROM input_columns p, json_each(p.cm_ids) i, json_each(p.columns) c
          WHERE p.month = scores.month AND i.value = scores.cm_id
          GROUP BY p.part, c.value ->> 0 ORDER BY min(c.key))) WHERE inputs = '';
    DROP TABLE input_columns; """
UNDO_MIGRATION_13 = (f"CREATE TABLE {GRADES_TABLE} STRICT, WITHOUT ROWID;"
                     f" INSERT INTO grades {GRADE_ROWS}; DROP TABLE grade_columns; ")


def with_grades(conn: sqlite3.Connection) -> sqlite3.Connection:
    """``conn`` with the stored gradings as the ``grades`` table held them before
    migration 13 (a temp table), so a test's SQL over grade rows reads the grade columns."""
    if conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'grade_columns'").fetchone():
        conn.execute(f"CREATE TEMP TABLE {GRADES_TABLE}")
        conn.execute(f"INSERT INTO temp.grades {GRADE_ROWS}")
    return conn


# Migration 12 undone: the items back as a row per month, item and manager (a tiny store's
# json_extract per element is quick enough), the item columns, running totals and month
# points gone.
UNDO_MIGRATION_12 = (
    "CREATE TABLE items (month TEXT NOT NULL, item_id TEXT NOT NULL, cm_id TEXT NOT NULL,"
    " points_cp INTEGER NOT NULL, figure TEXT, figure_micro INTEGER, baseline TEXT,"
    " early INTEGER NOT NULL, risk_fund_cp INTEGER NOT NULL,"
    " PRIMARY KEY (month, item_id, cm_id)) STRICT, WITHOUT ROWID;"
    " INSERT INTO items SELECT c.month, c.item_id, i.value,"
    + ", ".join(f"json_extract(c.{f}, '$[' || i.key || ']')" for f in (
        "points_cp", "figure", "figure_micro", "baseline", "early", "risk_fund_cp"))
    + " FROM item_columns c, json_each(c.cm_ids) i;"
    " DROP TABLE item_columns; DROP TABLE ytd; DROP TABLE month_points; ")
UNDO_MIGRATIONS_6_TO_9 = (
    "DROP TABLE staff; DROP TABLE staff_files;"  # migration 10
    "DROP TABLE events; DROP TABLE adjustment_effects; DROP TABLE adjustments;"
    " DROP TABLE workbooks; DROP TABLE restatements; DROP TABLE opening_ytd;"
    " DROP TABLE grading_sources; DROP TABLE month_sources; ALTER TABLE runs DROP COLUMN note;"
    " ALTER TABLE gradings DROP COLUMN stale; ALTER TABLE payrolls DROP COLUMN score_run;"
    " ALTER TABLE payrolls DROP COLUMN grading;"
    " DROP TABLE tasks;")  # and migration 11's (任务下达)
