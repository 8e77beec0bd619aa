"""Regenerate examples/: ten monthly core-system exports, the SPEC §9 worked example,
a GBK CSV copy of October, and a README naming the story cases.

Run from the repo root: python scripts/make_examples.py  (needs openpyxl only).
Output is byte-for-byte reproducible, so re-running it leaves git clean.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

OUT = Path(__file__).resolve().parent.parent / "examples"
YEAR, MONTHS = 2026, range(1, 11)
CENT = Decimal("0.01")

# Exactly as a core system prints them: full-width brackets with units, full-width ＰＯＳ.
HEADERS = [
    "序号", "工号", "姓名", "机构", "类别", "放款户数", "放款金额（万元）", "管户户数",
    "上年末管户户数", "不良贷款余额（万元）", "发放贷款余额（万元）", "储蓄日均（万元）",
    "上年储蓄日均（万元）", "对公日均（万元）", "上年对公日均（万元）", "银行卡",
    "代发工资50人以下", "代发工资50人及以上", "个人网银", "企业网银", "ＰＯＳ收单",
]
NUMERIC = HEADERS[5:]
AMOUNTS = {h for h in NUMERIC if "万元" in h}

BRANCHES = {"城东支行": "11", "城西支行": "12", "高新支行": "13", "开发区支行": "14", "南湖支行": "15"}
HQ = "分行营业部"

# Story cases. 工号 = "0" + unit code + a scrambled 3-digit sequence (see roster()).
STAR = "011771"      # 城东支行: 9–10 loan households a month, annual task 48 reached in May
JOINER = "012832"    # 城西支行: joins in 2026-04, absent from January–March
GAP = "013893"       # 高新支行: absent from 2026-03 only
NPL = "014954"       # 开发区支行: NPL ratio ≥ 1% in 2026-08, -09, -10 (disqualification)
TWINS = ("015115", "015252")  # 南湖支行: identical figures every month (rank ties)
NA_NAME = "020420"   # 分行个金: 姓名 is the literal text "NA" (pandas reads it as NaN)
BIG_CORP = "030130"  # 分行公司: 对公日均 ≥ 1000, written "1,234.50"-style in the CSV
STAR_HOUSEHOLDS = [10, 9, 10, 10, 9, 9, 10, 9, 10, 9]  # Jan–Apr 39 < 48, Jan–May 48
NPL_RATIO = {7: "0.004", 8: "0.012", 9: "0.015", 10: "0.018"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史"
# Real given names (one or two characters), so 姓名 read like a staff list.
GIVEN = ("伟 芳 娜 敏 静 磊 军 洋 勇 杰 涛 超 斌 鹏 建华 建国 志强 志明 秀英 桂英 玉兰 海燕 "
         "晓东 晓明 丽娟 文博 欣怡 浩然 俊杰 雅婷 佳琪 思远 国平 红梅 雪梅 立新 春华 振华 "
         "永强 德明 丹丹 家豪 子轩 梦瑶 晓燕 卫东 明辉 婉清").split()


def money(x: float) -> Decimal:
    return Decimal(str(x)).quantize(CENT)


def roster() -> list[dict]:
    """40 CMs: 6 per 支行 branch, 5 分行个金, 5 分行公司; names drawn without repeats."""
    rng = random.Random("cmscore-names")
    units = [(b, "支行", code, 6) for b, code in BRANCHES.items()]
    units += [(HQ, "分行个金", "20", 5), (HQ, "分行公司", "30", 5)]
    cms, used = [], set()
    for branch, category, code, n in units:
        for k in range(n):
            emp_id = f"0{code}{100 + (k * 137 + int(code) * 61) % 900:03d}"
            name = ""
            while not name or name in used:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            used.add(name)
            cms.append({"id": emp_id, "name": "NA" if emp_id == NA_NAME else name,
                        "branch": branch, "category": category})
    ids = {c["id"] for c in cms}
    assert {STAR, JOINER, GAP, NPL, NA_NAME, BIG_CORP, *TWINS} <= ids and len(ids) == 40
    return cms


def series(cm: dict) -> dict[int, dict]:
    """Ten months of figures for one CM, keyed by month number.

    Each CM has its own RNG seeded by 工号, so editing one story case never reshuffles
    everybody else's numbers. All months are generated even for absent CMs so that
    stocks (balances, daily averages) stay continuous around a gap.
    """
    rng = random.Random(f"cmscore-{cm['id']}")
    # Baselines are last year's figures: fixed for the whole year.
    mh_base = rng.randint(80, 200)
    sav_base = money(rng.uniform(300, 2500))
    corp_base = money(1180.0 if cm["id"] == BIG_CORP else rng.uniform(100, 800))
    mh_trend = rng.choice([-1, 0, 1, 1, 2])      # some CMs lose households over the year
    sav_trend, corp_trend = rng.uniform(-4, 8), rng.uniform(-5, 10)
    balance = rng.uniform(200, 2800)
    # A minority carries a small NPL for a while; kept < 1% so only NPL is disqualified.
    npl_span = range(rng.randint(1, 8), rng.randint(6, 11)) if rng.random() < 0.18 else range(0)
    npl_rate = rng.uniform(0.001, 0.008)

    out = {}
    for m in MONTHS:
        if cm["id"] == STAR:
            households = STAR_HOUSEHOLDS[m - 1]
            lent = money(rng.uniform(80, 120))
        else:
            households = rng.choices(range(7), weights=[15, 20, 22, 18, 12, 8, 5])[0]
            lent = money(min(120.0, households * rng.uniform(6, 22)))
        balance = max(200.0, balance + float(lent) - rng.uniform(0, 30))
        bal = money(balance)
        if cm["id"] == NPL:
            npl = money(float(bal) * float(NPL_RATIO.get(m, "0")))
        else:
            wobble = npl_rate * rng.uniform(0.9, 1.1)  # stays < 0.9%
            npl = money(float(bal) * wobble) if m in npl_span else Decimal("0.00")
        out[m] = {
            "放款户数": households,
            "放款金额（万元）": lent,
            "管户户数": max(0, mh_base + mh_trend * m + rng.randint(-2, 2)),
            "上年末管户户数": mh_base,
            "不良贷款余额（万元）": npl,
            "发放贷款余额（万元）": bal,
            "储蓄日均（万元）": max(Decimal(0), sav_base + money(sav_trend * m + rng.uniform(-15, 15))),
            "上年储蓄日均（万元）": sav_base,
            "对公日均（万元）": max(Decimal(0), corp_base + money(corp_trend * m + rng.uniform(-25, 25))),
            "上年对公日均（万元）": corp_base,
            "银行卡": min(40, int(rng.triangular(0, 41, 8))),
            "代发工资50人以下": rng.choices([0, 1, 2], weights=[75, 18, 7])[0],
            "代发工资50人及以上": rng.choices([0, 1], weights=[92, 8])[0],
            "个人网银": rng.randint(0, 15),
            "企业网银": rng.choices([0, 1, 2, 3], weights=[55, 28, 12, 5])[0],
            "ＰＯＳ收单": rng.choices(range(6), weights=[30, 25, 18, 12, 9, 6])[0],
        }
    return out


def present(emp_id: str, m: int) -> bool:
    return not (emp_id == JOINER and m < 4) and not (emp_id == GAP and m == 3)


def month_rows(cms: list[dict], data: dict[str, dict], m: int) -> list[list]:
    rows = []
    for cm in (c for c in cms if present(c["id"], m)):
        figures = data[cm["id"]][m]
        ident = [len(rows) + 1, cm["id"], cm["name"], cm["branch"], cm["category"]]
        rows.append(ident + [figures[h] for h in NUMERIC])
    return rows


def freeze(path: Path) -> None:
    """Rewrite the zip with fixed timestamps: openpyxl stamps 'now' into the archive
    entries and docProps/core.xml, which would make every regeneration a git diff."""
    with zipfile.ZipFile(path) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in parts:
            if name == "docProps/core.xml":
                blob = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-11-01T00:00:00Z", blob)
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, blob)


def write_xlsx(path: Path, title: str, headers: list[str], rows: list[list],
               unit_row: bool = True, totals: bool = True) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "业绩"
    ws.append([title])
    ws.merge_cells(start_row=1, end_row=1, start_column=1, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    if unit_row:
        ws.append(["单位：万元、户"])
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = f"A{ws.max_row + 1}"  # a string: ws.cell() would create a row
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    if totals:
        # Exports print values, not formulas; Decimal sums avoid 0.30000000000000004.
        sums = [sum((r[i] for r in rows), start=Decimal(0) if h in AMOUNTS else 0)
                for i, h in enumerate(headers) if h in NUMERIC]
        ws.append([None, "合计", None, None, None] + [float(s) for s in sums])
    header_row = 3 if unit_row else 2
    for col, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(col)].width = 10 + len(h)
        for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=col, max_col=col):
            if h == "工号":
                cell.number_format = "@"  # text: keeps the leading zero
            elif h in AMOUNTS or h in ("放款金额", "储蓄日均净增", "对公日均净增"):
                cell.number_format = "0.00"
    wb.save(path)
    freeze(path)


def write_csv(path: Path, rows: list[list]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # csv quotes the comma-bearing cell itself
    w.writerow(HEADERS)
    corp = HEADERS.index("对公日均（万元）")
    for row in rows:
        cells = [f"{v:.2f}" if isinstance(v, Decimal) else v for v in row]
        if row[1] == BIG_CORP:
            # The single thousands-separated cell: what Excel "save as CSV" keeps from a
            # #,##0.00 format. One known cell lets the reader's test assert on it exactly.
            cells[corp] = f"{row[corp]:,.2f}"
        w.writerow(cells)
    path.write_bytes(buf.getvalue().encode("gbk"))


def worked_example(path: Path) -> None:
    """SPEC §9, with the alternative columns (ratio and net increases, no baselines
    for deposits), so a rule file's alias/alternative columns get exercised."""
    headers = ["工号", "姓名", "机构", "类别", "放款户数", "放款金额", "管户户数",
               "上年末管户户数", "不良率", "储蓄日均净增", "对公日均净增", "银行卡",
               "代发工资50人以下", "代发工资50人及以上", "个人网银", "企业网银", "POS收单"]
    row = ["E001", "张伟", "城东支行", "支行", 3, 50, 130, 126, 0, 20, 30, 12, 1, 0, 8, 1, 3]
    write_xlsx(path, "2026年10月客户经理业绩报表", headers, [row], unit_row=False, totals=False)


README = f"""# examples/

Generated by `python scripts/make_examples.py` (fixed seeds; do not edit by hand).
由脚本生成的演示数据，全部为虚构。

| File 文件 | What 内容 |
|---|---|
| `2026-01.xlsx` … `2026-10.xlsx` | 月度业绩导出（工作表「业绩」：标题行、单位行、表头、明细、合计行）。Monthly core-system exports: title, unit row, header on row 3, data, a 合计 totals row. ~40 CMs: 30 支行, 5 分行个金, 5 分行公司. |
| `worked-example.xlsx` | SPEC §9 算例：E001 张伟，使用「不良率」「储蓄日均净增」「对公日均净增」等替代列，总分 81.80。The worked example with the alternative columns; expected total 81.80. |
| `2026-10-gbk.csv` | 2026-10 的明细，GBK 编码、CRLF 换行，{BIG_CORP} 的对公日均写作带千分位的 "1,234.50" 形式。October's rows as GBK CSV with CRLF; one thousands-separated amount. |

Headers use full-width brackets with units (「放款金额（万元）」) and full-width
「ＰＯＳ收单」 to exercise header normalisation; 工号 are text with leading zeros.

## Story cases 演示场景

| 工号 | 场景 | Story |
|---|---|---|
| {STAR} | 城东支行，每月放款 9–10 户，5 月累计达到年度任务 48 户 | early completion from June |
| {JOINER} | 城西支行，2026-04 新增，1–3 月无数据 | joins in April → 三级 (新增人员) |
| {GAP} | 高新支行，仅 2026-03 缺失 | gap month in a window |
| {NPL} | 开发区支行，2026-08/09/10 不良率 ≥ 1% | 3 consecutive months ≥ 1% → disqualification warning |
| {TWINS[0]}, {TWINS[1]} | 南湖支行，两人每月数据完全相同 | ties share the best rank |
| {NA_NAME} | 分行个金，姓名为 `NA` | must stay the text "NA", not NaN |
| {BIG_CORP} | 分行公司，对公日均 ≥ 1000 万元 | thousands separator in the CSV |
"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    cms = roster()
    data = {cm["id"]: series(cm) for cm in cms}
    data[TWINS[1]] = data[TWINS[0]]  # same figures, different person
    for m in MONTHS:
        rows = month_rows(cms, data, m)
        title = f"{YEAR}年{m}月客户经理业绩报表"  # "1月", not "01月", as a system prints it
        write_xlsx(OUT / f"{YEAR}-{m:02d}.xlsx", title, HEADERS, rows)
        if m == 10:
            write_csv(OUT / f"{YEAR}-10-gbk.csv", rows)
    worked_example(OUT / "worked-example.xlsx")
    (OUT / "README.md").write_text(README, encoding="utf-8")
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


if __name__ == "__main__":
    main()
