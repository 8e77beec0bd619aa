"""The peer: what a bank analyst would write in pandas to score a month (the baseline).

Reads the export with openpyxl, drops the 合计 row, scores the three tables
(附件1–3, SPEC §3) with vectorised numpy/pandas in floats, ranks with method="min",
and writes the ranked sheets with DataFrame.to_excel (openpyxl). No history store, no
early completion, no validation: the baseline a tool has to beat.

    python benchmarks/peer.py FILE OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from tables import COMMON, FIGURE, GROUPS, ITEMS, LINEAR


def read(path: Path) -> pd.DataFrame:
    df = pd.read_excel(path, engine="openpyxl", header=2, dtype={"工号": str})
    df.columns = [str(c).replace("（万元）", "").replace("ＰＯＳ", "POS") for c in df.columns]
    df = df[df["工号"].notna() & (df["工号"] != "合计")]
    return df.fillna({c: 0 for c in df.columns[5:]})


def score(df: pd.DataFrame) -> pd.DataFrame:
    out = df[["工号", "姓名", "机构", "类别"]].copy()
    for item in ITEMS:
        out[item] = 0.0
    for category, table in LINEAR.items():
        rows = (df["类别"] == category).to_numpy()
        for item, (rate, unit, cap) in {**table, **COMMON}.items():
            if item in FIGURE:
                value, base = FIGURE[item]
                raw = df.loc[rows, value] - df.loc[rows, base]
            else:
                raw = df.loc[rows, item]
            out.loc[rows, item] = np.clip(rate * raw / unit, 0, cap).round(2)
    balance = df["发放贷款余额"].to_numpy(dtype=float)
    npl = df["不良贷款余额"].to_numpy(dtype=float)
    ratio = np.divide(npl, balance, out=np.zeros_like(npl), where=balance > 0)
    out["不良占比及风险金"] = np.select([ratio == 0, ratio < 0.005, ratio < 0.01], [6.0, 3.0, 1.0], 0.0)
    clients = 3 * df["代发工资50人以下"] + 6 * df["代发工资50人及以上"]
    out["代发工资"] = np.clip(clients, 0, 12).astype(float)
    for group, items in GROUPS.items():
        out[group] = out[items].sum(axis=1).round(2)
    out["总分"] = out[ITEMS].sum(axis=1).round(2)
    out["风险金计提"] = out["不良占比及风险金"]
    out["排名"] = out.groupby("类别")["总分"].rank(method="min", ascending=False).astype(int)
    out["机构内排名"] = (out.groupby(["类别", "机构"])["总分"]
                         .rank(method="min", ascending=False).astype(int))
    return out


def write(scored: pd.DataFrame, path: Path) -> None:
    cols = ["排名", "机构内排名", "工号", "姓名", "机构", *ITEMS, *GROUPS, "总分", "风险金计提"]
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for category in LINEAR:
            part = scored[scored["类别"] == category].sort_values(["排名", "工号"])
            part[cols].to_excel(xw, sheet_name=f"{category}排名", index=False)


def main(argv: list[str]) -> None:
    src, out_dir = Path(argv[0]), Path(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    scored = score(read(src))
    write(scored, out_dir / "peer-scores.xlsx")
    print(f"peer: {len(scored)} CMs scored")


if __name__ == "__main__":
    main(sys.argv[1:])
