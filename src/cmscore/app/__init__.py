"""One module per command family: each reads, calls the engine, stores and writes.

Lives here: ``score`` (check, score), ``grade``, ``payroll``, ``review`` (explain, diff,
report), ``summary`` (a quarter's or a year's months), ``show`` (show, status),
``cascade`` (a correction through the year), ``admin`` (close, reopen, db backup, db
migrate), ``config`` (``cmscore.toml`` and the order the store, outputs and rules are
found in), ``setup`` (init, ``--version``) and ``common`` (what they share). This is the
library that ``cmscore.cli`` is a thin Typer layer over; a new command's work goes here,
its options and printing in ``cli``.

May import: every layer below (``outputs``, ``store``, ``inputs``, ``engine``, ``rules``,
the kernel). Never ``cli``.
"""
