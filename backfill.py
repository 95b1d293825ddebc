"""Group llm-consortium runs in llm's logs.db: fill consortium_id and is_arbiter_response.

The work is done in SQL, one file per phase in sql/; this driver registers the
Python functions the SQL calls, runs the phases, claims matched rows, and
writes everything in one transaction.
"""
import contextlib
import datetime
import functools
import hashlib
import itertools
import json
import math
import os
import pathlib
import re
import shutil
import signal
import sqlite3
import sys
import time
import urllib.parse

import click
import sqlite_utils
from ksuid import Ksuid

import arbiter

HERE = pathlib.Path(__file__).resolve().parent
SQL = HERE / "sql"
REQUIRED_COLUMNS = ("id", "model", "prompt", "response", "datetime_utc")
ROLES = ("final_output", "member", "final_arbiter", "intermediate_arbiter")
# Reads of the user's database go one range at a time, so that llm, which
# waits 5 s for a lock, is never kept waiting by one long statement.
ROWS_PER_READ = 5000
RUNS_PER_READ = 500
CACHE_KIB = 64 * 1024
UNIX_EPOCH_JULIAN_DAY = 2440587.5


class Problem(click.ClickException):
    """Bad input or a database we must not touch: one line, exit code 2."""

    exit_code = 2


def utils_db(conn):
    """sqlite-utils over our own connection: no plugins, SQLite's trigger defaults."""
    return sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)


@functools.cache
def schema():
    """migrations/migrations.py: run as `sqlite-utils migrate` runs it, a file, not a module."""
    namespace = {}
    path = HERE / "migrations" / "migrations.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def sql_text(name, **fill):
    text = (SQL / f"{name}.sql").read_text()
    return text.format(**fill) if fill else text


def statements(text):
    """Split a .sql file into its statements."""
    current = []
    for line in text.splitlines(keepends=True):
        current.append(line)
        if sqlite3.complete_statement("".join(current)):
            yield "".join(current)
            current = []


def run_sql(conn, name, params=None, **fill):
    for statement in statements(sql_text(name, **fill)):
        conn.execute(statement, params or {})


def checks(text):
    """The `-- check: name` sections of verify.sql, as (name, statement)."""
    for section in re.split(r"^-- check: ", text, flags=re.M)[1:]:
        name, _, body = section.partition("\n")
        yield name.strip(), body


def ranges(keys, size):
    """(low, high] bounds covering sorted keys, size keys at a time."""
    low = 0
    for start in range(0, len(keys), size):
        high = keys[min(start + size, len(keys)) - 1]
        yield low, high
        low = high


def row_ranges(max_rid, size=ROWS_PER_READ):
    for low in range(0, max_rid, size):
        yield low, min(low + size, max_rid)


def consortium_ksuid(arbiter_day, output_id):
    """A run's id: the final arbiter's start time, a payload derived from the output row's id.

    The time comes as SQLite's julianday() of datetime_utc: read as UTC, whatever
    ISO 8601 variant llm wrote. (svix-ksuid would read a naive datetime as local.)
    """
    seconds = math.floor(round((arbiter_day - UNIX_EPOCH_JULIAN_DAY) * 86400, 3))
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    payload = hashlib.sha256(output_id.encode("utf-8")).digest()[:16]
    return str(Ksuid(datetime=moment, payload=payload))


def llm_logs_path():
    """Where llm keeps logs.db: $LLM_USER_PATH, else llm's own user directory."""
    user_dir = os.environ.get("LLM_USER_PATH") or click.get_app_dir("io.datasette.llm")
    return pathlib.Path(user_dir) / "logs.db"


def resolve_database(database):
    if database is not None:
        return pathlib.Path(database)
    path = llm_logs_path()
    if not path.exists():
        raise Problem(f"no database at {path} (llm's logs.db): pass -d PATH, or run `make demo` to try the example")
    click.echo(f"Using llm's logs.db: {path}", err=True)
    return path


def open_database(path, busy_timeout, write):
    """Check that path is llm's logs.db and open it; raise Problem naming what is wrong."""
    if not path.exists():
        raise Problem(f"{path}: no such file")
    if not path.is_file():
        raise Problem(f"{path}: not a file")
    with open(path, "rb") as f:
        header = f.read(16)
    if not header:
        raise Problem(f"{path}: empty file, not a SQLite database")
    if header != b"SQLite format 3\x00":
        raise Problem(f"{path}: not a SQLite database")
    if write:
        if not os.access(path, os.W_OK):
            raise Problem(f"{path}: read-only file")
        if not os.access(path.parent, os.W_OK):
            raise Problem(f"{path.parent}: read-only folder (SQLite writes its journal beside the database)")
    uri = "file:{}?mode={}".format(urllib.parse.quote(str(path.resolve())), "rw" if write else "ro")
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA main.table_info(responses)")}
    except sqlite3.DatabaseError as error:
        conn.close()
        raise database_error(path, error)
    if not columns:
        conn.close()
        raise Problem(f"{path}: no responses table (is this llm's logs.db?)")
    if conn.execute("PRAGMA encoding").fetchone()[0] != "UTF-8":
        conn.close()
        # Content hashes are taken of the stored bytes; llm only makes UTF-8 databases.
        raise Problem(f"{path}: not a UTF-8 database")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        conn.close()
        raise Problem(f"{path}: responses has no {', '.join(missing)} column")
    # 64 MiB instead of SQLite's 2 MiB: a large write transaction then spills
    # (and syncs its journal) far less often, and arbiter prompts read by
    # several phases stay cached. Memory stays bounded whatever the size.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    register_functions(conn)
    return conn, columns


def text_arguments(fn):
    """A SQL function over texts that also takes what else a column may hold.

    A row's prompt or response can be stored as a BLOB or a number; read it as
    the text it is, so that one odd row never aborts a whole backfill.
    """

    @functools.wraps(fn)
    def wrapper(*values):
        return fn(*(
            value.decode("utf-8", "replace") if isinstance(value, bytes)
            else str(value) if isinstance(value, (int, float))
            else value
            for value in values
        ))

    return wrapper


def register_functions(conn):
    db = utils_db(conn)
    for fn, name in [
        (text_arguments(arbiter.arbiter_format), "arbiter_format"),
        (arbiter.content_hash, "content_hash"),
        (text_arguments(arbiter.synthesis_text), "synthesis_text"),
        (text_arguments(arbiter.original_prompt), "original_prompt"),
        (text_arguments(arbiter.parse_json), "arbiter_parse"),
        (consortium_ksuid, "consortium_ksuid"),
    ]:
        db.register_function(fn, deterministic=True, name=name)
    return db


def consortium_names(conn, models_file):
    """Names of saved consortiums: the models file's lines plus the consortium_configs table."""
    names = set()
    if models_file is not None:
        path = pathlib.Path(models_file)
        if not path.is_file():
            raise Problem(f"{path}: no such models file")
        names |= {
            line.strip()
            for line in path.read_text(errors="replace").splitlines()
            if line.strip() and not line.strip().startswith("#")
        }
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'consortium_configs'").fetchone():
        names |= {row[0] for row in conn.execute("SELECT name FROM consortium_configs") if row[0]}
    return names


def prepare(conn, columns, names, window, include_orphans=False):
    """Temp views and tables over a snapshot of responses up to its current last row."""
    max_rid = conn.execute("SELECT coalesce(max(rowid), 0) FROM responses").fetchone()[0]
    run_sql(
        conn,
        "logged",
        consortium_id="consortium_id" if "consortium_id" in columns else "NULL",
        duration_ms="duration_ms" if "duration_ms" in columns else "NULL",
        max_rid=int(max_rid),
    )
    run_sql(conn, "scratch")
    conn.executemany("INSERT INTO consortium_names (name) VALUES (?)", [(n,) for n in sorted(names)])
    run_sql(conn, "pairs")
    return dict(
        max_rid=max_rid,
        window_days=window / 86400,
        prefix_length=arbiter.PREFIX_LENGTH,
        include_orphans=include_orphans,
    )


def analyse(conn, params):
    """Find every run and every row it claims, into the temp table assignments."""
    run_sql(conn, "runs", params)
    runs = [row[0] for row in conn.execute("SELECT run_rid FROM runs ORDER BY run_rid")]
    for low, high in ranges(runs, RUNS_PER_READ):
        run_sql(conn, "parse", dict(params, low=low, high=high))
        run_sql(conn, "snippets", dict(params, low=low, high=high))
    run_sql(conn, "windows", params)
    for low, high in row_ranges(params["max_rid"]):
        run_sql(conn, "candidates", dict(params, low=low, high=high))
    conn.execute("CREATE INDEX temp.candidates_by_response ON candidates (response_hash)")
    conn.execute("CREATE INDEX temp.candidates_by_synthesis ON candidates (synthesis_hash)")
    grouped = [row[0] for row in conn.execute("SELECT run_rid FROM runs WHERE skip_reason IS NULL ORDER BY run_rid")]
    claimed = set()
    # Earlier syntheses claim first: a row that is both is an intermediate arbiter.
    for low, high in ranges(grouped, RUNS_PER_READ):
        claim_matches(conn, params, low, high, claimed, "synthesis_matches", "intermediate_arbiter")
    for low, high in ranges(grouped, RUNS_PER_READ):
        claim_matches(conn, params, low, high, claimed, "member_matches", "member")
    if params["include_orphans"]:
        orphan_runs(conn, params, claimed)
    run_sql(conn, "assignments", params)
    run_sql(conn, "review", params)


def orphan_runs(conn, params, claimed):
    """Each arbiter row no run claimed, latest first, anchors a run of its own.

    Latest first, so that a chain's last arbiter claims the earlier ones as
    intermediate arbiters before any of them could anchor a run.
    """
    arbiters = conn.execute(
        "SELECT rid FROM candidates WHERE arbiter_format IS NOT NULL ORDER BY rid DESC"
    ).fetchall()
    for (rid,) in arbiters:
        if rid in claimed:
            continue
        bounds = dict(params, rid=rid, low=rid - 1, high=rid)
        run_sql(conn, "orphan_run", bounds)
        run_sql(conn, "parse", bounds)
        run = conn.execute("SELECT skip_reason FROM runs WHERE run_rid = ?", [rid]).fetchone()
        if run is None or run[0]:
            conn.execute("DELETE FROM runs WHERE run_rid = ?", [rid])
            continue
        claimed.add(rid)
        run_sql(conn, "snippets", bounds)
        claim_matches(conn, params, rid - 1, rid, claimed, "synthesis_matches", "intermediate_arbiter")
        claim_matches(conn, params, rid - 1, rid, claimed, "member_matches", "member")
        # A chain whose quotes match no logged member is no run: most likely a
        # plain prompt that pastes an arbiter prompt.
        taken = dict(conn.execute("SELECT rid, role FROM assignments WHERE run_rid = ?", [rid]))
        if "member" not in taken.values():
            conn.execute("DELETE FROM assignments WHERE run_rid = ?", [rid])
            conn.execute("DELETE FROM runs WHERE run_rid = ?", [rid])
            claimed.difference_update([*taken, rid])


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


def summarise(conn):
    one = lambda sql: conn.execute(sql).fetchone()[0]
    return {
        "output_rows_found": one("SELECT count(*) FROM runs WHERE output_rid IS NOT NULL"),
        "runs_grouped": one("SELECT count(*) FROM runs WHERE skip_reason IS NULL AND output_rid IS NOT NULL"),
        "orphan_runs_grouped": one("SELECT count(*) FROM runs WHERE skip_reason IS NULL AND output_rid IS NULL"),
        "runs_skipped": dict(
            conn.execute(
                "SELECT skip_reason, count(*) FROM runs WHERE skip_reason IS NOT NULL"
                " GROUP BY skip_reason ORDER BY 2 DESC, 1"
            ).fetchall()
        ),
        "rows_by_role": dict(
            dict.fromkeys(ROLES, 0), **dict(conn.execute("SELECT role, count(*) FROM assignments GROUP BY role"))
        ),
        "orphan_arbiter_rows": one("SELECT count(*) FROM review WHERE kind = 'orphan_arbiter'"),
    }


def fts_update_triggers(conn):
    """Triggers that re-index responses_fts on ANY update of a row.

    The backfill changes only columns the index does not hold, so these can
    rest for the length of the transaction without the index going stale.
    """
    return [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'responses'"
        )
        if re.search(r"\bAFTER\s+UPDATE\s+ON\b", sql, re.I) and "_fts" in sql
    ]


def kill_after_statements(conn):
    """CONSORTIUM_BACKFILL_KILL_AFTER=N: SIGKILL this process as its Nth statement from here starts.

    For the crash tests, which prove a kill at any moment leaves the database whole.
    """
    limit = os.environ.get("CONSORTIUM_BACKFILL_KILL_AFTER")
    if not limit:
        return
    count = itertools.count(1)

    def trace(statement):
        if next(count) >= int(limit):
            os.kill(os.getpid(), signal.SIGKILL)

    conn.set_trace_callback(trace)


def make_backup(conn, path, backup_path):
    """A consistent online copy, the way `llm logs backup` makes one, checked before use."""
    target = pathlib.Path(backup_path) if backup_path else path.with_name(
        "{}.backup-{}{}".format(path.stem, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"), path.suffix)
    )
    if target.exists():
        raise Problem(f"{target}: backup file already exists")
    if not os.access(target.parent, os.W_OK):
        raise Problem(f"{target.parent}: cannot write the backup there (read-only folder)")
    page_count = conn.execute("PRAGMA page_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    needed = page_count * page_size
    free = shutil.disk_usage(target.parent).free
    if free < needed + 16 * 1024 * 1024:
        raise Problem(
            f"not enough free disk for the backup in {target.parent}: "
            f"{needed / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free"
        )
    # Written under another name first: a copy cut short never passes for a backup.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        conn.execute("VACUUM INTO ?", [str(partial)])
    except sqlite3.OperationalError as error:
        partial.unlink(missing_ok=True)
        raise Problem(f"{target}: backup failed: {error}")
    check = sqlite3.connect(partial)
    try:
        result = check.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise Problem(f"{partial}: backup failed its quick_check: {result}")
    os.replace(partial, target)
    return target


@contextlib.contextmanager
def immediate_transaction(conn):
    """BEGIN IMMEDIATE: wait (busy timeout) for the write lock, then commit or roll back whole."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def write(conn, params, found_at):
    """Every write of one backfill, in one transaction that waits for the write lock."""
    db = utils_db(conn)
    with immediate_transaction(conn):
        schema()["migrations"].apply(db)
        triggers = fts_update_triggers(conn)
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER [{name}]")
        before = conn.total_changes
        params = dict(params, found_at=found_at)
        update, *review = statements(sql_text("update"))
        updated = conn.execute(update, params).rowcount
        for statement in review:
            conn.execute(statement, params)
        runs_table, members_table = schema()["history_tables"](db)
        run_sql(conn, "history", params, runs=runs_table, members=members_table)
        for _, sql in triggers:
            conn.execute(sql)
    return updated, conn.total_changes - before


def new_review_rows(conn):
    """Review rows the consortium_backfill_review table does not hold yet."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'consortium_backfill_review'").fetchone():
        return conn.execute("SELECT count(*) FROM review").fetchone()[0]
    return conn.execute(
        "SELECT count(*) FROM review WHERE response_id NOT IN (SELECT response_id FROM consortium_backfill_review)"
    ).fetchone()[0]


def pending_migrations(conn):
    db = utils_db(conn)
    return [m.name for m in schema()["migrations"].pending(db)]


def database_error(path, error):
    message = str(error)
    if "locked" in message or "busy" in message:
        return Problem(f"{path}: database is busy (another process holds a lock on it): {message}")
    if "readonly" in message or "read-only" in message:
        return Problem(f"{path}: cannot write: {message}")
    return Problem(f"{path}: {message}")


def parse_window(value):
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
    if not match:
        raise click.BadParameter(f"{value!r}: use seconds or a number with s, m, h or d, e.g. 90m")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


database_option = click.option(
    "-d",
    "--database",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="logs.db to work on (default: llm's own, $LLM_USER_PATH/logs.db)",
)
models_option = click.option(
    "models_file",
    "-m",
    "--models-file",
    type=click.Path(path_type=pathlib.Path),
    help="Saved consortium names, one per line (added to the consortium_configs table's names)",
)
window_option = click.option(
    "--window",
    default="1h",
    show_default=True,
    help="How far before its final arbiter a run's rows may start: seconds, or 90m, 2h, 1d",
)
busy_option = click.option(
    "--busy-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for a database another process is writing to",
)


@click.group()
@click.version_option("0.1", prog_name="consortium-backfill")
def cli():
    """Group llm-consortium runs in llm's logs.db.

    Adds and fills responses.consortium_id (one KSUID per run) and
    responses.is_arbiter_response (0 member or final output, 1 final
    arbiter, 2 intermediate arbiter).
    """


@cli.command()
@database_option
@models_option
@window_option
@click.option("--dry-run", is_flag=True, help="Find runs and print the summary; write nothing, make no backup")
@click.option("--no-backup", is_flag=True, help="Skip the backup copy made before writing")
@click.option(
    "--backup-path",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="Where to write the backup (default: beside the database, logs.backup-DATE.db)",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="Write a JSON report here: summary, skipped runs and orphan arbiter rows",
)
@click.option(
    "--include-orphans",
    is_flag=True,
    help="Also group arbiter chains that have no output row (llm consortium run, failed runs)",
)
@busy_option
def backfill(database, models_file, window, dry_run, no_backup, backup_path, report, include_orphans, busy_timeout):
    """Find consortium runs and fill consortium_id and is_arbiter_response.

    Rows that already have a consortium_id are never changed: run it again
    after new runs are logged and it processes only those.

    \b
    Examples:
        python backfill.py backfill -d logs.db --models-file consortium_models.txt
        python backfill.py backfill --dry-run --report review.json
    """
    started = time.perf_counter()
    path = resolve_database(database)
    window_seconds = parse_window(window)
    conn, columns = open_database(path, busy_timeout, write=not dry_run)
    try:
        names = consortium_names(conn, models_file)
        if not names:
            raise Problem(
                "no consortium names: pass --models-file, or save consortiums "
                "(the consortium_configs table is missing or empty)"
            )
        params = prepare(conn, columns, names, window_seconds, include_orphans)
        analyse(conn, params)
        summary = summarise(conn)
        to_write = sum(summary["rows_by_role"].values())
        backup = None
        updated = changes = 0
        if not dry_run and (to_write or pending_migrations(conn) or new_review_rows(conn)):
            kill_after_statements(conn)
            if to_write and not no_backup:
                backup = make_backup(conn, path, backup_path)
            updated, changes = write(conn, params, datetime.datetime.now(datetime.timezone.utc).isoformat())
        summary.update(
            database=str(path),
            dry_run=dry_run,
            rows_updated=updated,
            changes=changes,
            backup=str(backup) if backup else None,
            seconds=round(time.perf_counter() - started, 3),
        )
        if report:
            write_report(conn, report, summary)
    except sqlite3.DatabaseError as error:
        raise database_error(path, error)
    finally:
        conn.close()
    print_summary(summary)


def write_report(conn, report, summary):
    conn.row_factory = sqlite3.Row
    rows = [dict(row) for row in conn.execute("SELECT * FROM review ORDER BY kind, response_id")]
    conn.row_factory = None
    for row in rows:
        row["evidence"] = json.loads(row["evidence"])
    report.write_text(json.dumps(dict(summary, review=rows), indent=2) + "\n")


def print_summary(summary):
    lines = [
        f"Database: {summary['database']}" + ("  (dry run: nothing written)" if summary["dry_run"] else ""),
        f"Consortium output rows not yet grouped: {summary['output_rows_found']}",
        f"Runs grouped: {summary['runs_grouped']}",
        f"Runs skipped: {sum(summary['runs_skipped'].values())}",
    ]
    lines += [f"  {reason}: {count}" for reason, count in summary["runs_skipped"].items()]
    roles = summary["rows_by_role"]
    verb = "Rows to update" if summary["dry_run"] else "Rows updated"
    if summary["orphan_runs_grouped"]:
        lines.append(f"Orphan runs grouped (--include-orphans): {summary['orphan_runs_grouped']}")
    lines.append(f"{verb}: {summary['rows_updated'] if not summary['dry_run'] else sum(roles.values())}")
    lines += [
        f"  final outputs (0): {roles['final_output']}",
        f"  members (0): {roles['member']}",
        f"  final arbiters (1): {roles['final_arbiter']}",
        f"  intermediate arbiters (2): {roles['intermediate_arbiter']}",
        f"Orphan arbiter rows (in no run): {summary['orphan_arbiter_rows']}",
    ]
    if summary["backup"]:
        lines.append(f"Backup: {summary['backup']}")
    lines.append(f"Time: {summary['seconds']:.2f} s")
    click.echo("\n".join(lines))


@cli.command()
@database_option
@models_option
@window_option
@busy_option
def verify(database, models_file, window, busy_timeout):
    """Check the invariants of a backfilled database; exit 1 on any violation.

    \b
    Example:
        python backfill.py verify -d logs.db
    """
    path = resolve_database(database)
    conn, columns = open_database(path, busy_timeout, write=False)
    try:
        if "consortium_id" not in columns:
            click.echo(f"{path}: not backfilled yet (no consortium_id column): nothing to verify")
            return
        run_sql(conn, "scratch")
        names = consortium_names(conn, models_file)
        conn.executemany("INSERT INTO consortium_names (name) VALUES (?)", [(n,) for n in sorted(names)])
        counts = conn.execute(
            "SELECT is_arbiter_response, count(*), count(DISTINCT consortium_id) FROM responses"
            " WHERE consortium_id IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).fetchall()
        if not counts:
            click.echo(f"{path}: no grouped rows yet: nothing to verify")
            return
        db = utils_db(conn)
        runs_table, _ = schema()["history_tables"](db)
        if db[runs_table].exists():
            conn.execute(
                f"INSERT INTO orphan_runs SELECT id FROM [{runs_table}] WHERE output_response_id IS NULL"
            )
        params = dict(window_days=parse_window(window) / 86400, prefix_length=arbiter.PREFIX_LENGTH)
        violations = []
        for name, statement in checks(sql_text("verify")):
            for consortium_id, response_id, detail in conn.execute(statement, params):
                violations.append((name, consortium_id, response_id, detail))
    except sqlite3.DatabaseError as error:
        raise database_error(path, error)
    finally:
        conn.close()
    runs = max(n for flag, _, n in counts)
    click.echo(f"{path}: {runs} runs")
    for flag, rows, _ in counts:
        click.echo(f"  is_arbiter_response = {flag}: {rows} rows")
    for name, consortium_id, response_id, detail in violations:
        click.echo(f"VIOLATION {name}: run {consortium_id}" + (f" row {response_id}" if response_id else "") + f": {detail}")
    if violations:
        click.echo(f"{len(violations)} violations")
        sys.exit(1)
    click.echo("OK: no violations")


RULES = {
    "final_output": "its model, {config_name}, is a saved consortium name; the row logged right before it, "
    "{quoted_by_or_arbiter}, is its final arbiter",
    "final_arbiter": "it is the row logged right before the output row {output_id}, its prompt is an arbiter "
    "prompt, and its <original_prompt> contains the output's prompt",
    "intermediate_arbiter": "its synthesis equals the iteration {iteration} <synthesis> quoted in the "
    "<iteration_history> of final arbiter {quoted_by}, and it was asked about the same original prompt",
    "member": "its response equals, byte for byte, an answer quoted in the <{source}> of final arbiter "
    "{quoted_by}, as one of iteration {iteration}",
}


def describe(row_id, fact):
    """One paragraph on why a row belongs to its run."""
    where = f"iteration {fact['iteration']} of {fact['iteration_count']}" if fact["iteration"] else "no iteration"
    if fact["role"] == "member":
        where += f", member {fact['member_index']}"
    name = fact["config_name"] or "an orphan run, no output row"
    rule = RULES[fact["role"]]
    if fact["role"] == "final_arbiter" and not fact["output_id"]:
        rule = "it is the last arbiter of a chain no output row follows, grouped by --include-orphans"
    rule = rule.format(**dict(fact, quoted_by_or_arbiter=fact["final_arbiter_response_id"]))
    return (
        f"{row_id} is the {fact['role'].replace('_', ' ')} ({where}) of run {fact['run_id']} ({name}).\n"
        f"Rule: {rule}."
    )


@cli.command()
@click.argument("row_id")
@database_option
@models_option
@window_option
@busy_option
def explain(row_id, database, models_file, window, busy_timeout):
    """Say why a responses row is in its run, or why it is in none.

    \b
    Example:
        python backfill.py explain 01js7b0tssvh37tcgs21n4qeka -d logs.db
    """
    path = resolve_database(database)
    conn, columns = open_database(path, busy_timeout, write=False)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT rowid AS rid, * FROM responses WHERE id = ?", [row_id]).fetchone()
        if row is None:
            raise Problem(f"{path}: no responses row with id {row_id}")
        if "consortium_id" in columns and row["consortium_id"] is not None:
            click.echo(explain_grouped(conn, row))
            return
        names = consortium_names(conn, models_file)
        if not names:
            raise Problem("no consortium names: pass --models-file to explain a row not grouped yet")
        params = prepare(conn, columns, names, parse_window(window))
        analyse(conn, params)
        click.echo(explain_pending(conn, row))
    except sqlite3.DatabaseError as error:
        raise database_error(path, error)
    finally:
        conn.close()


def explain_grouped(conn, row):
    db = utils_db(conn)
    runs_table, members_table = schema()["history_tables"](db)
    fact = None
    if db[members_table].exists() and db[runs_table].exists():
        fact = conn.execute(
            f"SELECT m.*, r.config_name, r.iteration_count, r.output_response_id AS output_id,"
            f" r.final_arbiter_response_id FROM [{members_table}] m JOIN [{runs_table}] r ON r.id = m.run_id"
            f" WHERE m.response_id = ?",
            [row["id"]],
        ).fetchone()
    if fact is None:
        return (
            f"{row['id']} is in run {row['consortium_id']} with is_arbiter_response = {row['is_arbiter_response']}, "
            "but no run history records how it got there (grouped by hand, or before the history tables existed)."
        )
    return describe(row["id"], dict(fact))


def explain_pending(conn, row):
    rid = row["rid"]
    fact = conn.execute(
        "SELECT assigned.role, assigned.iteration, assigned.member_index, assigned.source,"
        " assigned.consortium_id AS run_id, quoter.id AS quoted_by, output.model AS config_name,"
        " runs.output_id, runs.arbiter_id AS final_arbiter_response_id,"
        " json_extract(runs.parsed, '$.iterations') AS iteration_count"
        " FROM assigned JOIN runs ON runs.run_rid = assigned.run_rid"
        " LEFT JOIN logged AS quoter ON quoter.rid = assigned.quoted_by_rid"
        " LEFT JOIN logged AS output ON output.rid = runs.output_rid WHERE assigned.rid = ?",
        [rid],
    ).fetchone()
    if fact is not None:
        return "Not grouped yet; the next backfill groups it.\n" + describe(row["id"], dict(fact))
    skipped = conn.execute(
        "SELECT output_id, arbiter_id, skip_reason FROM runs WHERE skip_reason IS NOT NULL"
        " AND (output_rid = ? OR arbiter_rid = ?)",
        [rid, rid],
    ).fetchone()
    if skipped is not None:
        which = "output row" if skipped["output_id"] == row["id"] else f"row before output {skipped['output_id']}"
        return f"{row['id']} is in no run: it is the {which} of a run that was skipped: {skipped['skip_reason']}."
    review = conn.execute("SELECT reason FROM review WHERE response_id = ?", [row["id"]]).fetchone()
    if review is not None:
        return f"{row['id']} is in no run: {review['reason']}. `backfill --include-orphans` gives it a run of its own."
    return (
        f"{row['id']} is in no run: its model is not a consortium name, it has no arbiter prompt, and no final "
        "arbiter within the window quotes its response."
    )


@cli.command()
@database_option
@busy_option
def migrate(database, busy_timeout):
    """Add the consortium columns, index and review table, if missing.

    The same migrations run at the start of every backfill; this applies
    them alone. `sqlite-utils migrate logs.db migrations/` does the same.
    """
    path = resolve_database(database)
    conn, _ = open_database(path, busy_timeout, write=True)
    try:
        db = utils_db(conn)
        pending = pending_migrations(conn)
        with immediate_transaction(conn):
            schema()["migrations"].apply(db)
    except sqlite3.DatabaseError as error:
        raise database_error(path, error)
    finally:
        conn.close()
    click.echo(f"{path}: applied {', '.join(pending)}" if pending else f"{path}: already up to date")


if __name__ == "__main__":
    cli()
