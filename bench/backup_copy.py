#!/usr/bin/env python3
"""The full backup a first backfill makes, alone: its time, and whether it was made.

    python bench/backup_copy.py DB OUT.json [--busy-timeout 5]

Opens DB as a backfill does (its lock, its checks) and makes the backup the
first backfill makes (consortium_backfill/backup.py: SQLite's backup API in
short steps, the quick_check of the copy), beside DB; then removes the copy.
OUT.json: seconds, MB copied, and the one-line error if it was not made (a
writer like llm that never lets a stepwise copy of a big file finish).
"""
import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consortium_backfill.backup import make_backup  # noqa: E402
from consortium_backfill.database import connection  # noqa: E402
from consortium_backfill.errors import Problem  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--busy-timeout", type=float, default=5.0)
    args = parser.parse_args()
    started = time.perf_counter()
    made, error = None, None
    try:
        with connection(args.db, args.busy_timeout, write=True) as (conn, _):
            made = make_backup(conn, args.db, None)
    except Problem as problem:
        error = problem.message
    seconds = time.perf_counter() - started
    size = made.stat().st_size if made else 0
    if made:
        made.unlink()
    args.out.write_text(json.dumps({"seconds": round(seconds, 3), "mb": round(size / 1e6, 1), "made": made is not None,
                                    "error": error}))


if __name__ == "__main__":
    main()
