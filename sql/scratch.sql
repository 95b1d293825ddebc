-- Scratch tables of one backfill. TEMP: they live in this connection only and
-- never touch the user's database file.
CREATE TEMP TABLE consortium_names (name TEXT PRIMARY KEY);

-- Runs grouped with --include-orphans: no output row (read by verify).
CREATE TEMP TABLE orphan_runs (id TEXT PRIMARY KEY);

CREATE TEMP TABLE candidates (
    rid INTEGER PRIMARY KEY,
    dt REAL,
    arbiter_format TEXT,
    response_hash INTEGER,
    synthesis_hash INTEGER
);

CREATE TEMP TABLE assignments (
    rid INTEGER PRIMARY KEY,
    run_rid INTEGER NOT NULL,
    role TEXT NOT NULL,
    iteration INTEGER,
    quoted_by_rid INTEGER,
    source TEXT
);

CREATE INDEX temp.assignments_by_run ON assignments (run_rid, role);

-- One row per run found: keyed by its output row, or by its final arbiter
-- for an orphan run (--include-orphans), which has no output row.
CREATE TEMP TABLE runs (
    run_rid INTEGER PRIMARY KEY,
    output_rid INTEGER,
    output_id TEXT,
    arbiter_rid INTEGER,
    arbiter_id TEXT,
    arbiter_datetime TEXT,
    arbiter_dt REAL,
    window_start REAL,
    skip_reason TEXT,
    parsed TEXT,
    consortium_id TEXT
);

-- The texts each run's final arbiter quotes, one row per distinct text of a
-- kind: member answers and earlier syntheses. A text quoted k times may
-- claim k rows.
CREATE TEMP TABLE snippets (
    run_rid INTEGER NOT NULL,
    kind TEXT NOT NULL,
    hash INTEGER,
    start INTEGER,
    length INTEGER,
    quotes TEXT
);

CREATE INDEX temp.snippets_by_run ON snippets (run_rid, kind);
