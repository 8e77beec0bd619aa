"""The ``kind: export`` file (the core system's export: identity columns, markers, limits,
category aliases) and the ``kind: payroll`` file (pay per grade, the salary system's import
codes): their models, strict like the scoring tables'."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

from cmscore.numbers import clean_name
from cmscore.rules.bounds import Amount, Core, Headers
from cmscore.rules.strict import Strict


@dataclass(frozen=True, kw_only=True)
class Limits(Strict):
    """Bounds on an input file, checked before any parser runs (see preflight.py)."""

    max_file_mb: Annotated[int, Core(ge=1)] = 200
    max_members: Annotated[int, Core(ge=1)] = 1000
    max_inflated_mb: Annotated[int, Core(ge=1)] = 256
    max_ratio: Annotated[int, Core(ge=2)] = 100
    max_rows: Annotated[int, Core(ge=1)] = 1_048_576
    max_columns: Annotated[int, Core(ge=1)] = 200
    max_cells: Annotated[int, Core(ge=1)] = 10_000_000  # rows × columns the parser would allocate
    # The largest figure (amount, count, balance) a cell may hold, either sign. The store
    # keeps figures in millionths in SQLite's 64-bit integers, hence the bound on the bound.
    max_figure: Annotated[int, Core(ge=1, le=9 * 10**12)] = 10**10


@dataclass(frozen=True, kw_only=True)
class RosterChecks(Strict):
    """When a month's 人员变动 against the previous stored month is refused."""

    # More than this share of the month's 工号 new (not in the previous month) is refused.
    max_new_share: Annotated[Decimal, Core(ge=0, le=1)] = Decimal("0.5")
    # A category that had managers in the previous month and has none now is refused.
    category_may_vanish: bool = False


@dataclass(frozen=True, kw_only=True)
class Export(Strict):
    """How the core system's export looks: identity columns, rows to skip, limits."""

    kind: Literal["export"]
    identity: dict[Literal["id", "name", "branch", "category"], Headers]
    total_markers: list[str] = field(default_factory=lambda: ["合计", "总计", "小计"])
    ignore_columns: list[str] = field(default_factory=list)
    header_search_rows: Annotated[int, Core(ge=1)] = 30
    blank_is_zero: bool = True
    limits: Limits = field(default_factory=Limits)
    # category → other values of the 类别 column that mean it (「支行客户经理」 → 支行)
    category_aliases: dict[str, list[str]] = field(default_factory=dict)
    # What a 工号 looks like: a spreadsheet re-saving the export turns 011771 into the
    # number 11771; an all-digit 工号 shorter than id_width gets its zeros back, and one
    # that then does not match id_pattern is refused, naming the leading zeros.
    id_width: Annotated[int, Core(ge=1, le=30)] | None = None
    id_pattern: Annotated[str, Core(min_length=1, max_length=200)] | None = None
    roster: RosterChecks = field(default_factory=lambda: RosterChecks())

    def __post_init__(self) -> None:  # after pydantic's checks of each field
        missing = {"id", "name", "branch", "category"} - set(self.identity)
        if missing:
            raise ValueError(f"identity 缺少 {sorted(missing)}")
        if self.id_pattern is not None:
            try:
                re.compile(self.id_pattern)
            except re.error as e:
                raise ValueError(f"id_pattern 不是有效的正则表达式：{e}") from None
        seen: dict[str, str] = {}
        for category, aliases in self.category_aliases.items():
            for alias in aliases:
                key = clean_name(alias)
                if key in seen:
                    raise ValueError(f"category_aliases: 「{alias}」同时写在 {seen[key]} 与 "
                                     f"{category} 之下")
                seen[key] = category

    def category_of(self) -> dict[str, str]:
        """A 类别 cell's value (as ``clean_name`` leaves it) → the category it means."""
        return {clean_name(a): c for c, aliases in self.category_aliases.items() for a in aliases}


@dataclass(frozen=True, kw_only=True)
class GradePay(Strict):
    """履职绩效工资 per grade; every grade must be there (第十条)."""

    # Named as grading.yaml and the regulation name them; first/second/third are
    # accepted too, as they were when the grades had English names and Chinese aliases.
    一级: Amount
    二级: Amount
    三级: Amount

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(_named, handler(source))

    @property
    def first(self) -> Decimal:
        return self.一级

    @property
    def second(self) -> Decimal:
        return self.二级

    @property
    def third(self) -> Decimal:
        return self.三级

    def __getitem__(self, grade: str) -> Decimal:
        return {"一级": self.一级, "二级": self.二级, "三级": self.三级}[grade]


ENGLISH = {"first": "一级", "second": "二级", "third": "三级"}


def _named(data: Any) -> Any:
    """first/second/third read as 一级/二级/三级. Beside its Chinese key an English one is
    left as it is, to be refused as an unknown key on its own line: two amounts for one
    grade must not pass with one of them dropped."""
    if isinstance(data, dict):
        data = {ENGLISH[k] if k in ENGLISH and ENGLISH[k] not in data else k: v
                for k, v in data.items()}
    return data


@dataclass(frozen=True, kw_only=True)
class ImportColumns(Strict):
    """The salary system's column names, in the order of the import file."""

    id: Annotated[str, Core(min_length=1)] = "工号"
    name: Annotated[str, Core(min_length=1)] = "姓名"
    code: Annotated[str, Core(min_length=1)] = "工资项目代码"
    amount: Annotated[str, Core(min_length=1)] = "金额"


@dataclass(frozen=True, kw_only=True)
class ImportCodes(Strict):
    """The salary system's pay-item code for each amount cmscore computes."""

    pay: Annotated[str, Core(min_length=1)] = "JX01"  # 客户经理月度应得工资（第十一条）
    risk_fund_release: Annotated[str, Core(min_length=1)] = "JX02"  # 风险金发放（12 月）
    supervisor_fixed: Annotated[str, Core(min_length=1)] = "GW01"  # 主管履职岗位工资固定部分
    supervisor_linked: Annotated[str, Core(min_length=1)] = "JX03"  # 主管挂钩部分（第十二条）
    restatement: Annotated[str, Core(min_length=1)] = "JX04"  # 以前月份补发/扣回（更正后）


@dataclass(frozen=True, kw_only=True)
class SalaryImport(Strict):
    """工资导入-YYYY-MM.csv / .xlsx: one row per person and pay item."""

    columns: ImportColumns = field(default_factory=ImportColumns)
    codes: ImportCodes = field(default_factory=ImportCodes)


@dataclass(frozen=True, kw_only=True)
class Payroll(Strict):
    kind: Literal["payroll"]
    grades: GradePay
    transition: Amount
    supervisor_link_share: Annotated[Decimal, Core(ge=0, le=1)]
    salary_import: SalaryImport = field(default_factory=SalaryImport)
    # Managers of the categories outside grading.yaml's pool (分行个金, 分行公司) are 一级 from
    # the month they are in such a category (第六条): paid the 一级 amount, in the transition
    # too (first_grade), or the transition amount before the first grading (transition).
    non_pool_in_transition: Literal["first_grade", "transition"] = "first_grade"
    # A supervisor whose 机构 has no managers in the pay month (第十二条 has nothing to link
    # to): the linked part at 100% (full) or not paid (zero); a warning either way.
    supervisor_empty_scope: Literal["full", "zero"] = "full"
    # The risk fund of a manager who left during the year (no December, so 年末无不良 cannot
    # be checked for him): kept in the ledger until December and then 扣收 (hold_to_year_end),
    # or 扣收 in the first month he is gone (forfeit); either way 提请领导小组研究.
    leaver_risk_fund: Literal["hold_to_year_end", "forfeit"] = "hold_to_year_end"
