"""Small regressions found while optimising the hot paths."""

from decimal import Decimal as D

from cmscore.rules import load_rules
from cmscore.scoring import linear_points


def test_whole_units_floor_even_when_the_unit_is_one() -> None:
    households = next(i for i in load_rules().tables["支行"].items if i.id == "loan_households")
    whole = households.model_copy(update={"whole_units": True})
    assert linear_points(whole, D("2.5")) == D("5.0")  # 2 whole households × 2.5
    assert linear_points(households, D("2.5")) == D("6.25")
