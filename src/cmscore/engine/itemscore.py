"""One manager's score on one item: the view of a column row that people read.

Built only when someone looks (explain, JSON, the 明细 sheet); its sentence comes from
``sentences``, which reads the figures here and never imports back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from cmscore.engine.sentences import explain_item
from cmscore.numbers import ZERO
from cmscore.rules.ruleset import Item


@dataclass(slots=True)
class ItemScore:
    item_id: str
    points: Decimal
    given_text: str = ""  # a fixed explanation; otherwise it is built on demand
    figure: Decimal | None = None  # what was scored: count, amount, increase or ratio
    baseline: Decimal | None = None
    baseline_source: str = ""
    early: bool = False
    risk_fund: Decimal = ZERO
    year_to_date: Decimal | None = None  # for early completion: the earlier months' total
    item: Item | None = field(default=None, repr=False, compare=False)
    figures: dict[str, Decimal | None] = field(default_factory=dict, repr=False, compare=False)
    annual_task: Decimal | None = None  # early-completion items: the task measured against
    task_source: str = ""  # engine.tasks: 下达任务 / 规则文件 / 默认 12×月度任务

    @property
    def text(self) -> str:
        """The arithmetic as a Chinese sentence; built only when someone reads it."""
        if self.given_text or self.item is None:
            return self.given_text
        return explain_item(self.item, self)
