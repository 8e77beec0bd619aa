"""Small regressions found while optimising the hot paths."""

from decimal import Decimal as D

from cmscore.engine.points import linear_points
from cmscore.rules.ruleset import load_rules


def test_whole_units_floor_even_when_the_unit_is_one() -> None:
    households = next(i for i in load_rules().tables["支行"].items if i.id == "loan_households")
    whole = households.model_copy(update={"whole_units": True})
    assert linear_points(whole, D("2.5")) == D("5.0")  # 2 whole households × 2.5
    assert linear_points(households, D("2.5")) == D("6.25")


def test_year_to_date_is_exact_with_figures_of_many_places(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A figure with more than six places is summed exactly too (not in SQL millionths)."""
    from conftest import HEADERS, ZEROS, json_out, row, write_xlsx

    db, out = tmp_path / "h.db", tmp_path / "out"
    jan = [row(ZEROS, 放款金额="432.0000001"), row(ZEROS, 工号="E002", 放款金额=432)]
    feb = [row(ZEROS, 放款金额="431.9999999"), row(ZEROS, 工号="E002", 放款金额="431.99")]
    for month, rows in (("2026-01", jan), ("2026-02", feb)):
        path = write_xlsx(tmp_path / f"{month}.xlsx", HEADERS, rows,
                          titles=[f"{month[:4]}年{int(month[5:])}月客户经理业绩报表"])
        cli("score", path, "--db", db, "--out", out, code=0)
    mar = write_xlsx(tmp_path / "2026-03.xlsx", HEADERS,
                     [row(ZEROS, 放款金额=4), row(ZEROS, 工号="E002", 放款金额=4)],
                     titles=["2026年3月客户经理业绩报表"])
    doc = json_out(cli("score", mar, "--db", db, "--out", out, "--json", code=0))
    points = {m["id"]: m["items"]["loan_amount"] for m in doc["managers"]}
    # E001: 864 exactly by March → early: 18 + 1 = 19; E002: 863.99 → normal: 1.
    assert points == {"E001": "19.00", "E002": "1.00"}
