"""Measure commands in fresh processes: wall time, CPU time and peak RSS of each run."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Command = Callable[[Path], list[str]]  # run directory → command line


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Result:
    size: int
    contender: str
    rows: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    measured_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M"))

    @property
    def median(self) -> float | None:
        return statistics.median(self.wall) if self.wall else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_mb) if self.rss_mb else None

    def summary(self) -> dict:
        med = self.median
        return {**asdict(self), "median_s": med, "peak_rss_mb": self.peak_mb,
                "median_cpu_s": statistics.median(self.cpu) if self.cpu else None,
                "rows_per_s": self.rows / med if med and self.rows else None}


def measure(cmd: list[str], result: Result) -> None:
    """Run cmd once in a fresh process; record wall s, CPU s and peak RSS (MB)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            result.errors.append(f"exit {code}: {' | '.join(tail)}")
            log(f"  {result.contender} FAILED ({code}): {' | '.join(tail)}")
            return
    result.wall.append(wall)
    result.cpu.append(usage.ru_utime + usage.ru_stime)
    result.rss_mb.append(usage.ru_maxrss / 1024)  # Linux: KiB


def alternate(size: int, rows: int, cs: dict[str, Command], runs: int, out: Path,
              prepare: Callable[[str, Path], None] | None = None) -> list[Result]:
    """runs repetitions; in each, every contender once, in a rotating order.

    prepare(name, run_dir) may set up the run directory (untimed)."""
    results = {name: Result(size, name, rows) for name in cs}
    names = list(cs)
    for rep in range(runs):
        order = names[rep % len(names):] + names[:rep % len(names)]
        for name in order:
            run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=out))
            try:
                if prepare:
                    prepare(name, run_dir)
                measure(cs[name](run_dir), results[name])
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
        log(f"  {size}: repetition {rep + 1}/{runs} done: " + ", ".join(
            f"{n} {results[n].wall[-1]:.2f}s" for n in names if results[n].wall))
    return list(results.values())
