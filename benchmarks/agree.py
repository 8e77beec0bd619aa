"""Do the peers score what cmscore scores? Their totals per CM against `score --json`'s.

Runs `cmscore score FILE --json` into a fresh store, scores the same export with the
pandas peer (peer.py) and the polars peer (peer_polars.py) in this process, and prints,
per peer, how many CMs' totals agree exactly, differ by at most 0.02 (the peers round
each item's float half to even, cmscore its exact points half up), and the largest
difference. A peer that scored other rules would differ by whole points.

    .venv/bin/python benchmarks/agree.py benchmarks/out/export-1000-2026-10-v1.xlsx
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
CMSCORE = str(Path(sys.executable).with_name("cmscore"))


def cmscore_totals(path: Path) -> dict[str, Decimal]:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([CMSCORE, "score", str(path), "--db", f"{tmp}/cmscore.db",
                              "--out", tmp, "--json"], capture_output=True, text=True, check=True)
    return {m["id"]: Decimal(m["total"]) for m in json.loads(out.stdout)["managers"]}


def compare(name: str, theirs: dict[str, float], ours: dict[str, Decimal]) -> str:
    if set(theirs) != set(ours):
        return f"{name}: other CMs ({len(set(theirs) ^ set(ours))} 工号 differ)"
    gaps = [abs(Decimal(f"{theirs[cm]:.2f}") - total) for cm, total in ours.items()]
    same = sum(g == 0 for g in gaps)
    near = sum(0 < g <= Decimal("0.02") for g in gaps)
    return (f"{name}: {len(gaps)} CMs, {same} equal, {near} within 0.01–0.02, "
            f"{len(gaps) - same - near} further; largest difference {max(gaps)}")


def main(path: Path) -> None:
    sys.path.insert(0, str(HERE))
    import peer
    import peer_polars

    ours = cmscore_totals(path)
    pandas_scored = peer.score(peer.read(path))
    polars_scored = peer_polars.score(peer_polars.read(path))
    print(compare("pandas peer", dict(zip(pandas_scored["工号"], pandas_scored["总分"],
                                          strict=True)), ours))
    print(compare("polars peer", dict(polars_scored.select("工号", "总分").iter_rows()), ours))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
