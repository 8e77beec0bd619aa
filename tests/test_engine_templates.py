"""Issue 19: the 明细 sentences and `score --json`'s managers built a column at a time from
templates are byte for byte what one manager's objects give (``ItemScore.text``, a dict per
manager through ``json.dumps``), early completion, baselines and adjustments included; the
sentences are written for every month size."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmscore.console import json_text
from cmscore.engine.adjustments import TOTAL, Adjustment, apply
from cmscore.engine.month import Manager
from cmscore.engine.scoring import MonthScores, score_month, score_month_managers
from cmscore.engine.tasks import Tasks
from cmscore.inputs.reader import read_export
from cmscore.outputs import scorejson
from cmscore.outputs import scores as out_scores
from cmscore.outputs.jsontext import plain
from cmscore.rules.ruleset import RuleSet
from conftest import EXAMPLES, FakeHistory

D = Decimal


def object_sentences(scores: MonthScores) -> list[str]:
    """计分说明 as it was built before issue 19: one ItemScore at a time."""
    return ["\n".join(v.text for v in s.items.values()) for s in scores.scores]


def column_sentences(scores: MonthScores) -> list[str]:
    return [text for s in scores.scores
            for text in out_scores._sentences([s], s.frame)]  # noqa: SLF001


def object_json(scores: MonthScores, rules: RuleSet) -> str:
    """``score --json``'s document as it was built before issue 19: a dict per manager."""
    managers = [scorejson._manager_json(s, scores.adjustments)  # noqa: SLF001
                for _, members in out_scores.ordered(scores, rules) for s in members]
    return json.dumps({"month": scores.month, "managers": managers, "warnings": {}},
                      ensure_ascii=False, indent=1)


def column_json(scores: MonthScores, rules: RuleSet) -> str:
    return json_text({**scorejson.scores_json(scores, rules), "warnings": {}})


def history_for(managers: list[Manager], rules: RuleSet) -> FakeHistory:
    """Every third manager completed the year's task of each early-completion item;
    every second has a stored baseline for each item scored against one."""
    ytd, baselines = {}, {}
    for k, m in enumerate(managers):
        for item in rules.tables[m.category].items:
            if item.early_completion and k % 3 == 0:
                ytd[m.id, item.id] = item.yearly_task + k
            if item.basis == "vs_baseline" and k % 2 == 0:
                baselines[m.id, item.id] = D(k * 7) / 4
    return FakeHistory(baselines, ytd)


def test_examples_sentences_and_json_equal_the_object_path(rules: RuleSet) -> None:
    for path in sorted(EXAMPLES.glob("2026-*.xlsx")):
        export = read_export(path, rules, None)
        scores = score_month(export, rules, history_for(export.managers, rules))
        assert any(c.early for f in scores.frames for c in f.items.values())
        assert column_sentences(scores) == object_sentences(scores), path.name
        assert column_json(scores, rules) == object_json(scores, rules), path.name


def test_adjusted_points_keep_their_own_text_in_sentences_and_json(rules: RuleSet) -> None:
    export = read_export(EXAMPLES / "2026-10.xlsx", rules, None)
    scores = score_month(export, rules)
    first, second = scores.scores[0].manager.id, scores.scores[1].manager.id
    # +100 stops at the item's 高限 (written "6", not "6.00"); a negative one, a total one.
    def adj(k: int, cm: str, item: str, points: str, reason: str) -> Adjustment:
        return Adjustment(id=k, month=scores.month, cm_id=cm, item=item, points=D(points),
                          reason=reason, basis="文件", approved_by="张三")

    assert not apply(scores, [adj(1, first, "cards", "100", "申诉"),
                              adj(2, second, "cards", "-0.5", '更正 "引号" \\'),
                              adj(3, second, TOTAL, "1.25", "领导小组")])
    assert any(str(c.points[r]) == "6" for f in scores.frames for c in f.items.values()
               for r in range(len(c.points)))
    assert column_sentences(scores) == object_sentences(scores)
    text = column_json(scores, rules)
    assert text == object_json(scores, rules)
    assert '"applied": "' in text and '\\"引号\\"' in text


def figures_of(rules: RuleSet, category: str, values: list[Decimal], baselines: bool
               ) -> dict[str, dict[str, Decimal | None]]:
    """A manager's figures for every item of the category, drawn from ``values``; the
    previous December's in the export too when ``baselines``."""
    pool = iter(values)
    got: dict[str, dict[str, Decimal | None]] = {}
    for item in rules.tables[category].items:
        if item.kind == "tiered":
            base, bad = abs(next(pool)), abs(next(pool)) / 100
            got[item.id] = {"numerator": bad if base else D(0), "denominator": base}
        elif item.kind == "per_client":
            got[item.id] = {t.label: abs(next(pool)).to_integral_value()
                            for t in item.client_tiers}
        elif item.basis == "vs_baseline":
            got[item.id] = {"value": next(pool)}
            if baselines:
                got[item.id]["baseline"] = next(pool)
        else:
            got[item.id] = {"value": abs(next(pool))}
    return got


figures = st.decimals(min_value=-50, max_value=5000, places=2, allow_nan=False)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["支行", "分行个金", "分行公司"]),
                          st.lists(figures, min_size=20, max_size=20),
                          st.sampled_from(['王"五', "李\\四", "张三", "赵\t六"])),
                min_size=1, max_size=10))
def test_random_months_sentences_and_json_equal_the_object_path(
        rules: RuleSet, people: list[tuple[str, list[Decimal], str]]) -> None:
    managers = [Manager(f"{k:06d}", name, f"机构{k % 3}", category, k + 4,
                        figures_of(rules, category, values, k % 2 == 1))
                for k, (category, values, name) in enumerate(people)]
    scores = score_month_managers("2026-10", managers, rules, history_for(managers, rules))
    assert column_sentences(scores) == object_sentences(scores)
    assert column_json(scores, rules) == object_json(scores, rules)
    assert plain(scorejson.scores_json(scores, rules))["managers"] == \
        json.loads(object_json(scores, rules))["managers"]


def test_a_month_of_more_than_20000_managers_has_its_sentences(rules: RuleSet,
                                                               tmp_path: Path) -> None:
    """The cut-off (numbers only above 20,000 managers) is gone: 明细 always explains."""
    managers = [Manager(f"{k:06d}", "张三", f"机构{k % 40}", "分行个金", k + 4,
                        figures_of(rules, "分行个金", [D(k % 9 + j) for j in range(20)], True))
                for k in range(20_001)]
    scores = score_month_managers("2026-10", managers, rules, history_for(managers, rules))
    cols, makers, _ = out_scores.detail_sheet(scores, rules)
    assert cols[-1].header == "计分说明"
    texts = [t for make in makers for t in make()[-1]]
    assert len(texts) == 20_001 and all("银行卡" in t for t in texts)
    one: Any = next(s for s in scores.scores if s.manager.id == "000008")
    assert one.items["cards"].text in texts[scores.scores.index(one)]


def test_sentences_are_written_inline_and_repeated_text_shared() -> None:
    """A national month's 100k distinct sentences kept in the shared-strings table stayed in
    memory until the workbook closed (675 MB peak at 100k): prose is written inline."""
    from cmscore.outputs.celltext import Escaped, Shared, column_texts

    shared = Shared()
    prose = [f"银行卡：新增{k}张 × 0.2分 = {k * 0.2:.2f}分（满分3 / 高限6）<" * 3 for k in range(50)]
    got = column_texts([*prose, None], True, Escaped(), shared)
    assert got is not None and got[1] is False and shared.texts == []
    assert got[0][0] is not None and got[0][0].endswith("&lt;") and got[0][-1] is None
    reasons = ["一级：连续六个月排名前 20%"] * 40 + ["二级"] * 10
    got = column_texts(reasons, True, Escaped(), shared)
    assert got is not None and got[1] is True and len(shared.texts) == 2


def test_a_spooled_value_reads_back_whole_across_block_boundaries() -> None:
    """``Spooled`` keeps a rendered value as UTF-8 in a file and reads it back 1 MiB at a
    time: a block that ends inside a three-byte character must not break it."""
    from cmscore.outputs.jsontext import Encoded, Spooled, dumps

    names = [f"客户经理{k}号" * 7 for k in range(20_000)]  # ~3.6 MB of UTF-8

    def render(level: int) -> list[str]:
        return [json.dumps(names, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * level)]

    doc = {"month": "2026-01", "managers": Spooled(Encoded(render, lambda: names))}
    assert dumps(doc) == json.dumps({"month": "2026-01", "managers": names},
                                    ensure_ascii=False, indent=1)


def test_a_temp_folder_that_cannot_take_the_document_leaves_it_to_be_printed_after(
        rules: RuleSet, monkeypatch: Any) -> None:
    """`score --json` spools its managers to a temporary file before COMMIT; a full or
    tiny temp folder must not fail the month: the document is rendered after, as before."""
    import tempfile

    from cmscore.outputs.jsontext import Spooled

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    export = read_export(EXAMPLES / "2026-10.xlsx", rules, None)
    scores = score_month(export, rules, history_for(export.managers, rules))
    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    doc = scorejson.spooled_scores_json(scores, rules)
    assert not isinstance(doc["managers"], Spooled)
    assert json_text({**doc, "warnings": {}}) == column_json(scores, rules)


def test_the_managers_text_comes_in_pieces_of_a_few_managers(rules: RuleSet,
                                                             monkeypatch: Any) -> None:
    """Beside a forked child every MB counts twice: the JSON is rendered a few managers a
    piece (1024; 2 here), the same text in all."""
    export = read_export(EXAMPLES / "2026-10.xlsx", rules, None)
    scores = score_month(export, rules)
    whole = column_json(scores, rules)
    monkeypatch.setattr(scorejson, "_PIECE_ROWS", 2)
    pieces = list(scorejson.scores_json(scores, rules)["managers"].render(1))
    assert max(piece.count('"id"') for piece in pieces) == 2
    assert column_json(scores, rules) == whole == object_json(scores, rules)


def test_json_with_tasks_varying_within_a_piece_equals_the_object_path(rules: RuleSet) -> None:
    """A task and its source the whole piece shares go into its template; a 工号's or a
    机构's assigned task (任务下达) makes them differ within it, and they are filled per row."""
    export = read_export(EXAMPLES / "2026-10.xlsx", rules, None)
    first, other = export.managers[0], export.managers[5]
    tasks = Tasks(by_cm={(first.id, "cards"): D("250"), (first.id, "pos"): D("1E+2")},
                  by_branch={(other.branch, "loan_households"): D("60.5")}, file="任务.csv")
    scores = score_month(export, rules, FakeHistory(tasks=tasks))
    text = column_json(scores, rules)
    assert text == object_json(scores, rules)
    assert '"annual_task": "250"' in text and '"annual_task": "60.5"' in text
    plain_scores = score_month(export, rules, FakeHistory())
    assert column_json(plain_scores, rules) == object_json(plain_scores, rules)


@given(st.lists(st.text(st.sampled_from('a%"\\代\n'), max_size=4), min_size=2, max_size=5),
       st.lists(st.lists(st.text(st.sampled_from('1%s代"'), max_size=3), min_size=4, max_size=4),
                max_size=6))
def test_a_template_filled_by_join_is_the_template_filled_by_percent(
        literals: list[str], rows: list[list[str]]) -> None:
    slots = ["%s", "%d", "%s", "%s"][:len(literals) - 1]
    template = "".join(text.replace("%", "%%") + slot
                       for text, slot in zip(literals, [*slots, ""], strict=True))
    rows = [[str(len(r[k])) if slot == "%d" else r[k] for k, slot in enumerate(slots)]
            for r in rows]
    want = "".join(template % tuple(int(v) if slot == "%d" else v
                                    for v, slot in zip(r, slots, strict=True)) for r in rows)
    columns = [[r[k] for r in rows] for k in range(len(slots))]
    assert scorejson._filled(scorejson._between_slots(template), columns) == want  # noqa: SLF001
