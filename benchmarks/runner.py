"""Measure commands in fresh processes: wall time, CPU time and peak RSS of each run."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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
    pss_mb: list[float] = field(default_factory=list)  # peak of the summed PSS of the process tree
    errors: list[str] = field(default_factory=list)
    measured_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M"))

    @property
    def median(self) -> float | None:
        return statistics.median(self.wall) if self.wall else None

    @property
    def peak_mb(self) -> float | None:
        return max(self.rss_mb) if self.rss_mb else None

    @property
    def peak_pss_mb(self) -> float | None:
        return max(self.pss_mb) if self.pss_mb else None

    @property
    def memory_mb(self) -> float | None:
        """What the run held at its peak: the larger of the biggest single process's peak
        RSS and the sampled peak of the summed PSS of all its processes (a forked child
        shares pages with its parent; PSS counts a shared page once across them)."""
        both = [v for v in (self.peak_mb, self.peak_pss_mb) if v is not None]
        return max(both) if both else None

    def summary(self) -> dict:
        med = self.median
        return {**asdict(self), "median_s": med, "peak_rss_mb": self.peak_mb,
                "peak_summed_pss_mb": self.peak_pss_mb, "memory_mb": self.memory_mb,
                "median_cpu_s": statistics.median(self.cpu) if self.cpu else None,
                "rows_per_s": self.rows / med if med and self.rows else None}


def _tree(pid: int) -> list[int]:
    """pid and its descendants, from /proc (Linux)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("Pss:")), 0)
    except OSError:
        return 0


class _PssPeak(threading.Thread):
    """Samples the summed PSS of a process tree every 0.1 s until stopped (Linux only;
    elsewhere it records nothing)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in _tree(self.pid)))


def measure(cmd: list[str], result: Result) -> None:
    """Run cmd once in a fresh process; record wall s, CPU s (children included), peak RSS
    of the largest process and the peak summed PSS of all of them (MB)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        sampler = _PssPeak(proc.pid)
        if Path("/proc/self/smaps_rollup").exists():
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        sampler.done.set()
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
    if sampler.peak_kib:
        result.pss_mb.append(sampler.peak_kib / 1024)


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
