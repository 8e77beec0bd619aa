"""附件1–3 as the peers score them (floats): rates, units, caps, the items and groups.

Shared by ``peer.py`` (pandas) and ``peer_polars.py``, so both peers score the same
rules and neither imports the other's library."""

# item: (rate, unit, cap) per category: points = clip(rate × figure / unit, 0, cap).
# The figure of a vs_baseline item is value − baseline (FIGURE names the two columns).
LINEAR: dict[str, dict[str, tuple[float, int, int]]] = {
    "支行": {"放款户数": (2.5, 1, 20), "放款金额": (1, 4, 36), "管户户数": (2, 1, 12),
             "储蓄日均净增": (1, 1, 30), "对公日均净增": (1, 2, 50)},
    "分行个金": {"放款户数": (1, 1, 20), "放款金额": (1, 8, 56), "管户户数": (1, 1, 32),
                 "储蓄日均净增": (1, 1, 20), "对公日均净增": (1, 1, 20)},
    "分行公司": {"放款户数": (10, 1, 20), "放款金额": (1, 40, 56), "管户户数": (16, 1, 32),
                 "储蓄日均净增": (1, 2, 10), "对公日均净增": (1, 2, 30)},
}
# Same in all three tables.
COMMON: dict[str, tuple[float, int, int]] = {
    "银行卡": (0.2, 1, 6), "个人网银": (0.3, 1, 6), "企业网银": (2, 1, 8), "POS收单": (1, 1, 8)}
FIGURE = {"储蓄日均净增": ("储蓄日均", "上年储蓄日均"), "对公日均净增": ("对公日均", "上年对公日均"),
          "管户户数": ("管户户数", "上年末管户户数")}
ITEMS = ["放款户数", "放款金额", "管户户数", "不良占比及风险金", "储蓄日均净增", "对公日均净增",
         "银行卡", "代发工资", "个人网银", "企业网银", "POS收单"]
GROUPS = {"贷款类小计": ITEMS[:4], "存款类小计": ITEMS[4:6], "中间业务类小计": ITEMS[6:]}
