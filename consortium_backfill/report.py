"""What a backfill tells the user: the printed summary and the JSON report."""
import json
import shlex
import sqlite3

import click

from .errors import Problem
from .foreign import KINDS


def write_report(conn, path, summary):
    """The summary and every review row, as JSON."""
    conn.row_factory = sqlite3.Row
    rows = [dict(row) for row in conn.execute("SELECT * FROM review ORDER BY kind, response_id")]
    conn.row_factory = None
    for row in rows:
        row["evidence"] = json.loads(row["evidence"])
    try:
        path.write_text(json.dumps(dict(summary, review=rows), indent=2) + "\n")
    except OSError as error:
        done = "" if summary["dry_run"] else " (the backfill itself is written)"
        raise Problem(f"{path}: cannot write the report{done}: {error.strerror or error}")


def describe_pass(done):
    """Which rows this backfill read: all of them (and why), or those logged since the last one."""
    if done["kind"] == "full":
        return f"Pass: full, every row ({done['reason']})"
    new = done["last_rowid"] - done["new_after_rowid"]
    window = done["new_after_rowid"] - done["reread_after_rowid"]
    return (
        f"Pass: incremental, the rows logged since the last backfill (rowids {done['new_after_rowid'] + 1} "
        f"to {done['last_rowid']}: {new}) and {window} before them, for the window"
        if new else "Pass: incremental, nothing logged since the last backfill"
    )


def print_summary(summary, command="consortium-backfill"):
    click.echo("\n".join(summary_lines(summary, command)))


FLAGS = [
    ("flag 0, member or final output", ["member", "final_output"]),
    ("flag 1, final arbiter", ["final_arbiter"]),
    ("flag 2, intermediate arbiter", ["intermediate_arbiter"]),
]
ROLE_NAMES = {"member": "members", "final_output": "final outputs"}


def summary_lines(summary, command="consortium-backfill"):
    """The summary a person reads in five seconds: what was grouped (or would be, in a
    dry run), what was left for review and the command to look at it, every file written."""
    dry = summary["dry_run"]
    roles = summary["rows_by_role"]
    eras = summary["runs_by_era"]
    runs = sum(eras.values()) + summary["orphan_runs_grouped"]
    rows = sum(roles.values()) if dry else summary["rows_updated"]
    lines = [f"Database: {summary['database']}" + ("  (dry run: nothing written)" if dry else "")]
    if runs == 0 and rows == 0:
        before = summary["output_rows_grouped_before"]
        lines.append(f"Nothing new: no run left to group ({before} output rows grouped before).")
    else:
        lines.append(f"{'Runs to group' if dry else 'Runs grouped'}: {runs}")
        if eras["linked from consortium_logs.db"]:
            lines += [f"  {era}: {count}" for era, count in eras.items()]
            lines += [f"    by {basis}: {count}" for basis, count in summary["runs_linked_by"].items()]
        if summary["orphan_runs_grouped"]:
            lines.append(f"  arbiter chains with no output row (--include-orphans): {summary['orphan_runs_grouped']}")
        lines.append(f"{'Rows to update' if dry else 'Rows updated'}: {rows}, by is_arbiter_response flag:")
        for flag, names in FLAGS:
            count = sum(roles[name] for name in names)
            parts = [f"{roles[name]} {ROLE_NAMES[name]}" for name in names if len(names) > 1]
            lines.append(f"  {flag}: {count}" + (f" ({', '.join(parts)})" if parts else ""))
    skipped = sum(summary["runs_skipped"].values())
    if skipped:
        lines.append(f"Runs skipped, left for review: {skipped}")
        lines += [f"  {reason}: {count}" for reason, count in summary["runs_skipped"].items()]
    orphans = summary["orphan_arbiter_rows"]
    if orphans:
        lines.append(f"Arbiter rows in no run (llm consortium run, failed runs), left for review: {orphans}")
    lines += consortium_logs_lines(summary)
    lines += order_lines(summary)
    lines += foreign_lines(summary)
    for label, key in [("Backup", "backup"), ("Report", "report")]:
        if summary.get(key):
            lines.append(f"{label}: {summary[key]}")
    lines.append(describe_pass(summary["pass"]))
    lines += next_steps(summary, command, skipped, orphans)
    lines.append(f"Time: {summary['seconds']:.2f} s")
    return lines


def next_steps(summary, command, skipped, orphans):
    """The command to run next, when something was left for a person."""
    database = "-d " + shlex.quote(summary["database"])
    models = " -m " + shlex.quote(summary["models_file"]) if summary.get("models_file") else ""
    review = skipped + orphans + sum(summary["consortium_logs_review"].values())
    steps = []
    if summary["dry_run"] and (sum(summary["runs_by_era"].values()) or summary["orphan_runs_grouped"]):
        steps.append("the same command without --dry-run   (writes it, after a backup)")
    if review and not summary["dry_run"]:
        steps.append(f"{command} browse {database}   (the review page: each row and its evidence)")
    if review:
        steps.append(f"{command} explain ROW_ID {database}{models}   (why that row is in no run)")
    if orphans and not summary.get("include_orphans"):
        steps.append(f"{command} backfill {database}{models} --include-orphans   (a run for each chain of arbiter rows)")
    if summary["foreign_values"] and not summary["replace_foreign"]:
        steps.append(
            f"{command} backfill {database}{models} --replace-foreign"
            "   (regroup the rows holding values this tool did not write; their values are kept for undo)"
        )
    return ["Next:"] + [f"  {step}" for step in steps] if steps else []


def runs_read(summary):
    """How many of the file's runs this backfill read: all of them, or, on a re-run, the new
    ones and those the last backfill left unlinked."""
    runs = summary["consortium_logs_runs"]
    read = summary.get("consortium_logs_runs_read", {"kind": "all", "file_has_runs": bool(runs)})
    if not read["file_has_runs"]:
        return "0 runs: no consortium_runs, nothing to link to"
    if read["kind"] == "all":
        return f"{runs} runs"
    return f"{runs} runs read: those logged since the last backfill and those it left unlinked"


def consortium_logs_lines(summary):
    """The consortium_logs.db of llm-consortium 0.8+, and, when that era is in play,
    every consortium output row accounted for."""
    clogs = summary["consortium_logs"]
    rows = summary["consortium_output_rows"]
    lines = [
        f"consortium_logs.db: {clogs} ({runs_read(summary)})"
        if clogs else "consortium_logs.db: none found (runs of llm-consortium 0.8+ cannot be linked)"
    ]
    if clogs or rows["in_turns"] or rows["for_review"]:
        lines.append(
            f"Consortium output rows: {rows['in_responses'] + rows['in_turns']} "
            f"({rows['in_responses']} in responses, {rows['in_turns']} in turns) = "
            f"{rows['already_grouped']} grouped before + {rows['grouped']} grouped now + "
            f"{rows['skipped']} skipped + {rows['for_review']} not linked, for review"
        )
    lines += [f"consortium_logs.db review ({kind}): {count}" for kind, count in summary["consortium_logs_review"].items()]
    return lines


def foreign_lines(summary):
    """The values this tool did not write, by kind with an example row each, and what to do about them."""
    found = summary["foreign_values"]
    if not found:
        return []
    total = sum(kind["rows"] for kind in found.values())
    if summary["replace_foreign"]:
        done = "to replace" if summary["dry_run"] else "replaced; `undo` puts them back"
        head = f"Values this tool did not write: {total} rows ({done})"
    else:
        head = f"Values this tool did not write: {total} rows, left as they were (those rows are in no run)"
    lines = [head]
    for kind, facts in found.items():
        example = facts["example"]
        value = (
            f"is_arbiter_response = {example['is_arbiter_response']!r}" if kind == "flag_only"
            else f"consortium_id = {example['consortium_id']!r}"
        )
        lines.append(f"  {KINDS[kind]}: {facts['rows']}, e.g. row {example['id']}: {value}")
    return lines


def order_lines(summary):
    """Blocks of rows logged out of time order (an import, a rebuild), which pairing by log order must survive."""
    blocks = summary["out_of_order_blocks"]
    if not blocks:
        return []
    lines = [
        f"Rows logged out of time order (an import or a rebuild): {sum(b['rows'] for b in blocks)}"
        f" in {len(blocks)} block(s); a run is paired only if its final arbiter falls within its output's run time"
    ]
    lines += [
        f"  rowids {b['first_rowid']}-{b['last_rowid']}: {b['rows']} rows with ids from {b['oldest_id_time']}"
        f" to {b['newest_id_time']}, logged after a row of {b['logged_after']}"
        for b in blocks
    ]
    return lines
