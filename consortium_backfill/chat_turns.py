"""`llm chat -m CONSORTIUM`: each turn is a run of its own, iterations from 1.

The session keeps one orchestrator, so a later turn's arbiter quotes the
earlier turns' iterations (manual context: their `Human:`/`Assistant:`
exchange) before its own, as iterations 1..k of its history. A quoted
synthesis that is the answer of an arbiter asked about another prompt proves
an iteration foreign (sql/foreign_syntheses.sql). When the foreign ones are
exactly the first k, they and the members they quote are taken out of the
run and its own iterations are numbered from 1; otherwise the run is skipped
for review. The earlier turn keeps its rows: it is a run of its own.
"""
import itertools
import json

from .chains import requote
from .sqlfiles import run_sql, sql_text

MIXED = "history quotes a run of another prompt (llm chat turn)"


def drop_earlier_turns(conn, params):
    run_sql(conn, "earlier_arbiters", params)
    rows = conn.execute(sql_text("foreign_syntheses"), params).fetchall()
    for run_rid, foreign in itertools.groupby(rows, key=lambda row: row[0]):
        foreign = {iteration for _, iteration in foreign}
        (parsed,) = conn.execute("SELECT parsed FROM runs WHERE run_rid = ?", [run_rid]).fetchone()
        parsed = json.loads(parsed)
        earlier = max(foreign)
        quoted = {q["iteration"] for q in parsed["syntheses"] if q["iteration"] <= earlier}
        if foreign != set(range(1, earlier + 1)) or quoted != foreign:
            conn.execute("UPDATE runs SET skip_reason = ? WHERE run_rid = ?", [MIXED, run_rid])
            continue
        conn.execute("UPDATE runs SET parsed = ? WHERE run_rid = ?", [json.dumps(own_iterations(parsed, earlier)), run_rid])
        requote(conn, params, run_rid)


def own_iterations(parsed, earlier):
    """parsed without its first `earlier` iterations, the rest numbered from 1."""
    for kind in ("members", "syntheses"):
        parsed[kind] = [dict(q, iteration=q["iteration"] - earlier) for q in parsed[kind] if q["iteration"] > earlier]
    parsed["iterations"] -= earlier
    return parsed
