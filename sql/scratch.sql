-- Scratch tables of one backfill. TEMP: they live in this connection only and
-- never touch the user's database file.
CREATE TEMP TABLE consortium_names (name TEXT PRIMARY KEY);

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
