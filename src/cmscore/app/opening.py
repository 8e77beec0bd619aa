"""`opening`: carry a year's earlier months in (期初累计) for a store that starts the year
late, and bring every stored month of that year up to date with it (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cmscore.app import cascade
from cmscore.app.common import sha256_of
from cmscore.engine.grading import month_after, months_between
from cmscore.engine.month import check_month
from cmscore.engine.results import Restated
from cmscore.inputs.opening import read_opening
from cmscore.problems import fail
from cmscore.rules.ruleset import load_rules
from cmscore.store import db as store
from cmscore.store import restate


@dataclass
class OpeningResult:
    year: str
    through: str
    rows: int
    managers: int
    restated: list[Restated] = field(default_factory=list)


def load_opening(path: Path, *, through: str, db: Path | None = None,
                 rules_dir: Path | None = None, replace: bool = False) -> OpeningResult:
    """Store the opening figures of ``through``'s year (through that month, inclusive)."""
    check_month(through, "--through")
    if through.endswith("-12"):
        raise fail("--through 不能是 12 月：期初累计是同一年度中历史库第一个月之前的累计")
    rules = load_rules(rules_dir)
    rows = read_opening(path, rules)
    db = db or store.default_path()
    year = through[:4]
    with store.locked(db):
        conn = store.connect(db)
        try:
            if restate.opening_through(conn, year) and not replace:
                raise fail(f"{year} 年的期初累计已经导入；如需替换请加 --replace")
            in_year = [m for m in store.stored_months(conn) if m[:4] == year]
            covered = [m for m in in_year if m <= through]
            if covered:
                raise fail(f"历史库已有 {'、'.join(covered)} 的计分，这些月份在期初累计（截至 "
                           f"{through}）之内，会重复计入年度累计；期初累计只用于历史库第一个月之前")
            after = [m for m in in_year if m > through]
            gap = months_between(month_after(through), after[0])[:-1] if after else []
            if gap:
                raise fail(f"期初累计截至 {through}，而历史库 {year} 年从 {after[0]} 开始：缺少 "
                           f"{'、'.join(gap)}，年度累计会少算这些月份；请把 --through 改为 "
                           f"{gap[-1]}（期初累计含这些月份），或先计分这些月份")
            run = store.RunRecord("opening", year, path.name, sha256_of(path), rules.hashes,
                                  started_at=store.RunRecord.now(),
                                  note=f"期初累计截至 {through}")
            restated: list[Restated] = []
            with store.transaction(conn):
                run_id = store.insert_run(conn, run)
                restate.save_opening(conn, year, through, [
                    (r.cm_id, r.item_id, f"{r.figure:f}") for r in rows], run_id)
                restated = cascade.after_correction(
                    conn, f"{year}-00", rules, run_id, False, f"{year} 年期初累计导入")
        finally:
            conn.close()
    return OpeningResult(year, through, len(rows), len({r.cm_id for r in rows}), restated)
