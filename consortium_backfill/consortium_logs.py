"""llm-consortium 0.8+'s own consortium_logs.db: find it, read it, link logs.db's output rows to its runs.

Since December 2025 llm-consortium logs members, arbiters and saved
consortiums to consortium_logs.db and leaves only each run's final output row
in logs.db (in `responses` on llm <= 0.31, in llm's `turns` on llm >= 0.32).
The file is opened read-only and copied into TEMP tables once (c08_load.sql),
so that it is never written and never locked while logs.db is.
"""
import collections
import dataclasses
import json
import os
import pathlib
import sqlite3
import urllib.parse

import click

from .errors import Problem
from .functions import table_exists, utils_db
from .sqlfiles import run_sql, sql_text

FILE_NAME = "consortium_logs.db"
# The output row's datetime_utc is its run's start; consortium_runs.created_at
# follows it by under 0.3 s in every run seen. A few seconds of slack, no more.
LINK_SECONDS = 5
SCHEMA = "clogs"


def llm_default_path():
    """Where llm-consortium writes it: llm's default folder, whatever LLM_USER_PATH says."""
    return pathlib.Path(click.get_app_dir("io.datasette.llm")) / FILE_NAME


def locate(option, database):
    """The file to read: --consortium-logs, else one beside the database, else llm's default one; or None.

    Checked here, before any work: a bad file is a one-line error."""
    if option is not None:
        path = pathlib.Path(option)
        if not path.is_file():
            raise Problem(f"{path}: no such file (--consortium-logs)")
        check(path, database)
        return path
    for path in (pathlib.Path(database).resolve().parent / FILE_NAME, llm_default_path()):
        if path.is_file():
            check(path, database)
            return path
    return None


def check(path, database=None):
    """Its table names; a one-line Problem unless path is llm-consortium's SQLite file."""
    if database is not None and pathlib.Path(database).exists() and os.path.samefile(path, database):
        raise Problem(f"{path}: is the database itself, not llm-consortium's consortium_logs.db")
    with open(path, "rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise Problem(f"{path}: not a SQLite database (--consortium-logs)")
    conn = connect(path)
    try:
        found = set(utils_db(conn).table_names())
    except sqlite3.DatabaseError as error:
        raise Problem(f"{path}: {error} (--consortium-logs)")
    finally:
        conn.close()
    if not found & {"consortium_runs", "consortium_configs"}:
        raise Problem(f"{path}: no consortium_runs or consortium_configs table (is this llm-consortium's consortium_logs.db?)")
    return found


def connect(path):
    """The file, opened read-only: it is never written."""
    return sqlite3.connect(uri(path), uri=True)


def uri(path):
    return f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro"


def attach(conn, path):
    """Attach the file read-only as `clogs`; returns its table names."""
    tables = check(path)
    conn.execute(f"ATTACH DATABASE ? AS {SCHEMA}", [uri(path)])
    return tables


def detach(conn):
    conn.execute(f"DETACH DATABASE {SCHEMA}")


def columns(conn, table, schema="main"):
    return {row[1] for row in conn.execute(f"PRAGMA {schema}.table_info([{table}])")}


# What a file needs for its runs to be linked: 0.8.0 and later builds have it;
# the first builds of the file (December 2025) logged calls and configs only.
RUN_TABLES = {"consortium_runs", "consortium_members", "arbiter_decisions"}
# What a sampled consortium_runs row must still hold (sql/samples.sql): what
# llm-consortium never changes once the run started (it updates the status,
# iteration count and confidence when the run ends).
RUN_CONTENT = "quote(t.created_at) || ', ' || quote(t.config_name) || ', ' || quote(length(t.user_prompt))"
# A run left unlinked is read again by each backfill until the file holds
# runs started this long after it: no run lasts a day, one still unlinked
# then has failed, and its review rows stand.
PENDING_DAYS = 1.0


@dataclasses.dataclass
class Read:
    """What one backfill read of the file, for the next one to start after (sql/mark.sql)."""

    runs: int = 0
    last_rowid: int = None
    last_id: str = None
    samples: str = None
    calls_rowid: int = None
    first_created: str = None
    newest_created: str = None


def load(conn, path, runs_after=0, calls_from=0, pending="{}", first_created=None, sample_count=64):
    """Copy what the file says about its runs into c08_runs and c08_members; returns a Read.

    runs_after, pending: the runs read are those after this consortium_runs
    rowid and those the last backfill left unlinked (a JSON object keyed by
    run id); calls_from: the rowid of the file's responses table after which
    every call of those runs lies (resume.py). The defaults read every run.
    """
    tables = attach(conn, path)
    try:
        if not RUN_TABLES <= tables:
            return Read()
        # Read first: every call of a run created after this read lies after it.
        calls_rowid = one(conn, f"SELECT coalesce(max(rowid), 0) FROM {SCHEMA}.responses") if "responses" in tables else None
        runs_max = one(conn, f"SELECT coalesce(max(rowid), 0) FROM {SCHEMA}.consortium_runs")
        has_status = "status" in columns(conn, "consortium_runs", SCHEMA)
        run_sql(
            conn,
            "c08_load",
            dict(runs_after=runs_after, runs_max=runs_max, calls_from=calls_from, pending=pending),
            status="runs.status" if has_status else "NULL",
            # The calls the file logged: its own responses table (llm <= 0.31)
            # or llm's turns (llm >= 0.32), whichever it has.
            calls=f"{SCHEMA}.responses" if "responses" in tables else "(SELECT NULL AS id, NULL AS rowid WHERE 0)",
            in_turns=f"EXISTS (SELECT 1 FROM {SCHEMA}.turns WHERE turns.id = found.response_id)"
            if "turns" in tables else "0",
            configs=f"{SCHEMA}.consortium_configs" if "consortium_configs" in tables
            else "(SELECT NULL AS name, NULL AS config WHERE 0)",
        )
        if not tables & {"responses", "turns"}:
            # Nothing to check member rows against: say nothing about them.
            conn.execute("UPDATE c08_members SET logged = NULL")
        last_id, samples = conn.execute(
            sql_text("samples", table=f"{SCHEMA}.consortium_runs", content=RUN_CONTENT),
            {"last": runs_max, "sample_count": sample_count},
        ).fetchone()
        newest = one(conn, f"SELECT (SELECT created_at FROM {SCHEMA}.consortium_runs WHERE rowid = ?)", runs_max)
    finally:
        detach(conn)
    loaded_first = one(conn, "SELECT min(created_at) FROM c08_runs")
    return Read(
        runs=one(conn, "SELECT count(*) FROM c08_runs"),
        last_rowid=runs_max,
        last_id=last_id,
        samples=samples,
        calls_rowid=calls_rowid,
        first_created=min(filter(None, [first_created, loaded_first]), default=None),
        newest_created=newest,
    )


def one(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


def pending_runs(conn, read, pending):
    """The runs this backfill read and left unlinked, for the next one to read again:
    {run id: the rowid of the file's responses table after which its calls lie}.

    pending: the last backfill's. A run with a logged call lies after the
    first; one without, after what this backfill read (Read.calls_rowid).
    """
    if read.newest_created is None:
        return {}
    earlier = json.loads(pending)
    return {
        run_id: min(filter(lambda n: n is not None, [first_call, earlier.get(run_id), read.calls_rowid or 0]))
        for run_id, first_call in conn.execute(
            sql_text("c08_pending"), {"newest": read.newest_created, "pending_days": PENDING_DAYS}
        )
    }


def pending_outputs(conn, read):
    """The output rows an earlier backfill left for review unlinked that this one reads again, as a JSON array."""
    if read.newest_created is None or not table_exists(conn, "consortium_backfill_review"):
        return "[]"
    return one(conn, sql_text("c08_pending_outputs"), read.newest_created, PENDING_DAYS)


def changed_behind_our_back(conn, path, state):
    """What in the file no longer matches the last backfill's record of it, or None."""
    if not state.get("clogs_last_rowid"):
        return None
    tables = attach(conn, path)
    try:
        if "consortium_runs" not in tables:
            return "its consortium_runs table is gone"
        return sampled_change(conn, f"{SCHEMA}.consortium_runs", RUN_CONTENT, state["clogs_last_rowid"],
                              state["clogs_last_id"], state["clogs_samples"])
    finally:
        detach(conn)


def sampled_change(conn, table, content, last, last_id, samples):
    """What no longer matches sql/samples.sql's record of a table, or None (sql/samples_check.sql)."""
    max_rowid, id_at_last, changed_rowid, change = conn.execute(
        sql_text("samples_check", table=table, content=content), {"last": last, "samples": samples or "[]"}
    ).fetchone()
    name = table.split(".")[-1]
    if max_rowid < last:
        return f"the last row of {name} is rowid {max_rowid}, the last backfill read up to rowid {last}: rows were deleted"
    if id_at_last != last_id:
        return f"the {name} row at rowid {last} is not the one the last backfill read: rows were deleted, or the file replaced"
    if change:
        return f"the {name} row at rowid {changed_rowid} is not as the last backfill read it: {change}"
    return None


def mark_done(conn, runs_table):
    """Output rows and runs an earlier backfill linked: left as they are."""
    if runs_table is None or "source" not in columns(conn, runs_table):
        return
    conn.execute(
        f"INSERT OR IGNORE INTO c08_done SELECT output_response_id FROM [{runs_table}]"
        " WHERE source = 'consortium_logs.db' AND output_response_id IS NOT NULL"
    )
    conn.execute(
        f"INSERT OR IGNORE INTO c08_done_runs SELECT id FROM [{runs_table}] WHERE source = 'consortium_logs.db'"
    )


# What a sampled row of llm's turns must still hold (sql/samples.sql).
TURN_CONTENT = "quote(t.model) || ', ' || quote(t.datetime_utc)"


def turns_read(conn, sample_count):
    """(last rowid, its id, samples) of llm's turns in logs.db now, or Nones without the table.

    Read before consortium_logs.db: an output row logged after this is left
    for the next backfill, so that every output read here has its run there.
    """
    if "id" not in columns(conn, "turns"):
        return None, None, None
    last = one(conn, "SELECT coalesce(max(rowid), 0) FROM main.turns")
    last_id, samples = conn.execute(
        sql_text("samples", table="main.turns", content=TURN_CONTENT), {"last": last, "sample_count": sample_count}
    ).fetchone()
    return last, last_id, samples


def turn_texts(conn):
    """The temp view turn_texts over llm's turns, if logs.db has them (llm >= 0.32); True if so."""
    turn_columns = columns(conn, "turns")
    if "id" not in turn_columns:
        return False
    if not conn.execute("SELECT 1 FROM sqlite_temp_master WHERE name = 'turn_texts'").fetchone():
        run_sql(conn, "turn_texts",
                response_json="turns.response_json" if "response_json" in turn_columns else "NULL")
    return True


def find_outputs(conn, params):
    """Output rows of saved consortiums in responses (those after rowid params["start"]) and, when
    logs.db has it, llm's turns (those in (params["turns_after"], params["turns_max"]])."""
    run_sql(conn, "c08_outputs", params)
    if turn_texts(conn):
        run_sql(conn, "c08_turn_outputs", params)


def link(conn, file_found=True):
    """Each output row to its run, into c08_links, when the evidence leaves exactly one.
    file_found: whether a consortium_logs.db was read (the review reasons say so).

    An output row is linked when one run qualifies for it and that run
    qualifies for no other output row. Two parallel runs of one consortium
    and prompt qualify for each other's output: both rows go to review, even
    where their start times would suggest an order (a guess, however likely).
    """
    run_sql(conn, "c08_candidates", {"link_days": LINK_SECONDS / 86400})
    run_sql(conn, "c08_no_run", link_days=repr(LINK_SECONDS / 86400), file_found=int(file_found))
    candidates = collections.defaultdict(dict)
    outputs_of = collections.defaultdict(set)
    for output_id, run_id, basis in conn.execute("SELECT output_id, run_id, basis FROM c08_candidates"):
        candidates[output_id][run_id] = basis
        outputs_of[run_id].add(output_id)
    links = {
        output_id: next(iter(runs))
        for output_id, runs in candidates.items()
        if len(runs) == 1 and len(outputs_of[next(iter(runs))]) == 1
    }
    conn.executemany(
        "INSERT INTO c08_links (output_id, run_id, basis) VALUES (?, ?, ?)",
        [(output_id, run_id, candidates[output_id][run_id]) for output_id, run_id in links.items()],
    )
    # responses rows with any qualifying run are this era's: the prompt-based
    # phases leave them alone (linked, or listed for review).
    conn.execute(
        "INSERT OR IGNORE INTO c08_claimed SELECT rid FROM c08_outputs WHERE output_table = 'responses'"
        " AND (output_id IN (SELECT output_id FROM c08_links) OR output_id IN (SELECT output_id FROM c08_candidates))"
    )


def explain_skips(conn, params):
    """Skip reasons of this era's output rows in responses say why no run was linked."""
    run_sql(conn, "c08_skips", params)


def review(conn):
    run_sql(conn, "c08_review", {"link_days": LINK_SECONDS / 86400})
