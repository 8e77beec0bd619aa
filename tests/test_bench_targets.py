"""benchmarks/bench.py prints issue 19's targets, each judged on the right figure."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench  # noqa: E402
from runner import Result  # noqa: E402


def _result(size: int, name: str, wall: float, cpu: float, pss: float = 100.0) -> Result:
    return Result(size, name, size, wall=[wall], cpu=[cpu], rss_mb=[pss], pss_mb=[pss])


def _verdicts(results: list[Result]) -> dict[str, tuple[str, float | None]]:
    _, ratios = bench.table(results, "")
    return {t["target"]: (t["verdict"], t["value"]) for t in bench.targets(results, ratios)}


def test_the_targets_are_the_issues_and_use_the_ratios_of_medians() -> None:
    results = [
        _result(0, "cmscore --help", 0.08, 0.08),
        _result(1000, bench.SCORE, 0.3, 0.3), _result(1000, bench.PANDAS, 0.96, 1.0),
        _result(20000, bench.SCORE, 2.0, 2.0), _result(20000, bench.PANDAS, 10.7, 10.0),
        _result(20000, bench.POLARS, 3.8, 3.8), _result(20000, bench.FLOOR, 0.74, 0.7),
        _result(100000, bench.SCORE, 6.0, 6.0, pss=520.0),
        _result(100000, bench.PANDAS, 61.0, 60.0), _result(100000, bench.POLARS, 20.0, 20.0),
        _result(100000, bench.FLOOR, 3.3, 3.3),
    ]
    got = _verdicts(results)
    assert got["1k score --json ≥ 3× faster than peer (pandas)"] == ("PASS", 3.2)
    assert got["20k score --json ≥ 6× faster than peer (pandas)"][0] == "FAIL"  # 5.35×
    assert got["100k score --json ≥ 10× faster than peer (pandas)"][0] == "PASS"
    assert got["20k score --json ≥ 2× faster than peer (polars)"] == ("FAIL", 1.9)
    assert got["100k score --json ≥ 2× faster than peer (polars)"][0] == "PASS"
    assert got["20k score --json ≤ 2.5× the floor"][0] == "FAIL"  # 2.7×
    assert got["100k score --json ≤ 2.5× the floor"][0] == "PASS"  # 1.8×
    assert got["100k score --json peak memory ≤ 500 MB"] == ("FAIL", 520.0)
    assert got["cmscore --help ≤ 0.1 s"] == ("PASS", 0.08)
    assert got["grade/payroll over 100k × 12 ≤ 1.5 s"][0] == "NOT MEASURED"


def test_a_size_not_run_is_not_measured_rather_than_passed() -> None:
    got = _verdicts([_result(1000, bench.SCORE, 0.3, 0.3), _result(1000, bench.PANDAS, 1.2, 1.2)])
    assert got["1k score --json ≥ 3× faster than peer (pandas)"][0] == "PASS"
    assert {v for k, (v, _) in got.items() if not k.startswith("1k")} == {"NOT MEASURED"}
