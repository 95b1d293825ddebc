#!/usr/bin/env python3
"""Yardstick: the user's original plan (analyze_consortium_logs.py), as written.

    python bench/yardstick.py DB --models-file consortium_models.txt

Only a yardstick for bench/run.py: a straightforward implementation of the
plan exactly as it stands, faults included, so that the project's backfill
has something to be measured against (time, memory, and - with
bench/score.py - how it groups runs).

Phase 1: read all records ordered by id; a record whose model is a saved
consortium name is paired with the record immediately before it (by id) as
its final arbiter, unless that one is missing or also a consortium record.
Phase 2: for each pair, parse the final arbiter's prompt (ElementTree, regex
fallback when that fails) for the member responses in <model_responses>,
query the records of the hour before the final arbiter
(``datetime(datetime_utc) BETWEEN ...``, id < arbiter id, consortium_id IS
NULL) and take those whose prompt holds <arbiter_prompt> as intermediate
arbiters (2) and those whose response equals a member snippet as members (0).
Phase 3: all updates in one transaction, as two executemany passes
(consortium_id, then is_arbiter_response).

Ids come from svix-ksuid (``from ksuid import Ksuid``), not from the PyPI
package ``ksuid`` that the plan names (the two clash).
"""
import argparse
import logging
import re
import sqlite3
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from ksuid import Ksuid

log = logging.getLogger("yardstick")

stats = {"parse_ok": 0, "parse_errors": 0, "no_snippets": 0,
         "phase1_invalid": 0, "members": 0, "intermediates": 0}


def load_consortium_models(path):
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


def ensure_columns(conn):
    cols = {row[1] for row in conn.execute("PRAGMA table_info(responses)")}
    if "consortium_id" not in cols:
        conn.execute("ALTER TABLE responses ADD COLUMN consortium_id TEXT")
    if "is_arbiter_response" not in cols:
        conn.execute("ALTER TABLE responses ADD COLUMN is_arbiter_response "
                     "INTEGER DEFAULT 0")
    conn.commit()


# --- Phase 1 ---------------------------------------------------------------
def process_records_phase1(conn, consortium_models):
    updates, groups, errors = [], {}, []
    records = conn.execute(
        "SELECT id, model, prompt, response, datetime_utc, consortium_id "
        "FROM responses ORDER BY id").fetchall()
    log.info("read %d records", len(records))
    for i, r_consortium in enumerate(records):
        if r_consortium["model"] not in consortium_models:
            continue
        r_arbiter = records[i - 1] if i > 0 else None
        if r_arbiter is None:
            errors.append((r_consortium["id"], "no preceding record"))
            continue
        if r_arbiter["model"] in consortium_models:
            errors.append((r_consortium["id"],
                           "preceding record is also a consortium model"))
            continue
        consortium_id = str(Ksuid())
        updates.append({"id": r_consortium["id"], "consortium_id": consortium_id,
                        "is_arbiter_response": 0})
        updates.append({"id": r_arbiter["id"], "consortium_id": consortium_id,
                        "is_arbiter_response": 1})
        groups[consortium_id] = {
            "final_arbiter_id": r_arbiter["id"],
            "final_arbiter_dt_utc": r_arbiter["datetime_utc"],
            "final_arbiter_prompt": r_arbiter["prompt"],
        }
    stats["phase1_invalid"] = len(errors)
    return updates, groups, errors


# --- Phase 2 ---------------------------------------------------------------
def extract_snippets_from_arbiter(prompt_text):
    """Member response texts inside <model_responses> of an arbiter prompt."""
    prompt_text = prompt_text or ""
    m = re.search(r"<arbiter_prompt>.*</arbiter_prompt>", prompt_text, re.S)
    xml_text = m.group(0) if m else prompt_text
    snippets = []
    try:
        root = ET.fromstring(xml_text)
        section = root.find("model_responses")
        if section is not None:
            for model_response in section.findall("model_response"):
                response = model_response.find("response")
                if response is not None and response.text is not None:
                    snippets.append(response.text)
        stats["parse_ok"] += 1
    except ET.ParseError as e:
        stats["parse_errors"] += 1
        log.debug("XML parse failed (%s), falling back to regex", e)
        section = re.search(r"<model_responses>(.*?)</model_responses>",
                            prompt_text, re.S)
        if section:
            snippets = re.findall(r"<response>(.*?)</response>",
                                  section.group(1), re.S)
    return snippets


def process_group_phase2(conn, consortium_id, group_info):
    updates_phase2 = []
    final_arbiter_dt = datetime.fromisoformat(
        group_info["final_arbiter_dt_utc"].replace("+00:00", ""))
    window_start_dt = final_arbiter_dt - timedelta(hours=1)

    member_snippets = extract_snippets_from_arbiter(
        group_info["final_arbiter_prompt"])
    if not member_snippets:
        stats["no_snippets"] += 1
        log.warning("No member snippets found for consortium_id %s", consortium_id)

    query = """
        SELECT id, prompt, response FROM responses
        WHERE datetime(datetime_utc) BETWEEN datetime(?) AND datetime(?)
        AND id < ?
        AND consortium_id IS NULL
        ORDER BY id DESC
    """
    candidates_cursor = conn.execute(query, (
        window_start_dt.isoformat(),
        final_arbiter_dt.isoformat(),
        group_info["final_arbiter_id"],
    ))
    matched_ids_in_phase2 = set()
    for candidate in candidates_cursor:
        candidate_id = candidate["id"]
        is_intermediate_arbiter = "<arbiter_prompt>" in (candidate["prompt"] or "")
        if is_intermediate_arbiter:
            if candidate_id not in matched_ids_in_phase2:
                updates_phase2.append({"id": candidate_id,
                                       "consortium_id": consortium_id,
                                       "is_arbiter_response": 2})
                matched_ids_in_phase2.add(candidate_id)
                stats["intermediates"] += 1
        elif member_snippets and candidate_id not in matched_ids_in_phase2:
            if candidate["response"] in member_snippets:
                updates_phase2.append({"id": candidate_id,
                                       "consortium_id": consortium_id,
                                       "is_arbiter_response": 0})
                matched_ids_in_phase2.add(candidate_id)
                stats["members"] += 1
    return updates_phase2


# --- Phase 3 ---------------------------------------------------------------
def apply_updates(conn, all_updates):
    conn.execute("BEGIN")
    try:
        conn.executemany(
            "UPDATE responses SET consortium_id = ? WHERE id = ?",
            [(u["consortium_id"], u["id"]) for u in all_updates])
        conn.executemany(
            "UPDATE responses SET is_arbiter_response = ? WHERE id = ?",
            [(u["is_arbiter_response"], u["id"]) for u in all_updates])
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("db")
    ap.add_argument("--models-file", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(message)s")
    if not args.verbose:
        log.setLevel(logging.INFO)
        logging.getLogger("yardstick").addFilter(
            lambda r: r.levelno != logging.WARNING)

    t0 = time.perf_counter()
    models = load_consortium_models(args.models_file)
    conn = sqlite3.connect(args.db, isolation_level=None)
    conn.row_factory = sqlite3.Row
    ensure_columns(conn)

    updates1, groups, errors = process_records_phase1(conn, models)
    t1 = time.perf_counter()
    all_updates = list(updates1)
    for cid, info in groups.items():
        all_updates.extend(process_group_phase2(conn, cid, info))
    t2 = time.perf_counter()
    apply_updates(conn, all_updates)
    t3 = time.perf_counter()
    conn.close()

    for rid, issue in errors:
        log.debug("skipped %s: %s", rid, issue)
    print(f"yardstick: {len(groups)} runs paired, {len(errors)} skipped for "
          f"review; {stats['members']} member and {stats['intermediates']} "
          f"intermediate-arbiter matches; arbiter prompts parsed by "
          f"ElementTree {stats['parse_ok']}, by regex fallback "
          f"{stats['parse_errors']}; {stats['no_snippets']} without snippets; "
          f"{len(all_updates)} updates")
    print(f"yardstick: phase 1 {t1 - t0:.2f} s, phase 2 {t2 - t1:.2f} s, "
          f"phase 3 {t3 - t2:.2f} s, total {t3 - t0:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
