"""`rules show`: the rules in effect as the regulation's attachments print them.

One table per 附件 (项目, 满分, 高限, 考核标准, with each group's subtotal), so the office
can lay it beside its own 文件 and compare line by line; then what the export may look
like (the identity columns, the columns ignored) and the pay standard.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cmscore.rules.ruleset import Item, RuleSet, Table, pct


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"


def standard(item: Item) -> str:
    """考核标准: the rule of one item in the words of the attachments."""
    if item.kind == "tiered":
        text = "；".join(f"{t.label()}：{_n(t.points)}分" for t in item.tiers)
        return text + ("；所得分同额计提风险金" if item.risk_fund else "")
    if item.kind == "per_client":
        text = "；".join(f"{t.label}每户{_n(t.points)}分" for t in item.client_tiers)
        if item.early_completion:
            text += f"；提前完成年度任务（{_n(item.yearly_task)}户）的，按满分加本月新增计"
        return text
    assert item.rate is not None and item.unit is not None
    unit = f"{_n(item.unit)}{item.unit_label}"
    text = (f"比{item.baseline_label}每增加{unit}计{_n(item.rate)}分"
            if item.basis == "vs_baseline" else f"每新增{unit}计{_n(item.rate)}分")
    if item.whole_units:
        text += f"（不足{unit}不计）"
    if item.early_completion:
        text += (f"；提前完成年度任务（{_n(item.yearly_task)}{item.unit_label}）的，"
                 "按满分加本月新增计")
    return text


def table_rows(table: Table) -> list[tuple[str, str, str, str, str]]:
    """(类别, 项目, 满分, 高限, 考核标准) rows, a group's label on its first item."""
    rows = []
    for group in table.groups:
        for i, item in enumerate(group.items):
            label = f"{group.name}（{_n(group.full)}分）" if i == 0 else ""
            rows.append((label, item.name, _n(item.full), _n(item.cap), standard(item)))
    return rows


def rule_tables(rules: RuleSet) -> list[Any]:
    """What ``cmscore rules show`` prints: rich tables and lines."""
    from rich.table import Table as RichTable

    parts: list[Any] = [f"规则目录：{rules.directory}"]
    for table in rules.tables.values():
        shown = RichTable(title=f"{table.table} {table.title}（类别：{table.category}；"
                                f"文件 {rules.files.get(table.category, '')}）",
                          title_justify="left", show_lines=True)
        for header in ("类别", "项目", "满分", "高限", "考核标准"):
            shown.add_column(header, overflow="fold")
        for row in table_rows(table):
            shown.add_row(*row)
        full = sum((i.full for i in table.items), Decimal(0))
        shown.add_row("合计", "", _n(full), "", "")
        parts.append(shown)
    export = rules.export
    parts.append(f"导出文件的样式（文件 {rules.files.get('export', '')}）：")
    names = {"id": "工号", "name": "姓名", "branch": "机构", "category": "类别"}
    for key, aliases in export.identity.items():
        parts.append(f"  {names[key]}列：{'、'.join(aliases)}")
    parts.append(f"  不读取的列（ignore_columns）：{'、'.join(export.ignore_columns) or '无'}")
    parts.append(f"  合计行标记：{'、'.join(export.total_markers)}；"
                 f"空白业务单元格{'按 0 计' if export.blank_is_zero else '是错误'}")
    pay = rules.payroll
    parts.append(f"履职绩效工资（文件 {rules.files.get('payroll', '')}）：一级 "
                 f"{_n(pay.grades.first)}、二级 {_n(pay.grades.second)}、三级 "
                 f"{_n(pay.grades.third)}、过渡期 {_n(pay.transition)} 元/月；"
                 f"主管挂钩比例 {pct(pay.supervisor_link_share)}")
    return parts + grading_lines(rules)


def grading_lines(rules: RuleSet) -> list[str]:
    """grading.yaml as the office reads it: who is graded by quota, over which windows, and
    the policy where the regulation is silent."""
    g = rules.grading
    where = rules.files.get("grading", "未提供 grading.yaml，按默认")
    return [f"定级政策（文件 {where}）：",
            f"  按 30%/50%/20% 名额定级的类别（pool）：{'、'.join(g.pool)}；其他类别固定一级（第六条）",
            f"  定级窗口（windows）：{'、'.join(str(w) for w in g.windows)} 个月",
            f"  最少计分月数（min_months）：{g.min_months}（窗口更短时为窗口月数）；达到的按实际计分月份"
            "平均参加排名，不足的定为三级；花名册中的休假月份不计入应计分月数",
            f"  计入参评人数 N（count_in_n）：新增人员 {'计入' if g.count_in_n.joiners else '不计入'}、"
            f"离职人员 {'计入' if g.count_in_n.leavers else '不计入（不定级）'}",
            f"  名额取整（quota_rounding）：{'四舍五入' if g.quota_rounding == 'half_up' else '向下取整'}",
            f"  名额分界处并列（tie）：{'都按较高等级' if g.tie == 'all_higher' else '都按较低等级'}"]
