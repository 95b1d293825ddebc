"""explain: why a row is in its run, or why it is in none."""
import sqlite3

from . import analysis, consortium_logs
from .database import history_tables
from .accept import SOURCE as ACCEPTED
from .errors import Problem
from .functions import utils_db
from .names import known_names

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


# Automatic context (formats/auto_context.py, chains.py) and the runs whose final
# arbiter quotes no earlier member (manual and automatic context).
CHAIN_RULE = (
    "it is an earlier arbiter call in the llm conversation of final arbiter {quoted_by} (same conversation_id), "
    "reached through that run's own arbiter prompts back to the one asked about the output's prompt"
)
EARLIER_MEMBER_RULE = (
    "its response equals, byte for byte, an answer quoted in the <{source}> of arbiter {quoted_by}, "
    "the run's iteration {iteration} arbiter"
)


def explain(conn, columns, path, row_id, models_file, window, consortium_logs_path=None):
    """The paragraph `backfill.py explain ROW_ID` prints, for a row of responses or llm's turns."""
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT rowid AS rid, * FROM responses WHERE id = ?", [row_id]).fetchone()
    in_turns = row is None and consortium_logs.columns(conn, "turns") and conn.execute(
        "SELECT 1 FROM turns WHERE id = ?", [row_id]).fetchone()
    if row is None and not in_turns:
        reviewed = explain_review(conn, row_id)
        if reviewed:
            return reviewed
        raise Problem(f"{path}: no responses or turns row with id {row_id}")
    linked = explain_linked(conn, row_id)
    if linked:
        return linked
    if row is not None and "consortium_id" in columns and row["consortium_id"] is not None:
        return explain_grouped(conn, row)
    clogs = consortium_logs.locate(consortium_logs_path, path)
    names = known_names(conn, models_file, clogs)
    if not names:
        raise Problem("no consortium names: pass --models-file to explain a row not grouped yet")
    # With orphan runs found too, so that the advice given is what each
    # command would do; runs with an output row are found the same either way.
    params = analysis.prepare(conn, columns, names, window, include_orphans=True)
    analysis.link_consortium_logs(conn, clogs, params)
    analysis.analyse(conn, params)
    pending = explain_pending_link(conn, row_id, clogs)
    if pending:
        return pending
    if row is None:
        return f"{row_id} is a turns row whose model is not a saved consortium name: no run."
    return explain_pending(conn, row)


def explain_review(conn, review_id):
    """A review row keyed by an id that is in consortium_logs.db, not logs.db: a run, or a missing call."""
    if "kind" not in consortium_logs.columns(conn, "consortium_backfill_review"):
        return None
    review = conn.execute(
        "SELECT kind, reason, evidence FROM consortium_backfill_review WHERE response_id = ?"
        " AND kind IN ('failed_run', 'missing_member')", [review_id]
    ).fetchone()
    if review is None:
        return None
    what = "run in consortium_logs.db" if review["kind"] == "failed_run" else "call named by consortium_members"
    return f"{review_id} is a {what}, listed for review: {review['reason']}.\nEvidence: {review['evidence']}"


def explain_linked(conn, row_id):
    """An output row a backfill linked to its run in consortium_logs.db."""
    runs_table, _ = history_tables(conn)
    if "linked_by" not in consortium_logs.columns(conn, runs_table):
        return None
    run = conn.execute(
        f"SELECT * FROM [{runs_table}] WHERE output_response_id = ? AND source = 'consortium_logs.db'", [row_id]
    ).fetchone()
    if run is None:
        return None
    return (
        f"{row_id} is the final output (in {run['output_table']}) of run {run['id']} ({run['config_name']}, "
        f"{run['iteration_count']} iterations), linked from consortium_logs.db.\n"
        f"Rule: {LINK_RULES[run['linked_by']]}."
    )


LINK_RULES = {
    "metadata.consortium_id": "its response_json names the run: metadata.consortium_id",
    "name, prompt, time and text": "the run is the only one in consortium_logs.db of the same consortium, "
    "asked the same prompt, created within seconds after the output row's datetime_utc, whose last "
    "arbiter synthesis is the output's text, and it qualifies for no other output row",
}


def explain_pending_link(conn, row_id, clogs):
    """What the next backfill does with an output row of the consortium_logs.db era, if it is one."""
    link = conn.execute("SELECT run_id, basis FROM c08_links WHERE output_id = ?", [row_id]).fetchone()
    if link is not None:
        return (
            f"Not linked yet; the next backfill links it to run {link['run_id']} in {clogs}.\n"
            f"Rule: {LINK_RULES[link['basis']]}."
        )
    review = conn.execute(
        "SELECT reason FROM c08_review WHERE response_id = ? AND kind = 'unlinked_output'", [row_id]
    ).fetchone()
    if review is not None:
        where = f"in {clogs}" if clogs else "(no consortium_logs.db found)"
        return f"{row_id} is in no run {where}: {review['reason']}."
    return None


def describe(row_id, fact):
    """One paragraph on why a row belongs to its run."""
    where = f"iteration {fact['iteration']} of {fact['iteration_count']}" if fact["iteration"] else "no iteration"
    if fact["role"] == "member":
        where += f", member {fact['member_index']}"
    name = fact["config_name"] or "an orphan run, no output row"
    rule = RULES[fact["role"]]
    if fact["source"] == "conversation chain":
        rule = CHAIN_RULE
    elif fact["role"] == "member" and fact["quoted_by"] != fact["final_arbiter_response_id"]:
        rule = EARLIER_MEMBER_RULE
    if fact["role"] == "final_arbiter" and not fact["output_id"]:
        rule = "it is the last arbiter of a chain no output row follows, grouped by --include-orphans"
    if fact["source"] == ACCEPTED:
        rule = ("a person confirmed it as the final arbiter of the output row {output_id} (accept): its run was "
                "skipped for review, another run's rows logged in between")
    rule = rule.format(**dict(fact, quoted_by_or_arbiter=fact["final_arbiter_response_id"]))
    return (
        f"{row_id} is the {fact['role'].replace('_', ' ')} ({where}) of run {fact['run_id']} ({name}).\n"
        f"Rule: {rule}."
    )


def explain_grouped(conn, row):
    db = utils_db(conn)
    runs_table, members_table = history_tables(conn)
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
        if fact["output_id"] is None:
            why = (
                "arbiter prompt in no run: no consortium output row follows it" if fact["role"] == "final_arbiter"
                else "its chain of arbiter prompts has no consortium output row"
            )
            return (
                f"{row['id']} is in no run: {why}. `backfill --include-orphans` groups it:\n"
                + describe(row["id"], dict(fact))
            )
        return "Not grouped yet; the next backfill groups it.\n" + describe(row["id"], dict(fact))
    skipped = conn.execute(
        "SELECT output_id, arbiter_rid, skip_reason FROM runs WHERE skip_reason IS NOT NULL"
        " AND (output_rid = ? OR arbiter_rid = ? OR likely_rid = ?)",
        [rid, rid, rid],
    ).fetchone()
    if skipped is not None:
        which = (
            "output row" if skipped["output_id"] == row["id"]
            else f"row before output {skipped['output_id']}" if skipped["arbiter_rid"] == rid
            else f"likely final arbiter of output {skipped['output_id']}"
        )
        return (
            f"{row['id']} is in no run: it is the {which} of a run that was skipped: {skipped['skip_reason']}. "
            "It is left for a person to review (see the consortium_backfill_review table); no backfill groups it."
        )
    review = conn.execute("SELECT reason FROM review WHERE response_id = ?", [row["id"]]).fetchone()
    if review is not None:
        return (
            f"{row['id']} is in no run: {review['reason']}. `backfill --include-orphans` leaves it too: "
            "none of the answers its prompt quotes is a logged row, or the chain it belongs to is left for review."
        )
    return (
        f"{row['id']} is in no run: its model is not a consortium name, it has no arbiter prompt, and no final "
        "arbiter within the window quotes its response."
    )
