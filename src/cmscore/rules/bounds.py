"""The range each rule value may take, beyond which it can only be a slip of the keyboard.

A rule file drives payroll: ``cap: 1e400`` broke the arithmetic, a transition amount of
1e13 paid 240,377,000,000,000.00 元. Each bound is a type the models in ``ruleset`` use,
refused with ``file:line`` and a message in Chinese.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from cmscore.numbers import CONTROLS, clean_text

HUNDRED = Decimal(100)  # a table's full score, and the most any item's full can be
POINTS_MAX = Decimal(1000)  # cap, rate, a tier's or a client's points (full: 100)
FIGURE_MAX = Decimal(10**12)  # a unit or an annual task, in the export's units
PAY_MAX = Decimal(1_000_000)  # 元 a month: 履职绩效工资 of a grade or the transition


class Core:
    """Constraints pydantic-core checks itself (``ge``, ``le``, ``min_length``, ``pattern``…),
    as ``pydantic.Field`` would set them, with pydantic's error types (``_SAID`` says them
    in Chinese); a plain object, so the models need no pydantic until a file is checked."""

    def __init__(self, **constraints: Any) -> None:
        self.constraints = constraints

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema.update(self.constraints)
        return schema


class Check:
    """A check after pydantic's own (``AfterValidator``): its ValueError is the message."""

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.check, handler(source))


def within(low: Decimal, high: Decimal, *, above: bool = False) -> Check:
    """A bound with a message in Chinese; ``above``: the value must exceed ``low``."""
    def check(value: Decimal) -> Decimal:
        if (value <= low if above else value < low) or value > high:
            left = "(" if above else "["
            raise ValueError(f"{value} 超出允许范围 {left}{low}, {high}]")
        return value
    return Check(check)


Points = Annotated[Decimal, within(Decimal(0), POINTS_MAX)]
Ratio = Annotated[Decimal, within(Decimal(0), Decimal(1))]
Amount = Annotated[Decimal, within(Decimal(0), PAY_MAX)]


def _written(header: str) -> str:
    # Blank as the reader sees it (NFKC, zero-width and other invisible characters gone,
    # ``numbers.clean_text``), it matches no column and the header row search names it 「」;
    # a control or direction mark (U+202E) matches none either and reorders what is shown.
    if not clean_text(header).strip() or CONTROLS.search(header):
        raise ValueError("表头不能为空，也不能只含看不见的字符或控制字符；请写出该列在导出表中的表头文字")
    return header


# The headers a column may carry, the first canonical: a rule with none would find no column
# (and the reader takes the first as the column's name); a blank one sent the office looking
# for a fault in the export (「找不到表头行：……没有同时含 、姓名……」).
Headers = Annotated[list[Annotated[str, Check(_written)]], Core(min_length=1)]
