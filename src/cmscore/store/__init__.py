"""The history store: one SQLite file that is the truth of every month, grading and payroll.

Lives here: ``db`` (connection, lock, transactions, run records, the months' scores),
``schema`` (the migrations, oldest first), ``monthrows`` (a scored month → the store's
rows) and ``history`` (gradings, pay and the windows they read). A new table goes in
``schema`` as a new migration; its reads and writes beside the others of its kind.

May import: ``engine``, ``rules`` and the kernel. Never ``inputs``, ``outputs`` or ``app``.
"""
