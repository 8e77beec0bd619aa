"""Issue 15, leavers' risk fund (SPEC §4.5, §10): the ledger carries over every month of a
year with leavers, a joiner and a manager missing one month; a leaver's fund is in it per
manager with amounts, held to December (payroll.yaml's shipped ``leaver_risk_fund:
hold_to_year_end``) or 扣收 in the first month he is gone (``forfeit``), in the
regulation's words (扣收, 提请客户经理管理考评领导小组研究).

The figures are worked by hand: 过渡期 January–June at 1000 (10 元 a point), then the
grading of January–June: A, D 一级 (15), L, B, C 二级 (12), E 三级 (9, bottom of the pool),
J (joined in April) and R (missing May) 三级 (9)."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from cmscore.app import payroll as app_payroll
from cmscore.rules.ruleset import DEFAULT_DIR, load_rules
from cmscore.store import db as store
from cmscore.store import history
from cmscore.store.leavers import leavers
from history_helpers import cm, run, run_json, span, store_months

D = Decimal
MONTHS = span("2026-01", "2026-12")
NOTE_L = "已离职（据导出推断：2026-11 后未见于导出）"
LEADERS = "提请客户经理管理考评领导小组研究"


def year(db: Path, extra: dict[str, dict[str, Any]] | None = None) -> Path:
    """A: NPL 0 all year. D: the same. L: left after November (no risk fund in November:
    NPL 1.2%), so 6 × 10 × 6 + 6 × 12 × 4 = 648. B: NPL 0.3% (3 points). C: NPL 0.
    E: left after August, moved to 城西支行 in August. J: joined in April. R: missing in May
    only. ``extra``: more managers in a month (``{"2026-03": {id: row}}``)."""
    months: dict[str, dict[str, Any]] = {}
    for m in MONTHS:
        people = {"A": cm("90.00"), "D": cm("85.00"), "B": cm("75.00", risk_fund="3.00",
                                                          npl="0.003"),
                  "C": cm("60.00")}
        if m <= "2026-10":
            people["L"] = cm("80.00")
        elif m == "2026-11":
            people["L"] = cm("80.00", risk_fund="0.00", npl="0.012")
        if m <= "2026-08":  # moved to 城西支行 in his last month
            people["E"] = cm("50.00", branch="城西支行" if m == "2026-08" else "城东支行")
        if m >= "2026-04":
            people["J"] = cm("85.00", branch="城西支行")
        if m != "2026-05":
            people["R"] = cm("70.00", branch="城西支行")
        months[m] = {**people, **(extra or {}).get(m, {})}
    store_months(db, months)
    run("grade", "--months", 6, "--end", "2026-06", "--db", db, "--out", db.parent)
    return db


def rules_with(tmp_path: Path, policy: str) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR, rules)
    path = rules / "payroll.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nleaver_risk_fund: hold_to_year_end\n" in text  # the shipped default
    path.write_text(text.replace("\nleaver_risk_fund: hold_to_year_end\n",
                                 f"\nleaver_risk_fund: {policy}\n"), encoding="utf-8")
    return rules


Paid = tuple[Path, dict[str, dict[str, Any]]]  # the output folder, each month's --json


def pay_year(tmp_path: Path, policy: str) -> Paid:
    """Each month's payroll in order; hold_to_year_end is the shipped rules' own."""
    db = year(tmp_path / "h.db")
    rules = [] if policy == "hold_to_year_end" else ["--rules", rules_with(tmp_path, policy)]
    return tmp_path, {m: run_json("payroll", "--month", m, "--db", db, "--out", tmp_path, *rules)
                      for m in MONTHS}


@pytest.fixture(scope="module")
def paid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Paid]:
    """The year paid month by month under each policy, once for the tests that read it."""
    return {policy: pay_year(tmp_path_factory.mktemp(policy), policy)
            for policy in ("hold_to_year_end", "forfeit")}


def statement(doc: dict[str, Any]) -> dict[str, tuple[str, str, str, str, str]]:
    return {f["id"]: (f["opening"], f["accrued"], f["released"], f["forfeited"], f["closing"])
            for f in doc["risk_fund_statement"]}


def test_december_opens_where_november_closed_with_a_november_leaver(tmp_path: Path) -> None:
    """The finding: L, scored last in November, dropped out of the books, and December
    opened 648 元 below November's closing (his 6 × 10 × 6 + 6 × 12 × 4)."""
    db = year(tmp_path / "h.db")
    nov, dec = (run_json("payroll", "--month", m, "--db", db, "--out", tmp_path)
                for m in ("2026-11", "2026-12"))
    assert nov["risk_fund_ledger"]["closing"] == dec["risk_fund_ledger"]["opening"] == "4836.00"
    assert statement(nov)["L"] == ("648.00", "0.00", "0.00", "0.00", "648.00")
    assert statement(dec)["L"] == ("648.00", "0.00", "0.00", "648.00", "0.00")


@pytest.mark.parametrize("policy", ["hold_to_year_end", "forfeit"])
def test_the_ledger_carries_over_every_month_of_a_year_with_leavers(paid: dict[str, Paid],
                                                                    policy: str) -> None:
    docs = paid[policy][1]
    closing = D(0)
    for m in MONTHS:
        ledger = {k: D(v) for k, v in docs[m]["risk_fund_ledger"].items()}
        assert ledger["opening"] == closing, m  # opens where the previous month closed
        assert ledger["closing"] == (ledger["opening"] + ledger["accrued"] - ledger["released"]
                                     - ledger["forfeited"]), m
        lines = docs[m]["risk_fund_statement"]
        for key in ("opening", "accrued", "released", "forfeited", "closing"):
            assert ledger[key] == sum((D(f[key]) for f in lines), D(0)), (m, key)
        for f in lines:
            assert D(f["closing"]) == (D(f["opening"]) + D(f["accrued"]) - D(f["released"])
                                       - D(f["forfeited"])), (m, f["id"])
        closing = ledger["closing"]
    assert closing == 0  # December settles the whole year
    # November closes at what December opens with, the leaver L (648.00) included: the
    # finding was a December opening 648 元 below November's closing.
    hold = policy == "hold_to_year_end"
    assert docs["2026-11"]["risk_fund_ledger"]["closing"] == \
        docs["2026-12"]["risk_fund_ledger"]["opening"] == ("4836.00" if hold else "4368.00")
    assert statement(docs["2026-12"])["L"] == ("648.00", "0.00", "0.00", "648.00", "0.00")


def test_hold_to_year_end_keeps_a_leaver_until_december_then_deducts(paid: dict[str, Paid]
                                                                    ) -> None:
    docs = paid["hold_to_year_end"][1]
    # E: 6 × 10 × 6 + 6 × 9 × 2 = 468, held September to November, 扣收 in December.
    for m in ("2026-09", "2026-10", "2026-11"):
        assert statement(docs[m])["E"] == ("468.00", "0.00", "0.00", "0.00", "468.00"), m
        e = next(f for f in docs[m]["risk_fund_statement"] if f["id"] == "E")
        assert (e["branch"], e["left"]) == ("城西支行", {"last_month": "2026-08",  # as he left
                                                     "source": "据导出推断", "left_on": "",
                                                     "on_leave": False})
        assert e["note"] == ("已离职（据导出推断：2026-08 后未见于导出）；风险金暂存至年末（payroll.yaml 的 "
                             "leaver_risk_fund: hold_to_year_end）")
        assert docs[m]["unsettled_risk_fund"] == ["E"], m
    dec = docs["2026-12"]
    assert statement(dec) == {
        "A": ("810.00", "90.00", "900.00", "0.00", "0.00"),
        "D": ("810.00", "90.00", "900.00", "0.00", "0.00"),
        "B": ("360.00", "36.00", "0.00", "396.00", "0.00"),  # NPL 0.3% in December
        "C": ("720.00", "72.00", "792.00", "0.00", "0.00"),
        "J": ("450.00", "54.00", "504.00", "0.00", "0.00"),
        "R": ("570.00", "54.00", "624.00", "0.00", "0.00"),
        "E": ("468.00", "0.00", "0.00", "468.00", "0.00"),
        "L": ("648.00", "0.00", "0.00", "648.00", "0.00"),
    }
    assert dec["risk_fund_ledger"] == {"opening": "4836.00", "accrued": "396.00",
                                       "released": "3720.00", "forfeited": "1512.00",
                                       "closing": "0.00"}
    # The leavers' 扣收 is not on a pay line: the totals name it apart.
    assert (dec["totals"]["risk_fund_forfeit"], dec["totals"]["risk_fund_forfeit_leavers"]) == \
        ("396.00", "1116.00")
    assert dec["unsettled_risk_fund"] == ["E", "L"]
    notes = {f["id"]: f["note"] for f in dec["risk_fund_statement"]}
    assert (notes["A"], notes["B"]) == ("年末无不良，全额下发", f"年末不良率 0.30%，风险金扣收，{LEADERS}")
    left = {f["id"]: f for f in dec["risk_fund_statement"] if f["left"]}
    assert left["L"]["left"] == {"last_month": "2026-11", "source": "据导出推断", "left_on": "",
                                "on_leave": False}
    assert left["L"]["note"] == (
        f"{NOTE_L}；无 12 月考核，无法确认年末无不良，风险金扣收（payroll.yaml 的 "
        f"leaver_risk_fund: hold_to_year_end），{LEADERS}")
    # R missed May: held that month, then his fund goes on (nothing 扣收).
    assert statement(docs["2026-05"])["R"] == ("240.00", "0.00", "0.00", "0.00", "240.00")
    assert statement(docs["2026-06"])["R"] == ("240.00", "60.00", "0.00", "0.00", "300.00")


def test_forfeit_deducts_in_the_first_month_gone_and_turns_back_a_return(
        paid: dict[str, Paid]) -> None:
    docs = paid["forfeit"][1]
    sep = {f["id"]: f for f in docs["2026-09"]["risk_fund_statement"]}
    assert statement(docs["2026-09"])["E"] == ("468.00", "0.00", "0.00", "468.00", "0.00")
    assert sep["E"]["note"] == ("已离职（据导出推断：2026-08 后未见于导出）；风险金扣收（payroll.yaml "
                                f"的 leaver_risk_fund: forfeit），{LEADERS}")
    assert docs["2026-09"]["totals"]["risk_fund_forfeit_leavers"] == "468.00"
    for m in ("2026-10", "2026-11", "2026-12"):  # 扣收 once, then out of the ledger
        assert "E" not in statement(docs[m]), m
    # R missing in May is 扣收 then (4 months × 60), and turned back when he is scored in June.
    assert statement(docs["2026-05"])["R"] == ("240.00", "0.00", "0.00", "240.00", "0.00")
    june = {f["id"]: f for f in docs["2026-06"]["risk_fund_statement"]}
    assert statement(docs["2026-06"])["R"] == ("0.00", "60.00", "0.00", "-240.00", "300.00")
    assert june["R"]["note"] == "2026-04 后未见于导出，风险金已扣收；本月复又计分，扣收转回 240.00 元"
    assert docs["2026-06"]["totals"]["risk_fund_forfeit_leavers"] == "-240.00"
    dec = docs["2026-12"]
    assert dec["risk_fund_ledger"] == {"opening": "4368.00", "accrued": "396.00",
                                       "released": "3720.00", "forfeited": "1044.00",
                                       "closing": "0.00"}
    assert statement(dec)["R"] == ("570.00", "54.00", "624.00", "0.00", "0.00")


def test_the_payroll_workbook_has_the_statement_per_manager(paid: dict[str, Paid]) -> None:
    tmp_path, docs = paid["hold_to_year_end"]
    assert docs["2026-12"]["risk_fund_ledger"]["opening"] == "4836.00"
    book = CalamineWorkbook.from_path(str(tmp_path / "payroll-2026-12.xlsx"))
    assert "风险金明细" in book.sheet_names
    rows = book.get_sheet_by_name("风险金明细").to_python()
    at = next(i for i, r in enumerate(rows) if r[0] == "工号")
    assert rows[at] == ["工号", "姓名", "机构", "类别", "期初（年初至上月累计）", "本月计提", "本月发放",
                        "本月扣收", "期末余额", "说明"]
    by_id = {r[0]: r for r in rows[at + 1:]}
    assert list(by_id)[-3:] == ["E", "L", "合计"]  # the leavers after the managers paid
    assert by_id["L"] == ["L", "姓名L", "城东支行", "支行", 648.0, 0.0, 0.0, 648.0, 0.0,
                          f"{NOTE_L}；无 12 月考核，无法确认年末无不良，风险金扣收（payroll.yaml 的 "
                          f"leaver_risk_fund: hold_to_year_end），{LEADERS}"]
    assert by_id["A"][:9] == ["A", "姓名A", "城东支行", "支行", 810.0, 90.0, 900.0, 0.0, 0.0]
    assert by_id["合计"][4:] == [4836.0, 396.0, 3720.0, 1512.0, 0.0, "8 人"]
    totals = {r[0]: r[1] for r in book.get_sheet_by_name("合计").to_python() if len(r) > 1}
    assert totals["离职人员风险金扣收（不发放，提请领导小组研究）"] == 1116.0
    assert totals["风险金扣收（不发放）"] == 396.0
    ledger = {r[0]: r[1] for r in book.get_sheet_by_name("风险金台账").to_python() if len(r) > 1}
    assert ledger["年初至上月累计"] == 4836.0 and ledger["本月扣收"] == 1512.0


def test_the_terminal_names_each_leaver_and_the_inference(tmp_path: Path) -> None:
    db = year(tmp_path / "h.db")
    out = run("payroll", "--month", "2026-12", "--db", db, "--out", tmp_path, "--quiet").stdout
    assert (f"风险金 L 姓名L（城东支行）：期初 648.00 元，本月扣收 648.00 元，期末 0.00 元。{NOTE_L}；"
            "无 12 月考核，无法确认年末无不良，风险金扣收（payroll.yaml 的 leaver_risk_fund: "
            f"hold_to_year_end），{LEADERS}") in out.splitlines()


def test_an_unknown_leaver_policy_is_refused_with_file_and_line(tmp_path: Path) -> None:
    rules = rules_with(tmp_path, "pay_out")
    at = (rules / "payroll.yaml").read_text(encoding="utf-8").splitlines().index(
        "leaver_risk_fund: pay_out") + 1
    result = run("rules", "check", rules, code=1)
    assert result.stderr.startswith(f"错误：payroll.yaml:{at}: leaver_risk_fund: ")
    assert "hold_to_year_end" in result.stderr and "forfeit" in result.stderr


def test_leavers_found_by_query_equal_those_the_payroll_hands_in(tmp_path: Path) -> None:
    """store.leavers on its own (as a roster's 离职日期 will be put before it) finds what the
    payroll finds from its own reads; a manager with no fund accrued is no leaver of it."""
    db = year(tmp_path / "h.db", {"2026-03": {"Z": cm("70.00", risk_fund="0.00", npl="0.02")}})
    conn = store.connect(db)
    try:
        for m in MONTHS:
            earlier = {c for (c,) in conn.execute(
                "SELECT cm_id FROM scores WHERE month >= '2026-01' AND month < ?", (m,))}
            here = {c for (c,) in conn.execute("SELECT cm_id FROM scores WHERE month = ?", (m,))}
            assert leavers(conn, m) == leavers(conn, m, earlier - here), m
        assert {c: w.last_month for c, w in leavers(conn, "2026-12").items()} == \
            {"E": "2026-08", "L": "2026-11"}  # Z (nothing accrued) is not listed
        assert {c: w.last_month for c, w in leavers(conn, "2026-05").items()} == \
            {"R": "2026-04"}
    finally:
        conn.close()


def test_the_terminal_lists_fifty_leavers_and_says_where_the_rest_are(tmp_path: Path) -> None:
    db = store_months(tmp_path / "h.db", {
        "2026-01": {f"X{k:02d}": cm("70.00") for k in range(53)},
        "2026-02": {"X00": cm("70.00")}})
    out = run("payroll", "--month", "2026-02", "--db", db, "--out", tmp_path, "--quiet").stdout
    lines = [line for line in out.splitlines() if line.startswith("风险金")]
    assert len(lines) == 51
    assert lines[0].startswith("风险金 X01 姓名X01（城东支行）：期初 60.00 元，本月扣收 0.00 元，期末 60.00 元。")
    assert lines[-1] == "风险金离职人员以上为前 50 名；另有 2 名未列出，全部见工资表的「风险金明细」"


# Four managers over a year of the transition (10 元 a point, so a fund is 10 × its points
# with no rounding): each month each is scored or not, with 0, 3 or 6 points; A always.
presence = st.lists(st.lists(st.sampled_from([None, "0.00", "3.00", "6.00"]), min_size=12,
                             max_size=12), min_size=3, max_size=3)


@settings(max_examples=25, deadline=None)
@given(presence, st.sampled_from(["hold_to_year_end", "forfeit"]), st.booleans())
def test_any_year_of_comings_and_goings_balances_and_settles_every_point(
        who: list[list[str | None]], policy: str, clean: bool) -> None:
    months: dict[str, dict[str, Any]] = {m: {"A": cm("80.00")} for m in MONTHS}
    for k, points in enumerate(who):
        for m, p in zip(MONTHS, points, strict=True):
            if p is not None:
                npl = "0" if clean or m != "2026-12" else "0.004"
                months[m][f"M{k}"] = cm("70.00", risk_fund=p, npl=npl)
    earned = 10 * (6 * 12 + sum(D(p) for points in who for p in points if p))
    rules = load_rules().payroll.model_copy(update={"leaver_risk_fund": policy})
    with tempfile.TemporaryDirectory() as tmp:
        conn = store.connect(store_months(Path(tmp) / "h.db", months))
        try:
            closing, accrued, settled = D(0), D(0), D(0)
            for m in MONTHS:
                rows = history.pay_rows(conn, m)
                funds = history.accruals(conn, 2026, m)
                gone = app_payroll.who_left(conn, m, rules, funds, rows)
                _, ledger = app_payroll.pay_lines(conn, rules, m, rows, funds, {}, gone=gone)
                assert ledger.opening == closing, m
                for f in ledger.lines:
                    assert f.closing_fen == (f.opening_fen + f.accrued_fen - f.released_fen
                                             - f.forfeited_fen)
                closing = ledger.closing
                accrued += ledger.accrued
                settled += ledger.released + ledger.forfeited
        finally:
            conn.close()
    assert closing == 0  # December settles everything, leavers included
    assert accrued == settled == earned  # every point accrued is released or 扣收 once


def test_the_roster_decides_leave_and_leaving_before_the_inference(tmp_path: Path) -> None:
    """With a 花名册 (cmscore roster): R, absent in May, is on leave then — his fund is held,
    not 扣收 under ``forfeit`` (and nothing is turned back in June); E's 离职日期 is named
    instead of the inference."""
    db = year(tmp_path / "h.db")
    roster = tmp_path / "花名册.csv"
    roster.write_text("工号,姓名,类别,机构,任职日期,离职日期,状态,休假月份\n"
                      "R,姓名R,支行,城西支行,2020-01-01,,在岗,2026-05\n"
                      "E,姓名E,支行,城西支行,2020-01-01,2026-08-20,离职,\n", encoding="utf-8")
    run("roster", roster, "--db", db)
    rules = ["--rules", rules_with(tmp_path, "forfeit")]
    docs = {m: run_json("payroll", "--month", m, "--db", db, "--out", tmp_path, *rules)
            for m in MONTHS}
    assert statement(docs["2026-05"])["R"] == ("240.00", "0.00", "0.00", "0.00", "240.00")
    may = {f["id"]: f for f in docs["2026-05"]["risk_fund_statement"]}
    assert may["R"]["left"] == {"last_month": "2026-04", "source": "花名册", "left_on": "",
                                "on_leave": True}
    assert may["R"]["note"] == ("休假（花名册：2026-05 休假）；风险金暂存，休假不视为离职")
    assert statement(docs["2026-06"])["R"] == ("240.00", "60.00", "0.00", "0.00", "300.00")
    sep = {f["id"]: f for f in docs["2026-09"]["risk_fund_statement"]}
    assert statement(docs["2026-09"])["E"] == ("468.00", "0.00", "0.00", "468.00", "0.00")
    assert sep["E"]["note"] == ("已离职（花名册：离职日期 2026-08-20）；风险金扣收（payroll.yaml 的 "
                                f"leaver_risk_fund: forfeit），{LEADERS}")
    closing = D(0)
    for m in MONTHS:  # the books still carry over
        assert D(docs[m]["risk_fund_ledger"]["opening"]) == closing, m
        closing = D(docs[m]["risk_fund_ledger"]["closing"])
    assert closing == 0
