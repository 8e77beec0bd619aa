"""What the grade, payroll and review outputs share: the 运行记录 rows, two-place texts, and how long a terminal list may be."""

from __future__ import annotations

from cmscore.numbers import ZERO, fmt2, from_centi
from cmscore.store.db import RunRecord


class Texts(dict[int | None, str]):
    """Hundredths → their two-place text, as ``fmt2`` writes them."""

    def __missing__(self, key: int | None) -> str:
        value = self[key] = fmt2(ZERO if key is None else from_centi(key))
        return value


def record(run: RunRecord, extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    rows = [("命令", run.command), ("月份", run.month), ("工具版本", run.tool_version),
            ("运行时间", run.started_at), *extra]
    if run.file_name:
        rows += [("输入文件", run.file_name), ("文件 SHA-256", run.file_sha256)]
    return rows + [(f"规则文件 {n}", h) for n, h in sorted(run.rules.items())]


# A terminal list longer than this is cut (the workbook has every row): a national
# grading flags ~15k CMs, and printing them all took ~9 s and scrolled the totals away.
TERMINAL_ROWS = 50


def unlisted(count: int, where: str) -> str | None:
    if count <= TERMINAL_ROWS:
        return None
    return f"以上为前 {TERMINAL_ROWS} 名；另有 {count - TERMINAL_ROWS} 名未列出，全部见{where}"
