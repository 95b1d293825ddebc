#!/usr/bin/env python3
"""Score a backfilled database against the truth written by generate.py.

    python bench/score.py DB TRUTH.jsonl [--json OUT.json] [--examples N]

A run is *exact* when all its rows, and no other row, carry one
consortium_id and every row has the right is_arbiter_response (0 member or
output, 1 final arbiter, 2 intermediate arbiter). The row that a saved
consortium used as a member of another consortium logs counts for either of
the two runs. Runs without an output row (``llm consortium run``, failed
runs) are reported apart: grouping them is a bonus, leaving them ungrouped is
no error, but rows of theirs pulled into another run are.
"""
import argparse
import json
import sqlite3
import sys
from collections import Counter, defaultdict

ROLE = {"m": 0, "o": 0, "a1": 1, "a2": 2, "m?": 0}


def score(db_path, truth_path, examples=0):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    cols = {r[1] for r in conn.execute("PRAGMA table_info(responses)")}
    if not {"consortium_id", "is_arbiter_response"} <= cols:
        raise SystemExit(f"{db_path}: no consortium_id/is_arbiter_response columns")
    assigned = {}                      # id -> (cid, role)
    members_of = defaultdict(set)      # cid -> ids
    for rid, cid, role in conn.execute(
            "SELECT id, consortium_id, is_arbiter_response FROM responses "
            "WHERE consortium_id IS NOT NULL"):
        assigned[rid] = (cid, role)
        members_of[cid].add(rid)
    conn.close()

    runs = []
    ambiguous = set()
    origin = {}          # id -> (kind of its run, role): where foreign rows come from
    with open(truth_path) as f:
        for line in f:
            run = json.loads(line)
            # rows are [id, role] or [id, role, iteration]
            run["iters"] = {item[0]: (item[2] if len(item) > 2 else None)
                            for item in run["rows"]}
            run["rows"] = [(item[0], item[1]) for item in run["rows"]]
            runs.append(run)
            for rid, r in run["rows"]:
                if r == "m?":
                    ambiguous.add(rid)   # also the output of a nested run
                else:
                    kind = "output run" if run["kind"] in ("output", "nested") \
                        else "run without output"
                    origin[rid] = f"{r} of another {kind}"
    run_rows = set(origin) | ambiguous

    res = {"with_output": Counter(), "without_output": Counter()}
    bad = defaultdict(list)
    for run in runs:
        kind = "with_output" if run["kind"] in ("output", "nested") else "without_output"
        c = res[kind]
        c["runs"] += 1
        rows = {rid: ROLE[r] for rid, r in run["rows"]}
        firm = {rid for rid, r in run["rows"] if r != "m?"}
        out = [rid for rid, r in run["rows"] if r == "o"]
        cids = Counter(assigned[rid][0] for rid in firm if rid in assigned)
        if out and out[0] in assigned:
            home = assigned[out[0]][0]
        elif cids:
            home = cids.most_common(1)[0][0]
        else:
            home = None
        if home is None:
            c["not_grouped"] += 1
            if kind == "with_output":
                bad["not_grouped"].append(out[0] if out else None)
            continue
        group = members_of[home]
        missing = {rid for rid in firm if assigned.get(rid, (None,))[0] != home}
        foreign = {rid for rid in group if rid not in rows}
        foreign_amb = {rid for rid in foreign if rid in ambiguous}
        foreign -= foreign_amb
        wrong_role = {rid for rid in firm - missing
                      if assigned[rid][1] != rows[rid]}
        if not missing and not foreign and not wrong_role:
            c["exact"] += 1
            continue
        c["inexact"] += 1
        if missing:
            c["runs_missing_rows"] += 1
            c["rows_missing"] += len(missing)
            last_it = max((v for v in run["iters"].values() if v), default=None)
            for rid, r in run["rows"]:
                if rid not in missing:
                    continue
                c[f"rows_missing_{r}"] += 1
                if r == "m" and last_it is not None:
                    c["rows_missing_m_final_iteration" if run["iters"][rid] == last_it
                      else "rows_missing_m_earlier_iteration"] += 1
                if assigned.get(rid, (None,))[0] is not None:
                    c["rows_missing_in_other_group"] += 1
        if foreign:
            c["runs_with_foreign_rows"] += 1
            c["rows_foreign"] += len(foreign)
            c["rows_foreign_from_runs"] += len(foreign & run_rows)
            c["rows_foreign_plain"] += len(foreign - run_rows)
            for rid in foreign & run_rows:
                c["foreign: " + origin[rid]] += 1
        if wrong_role:
            c["runs_wrong_roles"] += 1
            c["rows_wrong_role"] += len(wrong_role)
        bad["inexact"].append((out[0] if out else sorted(firm)[0],
                               len(missing), len(foreign), len(wrong_role)))
    plain_grouped = sum(1 for rid in assigned if rid not in run_rows)
    result = {k: dict(v) for k, v in res.items()}
    result["plain_rows_grouped"] = plain_grouped
    if examples:
        result["examples"] = {k: v[:examples] for k, v in bad.items()}
    return result


def summary(r):
    w, wo = r["with_output"], r["without_output"]
    lines = [
        f"runs with an output row: {w.get('runs', 0)}; exact {w.get('exact', 0)}, "
        f"inexact {w.get('inexact', 0)}, not grouped {w.get('not_grouped', 0)}",
        f"  inexact: {w.get('runs_missing_rows', 0)} runs miss rows "
        f"({w.get('rows_missing', 0)} rows: "
        + ", ".join(f"{k[13:]} {v}" for k, v in sorted(w.items())
                    if k.startswith("rows_missing_") and k[13:] in ROLE) + "), "
        f"{w.get('runs_with_foreign_rows', 0)} runs hold foreign rows "
        f"({w.get('rows_foreign_from_runs', 0)} from other runs, "
        f"{w.get('rows_foreign_plain', 0)} plain), "
        f"{w.get('runs_wrong_roles', 0)} runs have wrong roles "
        f"({w.get('rows_wrong_role', 0)} rows)",
        "  missing members: "
        f"{w.get('rows_missing_m_final_iteration', 0)} of the final iteration, "
        f"{w.get('rows_missing_m_earlier_iteration', 0)} of earlier ones; "
        f"{w.get('rows_missing_in_other_group', 0)} missing rows sit in another group",
        "  foreign rows: " + (", ".join(f"{k[9:]} {v}" for k, v in sorted(w.items())
                                        if k.startswith("foreign: ")) or "none"),
        f"runs without an output row: {wo.get('runs', 0)}; left ungrouped "
        f"{wo.get('not_grouped', 0)}, grouped exactly {wo.get('exact', 0)}, "
        f"grouped inexactly {wo.get('inexact', 0)}",
        f"plain rows given a consortium_id: {r['plain_rows_grouped']}",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("truth")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--examples", type=int, default=0,
                    help="include up to N example ids per kind of error")
    args = ap.parse_args(argv)
    r = score(args.db, args.truth, args.examples)
    print(summary(r))
    if args.examples:
        print(json.dumps(r["examples"], indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
