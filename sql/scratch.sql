-- Scratch tables of one backfill. TEMP: they live in this connection only and
-- never touch the user's database file.
CREATE TEMP TABLE consortium_names (name TEXT PRIMARY KEY);

-- Rows logged under a consortium's name (its output rows), among those this
-- pass reads as new (sql/named_rows.sql): the phases that look for output
-- rows read them here instead of each scanning the table again.
CREATE TEMP TABLE named_rows (rid INTEGER PRIMARY KEY);

-- Runs as the backfill recorded them in its history table (read by verify,
-- which checks these alone): an orphan run (--include-orphans) has no output
-- row; an accepted run's final arbiter was confirmed by hand, wherever it was
-- logged.
CREATE TEMP TABLE recorded_runs (
    id TEXT PRIMARY KEY, output_response_id TEXT, config_name TEXT, accepted INTEGER,
    final_arbiter_response_id TEXT
);

-- Recorded runs whose final arbiter was another consortium: that row is the
-- inner run's output, in the inner run.
CREATE TEMP TABLE nested_runs (id TEXT PRIMARY KEY);

CREATE TEMP TABLE candidates (
    rid INTEGER PRIMARY KEY,
    dt REAL,
    arbiter_format TEXT,
    response_hash INTEGER,
    synthesis_hash INTEGER
);

-- One rowid range of responses as sql/candidates.sql reads it, once.
CREATE TEMP TABLE range_rows (
    rid INTEGER PRIMARY KEY,
    dt REAL,
    grouped INTEGER,
    anchor INTEGER,
    conversation_id TEXT,
    in_window INTEGER,
    arbiter_format TEXT,
    response_hash INTEGER,
    synthesis_hash INTEGER
);

-- Arbiter rows with an llm conversation, inside some run's window (filled
-- with the candidates, read by sql/chain.sql): grouped ones included.
CREATE TEMP TABLE conversation_arbiters (
    rid INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL
);

-- The earlier arbiters each automatic-context run takes from its conversation.
CREATE TEMP TABLE chain_links (
    rid INTEGER PRIMARY KEY,
    run_rid INTEGER NOT NULL,
    iteration INTEGER NOT NULL
);

CREATE TEMP TABLE grouped_arbiters (
    rid INTEGER PRIMARY KEY,
    arbiter_format TEXT,
    synthesis_hash INTEGER,
    response_hash INTEGER
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
    output_dt REAL,
    arbiter_rid INTEGER,
    arbiter_id TEXT,
    arbiter_datetime TEXT,
    arbiter_dt REAL,
    window_start REAL,
    nested INTEGER DEFAULT 0,
    skip_reason TEXT,
    parsed TEXT,
    consortium_id TEXT,
    -- A skipped run's likely final arbiter (likely.sql): a hint, never applied.
    likely_rid INTEGER
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

-- The consortium_logs.db era (llm-consortium 0.8+): what its file says, read
-- once (sql/c08_load.sql), and the links of logs.db's output rows to its runs.
CREATE TEMP TABLE c08_runs (
    id TEXT PRIMARY KEY,
    created_at TEXT,
    created_dt REAL,
    config_name TEXT,
    iteration_count INTEGER,
    user_prompt TEXT,
    status TEXT,
    last_synthesis TEXT,
    final_arbiter_id TEXT,
    arbiter_model TEXT
);

CREATE TEMP TABLE c08_members (
    run_id TEXT,
    response_id TEXT,
    role TEXT,
    iteration INTEGER,
    member_index INTEGER,
    logged INTEGER,
    -- Its row's rowid in the file's own responses table (llm <= 0.31), if logged there.
    call_rid INTEGER,
    PRIMARY KEY (run_id, response_id)
);

-- The ids of the calls logged in consortium_logs.db's own responses table
-- (llm <= 0.31), from the first row a run this backfill reads may have: that
-- table has no primary key, so it is read once, by rowid range, not per id.
CREATE TEMP TABLE c08_calls (id TEXT, rid INTEGER);

-- Output rows of saved consortiums not linked or grouped yet, in either of
-- llm's tables: responses (llm <= 0.31) or turns (llm >= 0.32).
CREATE TEMP TABLE c08_outputs (
    output_id TEXT PRIMARY KEY,
    output_table TEXT,
    rid INTEGER,
    model TEXT,
    prompt TEXT,
    response TEXT,
    datetime_utc TEXT,
    dt REAL,
    named_run_id TEXT
);

CREATE TEMP TABLE c08_candidates (
    output_id TEXT,
    run_id TEXT,
    basis TEXT,
    PRIMARY KEY (output_id, run_id)
);

CREATE TEMP TABLE c08_links (
    output_id TEXT PRIMARY KEY,
    run_id TEXT UNIQUE,
    basis TEXT
);

-- responses rows the prompt-based phases leave alone: linked, or for review.
CREATE TEMP TABLE c08_claimed (rid INTEGER PRIMARY KEY);

CREATE TEMP TABLE c08_review (
    response_id TEXT PRIMARY KEY,
    kind TEXT,
    reason TEXT,
    evidence TEXT
);

-- Output rows and runs linked by an earlier backfill: never linked again.
CREATE TEMP TABLE c08_done (output_id TEXT PRIMARY KEY);
CREATE TEMP TABLE c08_done_runs (run_id TEXT PRIMARY KEY);

CREATE INDEX temp.c08_runs_by_name_and_prompt ON c08_runs (config_name, user_prompt);
