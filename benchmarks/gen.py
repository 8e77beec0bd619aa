"""Generate realistic monthly core-system exports of any size for the benchmarks.

Same sheet shape as examples/2026-10.xlsx: a merged title row, a unit row, the header
on row 3 (full-width brackets and ＰＯＳ), one row per CM, and a 合计 row whose values
are the exact column sums. 工号 are text with a leading zero. About 75% 支行,
12.5% 分行个金, 12.5% 分行公司. Written with xlsxwriter in constant_memory mode.

The roster (who, where, last year's baselines, trends) depends only on the size, so
twelve months of one size are "the same bank" with monthly figures varying by month.
Amounts are drawn as whole cents, so the 合计 row is exact.

    python benchmarks/gen.py 10000 benchmarks/out/export-10000.xlsx [--month 2026-10]
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

HEADERS = [
    "序号", "工号", "姓名", "机构", "类别", "放款户数", "放款金额（万元）", "管户户数",
    "上年末管户户数", "不良贷款余额（万元）", "发放贷款余额（万元）", "储蓄日均（万元）",
    "上年储蓄日均（万元）", "对公日均（万元）", "上年对公日均（万元）", "银行卡",
    "代发工资50人以下", "代发工资50人及以上", "个人网银", "企业网银", "ＰＯＳ收单",
]
AMOUNT = [h for h in HEADERS if "万元" in h]  # written as cents / 100, format 0.00
PLACES = ("城东 城西 城南 城北 高新 开发区 南湖 北湖 江北 江南 滨江 新城 老城 港区 "
          "空港 大学城 金融城 东湖 西湖 科技园").split()
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟 芳 娜 敏 静 磊 军 洋 勇 杰 涛 超 斌 鹏 建华 建国 志强 志明 秀英 桂英 玉兰 海燕 "
         "晓东 晓明 丽娟 文博 欣怡 浩然 俊杰 雅婷 佳琪 思远 国平 红梅 雪梅 立新 春华 振华").split()
HQ = "分行营业部"
PER_BRANCH = 25  # 支行 CMs per 支行 branch


@dataclass
class CM:
    id: str
    name: str
    branch: str
    category: str
    households: int   # 上年末管户户数
    hh_trend: int
    savings: int      # 上年储蓄日均, cents
    sav_trend: int
    corporate: int    # 上年对公日均, cents
    corp_trend: int
    balance: int      # 发放贷款余额 at the start of the year, cents
    npl_rate: float   # 0 for most CMs


def branch_name(k: int) -> str:
    place = PLACES[k % len(PLACES)]
    return f"{place}支行" if k < len(PLACES) else f"{place}第{k // len(PLACES) + 1}支行"


def roster(n: int) -> list[CM]:
    rng = random.Random(f"cmscore-bench-roster-{n}")
    n_geren = round(n * 0.125)
    n_gongsi = round(n * 0.125)
    n_zhihang = n - n_geren - n_gongsi
    units = [(branch_name(i // PER_BRANCH), "支行", 1, i) for i in range(n_zhihang)]
    units += [(HQ, "分行个金", 2, i) for i in range(n_geren)]
    units += [(HQ, "分行公司", 3, i) for i in range(n_gongsi)]
    cms = []
    for branch, category, code, seq in units:
        savings = rng.randint(300_00, 2500_00)
        big = rng.random() < 0.02  # a few corporate CMs with ≥ 1000 万元 daily averages
        corporate = rng.randint(1000_00, 5000_00) if big else rng.randint(100_00, 800_00)
        cms.append(CM(
            id=f"0{code}{seq:06d}", name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            branch=branch, category=category,
            households=rng.randint(80, 200), hh_trend=rng.choice([-1, 0, 1, 1, 2]),
            savings=savings, sav_trend=rng.randint(-400, 800),
            corporate=corporate, corp_trend=rng.randint(-500, 1000),
            balance=rng.randint(200_00, 2800_00),
            npl_rate=rng.uniform(0.001, 0.008) if rng.random() < 0.18 else 0.0,
        ))
    return cms


def figures(cm: CM, month: int, rng: random.Random) -> list[int]:
    """One month's business columns (HEADERS[5:]), amounts in cents."""
    households = rng.choices(range(7), weights=[15, 20, 22, 18, 12, 8, 5])[0]
    lent = min(120_00, households * rng.randint(6_00, 22_00))
    balance = cm.balance + month * rng.randint(0, 40_00)
    npl = round(balance * cm.npl_rate * rng.uniform(0.9, 1.1)) if cm.npl_rate else 0
    return [
        households, lent,
        max(0, cm.households + cm.hh_trend * month + rng.randint(-2, 2)), cm.households,
        npl, balance,
        max(0, cm.savings + cm.sav_trend * month + rng.randint(-15_00, 15_00)), cm.savings,
        max(0, cm.corporate + cm.corp_trend * month + rng.randint(-25_00, 25_00)), cm.corporate,
        min(40, int(rng.triangular(0, 41, 8))),
        rng.choices([0, 1, 2], weights=[75, 18, 7])[0],
        rng.choices([0, 1], weights=[92, 8])[0],
        rng.randint(0, 15),
        rng.choices([0, 1, 2, 3], weights=[55, 28, 12, 5])[0],
        rng.choices(range(6), weights=[30, 25, 18, 12, 9, 6])[0],
    ]


def write_export(path: Path, n: int, year: int, month: int) -> Path:
    """Write an n-CM export for year-month to path (via a temp file) and return path."""
    cms = roster(n)
    rng = random.Random(f"cmscore-bench-{n}-{year}-{month}")
    amount_at = {HEADERS.index(h) - 5 for h in AMOUNT}
    tmp = path.with_name(path.name + ".tmp.xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("业绩")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    bold = wb.add_format({"bold": True})
    text = wb.add_format({"num_format": "@"})
    cents = wb.add_format({"num_format": "0.00"})
    for j, h in enumerate(HEADERS):
        ws.set_column(j, j, 10 + len(h), cents if h in AMOUNT else None)
    ws.merge_range(0, 0, 0, len(HEADERS) - 1, f"{year}年{month}月客户经理业绩报表", title)
    ws.write_string(1, 0, "单位：万元、户")
    ws.write_row(2, 0, HEADERS, bold)
    ws.freeze_panes(3, 0)
    sums = [0] * (len(HEADERS) - 5)
    for i, cm in enumerate(cms):
        r = 3 + i
        cents = figures(cm, month, rng)
        for k, v in enumerate(cents):
            sums[k] += v
        values = [v / 100 if k in amount_at else v for k, v in enumerate(cents)]
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, cm.id, text)
        ws.write_row(r, 2, (cm.name, cm.branch, cm.category))
        ws.write_row(r, 5, values)
    total = [s / 100 if k in amount_at else s for k, s in enumerate(sums)]
    ws.write_string(3 + n, 1, "合计", bold)
    ws.write_row(3 + n, 5, total, bold)
    wb.close()
    tmp.replace(path)
    return path


def main(argv: list[str]) -> None:
    n, out = int(argv[0]), Path(argv[1])
    year, month = 2026, 10
    if "--month" in argv:
        year, month = map(int, argv[argv.index("--month") + 1].split("-"))
    write_export(out, n, year, month)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
