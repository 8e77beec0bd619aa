"""The arithmetic of the regulation: pure functions over typed values, exact (Decimal, or
integers where a column's figures scale exactly: ``fixedpoint``).

Lives here: ``month`` (a month's typed rows), ``points`` (one figure → points),
``fixedpoint`` (a linear item's column in integer hundredths, when exact),
``itemcolumns`` (one item for a whole category), ``itemscore`` and ``sentences`` (one
manager's item and its sentence; ``sentencecolumns``: an item column's sentences at
once), ``scoring`` (a month: totals, ranks), ``grading`` (一级/二级/三级 over a window),
``staff`` (what the 花名册 says of a manager; months of another category left out of his
average), ``tasks`` (the annual task of early completion, per manager and item), ``pay``
(monthly pay, risk fund, supervisors; ``paylines``: its lines, kept as columns) and
``results`` (what explain and diff find). A new scoring rule kind's arithmetic goes in
``itemcolumns`` (its sentence in ``sentences``).

May import: ``rules`` and the kernel only. No I/O, no SQLite, no workbooks — checked by
import-linter (``pyproject.toml``), so every function here can be tested with values.
"""
