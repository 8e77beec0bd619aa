"""`show`, `status`, `close`, `reopen`, `db backup` and `db migrate`: the store itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cmscore.cli.base import (
    DbOpt,
    JsonOpt,
    OutOpt,
    RulesOpt,
    app,
    done,
)
from cmscore.commands import Command, Group
from cmscore.console import make_console, print_json, run, shown


@app.command(cls=Command)
def show(
    month: Annotated[str, typer.Argument(metavar="月份", help="已计分的月份 YYYY-MM")],
    write: Annotated[bool, typer.Option(
        "--write", help="由历史库重新写出该月的 scores-YYYY-MM.xlsx（更正重算后用）")] = False,
    db: DbOpt = None, rules: RulesOpt = None, out: OutOpt = None, json_: JsonOpt = False,
) -> None:
    """查看：历史库中一个月的结果（与 score --json 同样的格式），及其运行记录、是否结账、已发放、已更正。

    例：cmscore show 2026-10 --json；cmscore show 2026-04 --write
    """
    from cmscore.app import show as app_show

    doc = run(json_, lambda: app_show.show_month(month, db=db, rules_dir=rules,
                                                 write_to=(out or Path.cwd()) if write else None))
    if json_:
        print_json(doc)
        return
    console = make_console(False)
    state = "、".join(w for w, on in (("已结账", doc["closed"]), ("已发放", doc["paid"]),
                                      ("有更正差额", doc["restated"])) if on) or "未结账、未发放"
    console.print(f"{month}：{len(doc['managers'])} 名客户经理；运行 {doc['run']['id']}"
                  f"（{shown(doc['run']['file_name'])}，{doc['run']['started_at']}）；{state}",
                  soft_wrap=True, markup=False)
    if doc["run"]["note"]:
        console.print(f"说明：{doc['run']['note']}", soft_wrap=True, markup=False)
    if "written" in doc:
        console.print(f"已写出 {shown(doc['written'])}", soft_wrap=True, markup=False)


@app.command(cls=Command)
def status(
    year: Annotated[str | None, typer.Option(
        "--year", help="只看这一年 YYYY；默认全部", show_default=False)] = None,
    db: DbOpt = None, json_: JsonOpt = False,
) -> None:
    """年度概览：各月是否已计分、已发放、已结账，各次定级是否过期，待补发/扣回的笔数。

    例：cmscore status --year 2026
    """
    from rich.table import Table

    from cmscore.app import show as app_show

    doc = run(json_, lambda: app_show.year_status(year=year, db=db))
    if json_:
        print_json(doc)
        return
    console = make_console(False)
    months = Table(title="各月", title_justify="left")
    for h in ("月份", "已计分", "已发放", "已结账", "运行", "工作簿"):
        months.add_column(h)
    yes = {True: "是", False: "否"}
    for m in doc["months"]:
        months.add_row(m["month"], yes[m["scored"]], yes[m["paid"]], yes[m["closed"]],
                       str(m["run_id"]), "最新" if m["workbook_current"] else
                       f"已过期：cmscore show {m['month']} --write")
    console.print(months)
    for g in doc["gradings"]:
        state = f"已过期：{g['reason']}" if g["stale"] else "有效"
        console.print(f"定级 {g['effective']} 起执行（窗口 {g['window']}）：{state}",
                      soft_wrap=True, markup=False)
    console.print(f"待随下次工资补发/扣回：{doc['restatements_pending']} 笔", markup=False)


@app.command("close", cls=Command)
def close_cmd(
    month: Annotated[str, typer.Argument(metavar="月份", help="要结账的月份 YYYY-MM")],
    db: DbOpt = None, json_: JsonOpt = False,
) -> None:
    """结账：锁定一个月（计分、该月执行的定级和绩效工资），此后 --replace 和重算都会被拒绝。

    例：cmscore close 2026-10
    """
    from cmscore.app import admin as app_admin

    run(json_, lambda: app_admin.close_month(month, db=db))
    done(json_, {"month": month, "closed": True}, f"{month} 已结账。")


@app.command(cls=Command)
def reopen(
    month: Annotated[str, typer.Argument(metavar="月份", help="要重新打开的已结账月份 YYYY-MM")],
    reason: Annotated[str, typer.Option("--reason", help="重新打开的原因（写入审计表）")],
    db: DbOpt = None, json_: JsonOpt = False,
) -> None:
    """重新打开已结账的月份；谁、何时、为何都记入审计表，运行记录永不删除。

    例：cmscore reopen 2026-10 --reason "城东支行补报放款数据"
    """
    from cmscore.app import admin as app_admin

    run(json_, lambda: app_admin.reopen_month(month, reason, db=db))
    done(json_, {"month": month, "closed": False, "reason": reason},
          f"{month} 已重新打开（原因：{reason}）。")


db_app = typer.Typer(help="历史库维护。", no_args_is_help=True, rich_markup_mode=None, cls=Group)
app.add_typer(db_app, name="db")


@db_app.command("backup", cls=Command)
def db_backup(
    target: Annotated[Path, typer.Argument(metavar="备份文件", help="备份文件路径（不能已存在）")],
    db: DbOpt = None, json_: JsonOpt = False,
) -> None:
    """用 SQLite 备份接口做一致的备份（直接复制运行中的库文件不是备份）。

    例：cmscore db backup 备份/cmscore-2026-10.db
    """
    from cmscore.app import admin as app_admin

    path = run(json_, lambda: app_admin.backup_store(target, db=db))
    done(json_, {"backup": str(path)}, f"已备份到 {path}")


@db_app.command("migrate", cls=Command)
def db_migrate(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """升级历史库的结构到本版本（写入的命令会自动升级；只读的命令从不改动历史库）。

    例：cmscore db migrate --db cmscore.db
    """
    from cmscore.app import admin as app_admin

    before, after = run(json_, lambda: app_admin.migrate_store(db=db))
    said = f"已从结构版本 {before} 升级到 {after}" if after != before else f"已是结构版本 {after}，无需升级"
    done(json_, {"schema_version": after, "was": before}, f"历史库{said}。")
