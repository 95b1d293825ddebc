"""Finding runs: the SQL phases in order, the claims of matched rows, orphan chains, the counts.

Everything here writes only TEMP tables of our own connection: the user's
file is read, never changed. A pass looks for runs among the rows logged
after params["start"] (0: every row); before those it reads only the window
of the runs it finds.
"""
import json

from . import consortium_logs, foreign, formats, resume, runid
from .chains import requote, resolve_chains
from .chat_turns import drop_earlier_turns
from .database import history_tables
from .functions import table_exists, utils_db
from .names import load_names
from .progress import QUIET
from .sqlfiles import run_sql, sql_text

ROLES = ("final_output", "member", "final_arbiter", "intermediate_arbiter")
# Reads of the user's database go one range at a time, so that llm, which
# waits 5 s for a lock, is never kept waiting by one long statement.
ROWS_PER_READ = 5000
# A page of the id index (sql/order_ids.sql): its entries are small, so a
# page holds many more rows than a range of the table.
IDS_PER_READ = 50000
RUNS_PER_READ = 500
# Slack in comparing times: llm writes datetime_utc to the microsecond (or, in
# old versions, the second) and duration_ms to the millisecond.
TOLERANCE_SECONDS = 1
# The timeline (consortium_backfill_timeline) records one time per block of
# this many rowids: a later backfill re-reads at most one block more than the
# window it needs.
TIMELINE_BLOCK = 100


def ranges(keys, size):
    """(low, high] bounds covering sorted keys, size keys at a time."""
    low = 0
    for start in range(0, len(keys), size):
        high = keys[min(start + size, len(keys)) - 1]
        yield low, high
        low = high


def row_ranges(after, last, size=ROWS_PER_READ):
    """(low, high] bounds covering the rowids after `after` up to `last`."""
    for low in range(after, last, size):
        yield low, min(low + size, last)


def prepare(conn, columns, names, window, include_orphans=False, replace_foreign=False, start=0, latest_stamp=None):
    """Temp views and tables over a snapshot of responses up to its current last row.

    start: the last rowid an earlier backfill examined; rows after it are new.
    latest_stamp: the latest id time of the rows up to start, as that backfill recorded it (sql/order.sql).
    """
    max_rid = conn.execute("SELECT coalesce(max(rowid), 0) FROM responses").fetchone()[0]
    run_sql(
        conn,
        "logged",
        consortium_id=foreign.logged_column(columns, replace_foreign),
        duration_ms="duration_ms" if "duration_ms" in columns else "NULL",
        conversation_id="conversation_id" if "conversation_id" in columns else "NULL",
        max_rid=int(max_rid),
    )
    run_sql(conn, "scratch")
    load_names(conn, names)
    first_pages(conn, columns, min(start, max_rid), max_rid)
    params = dict(
        max_rid=max_rid,
        start=min(start, max_rid),
        read_from=min(start, max_rid),
        window_days=window / 86400,
        tolerance_days=TOLERANCE_SECONDS / 86400,
        prefix_length=formats.PREFIX_LENGTH,
        include_orphans=include_orphans,
        hash_all_rows=include_orphans,
        **runid.day_bounds(),
        replace_foreign=replace_foreign,
        latest_stamp=latest_stamp if start else None,
    )
    run_sql(conn, "order")
    stamp_new_rows(conn, params["start"], params["max_rid"])
    params["latest_stamp_now"] = rows_out_of_order(conn, params["latest_stamp"])
    run_sql(conn, "order_blocks", params, stamp_ms=ulid_milliseconds("stamp"), latest_ms=ulid_milliseconds("latest"))
    return params


def stamp_new_rows(conn, start, max_rid):
    """The id time of each row this pass reads as new, into id_stamps (sql/order.sql), one
    bounded read at a time: a full pass through the id index, page by page, each page
    starting after the last id of the one before; a re-run (or a table with no index on
    id) through the new rows' rowids, range by range."""
    if start or not id_index(conn):
        for low, high in row_ranges(start, max_rid):
            run_sql(conn, "order_rows", dict(low=low, high=high))
        return
    after = ""
    while True:
        run_sql(conn, "order_ids", dict(after=after, page=IDS_PER_READ, max_rid=max_rid))
        count, after = conn.execute("SELECT count(*), max(id) FROM id_page").fetchone()
        if count < IDS_PER_READ:
            return


def id_index(conn):
    """Whether responses has a unique index on id alone (llm's primary key): the one a
    full pass pages through."""
    return any(
        index.unique and not index.partial and index.columns == ["id"] for index in utils_db(conn)["responses"].indexes
    )


def first_pages(conn, columns, after, last):
    """What the rows after `after` show on their first page, in one pass a range at a time:
    values this tool did not write (foreign.py), and the rows logged under a consortium's
    name (sql/named_rows.sql), which the phases after read instead of each scanning the
    table. Run on one range after the other, the second statement finds its pages in
    SQLite's cache.

    Rows before `after` were counted, and left alone, by the backfill that read them.
    """
    find_foreign = foreign.finder(conn, columns)
    for low, high in row_ranges(after, last):
        find_foreign(low, high)
        run_sql(conn, "named_rows", dict(low=low, high=high))
    foreign.name_kinds(conn)


def rows_out_of_order(conn, latest):
    """Each stamped row (sql/order.sql) whose id time is older than the latest one logged
    before it, into late_stamps; returns the latest id time of all.

    One pass in log order in Python: SQLite's running max() window took ten
    times as long.
    """
    late = []
    for rid, stamp in conn.execute("SELECT rid, stamp FROM id_stamps ORDER BY rid"):
        if latest is not None and stamp < latest:
            late.append((rid, stamp, latest))
        else:
            latest = stamp
    conn.executemany("INSERT INTO late_stamps (rid, stamp, latest) VALUES (?, ?, ?)", late)
    return latest


def ulid_milliseconds(column):
    """SQL: the millisecond time of a ULID column, from its first 10 base32 characters."""
    digits = "0123456789abcdefghjkmnpqrstvwxyz"
    return " + ".join(
        f"(instr('{digits}', lower(substr({column}, {i + 1}, 1))) - 1) * {32 ** (9 - i)}" for i in range(10)
    )


def link_consortium_logs(conn, path, params, era=None):
    """Output rows of the consortium_logs.db era linked to their runs (c08_links), before the
    prompt-based phases, which then leave those rows alone. path None: no file found.

    Output rows in responses are those logged after params["start"]; era
    (resume.era_params) says where the last backfill stopped in llm's turns
    and in the file; None reads them whole. Adds to params what the next
    backfill starts after (sql/mark.sql); returns the consortium_logs.Read.
    """
    era = era or resume.era_params(None)
    sample_count = params.get("sample_count", resume.SAMPLES)
    turns_max, turns_id, turns_samples = consortium_logs.turns_read(conn, sample_count)
    read = consortium_logs.Read()
    if path is not None:
        read = consortium_logs.load(
            conn, path, era["runs_after"], era["calls_from"], era["pending"], era["first_created"], sample_count
        )
    runs_table, _ = history_tables(conn)
    if table_exists(conn, runs_table):
        consortium_logs.mark_done(conn, runs_table)
    params.update(
        turns_after=min(era["turns_after"], turns_max or 0),
        turns_max=turns_max or 0,
        first_created_dt=julian_day(conn, read.first_created),
        pending_outputs=consortium_logs.pending_outputs(conn, read) if era["resumed"] else "[]",
    )
    consortium_logs.find_outputs(conn, params)
    consortium_logs.link(conn, path is not None)
    params.update(
        clogs_last_rowid=read.last_rowid,
        clogs_last_id=read.last_id,
        clogs_samples=read.samples,
        clogs_calls_rowid=read.calls_rowid,
        clogs_pending=json.dumps(consortium_logs.pending_runs(conn, read, era["pending"])) if path else None,
        clogs_first_created=read.first_created,
        turns_last_rowid=turns_max,
        turns_last_id=turns_id,
        turns_samples=turns_samples,
    )
    return read


def julian_day(conn, text):
    return conn.execute("SELECT julianday(?)", [text]).fetchone()[0]


def analyse(conn, params, progress=QUIET, accept=None):
    """Find every run logged after params["start"] and every row it claims, into the temp table assignments.

    accept(conn, params, claimed, linked): a skipped run a person confirmed (accept.py).
    """
    for low, high in row_ranges(params["start"], params["max_rid"]):
        run_sql(conn, "runs", dict(params, low=low, high=high))
    consortium_logs.explain_skips(conn, params)
    runs = [row[0] for row in conn.execute("SELECT run_rid FROM runs ORDER BY run_rid")]
    with progress.phase("Reading runs", len(runs), "runs") as advance:
        for low, high in ranges(runs, RUNS_PER_READ):
            run_sql(conn, "parse", dict(params, low=low, high=high))
            run_sql(conn, "snippets", dict(params, low=low, high=high))
            advance(RUNS_PER_READ)
    run_sql(conn, "windows", params)
    with progress.phase("Reading rows", params["max_rid"] - params["start"], "rows") as advance:
        for low, high in row_ranges(params["start"], params["max_rid"]):
            run_sql(conn, "candidates", dict(params, low=low, high=high))
            advance(high - low)
    if params["start"]:
        # Rows logged before the new ones: only the blocks that reach into a window.
        params["read_from"] = conn.execute(sql_text("reread"), params).fetchone()[0]
        for low, high in row_ranges(params["read_from"], params["start"]):
            run_sql(conn, "candidates", dict(params, low=low, high=high))
    conn.execute("CREATE INDEX temp.candidates_arbiters ON candidates (rid) WHERE arbiter_format IS NOT NULL")
    conn.execute("CREATE INDEX temp.candidates_by_response ON candidates (response_hash)")
    conn.execute("CREATE INDEX temp.candidates_by_synthesis ON candidates (synthesis_hash)")
    conn.execute("CREATE INDEX temp.conversation_arbiters_by_id ON conversation_arbiters (conversation_id, rid)")
    linked = set()  # earlier arbiters automatic-context runs took (chains.py)
    for low, high in ranges(runs, RUNS_PER_READ):
        for run_rid in resolve_chains(conn, params, low, high, linked):
            requote(conn, params, run_rid)
    drop_earlier_turns(conn, params)
    grouped = [row[0] for row in conn.execute("SELECT run_rid FROM runs WHERE skip_reason IS NULL ORDER BY run_rid")]
    claimed = set()
    # An automatic-context run's earlier arbiters are its own before any content claim.
    claim_chain_links(conn, claimed)
    with progress.phase("Matching", 3 * len(grouped), "runs") as advance:
        # Earlier syntheses claim first: a row that is both is an intermediate arbiter.
        for matches, role in [("synthesis_matches", "intermediate_arbiter"), ("member_matches", "member")]:
            for low, high in ranges(grouped, RUNS_PER_READ):
                claim_matches(conn, params, low, high, claimed, matches, role)
                advance(RUNS_PER_READ)
        # Runs whose final arbiter quotes no earlier member: each earlier arbiter quotes its own.
        for low, high in ranges(grouped, RUNS_PER_READ):
            claim_matches(conn, params, low, high, claimed, "earlier_member_matches", "member")
            advance(RUNS_PER_READ)
    run_sql(conn, "likely", params)
    if accept:
        accept(conn, params, claimed, linked)
    if params["include_orphans"]:
        orphan_runs(conn, params, claimed, linked)
    run_sql(conn, "assignments", params)
    run_sql(conn, "nested", params)
    run_sql(conn, "review", params)
    consortium_logs.review(conn)


def orphan_runs(conn, params, claimed, linked):
    """Each arbiter row no run claimed, latest first, anchors a run of its own.

    Latest first, so that a chain's last arbiter claims the earlier ones as
    intermediate arbiters before any of them could anchor a run. The rows a
    skipped run names as evidence (the row before its output, its likely final
    arbiter) are left for the person reviewing it, with the whole chain such
    an arbiter quotes: an orphan run taking them would make the skipped run
    impossible to group.
    """
    evidence = {
        rid
        for row in conn.execute("SELECT arbiter_rid, likely_rid FROM runs WHERE skip_reason IS NOT NULL")
        for rid in row
        if rid is not None
    }
    arbiters = conn.execute(
        "SELECT rid FROM candidates WHERE arbiter_format IS NOT NULL AND rid > ? ORDER BY rid DESC",
        [params["start"]],
    ).fetchall()
    for (rid,) in arbiters:
        if rid in claimed:
            continue
        taken = orphan_chain(conn, params, rid, claimed, linked)
        if taken is None:
            continue
        if rid in evidence:
            # Its chain stays claimed, so that no other orphan run takes it.
            drop_run(conn, rid)
        elif "member" not in taken.values():
            # A chain whose quotes match no logged member is no run: most
            # likely a plain prompt that pastes an arbiter prompt.
            drop_run(conn, rid)
            claimed.difference_update([*taken, rid])
            linked.difference_update(taken)


def orphan_chain(conn, params, rid, claimed, linked):
    """The run arbiter row rid anchors, claimed: {rid: role}, or None if its prompt cannot be read."""
    run_sql(conn, "orphan_run", dict(params, rid=rid))
    taken = claim_run(conn, params, rid, claimed, linked)
    if taken is None:
        conn.execute("DELETE FROM runs WHERE run_rid = ?", [rid])
    return taken


def claim_run(conn, params, run_rid, claimed, linked):
    """One run found late (an orphan chain, an accepted run): its final arbiter read, its rows
    claimed as any run's are. {rid: role}, or None when its arbiter prompt skips it."""
    bounds = dict(params, low=run_rid - 1, high=run_rid)
    run_sql(conn, "parse", bounds)
    resolve_chains(conn, params, run_rid - 1, run_rid, linked)
    run = conn.execute("SELECT skip_reason, arbiter_rid FROM runs WHERE run_rid = ?", [run_rid]).fetchone()
    if run is None or run[0]:
        return None
    claimed.add(run[1])
    run_sql(conn, "snippets", bounds)
    claim_matches(conn, params, run_rid - 1, run_rid, claimed, "synthesis_matches", "intermediate_arbiter")
    claim_matches(conn, params, run_rid - 1, run_rid, claimed, "member_matches", "member")
    claim_chain_links(conn, claimed)
    claim_matches(conn, params, run_rid - 1, run_rid, claimed, "earlier_member_matches", "member")
    return dict(conn.execute("SELECT rid, role FROM assignments WHERE run_rid = ?", [run_rid]))


def drop_run(conn, run_rid):
    conn.execute("DELETE FROM assignments WHERE run_rid = ?", [run_rid])
    conn.execute("DELETE FROM chain_links WHERE run_rid = ?", [run_rid])
    conn.execute("DELETE FROM runs WHERE run_rid = ?", [run_rid])


def claim_chain_links(conn, claimed):
    """The earlier arbiters automatic-context runs took from their conversation."""
    run_sql(conn, "chain_claims")
    claimed.update(row[0] for row in conn.execute("SELECT rid FROM assignments WHERE source = 'conversation chain'"))


def claim_matches(conn, params, low, high, claimed, matches, role):
    rows = conn.execute(sql_text(matches), dict(params, low=low, high=high)).fetchall()
    conn.executemany(
        "INSERT INTO assignments (rid, run_rid, role, iteration, quoted_by_rid, source)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        claim(rows, claimed, role),
    )


def claim(rows, claimed, role):
    """Greedy claims over matches ordered by run, then nearest row first.

    A text quoted k times claims at most k rows; a row goes to one run only.
    The nearest row takes the latest quote (highest iteration).
    """
    quotes_left = {}
    for run_rid, arbiter_rid, text_hash, quotes, rid in rows:
        if rid in claimed:
            continue
        key = (run_rid, text_hash)
        if key not in quotes_left:
            quotes_left[key] = sorted(
                json.loads(quotes), key=lambda q: (q["iteration"], q["position"]), reverse=True
            )
        if not quotes_left[key]:
            continue
        quote = quotes_left[key].pop(0)
        claimed.add(rid)
        yield rid, run_rid, role, quote["iteration"], arbiter_rid, quote["source"]


def output_rows(conn, one, start=0, turns=(0, 0)):
    """Every consortium output row of logs.db, in both of llm's tables, and where each one went.

    In responses, those logged after `start` only, in turns those in the rowid
    range `turns` (the rows this backfill read): a later backfill never scans either table.
    """
    in_turns = table_exists(conn, "turns")
    # Both counts of responses in one read of its rows.
    in_responses, grouped_in_responses = conn.execute(
        # CROSS JOIN: from the few named rows to theirs, never a scan of the table.
        "SELECT count(*), count(consortium_id) FROM named_rows CROSS JOIN logged ON logged.rid = named_rows.rid"
        " WHERE named_rows.rid > ?",
        [start],
    ).fetchone()
    return {
        "in_responses": in_responses,
        "in_turns": one("SELECT count(*) FROM main.turns WHERE rowid > ? AND rowid <= ?"
                        " AND model IN (SELECT name FROM consortium_names)", *turns)
        if in_turns else 0,
        "already_grouped": grouped_in_responses + (one(
            "SELECT count(*) FROM main.turns WHERE rowid > ? AND rowid <= ? AND id IN (SELECT output_id FROM c08_done)"
            " AND model IN (SELECT name FROM consortium_names)", *turns
        ) if in_turns else 0),
        "grouped": one("SELECT count(*) FROM runs WHERE skip_reason IS NULL AND output_rid IS NOT NULL")
        + one("SELECT count(*) FROM c08_links"),
        "skipped": one("SELECT count(*) FROM runs WHERE skip_reason IS NOT NULL AND output_rid IS NOT NULL"),
        "for_review": one("SELECT count(*) FROM c08_review WHERE kind = 'unlinked_output'"),
    }


def output_rows_grouped_before(conn, one, start, counted):
    """Output rows an earlier backfill grouped: counted with the rows when every row was
    read, else from the run history (a re-run never scans the table)."""
    if not start:
        return counted["already_grouped"]
    runs_table, _ = history_tables(conn)
    return one(f"SELECT count(*) FROM [{runs_table}] WHERE output_response_id IS NOT NULL")


def summarise(conn, params=None):
    one = lambda sql, *args: conn.execute(sql, args).fetchone()[0]
    start = params["start"] if params else 0
    turns = (params["turns_after"], params["turns_max"]) if params and "turns_max" in params else (0, 2**62)
    counted = output_rows(conn, one, start, turns)
    return {
        "output_rows_grouped_before": output_rows_grouped_before(conn, one, start, counted),
        "runs_by_era": {
            "recovered from prompts in logs.db": one(
                "SELECT count(*) FROM runs WHERE skip_reason IS NULL AND output_rid IS NOT NULL"
            ),
            "linked from consortium_logs.db": one("SELECT count(*) FROM c08_links"),
        },
        "runs_linked_by": dict(conn.execute("SELECT basis, count(*) FROM c08_links GROUP BY basis ORDER BY 1")),
        "consortium_output_rows": counted,
        "consortium_logs_review": dict(
            conn.execute("SELECT kind, count(*) FROM c08_review GROUP BY kind ORDER BY 1").fetchall()
        ),
        "output_rows_found": one("SELECT count(*) FROM runs WHERE output_rid IS NOT NULL"),
        "runs_grouped": one("SELECT count(*) FROM runs WHERE skip_reason IS NULL AND output_rid IS NOT NULL"),
        "orphan_runs_grouped": one("SELECT count(*) FROM runs WHERE skip_reason IS NULL AND output_rid IS NULL"),
        "runs_skipped": dict(
            conn.execute(
                "SELECT skip_reason, count(*) FROM runs WHERE skip_reason IS NOT NULL"
                " GROUP BY skip_reason ORDER BY 2 DESC, 1"
            ).fetchall()
        ),
        # responses rows the write changes: grouped rows, and linked output rows in responses
        "rows_by_role": dict(
            dict.fromkeys(ROLES, 0), **dict(conn.execute(
                "SELECT role, count(*) FROM ("
                " SELECT role FROM assignments UNION ALL SELECT 'final_output' FROM c08_links"
                " JOIN c08_outputs USING (output_id) WHERE output_table = 'responses')"
                " GROUP BY role"
            ))
        ),
        "orphan_arbiter_rows": one("SELECT count(*) FROM review WHERE kind = 'orphan_arbiter'"),
        "foreign_values": foreign.counts(conn),
        "out_of_order_blocks": [
            dict(zip(("first_rowid", "last_rowid", "rows", "oldest_id_time", "newest_id_time", "logged_after"), row))
            for row in conn.execute("SELECT * FROM out_of_order_blocks")
        ],
    }
