"""cmscore side by side with a pandas peer, a polars peer and the read+write floor.

    .venv/bin/python benchmarks/bench.py [--sizes 1000,20000,100000] [--full] [--grade]
                                         [--runs N] [--json PATH]

Every measurement is a fresh subprocess; its wall time is taken around the process and
its peak RSS and CPU time come from os.wait4 (that child alone). Contenders alternate,
in a rotating order, within each repetition. Exports are generated once per size into
benchmarks/out/ (git-ignored) and reused. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PY = sys.executable
CMSCORE = str(Path(PY).with_name("cmscore"))
GEN_VERSION = 1  # bump when gen.py changes what it writes, to invalidate the cache
PACKAGES = ["cmscore", "pandas", "numpy", "openpyxl", "python-calamine", "xlsxwriter",
            "fastexcel", "pyarrow", "polars", "typer", "pydantic"]
TARGETS_AT = 100_000
SCORE = "cmscore score --json"
PANDAS, POLARS = "peer (pandas)", "peer (polars)"
FLOOR = "floor (fastexcel + own writer)"
# The issue's targets: cmscore at least this many times faster than the peer, per size;
# at most FLOOR_AT_MOST × the floor and PSS_AT_MOST MB (summed PSS) where they are given.
FASTER_THAN = {PANDAS: {1000: 3, 20000: 6, 100000: 10}, POLARS: {20000: 2, 100000: 2}}
FLOOR_AT_MOST = {20000: 2.5, 100000: 2.5}
PSS_AT_MOST = {100000: 500}
GRADE_AT_MOST, HELP_AT_MOST = 1.5, 0.1

sys.path.insert(0, str(HERE))
from runner import Command, Result, alternate, log, measure  # noqa: E402


def export_for(n: int, year: int = 2026, month: int = 10) -> Path:
    path = OUT / f"export-{n}-{year}-{month:02d}-v{GEN_VERSION}.xlsx"
    if not path.exists():
        start = time.perf_counter()
        import gen  # xlsxwriter: only to generate an export (tests import bench without it)

        gen.write_export(path, n, year, month)
        log(f"generated {path.name} in {time.perf_counter() - start:.1f} s")
    return path


def compile_sources() -> None:
    """Bytecode for cmscore and the peers, written once before any clock starts: with
    PYTHONDONTWRITEBYTECODE set (as on this machine) every run would compile cmscore's
    70 modules from source, ~0.2 s that an installed cmscore never pays."""
    import compileall

    for where in (ROOT / "src" / "cmscore", HERE):
        compileall.compile_dir(str(where), quiet=1)


def fastexcel_state() -> tuple[bool, bool]:
    """(fastexcel importable, pyarrow importable) in the interpreter the contenders use."""
    def has(mod: str) -> bool:
        return subprocess.run([PY, "-c", f"import {mod}"], capture_output=True).returncode == 0
    return has("fastexcel"), has("pyarrow")


def contenders(path: Path, fx: tuple[bool, bool]) -> dict[str, Command]:
    """name → function(run_dir) → command line."""
    # score --json with the full 明细 sheet; its JSON document goes to stdout (discarded
    # by the runner, but encoded and written like any other run's).
    cs = {
        SCORE: lambda d: [CMSCORE, "score", str(path), "--db", str(d / "cmscore.db"),
                          "--out", str(d), "--json"],
        PANDAS: lambda d: [PY, str(HERE / "peer.py"), str(path), str(d)],
        POLARS: lambda d: [PY, str(HERE / "peer_polars.py"), str(path), str(d)],
    }
    if fx[0] and fx[1]:
        cs[FLOOR] = lambda d: [PY, str(HERE / "floor.py"), str(path), str(d)]
    cs["read only: calamine"] = lambda d: [PY, str(HERE / "floor.py"), str(path), str(d),
                                           "--reader", "calamine", "--read-only"]
    if fx[0]:
        cs["read only: fastexcel"] = lambda d: [PY, str(HERE / "floor.py"), str(path), str(d),
                                                "--reader", "fastexcel", "--read-only"]
    return cs


def grade_store(n: int, notes: list[str], year: int = 2025) -> Path:
    """A store with 12 scored months of n CMs, built once with `cmscore score`.

    The store is the slow part, so it is kept even when cmscore's source has changed
    since it was built (its months stay valid while the store schema does); a note says so.
    """
    db = OUT / f"grade-{n}-{year}-v{GEN_VERSION}.db"
    done = db.with_name(db.name + ".done")
    if done.exists():
        if done.read_text() != source_hash():
            notes.append(f"{db.name} was built by other cmscore source (delete it to rebuild)")
        return db
    for stale in OUT.glob(db.name + "*"):
        stale.unlink()
    for month in range(1, 13):
        build = Result(n, f"build {year}-{month:02d}", n)
        out_dir = Path(tempfile.mkdtemp(prefix="build-", dir=OUT))
        measure([CMSCORE, "score", str(export_for(n, year, month)), "--db", str(db),
                 "--out", str(out_dir), "--quiet"], build)
        shutil.rmtree(out_dir, ignore_errors=True)
        if build.errors:
            raise SystemExit(f"building the grade store failed: {build.errors[0]}")
        log(f"grade store: scored {year}-{month:02d} in {build.wall[0]:.1f} s")
    done.write_text(source_hash())
    return db


def grade_results(n: int, runs: int, notes: list[str]) -> list[Result]:
    db = grade_store(n, notes)
    cs = {
        "cmscore grade --months 12": lambda d: [CMSCORE, "grade", "--months", "12", "--end",
                                                "2025-12", "--db", str(d / "cmscore.db"),
                                                "--out", str(d), "--quiet"],
        "cmscore payroll": lambda d: [CMSCORE, "payroll", "--month", "2025-12", "--db",
                                      str(d / "cmscore.db"), "--out", str(d), "--quiet"],
    }

    def fresh_copy(_: str, run_dir: Path) -> None:
        for suffix in ("", "-wal"):  # a WAL left behind holds committed months too
            if Path(f"{db}{suffix}").exists():
                copy = run_dir / f"cmscore.db{suffix}"
                shutil.copyfile(f"{db}{suffix}", copy)
                # Written back before the clock starts: otherwise the kernel flushes the
                # harness's gigabyte copy during the timed run (grade: 4.1–4.9 s vs 3.1–4.1 s).
                with open(copy, "rb+") as fh:
                    os.fsync(fh.fileno())
    return alternate(n, n * 12, cs, runs, OUT, fresh_copy)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def fmt(x: float | None, spec: str = ".2f") -> str:
    return "—" if x is None else format(x, spec)


def table(results: list[Result], since: str) -> tuple[list[str], dict]:
    """The printed table (* = measured before ``since``), and per size cmscore's ratios:
    how many times faster than each peer, and how many times the floor (wall and CPU)."""
    head = (f"{'size':>7}  {'contender':<31} {'runs':>4} {'median s':>9} {'cpu s':>7} "
            f"{'rows/s':>9} {'peak MB':>8} {'PSS MB':>7}  ratios")
    lines, ratios = [head, "-" * len(head)], {}
    for size in sorted({r.size for r in results}):
        group = [r for r in results if r.size == size]
        by = {r.contender: r for r in group}
        cm = by.get(SCORE)
        if cm and cm.median:
            cpu = {n: r.summary()["median_cpu_s"] for n, r in by.items()}
            q: dict[str, float | None] = {}
            for peer in (PANDAS, POLARS):
                if peer in by:
                    q[f"{peer} faster"] = ratio(by[peer].median, cm.median)
                    q[f"{peer} faster (CPU)"] = ratio(cpu.get(peer), cpu[SCORE])
            if FLOOR in by:
                q["× floor"] = ratio(cm.median, by[FLOOR].median)
                q["× floor (CPU)"] = ratio(cpu[SCORE], cpu.get(FLOOR))
            ratios[size] = q
        for r in group:
            s = r.summary()
            extra = ""
            if r is cm and size in ratios:
                q = ratios[size]
                extra = "  ".join(
                    [f"{fmt(q.get(f'{p} faster'), '.1f')}× faster than {p.split()[1][1:-1]}"
                     for p in (PANDAS, POLARS) if f"{p} faster" in q]
                    + ([f"{fmt(q['× floor'])}× the floor"] if "× floor" in q else []))
            failed = f"  FAILED {len(r.errors)}×: {r.errors[0][:60]}" if r.errors else ""
            name = r.contender if r.measured_at >= since else f"{r.contender} *"
            lines.append(f"{size or '':>7}  {name:<31} {len(r.wall):>4} "
                         f"{fmt(s['median_s'], '.3f'):>9} {fmt(s['median_cpu_s']):>7} "
                         f"{fmt(s['rows_per_s'], ',.0f'):>9} {fmt(s['peak_rss_mb'], '.0f'):>8} "
                         f"{fmt(s['peak_summed_pss_mb'], '.0f'):>7}  "
                         f"{extra}{failed}")
    return lines, ratios


Target = tuple[str, float | None, Callable[[float], bool] | None, str]


def targets(results: list[Result], ratios: dict) -> list[dict]:
    """The issue's targets, each PASS / FAIL, or NOT MEASURED when its size was not run."""
    by = {(r.size, r.contender): r for r in results}
    rows: list[Target] = []
    for peer, sizes in FASTER_THAN.items():
        for size, times in sizes.items():
            q = ratios.get(size, {})
            rows.append((f"{size // 1000}k score --json ≥ {times}× faster than {peer}",
                         q.get(f"{peer} faster"), lambda v, t=times: v >= t,
                         f"× (CPU time: {fmt(q.get(f'{peer} faster (CPU)'))}×)"))
    for size, most in FLOOR_AT_MOST.items():
        q = ratios.get(size, {})
        rows.append((f"{size // 1000}k score --json ≤ {most}× the floor", q.get("× floor"),
                     lambda v, m=most: v <= m, f"× (CPU time: {fmt(q.get('× floor (CPU)'))}×)"))
    for size, most in PSS_AT_MOST.items():
        score = by.get((size, SCORE))
        pss = score and (score.peak_pss_mb or score.peak_mb)
        rows.append((f"{size // 1000}k score --json peak memory ≤ {most} MB", pss or None,
                     lambda v, m=most: v <= m, "MB (summed PSS of its processes; RSS if "
                     "PSS was not sampled)"))
    grade = [r for (s, c), r in by.items() if c.startswith(("cmscore grade", "cmscore payroll"))]
    rows += [(f"{r.contender} over 100k × 12 ≤ {GRADE_AT_MOST} s",
              r.median if r.size == TARGETS_AT else None,
              lambda v: v <= GRADE_AT_MOST, "s") for r in grade]
    if not grade:
        rows.append((f"grade/payroll over 100k × 12 ≤ {GRADE_AT_MOST} s", None, None, "s"))
    helpr = by.get((0, "cmscore --help"))
    rows.append((f"cmscore --help ≤ {HELP_AT_MOST} s", helpr.median if helpr else None,
                 lambda v: v <= HELP_AT_MOST, "s"))
    out = []
    for name, value, ok, unit in rows:
        verdict = ("NOT MEASURED" if value is None or ok is None
                   else "PASS" if ok(value) else "FAIL")
        out.append({"target": name, "value": value, "unit": unit, "verdict": verdict})
    return out


def source_hash() -> str:
    """SHA-256 over cmscore's source and rule files: says which code was measured."""
    digest = hashlib.sha256()
    for f in sorted((ROOT / "src" / "cmscore").rglob("*")):
        if f.suffix in (".py", ".yaml"):
            digest.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def git_state() -> str:
    return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    versions: dict[str, str | None] = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
            "python": platform.python_version(), "platform": platform.platform(),
            "packages": versions, "git_at_end": git_state(),
            "cmscore_source_sha256_at_end": source_hash(),
            "date": datetime.now().astimezone().isoformat()}


def earlier(path: Path, measured: set[tuple[int, str]]) -> list[Result]:
    """An earlier run's results (from its JSON) for what this run did not measure."""
    if not path.exists():
        return []
    doc = json.loads(path.read_text(encoding="utf-8"))
    fields = ("size", "contender", "rows", "wall", "cpu", "rss_mb", "errors")
    return [Result(**{k: r[k] for k in fields}, pss_mb=r.get("pss_mb", []),
                   measured_at=r.get("measured_at", doc["machine"]["date"][:16]))
            for r in doc["results"] if (r["size"], r["contender"]) not in measured]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,20000,100000", help="comma-separated CM counts")
    ap.add_argument("--full", action="store_true", help="5 runs at 100k (default 3)")
    ap.add_argument("--grade", action="store_true",
                    help="also time grade/payroll over 12 months of 100k CMs (slow to build)")
    ap.add_argument("--runs", type=int, help="repetitions for every size (overrides defaults)")
    ap.add_argument("--json", type=Path, default=HERE / "results.json")
    ap.add_argument("--merge", action="store_true",
                    help="keep the --json file's results for what this run does not measure")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    OUT.mkdir(exist_ok=True)
    compile_sources()
    fx = fastexcel_state()
    notes = [] if all(fx) else [
        "fastexcel or pyarrow is not installed (`pip install -e '.[bench]'`): no floor, so "
        "the floor targets are NOT MEASURED"]
    loads = [os.getloadavg()]
    source, git = source_hash(), git_state()
    started = time.strftime("%Y-%m-%dT%H:%M")
    results = alternate(0, 0, {"cmscore --help": lambda d: [CMSCORE, "--help"]},
                        max(10, args.runs or 0), OUT)
    for n in sizes:
        runs = args.runs or (5 if n < TARGETS_AT or args.full else 3)
        log(f"size {n}: {runs} runs per contender")
        results += alternate(n, n, contenders(export_for(n), fx), runs, OUT)
        loads.append(os.getloadavg())
    if args.grade:
        results += grade_results(TARGETS_AT, args.runs or (5 if args.full else 3), notes)
    else:
        notes.append("grade/payroll over 100k × 12 skipped: pass --grade "
                     "(builds a 12-month store once, cached in benchmarks/out/)")
    if args.merge:
        results += earlier(args.json, {(r.size, r.contender) for r in results})
    lines, ratios = table(results, started)
    verdicts = targets(results, ratios)
    print("\n".join(lines))
    print("\nTargets (issue 19: score --json faster than every peer at every size)")
    for t in verdicts:
        print(f"  {t['verdict']:<12} {t['target']:<50} {fmt(t['value'])} {t['unit']}")
    if source_hash() != source:
        notes.append("cmscore's source changed during this run: results mix versions; re-run")
    if any(r.measured_at < started for r in results):
        notes.append("* = kept from an earlier run of the --json file (--merge)")
    for note in notes:
        print(f"note: {note}")
    print(f"load average (1 min) during the run: {', '.join(f'{x[0]:.2f}' for x in loads)}")
    doc = {"machine": machine(), "git_at_start": git, "cmscore_source_sha256_at_start": source,
           "load_average": loads, "notes": notes,
           "results": [r.summary() for r in results], "ratios": ratios, "targets": verdicts}
    args.json.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.json}")


if __name__ == "__main__":
    main()
