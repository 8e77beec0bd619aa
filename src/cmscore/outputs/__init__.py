"""What people read: workbooks, the HTML report, JSON documents and terminal summaries.

Lives here: ``xlsx`` and ``celltext`` (the project's own streaming SpreadsheetML writer),
``layout`` (how a sheet looks and prints: widths, heights, panes, page setup, styles),
``aside`` (writing a workbook on the second core while the store commits), ``files``
(output files whole or not at all, private, checked before anything is stored),
``scores`` (the month's workbook and 公示, JSON and summary), ``grades``, ``payroll`` (with
the salary system's import file), ``restatements`` (补发/扣回 carried by a payroll),
``review`` (explain and diff), ``summary`` (quarter and year), ``htmlreport``,
``rulestables`` (``rules show``: 附件1–3 as printed) and ``common`` (the 运行记录 and list
lengths they share). A new sheet goes in the module of its workbook; a new workbook gets a
module of its own.

May import: ``store`` (to read what it renders), ``engine``, ``rules`` and the kernel.
Never ``app`` or ``cli``.
"""
