"""The floor: the fastest read of an export plus the fastest write of a ranked-shaped sheet.

No header matching, no validation, no scoring, no store. Reads every cell of the first
sheet into Python values, then writes one row per CM with 21 columns (the width of
cmscore's ranked sheets: 2 integers, 3 texts, 16 numbers) with xlsxwriter in
constant_memory mode. Whatever cmscore does costs at least this much.

    python benchmarks/floor.py FILE OUT_DIR [--reader calamine|fastexcel] [--read-only]

--reader fastexcel parses into Arrow in Rust; handing the values to Python needs
pyarrow (exit 3 without it). --read-only stops after the read (fastexcel: after the
parse, values left in Arrow), to compare the readers alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER_ROW = 2  # 0-based: title, unit row, header
COLUMNS = ["排名", "机构内排名", "工号", "姓名", "机构", *(f"列{k}" for k in range(16))]


def read_calamine(path: Path) -> list[list]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return [r for r in rows[HEADER_ROW + 1:] if r[1] not in ("合计", "")]


def parse_fastexcel(path: Path):
    import fastexcel

    return fastexcel.read_excel(str(path)).load_sheet(0, header_row=HEADER_ROW,
                                                      dtypes={"工号": "string"})


def read_fastexcel(path: Path) -> list[list]:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("floor: fastexcel needs pyarrow to hand its values to Python (not installed)",
              file=sys.stderr)
        sys.exit(3)
    columns = [c.to_pylist() for c in parse_fastexcel(path).to_arrow().columns]
    return [list(r) for r in zip(*columns, strict=True) if r[1] not in ("合计", None)]


def write(rows: list[list], path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("排名")
    ws.write_row(0, 0, COLUMNS)
    for i, r in enumerate(rows, start=1):
        # rank, rank in branch, 工号, 姓名, 机构, then the 16 figures of the export row
        ws.write_row(i, 0, (i, i, r[1], r[2], r[3], *r[5:21]))
    wb.close()


def main(argv: list[str]) -> None:
    src, out_dir = Path(argv[0]), Path(argv[1])
    reader = argv[argv.index("--reader") + 1] if "--reader" in argv else "calamine"
    if "--read-only" in argv:
        n = parse_fastexcel(src).height if reader == "fastexcel" else len(read_calamine(src))
        print(f"floor: read {n} rows with {reader}")
        return
    rows = read_fastexcel(src) if reader == "fastexcel" else read_calamine(src)
    out_dir.mkdir(parents=True, exist_ok=True)
    write(rows, out_dir / "floor-ranked.xlsx")
    print(f"floor: {len(rows)} rows read with {reader} and written")


if __name__ == "__main__":
    main(sys.argv[1:])
