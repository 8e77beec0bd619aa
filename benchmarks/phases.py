"""Where `cmscore score` spends its time: wall and CPU seconds per phase, no profiler.

Wraps the functions that `cmscore.app.score` calls for one month (rules, read, score,
workbook, store, warnings) with timers, runs the real command line in-process into a
fresh store, and prints each phase. Phases missing from the current code are skipped.
The workbook is written in line (CMSCORE_NO_FORK=1 unless set), so every phase is timed
here; `cmscore score` itself overlaps the workbook with the store on Linux.

    .venv/bin/python benchmarks/phases.py benchmarks/out/export-100000-2026-10-v1.xlsx [--json]

Arguments after the file go to `cmscore score` instead of the default --quiet (e.g.
--json, whose document is sent to /dev/null).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# One phase after another, in this process: a workbook written by a forked child
# (cmscore.aside) would be timed in the child and lost.
os.environ.setdefault("CMSCORE_NO_FORK", "1")
STARTED = time.perf_counter(), time.process_time()
from cmscore import cli  # noqa: E402
from cmscore.app import score as app_score  # noqa: E402
from cmscore.cli import month as cli_month  # noqa: E402
from cmscore.outputs import scorejson  # noqa: E402
from cmscore.outputs import scores as out_scores  # noqa: E402
from cmscore.store import db as store  # noqa: E402
from cmscore.store import history  # noqa: E402

IMPORTED = time.perf_counter(), time.process_time()
PHASES = [  # (module, attribute, label)
    (app_score, "load_rules", "load rule files"),
    (app_score, "read_export", "read + validate export"),
    (app_score, "score_month", "score (Decimal)"),
    (app_score, "sha256_of", "SHA-256 of the file"),
    (app_score, "write_scores", "write scores workbook"),
    (app_score, "write_notice", "write 公示 workbook"),
    (out_scores, "scores_json", "build the --json document"),
    (scorejson, "spooled_scores_json", "render --json (before COMMIT)"),
    (cli_month, "print_json", "encode and print --json"),
    (store, "save_month", "store month (SQLite)"),
    (history, "npl_history", "NPL warnings (history)"),
    (history, "npl_candidates", "NPL warnings (history)"),
]
spent: dict[str, list[float]] = {}  # label → [wall s, CPU s]
running: list[list[float]] = []  # the timed phases under way: [wall s, CPU s] of their inner ones


def timed(label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A phase's own time: a timed phase inside it (score --json renders its document
    inside the store's transaction) counts for itself only, not for both."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        running.append([0.0, 0.0])
        try:
            return fn(*args, **kwargs)
        finally:
            inner = running.pop()
            took = [time.perf_counter() - wall, time.process_time() - cpu]
            got = spent.setdefault(label, [0.0, 0.0])
            got[0] += took[0] - inner[0]
            got[1] += took[1] - inner[1]
            if running:
                running[-1][0] += took[0]
                running[-1][1] += took[1]
    return wrapper


def _leave(code: int) -> None:
    """cmscore leaves with os._exit (no teardown); here it must return to print."""
    raise SystemExit(code)


def main(path: Path, extra: list[str]) -> None:
    for module, name, label in PHASES:
        if hasattr(module, name):
            setattr(module, name, timed(label, getattr(module, name)))
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "w") as devnull:
        sys.argv = ["cmscore", "score", str(path), "--db", f"{tmp}/cmscore.db",
                    "--out", tmp, *(extra or ["--quiet"])]
        wall, cpu = time.perf_counter(), time.process_time()
        exit_for_real, os._exit = os._exit, _leave
        stdout, sys.stdout = sys.stdout, devnull
        try:
            cli.main()
        except SystemExit as exc:
            if exc.code:
                raise
        finally:
            os._exit, sys.stdout = exit_for_real, stdout
        total = [time.perf_counter() - wall, time.process_time() - cpu]
    # write_scores and save_month run one after the other inside the workbook's atomic_file.
    print(f"{'phase':<34} {'wall s':>8} {'CPU s':>8} {'CPU share':>9}")
    print(f"{'import cmscore (cli, app, store)':<34} {IMPORTED[0] - STARTED[0]:8.2f} "
          f"{IMPORTED[1] - STARTED[1]:8.2f}")
    for label, (w, c) in spent.items():
        print(f"{label:<34} {w:8.2f} {c:8.2f} {c / total[1]:9.1%}")
    rest = [total[k] - sum(got[k] for got in spent.values()) for k in (0, 1)]
    print(f"{'everything else (CLI, fsync, …)':<34} {rest[0]:8.2f} {rest[1]:8.2f} "
          f"{rest[1] / total[1]:9.1%}")
    print(f"{'total cmscore score':<34} {total[0]:8.2f} {total[1]:8.2f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
