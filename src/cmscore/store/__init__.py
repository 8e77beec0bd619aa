"""The history store: one SQLite file that is the truth of every month, grading and payroll.

Lives here: ``db`` (connection, lock, transactions, run records, the months' scores),
``schema`` (the migrations, oldest first), ``monthrows`` (a scored month → the store's
rows), ``history`` (gradings, pay and the windows they read), ``gradecols`` (a grading's
grades as one row of columns), ``access`` (the lock
file, the store opened read-only, what a full disk or a read-only store means) and
``workbooks`` (which workbook each run wrote, and placing one a killed run left) and
``staff`` (the 花名册 files, the latest in force; managers who changed category). A new
table goes in ``schema`` as a new migration; its reads and writes beside the others of
its kind.

May import: ``engine``, ``rules`` and the kernel. Never ``inputs``, ``outputs`` or ``app``.
"""
