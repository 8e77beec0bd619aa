"""The ``kind: export`` file (the core system's export: identity columns, markers, limits,
category aliases) and the ``kind: payroll`` file (pay per grade, the salary system's import
codes): their models, strict like the scoring tables'."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from cmscore.numbers import clean_name
from cmscore.rules.bounds import Amount
from cmscore.rules.strict import Strict


class Limits(Strict):
    """Bounds on an input file, checked before any parser runs (see preflight.py)."""

    max_file_mb: int = Field(default=200, ge=1)
    max_members: int = Field(default=1000, ge=1)
    max_inflated_mb: int = Field(default=256, ge=1)
    max_ratio: int = Field(default=100, ge=2)
    max_rows: int = Field(default=1_048_576, ge=1)
    max_columns: int = Field(default=200, ge=1)
    max_cells: int = Field(default=10_000_000, ge=1)  # rows × columns the parser would allocate
    # The largest figure (amount, count, balance) a cell may hold, either sign. The store
    # keeps figures in millionths in SQLite's 64-bit integers, hence the bound on the bound.
    max_figure: int = Field(default=10**10, ge=1, le=9 * 10**12)


class RosterChecks(Strict):
    """When a month's 人员变动 against the previous stored month is refused."""

    # More than this share of the month's 工号 new (not in the previous month) is refused.
    max_new_share: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)
    # A category that had managers in the previous month and has none now is refused.
    category_may_vanish: bool = False


class Export(Strict):
    """How the core system's export looks: identity columns, rows to skip, limits."""

    kind: Literal["export"]
    identity: dict[Literal["id", "name", "branch", "category"], list[str]]
    total_markers: list[str] = Field(default_factory=lambda: ["合计", "总计", "小计"])
    ignore_columns: list[str] = Field(default_factory=list)
    header_search_rows: int = Field(default=30, ge=1)
    blank_is_zero: bool = True
    limits: Limits = Field(default_factory=Limits)
    # category → other values of the 类别 column that mean it (「支行客户经理」 → 支行)
    category_aliases: dict[str, list[str]] = Field(default_factory=dict)
    # What a 工号 looks like: a spreadsheet re-saving the export turns 011771 into the
    # number 11771; an all-digit 工号 shorter than id_width gets its zeros back, and one
    # that then does not match id_pattern is refused, naming the leading zeros.
    id_width: int | None = Field(default=None, ge=1, le=30)
    id_pattern: str | None = Field(default=None, min_length=1, max_length=200)
    roster: RosterChecks = Field(default_factory=lambda: RosterChecks())

    @model_validator(mode="after")
    def _identity(self) -> Export:
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
        return self

    def category_of(self) -> dict[str, str]:
        """A 类别 cell's value (as ``clean_name`` leaves it) → the category it means."""
        return {clean_name(a): c for c, aliases in self.category_aliases.items() for a in aliases}


class GradePay(Strict):
    """履职绩效工资 per grade; every grade must be there (第十条)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)
    first: Amount = Field(alias="一级")
    second: Amount = Field(alias="二级")
    third: Amount = Field(alias="三级")

    def __getitem__(self, grade: str) -> Decimal:
        return {"一级": self.first, "二级": self.second, "三级": self.third}[grade]


class ImportColumns(Strict):
    """The salary system's column names, in the order of the import file."""

    id: str = Field(default="工号", min_length=1)
    name: str = Field(default="姓名", min_length=1)
    code: str = Field(default="工资项目代码", min_length=1)
    amount: str = Field(default="金额", min_length=1)


class ImportCodes(Strict):
    """The salary system's pay-item code for each amount cmscore computes."""

    pay: str = Field(default="JX01", min_length=1)  # 客户经理月度应得工资（第十一条）
    risk_fund_release: str = Field(default="JX02", min_length=1)  # 风险金发放（12 月）
    supervisor_fixed: str = Field(default="GW01", min_length=1)  # 主管履职岗位工资固定部分
    supervisor_linked: str = Field(default="JX03", min_length=1)  # 主管挂钩部分（第十二条）
    restatement: str = Field(default="JX04", min_length=1)  # 以前月份补发/扣回（更正后）


class SalaryImport(Strict):
    """工资导入-YYYY-MM.csv / .xlsx: one row per person and pay item."""

    columns: ImportColumns = Field(default_factory=ImportColumns)
    codes: ImportCodes = Field(default_factory=ImportCodes)


class Payroll(Strict):
    kind: Literal["payroll"]
    grades: GradePay
    transition: Amount
    supervisor_link_share: Decimal = Field(ge=0, le=1)
    salary_import: SalaryImport = Field(default_factory=SalaryImport)
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
