#!/usr/bin/env python3
"""Backfill a copy of each fixture and compare with its truth.json, run by run.

    python tests/realdata/score.py [COMBO ...]     (default: the 2025 build fixtures)
    python tests/realdata/score.py --linked        (the consortium_logs.db-era fixtures)

Per fixture: runs with an output row, grouped exactly (rows, flags, iterations,
member indexes), skipped with their reasons, inexact, and rows grouped with a
row of another run or a plain row (wrongly grouped). With --linked: the runs of
consortium_logs.db with an output row, linked to the right run, listed for
review (reason), wrong links, and the 0.5-era runs of the same file grouped exactly.
"""
import collections
import json
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent.parent
FIXTURES = REPO / "tests" / "fixtures"
FLAGS = {"member": 0, "final_output": 0, "final_arbiter": 1, "intermediate_arbiter": 2}


def backfill(combo, folder):
    for name in ("logs.db", "consortium_logs.db"):
        if (FIXTURES / combo / name).exists():
            shutil.copy(FIXTURES / combo / name, folder / name)
    subprocess.run(
        [sys.executable, str(REPO / "backfill.py"), "backfill", "-d", str(folder / "logs.db"), "--models-file",
         str(FIXTURES / combo / "consortium_models.txt"), "--no-backup", "--quiet", "--report", str(folder / "report.json")],
        check=True, stdout=subprocess.DEVNULL,
    )
    conn = sqlite3.connect(folder / "logs.db")
    grouped = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, consortium_id, is_arbiter_response FROM responses WHERE consortium_id IS NOT NULL")}
    recorded = {r[0]: r[1:] for r in conn.execute("SELECT response_id, role, iteration, member_index FROM consortium_members")}
    conn.close()
    review = json.loads((folder / "report.json").read_text())["review"]
    return grouped, recorded, {r["response_id"]: r["reason"] for r in review if r["kind"] == "skipped_run"}


def exact(run, grouped, recorded):
    ids = {row["id"] for row in run["rows"]}
    consortium_ids = {grouped.get(i, (None,))[0] for i in ids}
    if len(consortium_ids) != 1 or None in consortium_ids:
        return False
    (consortium_id,) = consortium_ids
    if {i for i, (c, _) in grouped.items() if c == consortium_id} != ids:
        return False
    for row in run["rows"]:
        iteration = run["iterations"] if row["role"] == "final_output" else row["iteration"]
        index = row["member_index"] if row["role"] == "member" else None
        if grouped[row["id"]][1] != FLAGS[row["role"]] or recorded.get(row["id"]) != (row["role"], iteration, index):
            return False
    return True


def score(combo):
    truth = json.loads((FIXTURES / combo / "truth.json").read_text())
    with tempfile.TemporaryDirectory() as folder:
        grouped, recorded, skipped = backfill(combo, pathlib.Path(folder))
    run_of = {row["id"]: run["label"] for run in truth["runs"] for row in run["rows"]}
    groups = collections.defaultdict(set)
    for response_id, (consortium_id, _) in grouped.items():
        groups[consortium_id].add(run_of.get(response_id, "plain"))
    wrong = sum(1 for _, (c, _) in grouped.items() if len(groups[c]) > 1 or "plain" in groups[c])
    outcome = collections.Counter()
    reasons = collections.Counter()
    inexact = []
    for run in truth["runs"]:
        if not run["has_output"]:
            continue
        outcome["with output"] += 1
        output = next(row["id"] for row in run["rows"] if row["role"] == "final_output")
        if output in skipped:
            reasons[skipped[output]] += 1
        elif exact(run, grouped, recorded):
            outcome["exact"] += 1
        else:
            inexact.append(run["label"])
    return (f"| {combo} | {truth.get('build', truth['versions']['llm-consortium'])} | {outcome['with output']} | "
            f"{outcome['exact']} | {sum(reasons.values())} {dict(reasons) or ''} | {', '.join(inexact) or 0} | {wrong} |")


def score_linked(combo):
    """One table row for a fixture of the consortium_logs.db era."""
    truth = json.loads((FIXTURES / combo / "truth.json").read_text())
    with tempfile.TemporaryDirectory() as folder:
        grouped, recorded, _ = backfill(combo, pathlib.Path(folder))
        conn = sqlite3.connect(pathlib.Path(folder) / "logs.db")
        links = dict(conn.execute(
            "SELECT output_response_id, id FROM consortium_runs WHERE source = 'consortium_logs.db'"))
        conn.close()
        report = json.loads((pathlib.Path(folder) / "report.json").read_text())
    review = {r["response_id"]: r["reason"] for r in report["review"]}
    runs = truth["consortium_logs"]["runs"]
    with_output = [r for r in runs if r["output_id"] or r["output_candidates"]]
    right = [r for r in runs if r["output_id"] and links.get(r["output_id"]) == r["run_id"]]
    known = {(r["output_id"], r["run_id"]) for r in runs if r["expect"] == "linked"}
    wrong = [pair for pair in links.items() if pair not in known]
    reasons = collections.Counter(
        review[i].split(":")[0] for r in with_output for i in [r["output_id"] or r["output_candidates"][0]]
        if i in review)
    old = [run for run in truth["runs"] if run["has_output"]]
    old_exact = sum(1 for run in old if exact(run, grouped, recorded))
    return (f"| {combo} | {truth['versions']['llm']} | {truth['versions']['llm-consortium']} | {len(with_output)} | "
            f"{len(right)} | {sum(reasons.values())} {dict(reasons) or ''} | {len(wrong)} | {old_exact} of {len(old)} |")


def main_linked(combos):
    combos = combos or sorted(p.parent.name for p in FIXTURES.glob("*/consortium_logs.db"))
    print("| fixture | llm | llm-consortium | runs with an output row | linked right | for review (reason) "
          "| wrong links | 0.5-era runs grouped exactly |")
    print("| --- | --- | --- | ---: | ---: | --- | ---: | --- |")
    for combo in combos:
        print(score_linked(combo))


def main(combos):
    combos = combos or sorted(p.parent.name for p in FIXTURES.glob("*/truth.json")
                              if "build" in json.loads(p.read_text()) and not (p.parent / "consortium_logs.db").exists())
    print("| fixture | build | runs with an output row | grouped exactly | skipped (reason) | inexact | rows wrongly grouped |")
    print("| --- | --- | ---: | ---: | --- | --- | ---: |")
    for combo in combos:
        print(score(combo))


if __name__ == "__main__":
    if "--linked" in sys.argv[1:]:
        main_linked([a for a in sys.argv[1:] if a != "--linked"])
    else:
        main(sys.argv[1:])
