#!/usr/bin/env python3
"""A writer like a running llm, beside a backfill: how long each of its inserts waits.

    python bench/llm_writer.py DB STOP_FILE OUT.json [--rate 100]

Logs one row at a time as llm's log_to_db does (a conversations row and a
responses row, one transaction, committed), with llm's own 5 s wait for a
lock, `--rate` rows a second, until STOP_FILE exists. OUT.json: rows
inserted, errors (a row llm would have lost), and the longest and 99th
percentile time one insert took, lock waits included.
"""
import argparse
import datetime
import json
import pathlib
import sqlite3
import time
import uuid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("stop")
    parser.add_argument("out")
    parser.add_argument("--rate", type=float, default=100)
    args = parser.parse_args()
    conn = sqlite3.connect(args.db, timeout=5)
    waits, errors = [], []
    interval = 1 / args.rate
    next_at = time.perf_counter()
    while not pathlib.Path(args.stop).exists():
        row_id = "01live" + uuid.uuid4().hex[:20]
        started = time.perf_counter()
        try:
            with conn:
                conn.execute("INSERT INTO conversations (id, name, model) VALUES (?, ?, ?)", [row_id, "live", "gpt-4o"])
                conn.execute(
                    "INSERT INTO responses (id, model, prompt, response, conversation_id, datetime_utc)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [row_id, "gpt-4o", "still logging", "yes", row_id,
                     datetime.datetime.now(datetime.timezone.utc).isoformat()],
                )
        except sqlite3.Error as error:
            errors.append(str(error))
        waits.append(time.perf_counter() - started)
        next_at += interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    waits.sort()
    pathlib.Path(args.out).write_text(json.dumps({
        "inserted": len(waits) - len(errors),
        "errors": errors,
        "longest_wait_s": round(waits[-1], 4) if waits else None,
        "p99_wait_s": round(waits[int(0.99 * (len(waits) - 1))], 4) if waits else None,
    }))


if __name__ == "__main__":
    main()
