"""The year-to-date asked a column at a time (``History.years_to_date``, what early
completion reads) is, manager by manager, what ``year_to_date`` says: from the stored
months' running totals and the opening file, 0 for a manager with neither."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

from cmscore.app.tasks import WithTasks
from cmscore.engine.itemcolumns import NoHistory
from cmscore.numbers import ZERO
from cmscore.store import db as store
from test_corrections import cmscore

ROOT = Path(__file__).resolve().parents[1]


def test_a_column_of_year_to_date_is_each_managers(tmp_path: Path) -> None:
    db = tmp_path / "y.db"
    for month in ("2026-01", "2026-02", "2026-03"):
        cmscore("score", ROOT / "examples" / f"{month}.xlsx", "--db", db, "--out", tmp_path,
                "-q", "--tasks", ROOT / "examples" / "tasks" / "任务下达-2026.csv")
    with closing(store.connect(db)) as conn:
        ids = [r[0] for r in conn.execute("SELECT cm_id FROM scores WHERE month = '2026-03'")]
        items = [r[0] for r in conn.execute("SELECT item_id FROM ytd WHERE month = '2026-03'")]
        ids = ids[::-1] + ["999999", ids[0]]  # any order, one not stored, one twice
        history = store.StoreHistory(conn, "2026-04")
        seen = set()
        for item in items:
            column = history.years_to_date(ids, item)
            assert column == [history.year_to_date(cm, item) for cm in ids]
            assert column[-2] == ZERO
            seen.update(v for v in column if v)
        assert seen, "the examples' managers have earlier months to sum"
        wrapped = WithTasks(history, None)  # type: ignore[arg-type]
        assert wrapped.years_to_date(ids, items[0]) == history.years_to_date(ids, items[0])
    assert NoHistory().years_to_date(ids, items[0]) == [ZERO] * len(ids)
