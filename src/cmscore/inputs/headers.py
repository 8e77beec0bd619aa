"""An export's header row: where it is, and which column each rule item reads.

Headers are compared after NFKC, without spaces and without a trailing unit in brackets
(「放款金额（万元）」 is 放款金额); a second header row of item names under group labels is
merged in. Every missing, unknown or repeated column is a Problem naming what the rule
files accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from cmscore.inputs.sources import Grid, column_letter
from cmscore.numbers import clean_text, quote
from cmscore.problems import Problem
from cmscore.rules.ruleset import DEFAULT_DIR, Item, RuleSet, Table

_UNIT_SUFFIX = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")


def normalise_header(text: object) -> str:
    """「 放款金额（万元）」 → 放款金额: NFKC, no spaces, no trailing unit in brackets."""
    cleaned = clean_text(text)
    stripped = _UNIT_SUFFIX.sub("", cleaned)
    return stripped or cleaned


@dataclass
class Plan:
    """Where each item role of one table is read from: (item, role) → column index."""

    table: Table
    columns: dict[tuple[str, str], int]


def find_header(grid: Grid, rules: RuleSet) -> int | None:
    """Index of the first row naming every identity column, or None."""
    wanted = [{normalise_header(a) for a in aliases} for aliases in rules.export.identity.values()]
    for i, row in enumerate(grid.rows[: rules.export.header_search_rows]):
        names = {normalise_header(c) for c in row}
        if all(names & w for w in wanted):
            return i
    return None


def plan_columns(grid: Grid, header: list[object], rules: RuleSet, tables: list[Table],
                 file_name: str, header_row: int
                 ) -> tuple[dict[str, int], dict[str, Plan], list[Problem]]:
    index: dict[str, int] = {}
    repeated: list[int] = []  # a second column with the same name would be silently ignored
    for j, cell in enumerate(header):
        name = normalise_header(cell)
        if name and name not in index:
            index[name] = j
        elif name:
            repeated.append(j)
    names = [clean_text(c) for c in header if clean_text(c)]
    shown = "、".join(n if len(n) <= 40 else n[:40] + "…" for n in names[:60]) + \
        ("等" if len(names) > 60 else "")
    problems: list[Problem] = []
    at = partial(Problem, file=file_name, sheet=grid.sheet, row=header_row)

    def find(aliases: list[str]) -> int | None:
        for alias in aliases:
            j = index.get(normalise_header(alias))
            if j is not None:
                return j
        return None

    identity: dict[str, int] = {}
    for key, aliases in rules.export.identity.items():
        at_column = find(aliases)
        assert at_column is not None  # find_header guarantees it
        identity[key] = at_column
    known = {normalise_header(a) for v in rules.export.identity.values() for a in v}
    known |= {normalise_header(a) for a in rules.export.ignore_columns}
    for table in rules.tables.values():
        for item in table.items:
            for aliases in _all_aliases(item):
                known |= {normalise_header(a) for a in aliases}
    tables_files = "、".join(rule_file(rules, t.category) for t in tables) or "计分表"
    for name, j in index.items():
        if name not in known:
            problems.append(at(f"未知列{quote(clean_text(header[j]))}：规则文件中没有项目读取它。"
                               f"{_setup_first(rules)}如是无关列，请把它加入 "
                               f"{rule_file(rules, 'export')} 的 ignore_columns；如是业务列，"
                               f"请把它加入 {tables_files} 中对应项目 columns 的别名"
                               f"（当前规则：cmscore rules show）",
                               column=clean_text(header[j])))
    ignored = {normalise_header(a) for a in rules.export.ignore_columns}
    for j in repeated:
        name = normalise_header(header[j])
        if name in known and name not in ignored:
            first = index[name]
            problems.append(at(f"列{quote(clean_text(header[j]))}（{column_letter(j)} 列）与 "
                               f"{column_letter(first)} 列{quote(clean_text(header[first]))}"
                               "是同一列名；请只保留一列", column=clean_text(header[j])))
    plans: dict[str, Plan] = {}
    for table in tables:
        cols: dict[tuple[str, str], int] = {}
        for item in table.items:
            found, missing = _resolve_item(item, find)
            cols.update({(item.id, role): j for role, j in found.items()})
            if missing:
                where = "client_tiers 的 columns" if item.kind == "per_client" else "columns"
                problems.append(at(f"找不到列 {missing}（{table.table} {table.category}）；"
                                   f"表头为：{shown}；规则项目 {item.id} 接受：{_accepts(item)}。"
                                   f"{_setup_first(rules)}如导出文件用的是别的列名，请把它加入 "
                                   f"{rule_file(rules, table.category)} 中项目 {item.id} 的 "
                                   f"{where}（当前规则：cmscore rules show）", column=missing))
        plans[table.category] = Plan(table, cols)
    return identity, plans, problems


def _shipped(rules: RuleSet) -> bool:
    return Path(rules.directory).resolve() == DEFAULT_DIR.resolve()


def rule_file(rules: RuleSet, key: str) -> str:
    """The rule file that holds ``key`` ("export" or a category), as the office would
    type it from the working folder; ``rules/…`` for the shipped rules, since those are
    edited in the copy ``cmscore init`` makes, never inside the installed package."""
    name = rules.files.get(key, f"{key}.yaml")
    if _shipped(rules):
        return f"rules/{name}"
    path = Path(rules.directory) / name
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _setup_first(rules: RuleSet) -> str:
    if not _shipped(rules):
        return ""
    return ("当前使用的是随工具发布的规则（装在程序里，不能修改）：请先运行 cmscore init "
            "建立本机构的工作目录，再在那里修改。")


def _all_aliases(item: Item) -> list[list[str]]:
    return list(item.columns.values()) + [t.columns for t in item.client_tiers]


def _accepts(item: Item) -> str:
    if item.kind == "per_client":
        return "；".join(f"{t.label}：{'、'.join(t.columns)}" for t in item.client_tiers)
    return "；".join(f"{role}：{'、'.join(a)}" for role, a in item.columns.items())


def _resolve_item(item: Item, find) -> tuple[dict[str, int], str]:  # type: ignore[no-untyped-def]
    """Which columns serve this item, or the name of what is missing."""
    if item.kind == "per_client":
        found = {t.label: find(t.columns) for t in item.client_tiers}
        missing = [t.columns[0] for t in item.client_tiers if found[t.label] is None]
        return {k: v for k, v in found.items() if v is not None}, "、".join(missing)
    cols = {role: find(aliases) for role, aliases in item.columns.items()}
    if item.kind == "tiered":
        if cols.get("ratio") is not None:
            return {"ratio": cols["ratio"]}, ""  # type: ignore[dict-item]
        if cols.get("numerator") is not None and cols.get("denominator") is not None:
            return {"numerator": cols["numerator"], "denominator": cols["denominator"]}, ""  # type: ignore[dict-item]
        c = item.columns
        return {}, f"{c['ratio'][0]}（或 {c['numerator'][0]} + {c['denominator'][0]}）"
    if item.basis == "vs_baseline" and cols.get("increase") is not None:
        return {"increase": cols["increase"]}, ""  # type: ignore[dict-item]
    if cols.get("value") is None:
        alt = f"（或 {item.columns['increase'][0]}）" if "increase" in item.columns else ""
        return {}, f"{item.columns['value'][0]}{alt}"
    return {r: j for r, j in cols.items() if j is not None and r != "increase"}, ""


def merged_header(grid: Grid, header_at: int, rules: RuleSet) -> tuple[list[object], int]:
    """The header, merging a second header row (group labels above, item names below).

    Returns the header cells and the index of the first data row.
    """
    top = list(grid.rows[header_at])
    below = grid.rows[header_at + 1] if header_at + 1 < len(grid.rows) else []
    business = {normalise_header(a) for t in rules.tables.values() for i in t.items
                for aliases in _all_aliases(i) for a in aliases}
    if not any(normalise_header(c) in business for c in below):
        return top, header_at + 1
    width = max(len(top), len(below))
    top += [""] * (width - len(top))
    merged = [below[j] if j < len(below) and clean_text(below[j]) else top[j]
              for j in range(width)]
    return merged, header_at + 2
