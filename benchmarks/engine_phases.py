"""The engine's phases of `score --json` in-process: scoring, the 明细 sentences and the
JSON document, CPU seconds, median of N runs (other work shares the machine).

Reads the export once (not timed), then, N times each: `score_month` (no history),
the 明细 sheet's columns including the 计分说明 sentences (every block, as the workbook
writer takes them), and `scores_json` encoded as `score --json` prints it.

    .venv/bin/python benchmarks/engine_phases.py benchmarks/out/export-20000-2026-10-v1.xlsx [--runs 3]
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cmscore.engine.scoring import MonthScores, score_month
from cmscore.inputs.reader import read_export
from cmscore.outputs import scorejson
from cmscore.outputs import scores as out_scores
from cmscore.rules.ruleset import load_rules


def cpu(job: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.process_time()
    got = job()
    return time.process_time() - start, got


def detail(scores: MonthScores, rules: Any) -> int:
    _, blocks = out_scores._detail(scores, rules)  # noqa: SLF001 (the sheet as written)
    return sum(len(block[-1]) for block in blocks)


def as_json(scores: MonthScores, rules: Any) -> int:
    from cmscore import console

    doc = scorejson.scores_json(scores, rules)
    if hasattr(console, "json_text"):  # column-wise (issue 19)
        return len(console.json_text(doc))
    import json

    return len(json.dumps(doc, ensure_ascii=False, indent=1))


def main(argv: list[str]) -> None:
    path = Path(argv[0])
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    if hasattr(out_scores, "SENTENCES_MAX_MANAGERS"):  # code before issue 19: time the
        out_scores.SENTENCES_MAX_MANAGERS = 10**9      # sentences it dropped above 20,000
    rules = load_rules(None)
    export = read_export(path, rules, None)
    times: dict[str, list[float]] = {"score": [], "明细 (sentences)": [], "JSON": []}
    for _ in range(runs):
        t, scores = cpu(lambda: score_month(export, rules))
        times["score"].append(t)
        times["明细 (sentences)"].append(cpu(lambda s=scores: detail(s, rules))[0])
        times["JSON"].append(cpu(lambda s=scores: as_json(s, rules))[0])
    print(f"{path.name}: {len(export.managers)} managers, {runs} runs, CPU s")
    for label, got in times.items():
        print(f"{label:<18} median {statistics.median(got):6.2f}   "
              + " ".join(f"{x:.2f}" for x in got))


if __name__ == "__main__":
    main(sys.argv[1:])
