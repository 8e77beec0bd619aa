"""Files people hand to cmscore → typed values, every problem located (file, sheet, row, column).

Lives here: ``preflight`` (a file's bytes checked before any parser runs), ``sources``
(xlsx/xls/ods/csv/txt/html → plain grids; the only module that knows file formats),
``htmltable``, ``headers`` (the header row and which column each item reads), ``cells``
(cells → Decimals and names, a column at a time), ``origin`` (merged ranges and formula
cells among the cells read), ``totals`` (the rows that are not managers, and the check
that every totals row adds up), ``reader`` (a grid → ``engine.month`` values) and
``supervisors`` (the 第十二条 supervisors file) and ``roster`` (the 花名册: 任职、离职、休假). A new input file format goes
in ``sources``; a new kind of input file (roster, tasks, adjustments) gets its own module.

May import: ``engine`` (for the typed values it produces), ``rules`` and the kernel.
Never ``store``, ``outputs`` or ``app``.
"""
