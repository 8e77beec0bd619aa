"""The polars peer: what a modern analyst would write in polars to score a month.

The same scoring as ``peer.py`` (附件1–3, SPEC §3, in floats: clip to [0, cap], NPL
tiers, 代发工资 per client, ranks with method "min" by category and by branch), written
as polars expressions: ``pl.read_excel`` with the calamine engine (polars hands it to
fastexcel), one ``with_columns`` per step, and ``DataFrame.write_excel`` (xlsxwriter) of
the three ranked sheets into one workbook. No history store, no early completion, no
validation, no detail sheet.

    python benchmarks/peer_polars.py FILE OUT_DIR

On the 1k export its totals agree with cmscore's as the pandas peer's do (agree.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from tables import COMMON, FIGURE, GROUPS, ITEMS, LINEAR


def read(path: Path) -> pl.DataFrame:
    df = pl.read_excel(path, engine="calamine", read_options={"header_row": 2},
                       schema_overrides={"工号": pl.String})
    df = df.rename({c: c.replace("（万元）", "").replace("ＰＯＳ", "POS") for c in df.columns})
    df = df.filter(pl.col("工号").is_not_null() & (pl.col("工号") != "合计"))
    return df.with_columns(pl.col(df.columns[5:]).fill_null(0).cast(pl.Float64))


def _linear(item: str) -> pl.Expr:
    """The item's points in whichever category table the row belongs to."""
    if item in FIGURE:
        value, base = FIGURE[item]
        raw = pl.col(value) - pl.col(base)
    else:
        raw = pl.col(item)
    tables = list(LINEAR.items())
    category, table = tables[0]
    rate, unit, cap = {**table, **COMMON}[item]
    expr = pl.when(pl.col("类别") == category).then((rate * raw / unit).clip(0, cap))
    for category, table in tables[1:]:
        rate, unit, cap = {**table, **COMMON}[item]
        expr = expr.when(pl.col("类别") == category).then((rate * raw / unit).clip(0, cap))
    return expr.otherwise(0.0).round(2).alias(item)


def score(df: pl.DataFrame) -> pl.DataFrame:
    balance, npl = pl.col("发放贷款余额"), pl.col("不良贷款余额")
    ratio = pl.when(balance > 0).then(npl / balance).otherwise(0.0)
    out = df.select(
        "工号", "姓名", "机构", "类别",
        *(_linear(item) for item in ITEMS if item not in ("不良占比及风险金", "代发工资")),
        pl.when(ratio == 0).then(6.0).when(ratio < 0.005).then(3.0).when(ratio < 0.01)
        .then(1.0).otherwise(0.0).alias("不良占比及风险金"),
        (3 * pl.col("代发工资50人以下") + 6 * pl.col("代发工资50人及以上")).clip(0, 12)
        .cast(pl.Float64).alias("代发工资"),
    )
    out = out.with_columns(
        *(pl.sum_horizontal(items).round(2).alias(group) for group, items in GROUPS.items()),
        pl.sum_horizontal(ITEMS).round(2).alias("总分"),
        pl.col("不良占比及风险金").alias("风险金计提"),
    )
    return out.with_columns(
        pl.col("总分").rank("min", descending=True).over("类别").cast(pl.Int64).alias("排名"),
        pl.col("总分").rank("min", descending=True).over("类别", "机构").cast(pl.Int64)
        .alias("机构内排名"),
    )


def write(scored: pl.DataFrame, path: Path) -> None:
    import xlsxwriter

    cols = ["排名", "机构内排名", "工号", "姓名", "机构", *ITEMS, *GROUPS, "总分", "风险金计提"]
    with xlsxwriter.Workbook(str(path)) as wb:
        for category in LINEAR:
            part = scored.filter(pl.col("类别") == category).sort("排名", "工号")
            part.select(cols).write_excel(wb, worksheet=f"{category}排名", autofit=False)


def main(argv: list[str]) -> None:
    src, out_dir = Path(argv[0]), Path(argv[1])
    scored = score(read(src))
    out_dir.mkdir(parents=True, exist_ok=True)
    write(scored, out_dir / "peer-polars-scores.xlsx")
    print(f"peer (polars): {len(scored)} CMs scored")


if __name__ == "__main__":
    main(sys.argv[1:])
