"""Byte-identity of cmscore's outputs before and after a change: `score --json`'s document
and every cell value of every workbook written.

    python benchmarks/identical.py capture DIR [--cases examples,early,20000]
    python benchmarks/identical.py compare DIR_BEFORE DIR_AFTER

`capture` runs the real command line (the `cmscore` next to this Python) on each case
into a fresh store and writes, per command, its stdout as run and the workbooks' cell
values as read by python-calamine (one JSON text per workbook) into DIR. Capture with
the code before the change (e.g. a `git worktree` of main), then with the code after,
and `compare` reports every file that differs, byte for byte. Only the run record's
计分时间 (the clock) and 规则目录 (the checkout's path), and in the JSON the run's
time and its temporary folder, are left out.

Cases:
- ``examples``: examples/2026-*.xlsx in month order into one store (baselines,
  year-to-date), then the October adjustments, `show 2026-10 --json --write` and
  `check 2026-10.xlsx --json`.
- ``early``: six generated 3,000-manager months 2025-01…06 into one store: early
  completion (提前完成) applies from March (1, 28, 107 and 202 managers, March to June).
- ``worked``: examples/worked-example.xlsx (SPEC §9's one manager), twice into one store:
  the second time refused (the month is stored), its error document included.
- ``20000`` (or any number): a generated month of that many managers (gen.py).
Generated exports live in benchmarks/out/ (git-ignored) and are reused.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
CMSCORE = str(Path(sys.executable).with_name("cmscore"))
VOLATILE = {"计分时间", "规则目录"}  # 运行记录 rows that name the clock or the checkout
CLOCK = re.compile(rb'"(started_at|finished_at|computed_at)": "[^"]*"')  # run times in JSON


def export(n: int, month: str) -> Path:
    path = OUT / f"export-{n}-{month}-v1.xlsx"
    if not path.exists():
        sys.path.insert(0, str(HERE))
        import gen  # noqa: PLC0415 (xlsxwriter only when an export must be generated)

        year, mon = map(int, month.split("-"))
        gen.write_export(path, n, year, mon)
    return path


def commands(case: str, db: Path, out: Path) -> list[list[str]]:
    """The command lines of a case, each writing its workbooks into ``out``."""
    common = ["--db", str(db)]
    if case == "examples":
        months = sorted(ROOT.glob("examples/2026-*.xlsx"))
        return [*([CMSCORE, "score", str(f), *common, "--out", str(out), "--json"]
                  for f in months),
                [CMSCORE, "adjust", str(ROOT / "examples/adjustments/调整-2026-10.csv"),
                 *common, "--json"],
                [CMSCORE, "show", "2026-10", "--write", *common, "--out", str(out), "--json"],
                [CMSCORE, "check", str(months[-1]), *common, "--json"]]
    if case == "worked":
        once = [CMSCORE, "score", str(ROOT / "examples/worked-example.xlsx"), *common,
                "--out", str(out), "--json"]
        return [once, once]
    if case == "early":
        return [[CMSCORE, "score", str(export(3000, f"2025-{m:02d}")), *common,
                 "--out", str(out), "--json"] for m in range(1, 7)]
    return [[CMSCORE, "score", str(export(int(case), "2026-10")), *common, "--out",
             str(out), "--json"]]


def cells(path: Path) -> str:
    """Every sheet's cell values, as python-calamine reads them, as one JSON text."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheets = {}
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if name == "运行记录":
            rows = [r for r in rows if not (r and r[0] in VOLATILE)]
        sheets[name] = rows
    return json.dumps(sheets, ensure_ascii=False, default=str, indent=0)


def capture(target: Path, cases: list[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "out"
            seen: dict[Path, int] = {}
            for k, argv in enumerate(commands(case, Path(tmp) / "cmscore.db", out)):
                done = subprocess.run(argv, capture_output=True, check=False)
                stdout = CLOCK.sub(rb'"\1": "(time)"', done.stdout.replace(
                    tmp.encode(), b"(tmp)"))  # the run's clock and temporary folder
                (target / f"{case}-{k:02d}-{argv[1]}.stdout").write_bytes(stdout)
                (target / f"{case}-{k:02d}-{argv[1]}.rc").write_text(f"{done.returncode}\n")
                if done.returncode:
                    print(f"{case} {k}: exit {done.returncode}: {done.stderr.decode()[:400]}")
                for book in sorted(out.glob("*.xlsx")):  # the workbooks this command wrote
                    if seen.get(book) == book.stat().st_mtime_ns:
                        continue
                    seen[book] = book.stat().st_mtime_ns
                    (target / f"{case}-{k:02d}-{book.stem}.cells.json").write_text(
                        cells(book), encoding="utf-8")
        print(f"captured {case}")


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differ = [n for n in names if not (before / n).exists() or not (after / n).exists()
              or (before / n).read_bytes() != (after / n).read_bytes()]
    for n in differ:
        print(f"DIFFERS: {n}")
    print(f"{len(names) - len(differ)} of {len(names)} files identical")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["capture"] and len(argv) >= 2:
        cases = argv[argv.index("--cases") + 1].split(",") if "--cases" in argv \
            else ["examples", "early", "20000"]
        capture(Path(argv[1]), cases)
        return 0
    if argv[:1] == ["compare"] and len(argv) == 3:
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
