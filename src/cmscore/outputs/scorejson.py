"""``score --json``'s document (SPEC §7): the managers of a month, encoded a category
at a time from the frames' columns with per-category %-templates (``jsontext``) — a dict
per manager through the pure-Python encoder took ~10 s and ~900 MB at 100k managers.
The text is byte for byte ``json.dumps(..., ensure_ascii=False, indent=1)`` of the same
values (``tests/test_engine_templates.py``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from itertools import chain, repeat
from typing import Any

from cmscore.engine.adjustments import Applied
from cmscore.engine.scoring import Frame, ManagerScore, MonthScores
from cmscore.engine.sentences import num
from cmscore.numbers import ByValue, fmt2
from cmscore.outputs.celltext import BLOCK_ROWS, cut_every
from cmscore.outputs.common import Texts
from cmscore.outputs.jsontext import Encoded, Spooled, strings
from cmscore.outputs.scores import frame_of, ordered
from cmscore.outputs.tasks import item_task
from cmscore.rules.ruleset import RuleSet


def adjustment_json(a: Applied) -> dict[str, Any]:
    """One adjustment as ``score --json`` and ``show --json`` give it: ``points`` as asked,
    ``applied`` as moved (they differ when the item's [0, 高限] stopped it)."""
    adj = a.adjustment
    return {"id": adj.id, "item": adj.item, "points": fmt2(adj.points), "reason": adj.reason,
            "basis": adj.basis, "approved_by": adj.approved_by, "applied": fmt2(a.applied),
            "note": a.note}


def scores_json(scores: MonthScores, rules: RuleSet) -> dict[str, Any]:
    """SPEC §7: decimals as strings, items keyed by item id; totals with adjustments.

    ``managers`` is encoded a category at a time from the frames' columns (``jsontext``):
    a dict per manager through the pure-Python encoder took ~10 s at 100k managers."""
    groups: list[tuple[str, list[ManagerScore] | Frame]]
    if scores.frames and len(scores.scores) == sum(len(f.managers) for f in scores.frames):
        # Every manager scored in a frame: each category's rows straight from its columns
        # (``rank_month``'s order), not 100k ManagerScore objects grouped and sorted again.
        rank = {category: k for k, category in enumerate(rules.tables)}
        groups = [(f.table.category, f) for f in
                  sorted(scores.frames, key=lambda f: rank[f.table.category]) if f.managers]
    else:
        groups = list(ordered(scores, rules))
    render = partial(_managers_text, groups, scores.adjustments)
    return {"month": scores.month,
            "managers": Encoded(render, lambda: json.loads("".join(render(0))))}


def spooled_scores_json(scores: MonthScores, rules: RuleSet) -> dict[str, Any]:
    """``scores_json`` with its managers rendered now into a temporary file (``Spooled``):
    ``score --json`` calls it before COMMIT, while a forked child still writes the
    workbook, so printing afterwards is a copy of bytes."""
    doc = scores_json(scores, rules)
    try:
        doc["managers"] = Spooled(doc["managers"])
    except OSError:  # a full or small temp folder: render after COMMIT instead, as before
        pass
    return doc


def _texts(values: list[Any], memo: dict[int, str],
           text: Callable[[Any], str] = fmt2) -> list[str]:
    """``text`` of each value, once per distinct object (annual tasks are shared objects).
    ``memo`` is keyed by ``id``: use it only while the values are alive."""
    keys = list(map(id, values))
    for key, value in dict(zip(keys, values, strict=True)).items():  # distinct, in C
        if key not in memo:
            memo[key] = text(value)
    return list(map(memo.__getitem__, keys))


def ranked_rows(frame: Frame) -> list[int]:
    """The frame's rows by (rank, 工号), as ``rank_month`` lists the month's managers."""
    ids = [m.id for m in frame.managers]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    order.sort(key=frame.ranks.__getitem__)
    return order


_SLOT = re.compile("%[sd]")
# Managers a piece of text: a block's 4096 at once were 5 MB a copy (CJK text is two
# bytes a character) and a few copies at the peak, beside a forked child (``aside``).
_PIECE_ROWS = 1024


def _managers_text(groups: list[tuple[str, list[ManagerScore] | Frame]],
                   adjustments: dict[str, list[Applied]], level: int) -> Iterator[str]:
    """The ``managers`` array of ``scores_json`` as ``json.dumps(indent=1)`` writes it at
    nesting ``level``, in pieces of BLOCK_ROWS managers: one %-template per category
    filled from columns. Written piece by piece, a national month's 54 MB of JSON is never
    one string. What a whole piece shares (its category, no adjustments) is written into
    its template, not filled per manager."""
    if not any(members for _, members in groups):
        yield "[]"
        return
    a, b, c, d = (" " * (level + k) for k in (1, 2, 3, 4))
    # fmt2 depends on the value alone (always two places): one text per distinct amount.
    money = ByValue(fmt2).__getitem__
    cents = Texts().__getitem__  # hundredths → fmt2's text, once per distinct value
    task_memo: dict[int, str] = {}  # an annual task's text, once per distinct object
    separator = "[\n"
    for category, members in groups:
        frame = members if isinstance(members, Frame) else frame_of(members)
        if frame is None:  # built by hand (tests): one manager at a time
            for s in members:  # type: ignore[union-attr]
                yield separator + a + json.dumps(_manager_json(s, adjustments),
                                                 ensure_ascii=False,
                                                 indent=1).replace("\n", "\n" + a)
                separator = ",\n"
            continue
        keys = [json.dumps(k, ensure_ascii=False).replace("%", "%%") for k in frame.items]
        items = ("{\n" + ",\n".join(f'{c}{k}: "%s"' for k in keys) + f"\n{b}}}") if keys \
            else "{}"
        # 任务下达: each early-completion item's annual task and where it came from.
        tasked = [(k, column.task) for k, column in zip(keys, frame.items.values(), strict=True)
                  if column.task is not None]
        kind = json.dumps(category, ensure_ascii=False).replace("%", "%%")
        template, plain = _templates(level, kind, items, "{}")
        rows = ranked_rows(frame) if members is frame else [s.row for s in members]  # type: ignore[union-attr]
        for at in cut_every(rows, BLOCK_ROWS):
            people = list(map(frame.managers.__getitem__, at))
            ids = [m.id for m in people]
            columns: list[list[Any]] = [strings(ids), strings([m.name for m in people]),
                       strings([m.branch for m in people]),
                       list(map(str, map(frame.ranks.__getitem__, at))),
                       list(map(str, map(frame.branch_ranks.__getitem__, at))),
                       list(map(money, map(frame.totals.__getitem__, at))),
                       list(map(money, map(frame.funds.__getitem__, at)))]
            adjusted = [cm in adjustments for cm in ids] if adjustments else []
            # Points from the column's hundredths (ints hash in a step; a Decimal's hash is
            # 6× that), but where an adjustment moved them: ``centi`` is as scored.
            columns += [list(map(cents, map(column.centi.__getitem__, at)))
                        if column.centi is not None and not any(adjusted) else
                        list(map(money, map(column.points.__getitem__, at)))
                        for column in frame.items.values()]
            if any(adjusted):
                columns.append([_adjustments_text(adjustments[cm], b) if moved else "[]"
                                for cm, moved in zip(ids, adjusted, strict=True)])
            if tasked:  # a task or source the whole piece shares is written into its template
                tasks: list[str] = []
                for key, (task, source) in tasked:
                    annual = _same(list(map(task.__getitem__, at)), columns,
                                   partial(_texts, memo=task_memo, text=num), '"%s"')
                    whence = _same(list(map(source.__getitem__, at)), columns, strings)
                    tasks.append(f'{c}{key}: {{\n{d}"annual_task": {annual},\n'
                                 f'{d}"task_source": {whence}\n{c}}}')
                template, plain = _templates(level, kind, items,
                                             "{\n" + ",\n".join(tasks) + f"\n{b}}}")
            texts = _between_slots(template if any(adjusted) else plain)
            texts[0] = ",\n" + texts[0]  # each manager's separator before it
            for k in range(0, len(at), _PIECE_ROWS):
                piece = _filled(texts, [column[k:k + _PIECE_ROWS] for column in columns])
                yield piece if separator == ",\n" else separator + piece[2:]
                separator = ",\n"
    yield "\n" + " " * level + "]"


def _between_slots(template: str) -> list[str]:
    """A %-template's texts around its slots (``%s``, ``%d``), each ``%%`` made ``%``
    again (no NUL stands raw in JSON text)."""
    return [part.replace("\0", "%") for part in _SLOT.split(template.replace("%%", "\0"))]


def _filled(texts: list[str], columns: list[list[str]]) -> str:
    """``texts[0] + columns[0][i] + texts[1] + … + texts[-1]`` for every row i, joined: the
    template filled by ``join`` over ``zip`` in C, twice as fast as ``%`` parsing the
    template again for every row."""
    if len(set(map(len, columns))) != 1:  # no column: no count of rows
        raise ValueError("a template's columns: at least one, all of one length")
    parts: list[Iterable[str]] = [repeat(texts[0])]
    for column, text in zip(columns, texts[1:], strict=True):
        parts += [column, repeat(text)]
    return "".join(chain.from_iterable(zip(*parts, strict=False)))  # the repeats never end


def _templates(level: int, kind: str, items: str, tasks: str) -> tuple[str, str]:
    """A manager's %-template at nesting ``level``, with and without a slot for its
    adjustments; ``kind`` (the category), ``items`` and ``tasks`` already as text."""
    a, b = " " * (level + 1), " " * (level + 2)
    return tuple(  # type: ignore[return-value]
        f'{a}{{\n{b}"id": %s,\n{b}"name": %s,\n{b}"branch": %s,\n'
        f'{b}"category": {kind},\n{b}"rank": %d,\n{b}"branch_rank": %d,\n'
        f'{b}"total": "%s",\n{b}"risk_fund": "%s",\n{b}"items": {items},\n'
        f'{b}"adjustments": {moved},\n{b}"tasks": {tasks}\n{a}}}' for moved in ("%s", "[]"))


def _same(values: list[Any], columns: list[list[Any]],
          texts: Callable[[list[Any]], list[str]], form: str = "%s") -> str:
    """A template's field ``form`` of ``values`` (``texts`` gives their texts): filled in
    when every row has the same object (a piece's annual tasks and their source, unless
    the bank assigned them per 工号 or 机构), else a slot whose texts join ``columns``."""
    keys = list(map(id, values))
    if keys.count(keys[0]) == len(keys):
        return (form % texts(values[:1])[0]).replace("%", "%%")
    columns.append(texts(values))
    return form


def _adjustments_text(applied: list[Applied], indent: str) -> str:
    if not applied:
        return "[]"
    return json.dumps([adjustment_json(x) for x in applied], ensure_ascii=False,
                      indent=1).replace("\n", "\n" + indent)


def _manager_json(s: ManagerScore, adjustments: dict[str, list[Applied]]) -> dict[str, Any]:
    return {"id": s.manager.id, "name": s.manager.name, "branch": s.manager.branch,
            "category": s.manager.category, "rank": s.rank, "branch_rank": s.branch_rank,
            "total": fmt2(s.total), "risk_fund": fmt2(s.risk_fund),
            "items": {k: fmt2(v.points) for k, v in s.items.items()},
            "adjustments": [adjustment_json(a) for a in adjustments.get(s.manager.id, [])],
            "tasks": {k: got for k, v in s.items.items() if (got := item_task(v))}}
