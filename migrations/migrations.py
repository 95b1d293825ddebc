"""Schema for consortium-backfill, as a sqlite-utils migration set.

Apply with ``python backfill.py migrate`` or ``sqlite-utils migrate logs.db migrations/``.
Every step checks before it adds: the user's own logs.db may already have the
columns (created by hand, ``is_arbiter_response`` with ``DEFAULT 0``) or an index.
"""
from sqlite_utils import Migrations

migrations = Migrations("consortium_backfill")


@migrations()
def m001_consortium_columns(db):
    columns = db["responses"].columns_dict
    if "consortium_id" not in columns:
        db["responses"].add_column("consortium_id", str)
    if "is_arbiter_response" not in columns:
        # Same definition as the hand-made column in the user's own database.
        db.execute(
            "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0"
        )


@migrations()
def m002_consortium_id_index(db):
    # No index on consortium_id any more: building one reads the whole table
    # in one write transaction (15 s for the 1M-row bench database), and llm
    # gives up logging after 5 s. A run's rows are found through
    # consortium_members (written run by run, with the runs) or, by verify,
    # through a read of the grouped rows in short rowid ranges. An index a
    # database already has (the user's own, or one an earlier version built)
    # is kept. The step stays, empty, so that the ones after keep their order.
    pass


# Foreign keys are declared so that Datasette links a run to its rows and a
# row to its response. SQLite enforces them only under PRAGMA foreign_keys = ON,
# which llm and this project leave off.
REVIEW_FOREIGN_KEYS = [("response_id", "responses", "id")]


def run_foreign_keys(runs, members):
    return {
        runs: [
            ("output_response_id", "responses", "id"),
            ("final_arbiter_response_id", "responses", "id"),
        ],
        members: [
            ("run_id", runs, "id"),
            ("response_id", "responses", "id"),
            ("quoted_by", "responses", "id"),
        ],
    }


@migrations()
def m003_review_table(db):
    # One row per skipped run or orphan arbiter row, for a person to act on.
    if not db["consortium_backfill_review"].exists():
        db["consortium_backfill_review"].create(
            {
                "response_id": str,
                "kind": str,
                "reason": str,
                "evidence": str,
                "found_at": str,
            },
            pk="response_id",
            foreign_keys=REVIEW_FOREIGN_KEYS,
        )


def history_tables(db):
    """Names for the runs and members tables.

    llm-consortium's own names (its later versions keep consortium_runs and
    consortium_members), unless the database already has a table of that
    name that this project did not make: then the same names, prefixed.
    """
    plain = ("consortium_runs", "consortium_members")
    prefixed = tuple("backfill_" + name for name in plain)
    if db[prefixed[0]].exists():
        return prefixed
    runs, members = (db[name] for name in plain)
    ours = runs.exists() and "output_response_id" in runs.columns_dict
    if ours or not (runs.exists() or members.exists()):
        return plain
    return prefixed


@migrations()
def m004_history_tables(db):
    # The shape of llm-consortium 0.8's consortium_runs and consortium_members,
    # for historical runs; column names are 0.8's where the meaning is the same.
    runs, members = history_tables(db)
    if not db[runs].exists():
        db[runs].create(
            {
                "id": str,
                "created_at": str,
                "ended_at": str,
                "config_name": str,
                "iteration_count": int,
                "member_count": int,
                "user_prompt": str,
                "arbiter_model": str,
                "output_response_id": str,
                "final_arbiter_response_id": str,
            },
            pk="id",
            foreign_keys=run_foreign_keys(runs, members)[runs],
        )
    if not db[members].exists():
        db[members].create(
            {
                "run_id": str,
                "response_id": str,
                "role": str,
                "iteration": int,
                "member_index": int,
                "quoted_by": str,
                "source": str,
            },
            pk=("run_id", "response_id"),
            foreign_keys=run_foreign_keys(runs, members)[members],
        )
        db[members].create_index(["response_id"], if_not_exists=True)


TIME_FORMAT = "%Y-%m-%dT%H:%M:%f+00:00"


@migrations()
def m005_links_and_one_time_format(db):
    # Tables made before m003 and m004 declared their foreign keys get them,
    # through sqlite-utils' transform (copy, drop, rename), which rebuilds only
    # this project's own table: llm's responses table is referred to, never
    # rebuilt. Their times then take the one format sql/history.sql writes,
    # UTC with milliseconds (ended_at had no time zone, created_at llm's).
    runs, members = history_tables(db)
    wanted = dict(run_foreign_keys(runs, members), consortium_backfill_review=REVIEW_FOREIGN_KEYS)
    times = {runs: ["created_at", "ended_at"], "consortium_backfill_review": ["found_at"]}
    declared = set(db.execute(
        "SELECT tables.name, links.[from] FROM sqlite_master AS tables, pragma_foreign_key_list(tables.name) AS links"
        " WHERE tables.name IN (?, ?, ?)",
        list(wanted),
    ).fetchall())
    for table, foreign_keys in wanted.items():
        missing = [fk for fk in foreign_keys if (table, fk[0]) not in declared]
        if not missing or not db[table].exists():
            continue
        db[table].transform(add_foreign_keys=missing)
        if table in times:
            db.execute(
                "UPDATE [{}] SET {}".format(
                    table, ", ".join(f"[{name}] = strftime(:format, [{name}])" for name in times[table])
                ),
                {"format": TIME_FORMAT},
            )


@migrations()
def m006_run_sources(db):
    # Runs come from two places: recovered from the prompts in logs.db, or
    # linked from llm-consortium's own consortium_logs.db (0.8 and later).
    # A linked run's member rows live in consortium_logs.db, and its output
    # row may be in llm's `turns` (llm 0.32+) rather than `responses`.
    runs, members = history_tables(db)
    run_columns = db[runs].columns_dict
    for column in ("source", "output_table", "status", "linked_by"):
        if column not in run_columns:
            db[runs].add_column(column, str)
    if "logged_in" not in db[members].columns_dict:
        db[members].add_column("logged_in", str)


@migrations()
def m007_change_log(db):
    # What each backfill changed, recorded in its own transaction, so that
    # `undo` restores exactly that and keeps every row llm logged since.
    if not db["consortium_backfill_log"].exists():
        db["consortium_backfill_log"].create(
            {"id": int, "command": str, "started_at": str, "rows_changed": int, "undone_at": str},
            pk="id",
        )
    if not db["consortium_backfill_changes"].exists():
        db["consortium_backfill_changes"].create(
            {
                "id": int,
                "backfill_id": int,
                "table_name": str,
                "action": str,
                "response_rowid": int,
                "old": str,
                "new": str,
            },
            pk="id",
            foreign_keys=[("backfill_id", "consortium_backfill_log", "id")],
        )
        db["consortium_backfill_changes"].create_index(["backfill_id"], if_not_exists=True)


@migrations()
def m008_parent_run(db):
    # A consortium used as another's arbiter: each of its runs names the outer
    # run it answered for.
    runs, _ = history_tables(db)
    if db[runs].exists() and "parent_run_id" not in db[runs].columns_dict:
        db[runs].add_column("parent_run_id", str)


@migrations()
def m009_incremental_state(db):
    # Where the last backfill stopped, so that the next one reads only what
    # was logged since (one row), and when each block of rowids was logged,
    # so that it finds the window before a new run without a scan.
    if not db["consortium_backfill_state"].exists():
        db["consortium_backfill_state"].create(
            {
                "id": int,
                "last_rowid": int,
                "last_id": str,
                "samples": str,
                "latest_id_time": str,
                "names": str,
                "include_orphans": int,
                "consortium_logs": str,
                "updated_at": str,
            },
            pk="id",
        )
    if not db["consortium_backfill_timeline"].exists():
        db["consortium_backfill_timeline"].create({"first_rowid": int, "latest_day": float}, pk="first_rowid")


@migrations()
def m010_sampled_fingerprints(db):
    # The state as m009 first made it: counts of the whole table, which a
    # re-run no longer reads (resume.sql checks a few rows spread over the
    # file instead); latest_id_time lets it tell rows logged out of time order
    # among the new rows alone.
    state = db["consortium_backfill_state"]
    if not state.exists():
        return
    if {"rows_through_last", "grouped_rows"} & set(state.columns_dict):
        state.transform(drop={"rows_through_last", "grouped_rows"})
    for column in ("samples", "latest_id_time"):
        if column not in state.columns_dict:
            state.add_column(column, str)


@migrations()
def m011_consortium_logs_state(db):
    # Where the last backfill stopped in the consortium_logs.db era, so that
    # the next one reads only what was logged since there too: the last
    # consortium_runs row read and a few sampled ones (to tell a file replaced,
    # cut or edited behind the tool's back), the last row of its calls table,
    # the runs it left unlinked (in flight or failed: read again), the file's
    # first run; and the last row of llm's turns in logs.db (llm >= 0.32).
    state = db["consortium_backfill_state"]
    if not state.exists():
        return
    wanted = {
        "clogs_last_rowid": int,
        "clogs_last_id": str,
        "clogs_samples": str,
        "clogs_calls_rowid": int,
        "clogs_pending": str,
        "clogs_first_created": str,
        "turns_last_rowid": int,
        "turns_last_id": str,
        "turns_samples": str,
    }
    for column, kind in wanted.items():
        if column not in state.columns_dict:
            state.add_column(column, kind)
