"""Automatic context: a run's earlier iterations through llm's conversation_id.

From October 2025 the arbiter of a run talks through one llm conversation and
quotes no earlier iteration (formats/auto_context.py). The conversation_id is
llm's own record that two rows are turns of one conversation; it is followed
only from a final arbiter already proven by content (the row before the
output, asked about the output's prompt), and each row it reaches must show,
by its own prompt, that it is an earlier iteration of this run:

- a follow-up ("Here are the refined responses ...") is taken until the full
  <arbiter_prompt> that started the run: that one must be asked about the
  output's prompt, or the run is skipped;
- a full prompt with an empty history (the 2fa9235 builds send one every
  iteration) takes the earlier ones asked about the same original prompt.

The walk stops where an output row of the same user prompt was logged in
between (another run, such as an earlier `llm chat` turn, ended there).
Time alone never links: rows outside the run's window are never reached.
The rows it reaches are read with the candidates (sql/candidates.sql), one
range at a time, into conversation_arbiters.
"""
import itertools
import json

from .sqlfiles import run_sql, sql_text

FIRST = "auto_context"
FOLLOW_UP = "auto_context_follow_up"


def resolve_chains(conn, params, low, high, linked):
    """Iterations of the conversation runs of (low, high]: their earlier
    arbiters into chain_links, or a skip reason. linked: rows already taken.
    Returns the runs whose iterations changed (their snippets are stale)."""
    rows = conn.execute(sql_text("chain"), dict(params, low=low, high=high)).fetchall()
    changed = []
    for run_rid, links in itertools.groupby(rows, key=lambda row: row[0]):
        links = list(links)
        _, output_prompt, final_format, final_original = links[0][:4]
        steps = [step[4:] for step in links if step[4] is not None]
        chain, reason = walk(final_format, final_original, output_prompt, steps)
        if reason is None and linked.intersection(chain):
            reason = "automatic-context chain shared with another run"
        if reason:
            conn.execute("UPDATE runs SET skip_reason = ? WHERE run_rid = ?", [reason, run_rid])
            continue
        linked.update(chain)
        iterations = len(chain) + 1
        conn.executemany(
            "INSERT INTO chain_links (rid, run_rid, iteration) VALUES (?, ?, ?)",
            [(rid, run_rid, number) for number, rid in enumerate(reversed(chain), start=1)],
        )
        if iterations > 1:
            set_iterations(conn, run_rid, iterations)
            changed.append(run_rid)
    return changed


def walk(final_format, final_original, output_prompt, steps):
    """(earlier arbiter rids, latest first; None) or ([], skip reason).

    steps: (rid, format, original prompt, grouped, crosses) of the
    conversation's earlier arbiter rows, latest first."""
    chain = []
    for rid, fmt, original, grouped, crosses in steps:
        if crosses:
            break
        if final_format == FOLLOW_UP:
            chain.append((rid, grouped))
            if fmt == FOLLOW_UP:
                continue
            if fmt != FIRST:
                return [], "automatic-context chain has no first iteration"
            if output_prompt is not None and (original is None or output_prompt not in original):
                return [], "automatic-context chain starts at another prompt (llm chat turn)"
            if any(grouped for _, grouped in chain):
                return [], "automatic-context chain reaches a grouped row"
            return [rid for rid, _ in chain], None
        if fmt != FIRST or original != final_original or grouped:
            break
        chain.append(rid)
    if final_format == FOLLOW_UP:
        return [], "automatic-context chain has no first iteration"
    return chain, None


def set_iterations(conn, run_rid, iterations):
    """The final arbiter is iteration `iterations`, and so are the members it quotes."""
    (parsed,) = conn.execute("SELECT parsed FROM runs WHERE run_rid = ?", [run_rid]).fetchone()
    parsed = json.loads(parsed)
    parsed["iterations"] = iterations
    for quote in parsed["members"]:
        quote["iteration"] = iterations
    conn.execute("UPDATE runs SET parsed = ? WHERE run_rid = ?", [json.dumps(parsed), run_rid])


def requote(conn, params, run_rid):
    """The snippets of a run whose parsed quotes changed, made anew."""
    conn.execute("DELETE FROM snippets WHERE run_rid = ?", [run_rid])
    run_sql(conn, "snippets", dict(params, low=run_rid - 1, high=run_rid))
