"""The floor: the fastest read of an export plus the fastest write of a ranked-shaped sheet.

No header matching, no validation, no scoring, no store. Reads every cell of the first
sheet, then writes one row per CM with 21 columns (the width of cmscore's ranked sheets:
2 integers, 3 texts, 16 numbers). The floor the issue's targets use is fastexcel's read
(Arrow columns, then Python lists) + cmscore's own minimal sheet writer
(``cmscore.outputs.xlsx.Book``, fed column blocks as cmscore's ranked sheets are): the
figures go in as integer hundredths (the writer's exact-number path takes int or Decimal;
no Decimal per cell here). Whatever
cmscore does costs at least this much.

    python benchmarks/floor.py FILE OUT_DIR [--reader fastexcel|calamine]
                               [--writer cmscore|xlsxwriter] [--read-only]

--reader fastexcel parses into Arrow in Rust; handing the values to Python needs
pyarrow (exit 3 without it). --writer xlsxwriter is the earlier floor's writer
(constant_memory mode, one row at a time). --read-only stops after the read (fastexcel:
after the parse, values left in Arrow), to compare the readers alone.
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


def arrow_columns(path: Path) -> list[list]:
    """fastexcel's columns as Python lists; handing them over needs pyarrow (exit 3)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("floor: fastexcel needs pyarrow to hand its values to Python (not installed)",
              file=sys.stderr)
        sys.exit(3)
    return [c.to_pylist() for c in parse_fastexcel(path).to_arrow().columns]


def read_fastexcel(path: Path) -> list[list]:
    columns = arrow_columns(path)
    return [list(r) for r in zip(*columns, strict=True) if r[1] not in ("合计", None)]


def fastexcel_columns(path: Path) -> list[list]:
    """The export's columns from fastexcel's Arrow table: texts as str, figures as integer
    hundredths, the 合计 row dropped. In Python's own C loops, not pyarrow.compute: a
    Python value handed to pyarrow (a scalar, ``to_numpy``) makes it import pandas when
    pandas is installed (≈ 0.3 s), which no floor needs."""
    columns = arrow_columns(path)
    keep = [i for i, cm in enumerate(columns[1]) if cm not in ("合计", None)]
    if len(keep) != len(columns[1]):
        columns = [[c[i] for i in keep] for c in columns]
    return [c if k < 5 else list(map(round, map((100.0).__mul__, c)))
            for k, c in enumerate(columns)]


def write_cmscore(columns: list[list], path: Path) -> None:
    """The ranked shape through cmscore's own writer, BLOCK_ROWS rows a block."""
    from cmscore.outputs.celltext import BLOCK_ROWS, Blocks
    from cmscore.outputs.xlsx import Book, Column

    n = len(columns[0])
    ranks = list(range(1, n + 1))
    shape = [ranks, ranks, columns[1], columns[2], columns[3], *columns[5:21]]
    kinds = ["int", "int", "text", "text", "text", *("number",) * 16]
    book = Book(path, "floor", "")
    blocks = ([c[s:s + BLOCK_ROWS] for c in shape] for s in range(0, n, BLOCK_ROWS))
    book.sheet("排名", [Column(h, kind=k) for h, k in zip(COLUMNS, kinds, strict=True)],
               Blocks(blocks))
    book.close()


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
    reader = argv[argv.index("--reader") + 1] if "--reader" in argv else "fastexcel"
    writer = argv[argv.index("--writer") + 1] if "--writer" in argv else "cmscore"
    if "--read-only" in argv:
        n = parse_fastexcel(src).height if reader == "fastexcel" else len(read_calamine(src))
        print(f"floor: read {n} rows with {reader}")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    if writer == "cmscore" and reader == "fastexcel":
        columns = fastexcel_columns(src)
        write_cmscore(columns, out_dir / "floor-ranked.xlsx")
        n = len(columns[0])
    else:
        rows = read_fastexcel(src) if reader == "fastexcel" else read_calamine(src)
        if writer == "cmscore":
            write_cmscore([list(c) for c in zip(*rows, strict=True)], out_dir / "floor-ranked.xlsx")
        else:
            write(rows, out_dir / "floor-ranked.xlsx")
        n = len(rows)
    print(f"floor: {n} rows read with {reader}, written with {writer}")


if __name__ == "__main__":
    main(sys.argv[1:])
