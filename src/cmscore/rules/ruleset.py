"""Rule files: YAML → validated pydantic models, every problem with ``file:line``.

A rule directory holds one ``kind: table`` file per scoring table (附件1–3), one
``kind: export`` file describing the core system's export, and one
``kind: payroll`` file with the pay amounts. Banks adapt cmscore by editing these.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from cmscore.numbers import clean_name
from cmscore.problems import Problem
from cmscore.rules import bounds, compiled, yamlsafe
from cmscore.rules.bounds import FIGURE_MAX, HUNDRED, POINTS_MAX, Core, Points, Ratio, within
from cmscore.rules.files import ENGLISH, Export, Payroll
from cmscore.rules.grading import Grading
from cmscore.rules.strict import Strict, validate
from cmscore.rules.yamlsafe import RuleFileError

DEFAULT_DIR = Path(__file__).parent / "shipped"


@dataclass(frozen=True, kw_only=True)
class Tier(Strict):
    """One interval of a ratio with its points; bounds are explicit (SPEC §4.4)."""

    eq: Ratio | None = None
    gt: Ratio | None = None
    ge: Ratio | None = None
    lt: Ratio | None = None
    le: Ratio | None = None
    points: Points

    def __post_init__(self) -> None:  # after pydantic's checks of each field
        if self.eq is not None and any(b is not None for b in (self.gt, self.ge, self.lt, self.le)):
            raise ValueError("eq 不能与 gt/ge/lt/le 同时使用")
        if self.gt is not None and self.ge is not None:
            raise ValueError("gt 与 ge 只能写一个")
        if self.lt is not None and self.le is not None:
            raise ValueError("lt 与 le 只能写一个")
        (lo, lo_in), (hi, hi_in) = self.low, self.high
        if hi is not None and (lo > hi or (lo == hi and not (lo_in and hi_in))):
            raise ValueError(f"这一档是空的：下限 {lo} 不小于上限 {hi}")

    @property
    def low(self) -> tuple[Decimal, bool]:
        """(lower bound, inclusive?)."""
        if self.eq is not None:
            return self.eq, True
        if self.gt is not None:
            return self.gt, False
        return (self.ge if self.ge is not None else Decimal(0)), True

    @property
    def high(self) -> tuple[Decimal | None, bool]:
        """(upper bound or None for unbounded, inclusive?)."""
        if self.eq is not None:
            return self.eq, True
        if self.lt is not None:
            return self.lt, False
        return self.le, self.le is not None

    def contains(self, x: Decimal) -> bool:
        lo, lo_in = self.low
        hi, hi_in = self.high
        above = x > lo or (lo_in and x == lo)
        below = hi is None or x < hi or (hi_in and x == hi)
        return above and below

    def label(self) -> str:
        lo, lo_in = self.low
        hi, hi_in = self.high
        if self.eq is not None:
            return f"= {pct(self.eq)}"
        left = f"{'≥' if lo_in else '>'} {pct(lo)}"
        return left if hi is None else f"{left} 且 {'≤' if hi_in else '<'} {pct(hi)}"


def pct(ratio: Decimal) -> str:
    return f"{(ratio * HUNDRED).normalize():f}%"


@dataclass(frozen=True, kw_only=True)
class ClientTier(Strict):
    """代发工资: a count column of clients in one headcount band, each worth ``points``."""

    label: str
    columns: bounds.Headers
    points: Points


@dataclass(frozen=True, kw_only=True)
class Item(Strict):
    id: Annotated[str, Core(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str
    full: Annotated[Decimal, within(Decimal(0), HUNDRED)]
    cap: Points
    kind: Literal["linear", "tiered", "per_client"]
    basis: Literal["monthly", "vs_baseline"] = "monthly"
    rate: Annotated[Decimal, within(Decimal(0), POINTS_MAX, above=True)] | None = None
    unit: Annotated[Decimal, within(Decimal(0), FIGURE_MAX, above=True)] | None = None
    unit_label: str = ""
    baseline_label: str = "上年末"  # how explanations name the baseline
    whole_units: bool = False
    early_completion: bool = False
    annual_task: Annotated[Decimal, within(Decimal(0), FIGURE_MAX, above=True)] | None = None
    risk_fund: bool = False
    # role → accepted headers, first one canonical: value/baseline/increase, ratio/numerator/denominator
    columns: dict[Literal["value", "baseline", "increase", "ratio", "numerator", "denominator"],
                  bounds.Headers] = field(default_factory=dict)
    tiers: list[Tier] = field(default_factory=list)
    client_tiers: list[ClientTier] = field(default_factory=list)

    def __post_init__(self) -> None:  # after pydantic's checks of each field
        if self.full > self.cap:
            raise ValueError(f"满分 full={self.full} 大于高限 cap={self.cap}")
        # A tier or a client worth more than the cap would be clamped to it without a word.
        worth = [t.points for t in self.tiers] + [t.points for t in self.client_tiers]
        for n, points in enumerate(worth, start=1):
            if points > self.cap:
                raise ValueError(f"第 {n} 档 points={points} 大于高限 cap={self.cap}"
                                 "（计分时会被截到高限）")
        roles = set(self.columns)
        if self.kind == "linear":
            if self.rate is None or self.unit is None:
                raise ValueError("linear 项目必须写 rate 与 unit")
            need = {"value"} if self.basis == "monthly" else None
            if need and roles != need:
                raise ValueError("monthly 项目的 columns 只能有 value")
            if self.basis == "vs_baseline" and not ({"value", "increase"} & roles
                                                    and roles <= {"value", "baseline", "increase"}):
                raise ValueError("vs_baseline 项目的 columns 需要 value（及 baseline）或 increase")
        elif self.kind == "tiered":
            if not self.tiers:
                raise ValueError("tiered 项目必须写 tiers")
            if not ("ratio" in roles or {"numerator", "denominator"} <= roles) or \
                    roles - {"ratio", "numerator", "denominator"}:
                raise ValueError("tiered 项目的 columns 需要 ratio，或 numerator 与 denominator")
            _check_tiers(self.tiers)
        else:
            if not self.client_tiers or roles:
                raise ValueError("per_client 项目只写 client_tiers（每档一列），不写 columns")
        if self.early_completion and not (self.kind == "linear" and self.basis == "monthly"
                                          or self.kind == "per_client"):
            raise ValueError("提前完成（early_completion）只适用于 linear + monthly 项目"
                             "和 per_client（代发工资）项目")
        if self.early_completion and self.kind == "per_client" and self.annual_task is None:
            # Per-client tiers have no 「月度任务」 to multiply by 12 (2 small clients or 1
            # large one both earn the full 6): the year's count is the office's to say.
            raise ValueError("per_client 项目参加提前完成须写 annual_task（年度任务，代发户数）")
        if self.risk_fund and self.kind != "tiered":
            raise ValueError("风险金（risk_fund）只适用于 tiered 项目")

    @property
    def monthly_task(self) -> Decimal:
        """The month's figure that earns the full score (SPEC §4.3)."""
        assert self.rate is not None and self.unit is not None
        return self.full * self.unit / self.rate

    @property
    def yearly_task(self) -> Decimal:
        return self.annual_task if self.annual_task is not None else 12 * self.monthly_task


def _check_tiers(tiers: list[Tier]) -> None:
    lo, lo_in = tiers[0].low
    if lo != 0 or not lo_in:
        raise ValueError("第一档必须从 0（含）开始")
    for i, (a, b) in enumerate(zip(tiers, tiers[1:], strict=False), start=1):
        a_hi, a_in = a.high
        b_lo, b_in = b.low
        if a_hi is None or b_lo < a_hi or (b_lo == a_hi and a_in and b_in):
            raise ValueError(f"第 {i} 档与第 {i + 1} 档重叠")
        if b_lo > a_hi or (b_lo == a_hi and not a_in and not b_in):
            raise ValueError(f"第 {i} 档与第 {i + 1} 档之间有空档")
    if tiers[-1].high[0] is not None:
        raise ValueError("最后一档必须没有上限")


@dataclass(frozen=True, kw_only=True)
class Group(Strict):
    id: str
    name: str
    full: Decimal
    items: Annotated[list[Item], Core(min_length=1)]

    def __post_init__(self) -> None:  # after pydantic's checks of each field
        total = sum((i.full for i in self.items), Decimal(0))
        if total != self.full:
            raise ValueError(f"{self.name} 各项满分之和 {total} ≠ 组满分 {self.full}")


@dataclass(frozen=True, kw_only=True)
class Table(Strict):
    kind: Literal["table"]
    table: str
    category: str
    title: str
    groups: Annotated[list[Group], Core(min_length=1)]

    def __post_init__(self) -> None:  # after pydantic's checks of each field
        total = sum((g.full for g in self.groups), Decimal(0))
        if total != HUNDRED:
            raise ValueError(f"各组满分之和为 {total}，应为 100")
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise ValueError(f"项目 id 重复：{item.id}")
            seen.add(item.id)

    @property
    def items(self) -> list[Item]:
        return [item for group in self.groups for item in group.items]


@dataclass(frozen=True, kw_only=True)
class RuleSet(Strict):
    """Every rule in effect: built from checked files (never validated itself), cached."""

    directory: str
    tables: dict[str, Table]  # category → table
    export: Export
    payroll: Payroll
    hashes: dict[str, str]  # file name → sha256
    grading: Grading = field(default_factory=Grading)  # the shipped policy when no file
    # Which file holds what: "export", "payroll" or a category → file name, so a message
    # can name the file to edit.
    files: dict[str, str] = field(default_factory=dict)

    def table_for(self, category: str) -> Table | None:
        return self.tables.get(category)

    def scoring(self, hashes: dict[str, str]) -> dict[str, str]:
        """``hashes`` without the payroll and grading files': whether a month scores the same
        does not depend on pay bases, the salary system's codes or the grading policy."""
        apart = {self.files.get("payroll"), self.files.get("grading")}  # pay, not scores
        return {name: h for name, h in hashes.items() if name not in apart}


_MODELS: dict[str, type[Strict]] = {"table": Table, "export": Export, "payroll": Payroll,
                                        "grading": Grading}


def load_file(path: Path) -> Strict:
    return _load(path)[0]


def _load(path: Path, text: str | None = None) -> tuple[Strict, yamlsafe.Lines]:
    from pydantic import ValidationError

    data, lines = yamlsafe.load(path, text)
    if not isinstance(data, dict) or data.get("kind") not in _MODELS:
        raise RuleFileError([Problem(f"{path.name}:1: 顶层必须是映射，并写 kind: "
                                     f"table / export / payroll / grading")])
    try:
        return validate(_MODELS[data["kind"]], data), lines
    except ValidationError as exc:
        raise RuleFileError([_locate(path.name, err, lines) for err in exc.errors()]) from exc


def _check_aliases(export: Export, tables: dict[str, Table], name: str,
                   lines: yamlsafe.Lines) -> list[Problem]:
    """Each alias names a category that has a table, and is not itself such a category."""
    problems = []
    for category, aliases in export.category_aliases.items():
        at = f"{name}:{lines.get(('category_aliases', category), 1)}: category_aliases.{category}"
        if category not in tables:
            problems.append(Problem(f"{at}: 没有类别为 {category} 的规则表；"
                                    f"可用类别：{'、'.join(tables)}"))
        problems += [Problem(f"{at}: 「{alias}」本身就是一个类别，不能作为别名")
                     for alias in aliases if clean_name(alias) in tables]
    return problems


def _check_pool(grading: Grading, tables: dict[str, Table], name: str,
                lines: yamlsafe.Lines) -> list[Problem]:
    """Each pool category has a table: a renamed category must not empty the pool (every
    manager would be 一级 without a word)."""
    at = f"{name}:{lines.get(('pool',), 1)}: pool" if name else \
        "规则目录中没有 grading.yaml（kind: grading），按默认定级范围 支行"
    return [Problem(f"{at}: 没有类别为 {category} 的规则表；可用类别：{'、'.join(tables)}；"
                    f"请在 grading.yaml 的 pool 中写定级类别")
            for category in grading.pool if category not in tables]


def _locate(name: str, err: Any, lines: yamlsafe.Lines) -> Problem:
    said = tuple(err["loc"])
    # A grade the file names in English (second: …) is read as 二级: said as written.
    english = {chinese: key for key, chinese in ENGLISH.items()}
    if said and said not in lines and said[-1] in english and \
            (*said[:-1], english[said[-1]]) in lines:
        said = (*said[:-1], english[said[-1]])
    loc = said
    while loc and loc not in lines:
        loc = loc[:-1]
    line = lines.get(loc, 1)
    field = ".".join(str(p) for p in said) or "(顶层)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "dataclass_type":  # as pydantic says it of a model
        msg = f"Input should be a valid dictionary or instance of {err['ctx']['class_name']}"
    if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        msg = "未知的键（拼写错误？）"
    elif err["type"] in _SAID:  # pydantic's English, in the office's words
        ctx = dict(err.get("ctx", {}))
        if "expected" in ctx:  # "'half_up' or 'down'" → half_up、down
            ctx["expected"] = "、".join(x.strip(" '") for x in
                                        str(ctx["expected"]).replace(" or ", ",").split(","))
        msg = _SAID[err["type"]].format(**ctx)
        given = err.get("input")
        if isinstance(given, str | int | float | bool):
            msg += f"（现为 {given}）"
    return Problem(f"{name}:{line}: {field}: {msg}")


_SAID = {"greater_than_equal": "应不小于 {ge}", "greater_than": "应大于 {gt}",
         "less_than_equal": "应不大于 {le}", "less_than": "应小于 {lt}",
         "int_parsing": "应为整数", "int_from_float": "应为整数", "decimal_parsing": "应为数字",
         "bool_parsing": "应为 true 或 false", "missing": "缺少这个键",
         "literal_error": "应为 {expected} 之一", "too_short": "至少要有 {min_length} 项",
         "string_type": "应为文字", "list_type": "应为列表"}


def load_rules(directory: Path | None = None) -> RuleSet:
    """Load and cross-check every ``*.yaml`` in ``directory``; raise with all problems.

    Rules checked once are taken from the compiled-rules cache (``rules.compiled``) while
    their files' bytes are the same; the bytes hashed are the bytes checked."""
    directory = directory or DEFAULT_DIR
    files = sorted(directory.glob("*.yaml"))
    raw = {p.name: p.read_bytes() for p in files}
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in raw.items()}
    entry = compiled.key(directory, hashes)
    cached = compiled.read(entry)
    if isinstance(cached, RuleSet):
        return cached
    rules = _check_rules(directory, files, raw, hashes)
    compiled.write(entry, rules)
    return rules


def _check_rules(directory: Path, files: list[Path], raw: dict[str, bytes],
                 hashes: dict[str, str]) -> RuleSet:
    problems: list[Problem] = []
    tables: dict[str, Table] = {}
    export: Export | None = None
    payroll: Payroll | None = None
    grading: Grading | None = None
    grading_at: tuple[str, yamlsafe.Lines] = ("", {})
    export_at: tuple[str, yamlsafe.Lines] = ("", {})
    where: dict[str, str] = {}
    for path in files:
        try:
            model, lines = _load(path, _text(path, raw[path.name]))
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(model, Table):
            if model.category in tables:
                problems.append(Problem(f"{path.name}:1: 类别 {model.category} 已由另一个规则文件定义"))
            tables[model.category] = model
            where[model.category] = path.name
        elif isinstance(model, Export):
            export, export_at = model, (path.name, lines)
            where["export"] = path.name
        elif isinstance(model, Payroll):
            payroll = model
            where["payroll"] = path.name
        elif isinstance(model, Grading):
            grading, grading_at = model, (path.name, lines)
            where["grading"] = path.name
    if not files:
        problems.append(Problem(f"规则目录 {directory} 中没有 .yaml 文件"))
    elif not problems:
        for what, found in (("table", tables), ("export", export), ("payroll", payroll)):
            if not found:
                problems.append(Problem(f"规则目录 {directory} 缺少 kind: {what} 的文件"))
        if export is not None:
            problems += _check_aliases(export, tables, *export_at)
        problems += _check_pool(grading or Grading(), tables, *grading_at)
    if problems:
        raise RuleFileError(problems)
    assert export is not None and payroll is not None
    return RuleSet(directory=str(directory), tables=tables, export=export, payroll=payroll,
                   hashes=hashes, files=where, grading=grading or Grading())


def _text(path: Path, data: bytes) -> str:
    """A rule file's text, as ``Path.read_text(encoding="utf-8")`` would give it."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
