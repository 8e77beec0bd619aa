"""The history store's tables, as the migrations that build them, oldest first.

``store.connect`` runs every step above the file's ``user_version`` in one transaction
each, so a store made by any earlier version is brought up to date on first use.
"""

SCHEMA_VERSION = 14
# The oldest version the commands that only read (check, explain, diff, report, db backup)
# understand: they never migrate, so a store older than this is refused, naming
# ``cmscore db migrate``. A migration that changes what they read raises it.
READS_FROM = 13

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        month TEXT NOT NULL,
        file_name TEXT,
        file_sha256 TEXT,
        rules TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        started_at TEXT NOT NULL,
        superseded_by INTEGER REFERENCES runs(id)
    ) STRICT;
    CREATE TABLE months (
        month TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id)
    ) STRICT;
    CREATE TABLE scores (
        month TEXT NOT NULL REFERENCES months(month),
        cm_id TEXT NOT NULL,
        name TEXT NOT NULL,
        branch TEXT NOT NULL,
        category TEXT NOT NULL,
        total_cp INTEGER NOT NULL,
        risk_fund_cp INTEGER NOT NULL,
        rank INTEGER NOT NULL,
        branch_rank INTEGER NOT NULL,
        npl_ratio TEXT,
        inputs TEXT NOT NULL,
        PRIMARY KEY (month, cm_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX scores_by_cm ON scores (cm_id, month);
    CREATE TABLE items (
        month TEXT NOT NULL,
        cm_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        points_cp INTEGER NOT NULL,
        figure TEXT,
        figure_micro INTEGER,
        baseline TEXT,
        early INTEGER NOT NULL,
        risk_fund_cp INTEGER NOT NULL,
        PRIMARY KEY (month, cm_id, item_id)
    ) STRICT, WITHOUT ROWID;
    """,
    2: """
    CREATE TABLE gradings (
        effective_month TEXT PRIMARY KEY,
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL,
        months INTEGER NOT NULL,
        pool_size INTEGER NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id)
    ) STRICT;
    CREATE TABLE grades (
        effective_month TEXT NOT NULL REFERENCES gradings(effective_month),
        cm_id TEXT NOT NULL,
        name TEXT NOT NULL,
        branch TEXT NOT NULL,
        category TEXT NOT NULL,
        average_cp INTEGER,
        rank INTEGER,
        grade TEXT NOT NULL CHECK (grade IN ('一级', '二级', '三级')),
        reason TEXT NOT NULL,
        boundary TEXT NOT NULL,
        flags TEXT NOT NULL,
        PRIMARY KEY (effective_month, cm_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE payrolls (
        month TEXT PRIMARY KEY REFERENCES months(month),
        run_id INTEGER NOT NULL REFERENCES runs(id)
    ) STRICT;
    CREATE TABLE pay (
        month TEXT NOT NULL REFERENCES payrolls(month),
        cm_id TEXT NOT NULL,
        grade TEXT NOT NULL,
        base_fen INTEGER NOT NULL,
        score_cp INTEGER NOT NULL,
        pay_fen INTEGER NOT NULL,
        release_fen INTEGER NOT NULL,
        forfeit_fen INTEGER NOT NULL,
        PRIMARY KEY (month, cm_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE supervisor_pay (
        month TEXT NOT NULL REFERENCES payrolls(month),
        supervisor_id TEXT NOT NULL,
        name TEXT NOT NULL,
        title TEXT NOT NULL,
        scope TEXT NOT NULL,
        wage_fen INTEGER NOT NULL,
        average_cp INTEGER NOT NULL,
        pay_fen INTEGER NOT NULL,
        PRIMARY KEY (month, supervisor_id)
    ) STRICT, WITHOUT ROWID;
    """,
    3: """
    CREATE TABLE closed_months (
        month TEXT PRIMARY KEY REFERENCES months(month),
        closed_at TEXT NOT NULL,
        closed_by TEXT NOT NULL
    ) STRICT;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        month TEXT NOT NULL,
        reason TEXT NOT NULL
    ) STRICT;
    CREATE INDEX items_by_month_item ON items (month, item_id);
    """,
    # grade and payroll read every CM's total and risk fund over a year: from this index
    # they read 30 bytes a row instead of the whole row with its raw figures (~550 bytes).
    # Built once when an older store is first opened: ~2 s on a 1.9 GB store.
    4: """
    CREATE INDEX scores_points ON scores (month, cm_id, total_cp, risk_fund_cp);
    """,
    # Items keyed month → item → CM: a month is stored an item column at a time, in key
    # order, and year-to-date sums read one item's months without a second index (whose
    # upkeep was 40% of storing a national month).
    5: """
    CREATE TABLE items_by_item (
        month TEXT NOT NULL,
        item_id TEXT NOT NULL,
        cm_id TEXT NOT NULL,
        points_cp INTEGER NOT NULL,
        figure TEXT,
        figure_micro INTEGER,
        baseline TEXT,
        early INTEGER NOT NULL,
        risk_fund_cp INTEGER NOT NULL,
        PRIMARY KEY (month, item_id, cm_id)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO items_by_item SELECT month, item_id, cm_id, points_cp, figure, figure_micro,
        baseline, early, risk_fund_cp FROM items ORDER BY month, item_id, cm_id;
    DROP TABLE items;
    ALTER TABLE items_by_item RENAME TO items;
    """,
    # The workbook each score/grade/payroll run wrote, recorded in the run's own
    # transaction: the store is the truth and the workbook its view. ``temp`` is where the
    # finished workbook waits until it is moved into place after COMMIT; ``placed`` is set
    # once it is, so a run killed in between is finished by the next (outputs.files).
    6: """
    CREATE TABLE workbooks (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        temp TEXT NOT NULL,
        placed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, path)
    ) STRICT;
    CREATE INDEX workbooks_by_path ON workbooks (path, run_id);
    """,
    # The year stays right (issue 14): what each month, grading and payroll was built from,
    # gradings made stale by a later correction, and paid months' differences carried by a
    # later payroll (never rewritten in place).
    7: """
    ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT '';
    CREATE TABLE month_sources (
        month TEXT NOT NULL REFERENCES months(month),
        source_month TEXT NOT NULL,
        source_run INTEGER NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL CHECK (kind IN ('year_to_date', 'baseline')),
        PRIMARY KEY (month, source_month)
    ) STRICT, WITHOUT ROWID;
    ALTER TABLE gradings ADD COLUMN stale TEXT NOT NULL DEFAULT '';
    CREATE TABLE grading_sources (
        effective_month TEXT NOT NULL REFERENCES gradings(effective_month),
        month TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (effective_month, month)
    ) STRICT, WITHOUT ROWID;
    ALTER TABLE payrolls ADD COLUMN score_run INTEGER;
    ALTER TABLE payrolls ADD COLUMN grading TEXT;
    CREATE TABLE restatements (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        cm_id TEXT NOT NULL,
        name TEXT NOT NULL,
        paid_fen INTEGER NOT NULL,
        due_fen INTEGER NOT NULL,
        difference_fen INTEGER NOT NULL,
        reason TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        carried_by TEXT,
        carried_run INTEGER REFERENCES runs(id),
        void_run INTEGER REFERENCES runs(id)
    ) STRICT;
    CREATE INDEX restatements_pending ON restatements (carried_by, void_run);
    """,
    # 期初累计: year-to-date figures through ``through`` carried in from before the store's
    # first month of the year (a bank adopting cmscore mid-year), added to year-to-date.
    8: """
    CREATE TABLE opening_ytd (
        year TEXT NOT NULL,
        cm_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        figure TEXT NOT NULL,
        through TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (year, item_id, cm_id)
    ) STRICT, WITHOUT ROWID;
    """,
    # Adjustments (issue 16): a manual change with its reason, basis and approver, kept
    # for good (a revocation is recorded on it, never a deletion); and what each one
    # moved in the month as last stored, rewritten with the month's rows, so the computed
    # total is the stored total less its effects. And the 第十六条 events (损失、失职、投诉、
    # 违规) the scoring never hears of, kept per manager by date.
    9: """
    CREATE TABLE adjustments (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        cm_id TEXT NOT NULL,
        item TEXT NOT NULL,
        points_cp INTEGER NOT NULL,
        reason TEXT NOT NULL,
        basis TEXT NOT NULL,
        approved_by TEXT NOT NULL,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        file_row INTEGER NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT,
        revoke_reason TEXT,
        revoke_run INTEGER REFERENCES runs(id)
    ) STRICT;
    CREATE INDEX adjustments_by_month ON adjustments (month, cm_id);
    CREATE TABLE adjustment_effects (
        month TEXT NOT NULL,
        adjustment_id INTEGER NOT NULL REFERENCES adjustments(id),
        cm_id TEXT NOT NULL,
        applied_cp INTEGER NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (month, adjustment_id)
    ) STRICT;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        cm_id TEXT NOT NULL,
        date TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('损失', '失职', '投诉', '违规')),
        description TEXT NOT NULL,
        source TEXT NOT NULL,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        file_row INTEGER NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_cm ON events (cm_id, date);
    """,
    # The roster (花名册, issue 15): what the exports cannot say — 任职日期, 离职日期, 状态,
    # the months of leave. Each file recorded whole and kept; the latest one is in force.
    10: """
    CREATE TABLE staff_files (
        id INTEGER PRIMARY KEY,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        sheet TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    ) STRICT;
    CREATE TABLE staff (
        file_id INTEGER NOT NULL REFERENCES staff_files(id),
        cm_id TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        branch TEXT NOT NULL,
        appointed TEXT NOT NULL,
        left_on TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('在岗', '休假', '离职')),
        leave TEXT NOT NULL,
        file_row INTEGER NOT NULL,
        PRIMARY KEY (file_id, cm_id)
    ) STRICT, WITHOUT ROWID;
    """,
    # 任务下达 (issue 15): the year's assigned annual tasks per 工号 or 机构 and item, read
    # by every month of the year (scoring, a cascade, explain) so all use the same task.
    11: """
    CREATE TABLE tasks (
        year TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('工号', '机构')),
        key TEXT NOT NULL,
        item_id TEXT NOT NULL,
        task TEXT NOT NULL,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        PRIMARY KEY (year, scope, key, item_id)
    ) STRICT, WITHOUT ROWID;
    """,
    # A store laid out for its queries (issue 19): a month's items as one row per item whose
    # fields are JSON arrays over its managers (store.itemcols), instead of a row per manager
    # and item; and the running year-to-date per item and manager through each stored month,
    # and per month the managers' columns grade and payroll read (``month_points``: ids in
    # order, totals, risk fund, category, NPL ratio), both filled by ``itemcols.fill_new``
    # right after this step, in the same transaction.
    12: """
    CREATE TABLE item_columns (
        month TEXT NOT NULL,
        item_id TEXT NOT NULL,
        cm_ids TEXT NOT NULL,
        points_cp TEXT NOT NULL,
        figure TEXT NOT NULL,
        figure_micro TEXT NOT NULL,
        baseline TEXT,
        early TEXT NOT NULL,
        risk_fund_cp TEXT NOT NULL,
        PRIMARY KEY (month, item_id)
    ) STRICT;
    INSERT INTO item_columns SELECT month, item_id, json_group_array(cm_id),
        json_group_array(points_cp), json_group_array(figure), json_group_array(figure_micro),
        json_group_array(baseline), json_group_array(early), json_group_array(risk_fund_cp)
        FROM (SELECT * FROM items ORDER BY month, item_id, cm_id) GROUP BY month, item_id;
    DROP TABLE items;
    CREATE TABLE ytd (
        month TEXT NOT NULL,
        item_id TEXT NOT NULL,
        cm_ids TEXT NOT NULL,
        totals TEXT NOT NULL,
        PRIMARY KEY (month, item_id)
    ) STRICT;
    CREATE TABLE month_points (
        month TEXT PRIMARY KEY,
        cm_ids TEXT NOT NULL,
        total_cp TEXT NOT NULL,
        risk_fund_cp TEXT NOT NULL,
        category TEXT NOT NULL,
        npl_ratio TEXT NOT NULL
    ) STRICT;
    """,
    # A grading as one row (issue 19): each field a JSON array over its managers in 工号
    # order, as month_points holds a month. A national grading is 100k managers: their rows
    # cost 0.4 s of a run to insert and were only ever read whole (store.history reads it).
    13: """
    CREATE TABLE grade_columns (
        effective_month TEXT PRIMARY KEY REFERENCES gradings(effective_month),
        cm_ids TEXT NOT NULL,
        names TEXT NOT NULL,
        branches TEXT NOT NULL,
        categories TEXT NOT NULL,
        average_cp TEXT NOT NULL,
        ranks TEXT NOT NULL,
        grades TEXT NOT NULL,
        reasons TEXT NOT NULL,
        boundaries TEXT NOT NULL,
        flags TEXT NOT NULL
    ) STRICT;
    INSERT INTO grade_columns SELECT effective_month, json_group_array(cm_id),
        json_group_array(name), json_group_array(branch), json_group_array(category),
        json_group_array(average_cp), json_group_array(rank), json_group_array(grade),
        json_group_array(reason), json_group_array(boundary), json_group_array(json(flags))
        FROM (SELECT * FROM grades ORDER BY effective_month, cm_id) GROUP BY effective_month;
    DROP TABLE grades;
    """,
    # A month's raw figures as columns (issue 19, store.inputcols): one row per part (a
    # category's block) instead of a JSON object in every ``scores`` row, which months
    # stored from now on leave empty. Earlier months keep theirs: nothing is rewritten.
    14: """
    CREATE TABLE input_columns (
        month TEXT NOT NULL,
        part INTEGER NOT NULL,
        cm_ids TEXT NOT NULL,
        columns TEXT NOT NULL,
        figures TEXT NOT NULL,
        PRIMARY KEY (month, part)
    ) STRICT;
    """,
}
