"""The ``kind: grading`` file: the grading policy an office sets (第五、六、八条) — which
categories are graded by quota, and the windows ``grade --months`` accepts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from cmscore.rules.strict import Strict

# What the regulation says when an office writes no grading.yaml: the 支行 managers are
# graded (第五条), over 6 months in the transition (第六条) and 12 months after (第八条).
DEFAULT_POOL = ("支行",)
DEFAULT_WINDOWS = (6, 12)


class Grading(Strict):
    """grading.yaml: the pool graded 30/50/20 by quota and the windows allowed."""

    kind: Literal["grading"] = "grading"
    # Categories graded by quota (第五条); every other category is 一级 (第六条).
    pool: list[str] = Field(default_factory=lambda: list(DEFAULT_POOL), min_length=1)
    # The window lengths (months) ``grade --months`` accepts; 12 is the annual grading
    # (第八条) that also flags 第九条 and 第十六条第六项.
    windows: list[int] = Field(default_factory=lambda: list(DEFAULT_WINDOWS), min_length=1)

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[int]) -> list[int]:
        for months in value:
            if not 1 <= months <= 24:
                raise ValueError(f"窗口 {months} 个月超出范围：应为 1 至 24")
        if len(set(value)) != len(value):
            raise ValueError("windows 中有重复的月数")
        return value

    @field_validator("pool")
    @classmethod
    def _pool(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("pool 中有重复的类别")
        return value
