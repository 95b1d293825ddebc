#!/usr/bin/env python3
"""Generate a large, realistic llm ``logs.db`` full of llm-consortium runs.

    python bench/generate.py OUT.db --rows 100000 --seed 1 [--with-columns]
                             [--truth] [--rows-per-day 300]

The schema is made once by llm's own migrations (``bench/setup.sh`` builds a
pinned venv under build/ and caches an empty database); rows are then written
with the stdlib ``sqlite3`` module, so this script runs on any Python 3.9+.

What goes in (see the project's FORMATS notes for the formats):

* plain prompts (~65 % of rows) on varied models, now and then from a second
  terminal while a consortium run is going on;
* consortium runs of 3-5 members and 1-3 iterations in the llm-consortium
  0.3, 0.4 and 0.5 formats, one after the other in time (0.3 members run one
  by one and get their id at the start of the call, 0.4 one by one with the id
  at the end, 0.5 in parallel threads); arbiter prompts are the real templates
  (bench/templates) filled in with the member texts verbatim, arbiter ids are
  minted at the start of the arbiter call;
* most runs end with the final output row llm writes for a saved consortium
  (model = consortium name, datetime_utc = start of the run, id = end); about
  15 % have none (``llm consortium run``, or a 0.4/0.5 run whose arbiter
  forgot ``<confidence>``); a few saved consortia have another saved
  consortium as a member;
* rows are inserted in the order llm would have logged them; ids are
  lowercase ULIDs of llm <= 0.25 (python-ulid < 3.1: random within a ms).

Writes OUT, OUT.models.txt (saved consortium names, one a line) and, with
``--truth``, OUT.truth.jsonl: one line per run with its row ids and roles
("m" member, "a1" final arbiter, "a2" intermediate arbiter, "o" output)
and iterations (1-based; null for the output row);
``bench/score.py`` compares a backfilled database against it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from logsim.simulator import Simulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build"
LLM_VERSION = os.environ.get("LLM_VERSION", "0.25")


def schema_db(llm_version: str = LLM_VERSION) -> Path:
    """Path of an empty logs.db made by llm's own migrations (cached)."""
    path = BUILD / "bench" / f"schema-llm-{llm_version}.db"
    if not path.exists() or path.stat().st_size == 0:
        env = dict(os.environ, LLM_VERSION=llm_version)
        subprocess.run(["bash", str(HERE / "setup.sh")], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return path


INSERT_RESPONSE = (
    "INSERT INTO responses (id, model, prompt, system, prompt_json, "
    "options_json, response, response_json, conversation_id, duration_ms, "
    "datetime_utc, input_tokens, output_tokens, token_details, schema_id) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
INSERT_CONVERSATION = ("INSERT OR IGNORE INTO conversations (id, name, model) "
                       "VALUES (?,?,?)")
# as llm-consortium creates it (sqlite_master keeps the text as written)
CREATE_CONFIGS = """
        CREATE TABLE IF NOT EXISTS consortium_configs (
            name TEXT PRIMARY KEY,
            config TEXT NOT NULL,
            created_at TEXT DEFAULT CURRENT_TIMESTAMP
        )
    """


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows-per-day", type=float, default=300,
                    help="density of the log: the time span is rows / this "
                         "(default 300, so 100k rows cover about 11 months)")
    ap.add_argument("--with-columns", action="store_true",
                    help="pre-create consortium_id, is_arbiter_response and "
                         "idx_consortium_id like the user's own database")
    ap.add_argument("--concurrency", type=float, default=0.12,
                    help="share of runs during which 1-3 plain prompts are "
                         "logged from elsewhere (default 0.12)")
    ap.add_argument("--truth", action="store_true",
                    help="also write OUT.truth.jsonl (true runs and roles)")
    ap.add_argument("--llm-version", default=LLM_VERSION)
    return ap.parse_args(argv)


class RowWriter:
    """The sink of ``Simulator.generate``: inserts rows in batches."""

    def __init__(self, conn):
        self.conn = conn
        self.responses: list = []
        self.conversations: list = []
        self.written = 0

    def __call__(self, item):
        _, _, resp, conv = item
        # an output row's response_json refers to its own id
        if resp[7] and "r:PLACEHOLDER" in resp[7]:
            resp = resp[:7] + (resp[7].replace("r:PLACEHOLDER", "r:" + resp[0]),) + resp[8:]
        if conv is not None:
            self.conversations.append(conv)
        self.responses.append(resp)
        if len(self.responses) >= 2000:
            self.flush()
            if self.written % 50_000 == 0:
                self.conn.execute("COMMIT")
                self.conn.execute("BEGIN")

    def flush(self):
        if self.conversations:
            self.conn.executemany(INSERT_CONVERSATION, self.conversations)
            self.conversations.clear()
        if self.responses:
            self.conn.executemany(INSERT_RESPONSE, self.responses)
            self.written += len(self.responses)
            self.responses.clear()


def open_for_bulk_load(path: Path, with_columns: bool):
    """Connection to the schema copy, tuned for one writer and no crash
    safety; returns it and llm's ``responses_ai`` trigger, dropped for now."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    if with_columns:
        conn.execute("ALTER TABLE responses ADD COLUMN consortium_id TEXT")
        conn.execute("ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0")
        conn.execute("CREATE INDEX idx_consortium_id ON responses(consortium_id)")
    # Filling the full-text index row by row through llm's responses_ai
    # trigger is ~3x slower than one rebuild at the end: drop the trigger for
    # the bulk load, rebuild, and put llm's own trigger back.
    (ai_sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type='trigger' "
                             "AND name='responses_ai'").fetchone()
    conn.execute("DROP TRIGGER responses_ai")
    conn.execute(CREATE_CONFIGS)
    return conn, ai_sql


def saved_configs(gen) -> list:
    """consortium_configs rows: the consortia still saved (the rest were
    removed), each as the release of its day saved it."""
    rows = []
    for c in gen.configs:
        if gen.rng.random() < 0.7:
            rows.append((c.name, gen.family_at(c.saved_at).config_json(c),
                         datetime.fromtimestamp(c.saved_at, timezone.utc)
                         .strftime("%Y-%m-%d %H:%M:%S")))
    return rows


def remove_outputs(out: Path):
    for suffix in ("", "-journal", ".models.txt", ".truth.jsonl"):
        p = Path(str(out) + suffix)
        if p.exists():
            p.unlink()


def peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None):
    args = parse_args(argv)
    t_begin = time.perf_counter()
    out = Path(args.out)
    remove_outputs(out)
    tmp = Path(str(out) + ".tmp")
    shutil.copyfile(schema_db(args.llm_version), tmp)

    truth_fh = open(str(out) + ".truth.jsonl", "w") if args.truth else None
    days = max(30.0, args.rows / args.rows_per_day)
    gen = Simulator(args.seed, args.rows, days, truth_fh, args.concurrency)

    conn, ai_sql = open_for_bulk_load(tmp, args.with_columns)
    writer = RowWriter(conn)
    conn.execute("BEGIN")
    gen.generate(writer)
    writer.flush()
    cfg_rows = saved_configs(gen)
    conn.executemany("INSERT INTO consortium_configs (name, config, created_at) "
                     "VALUES (?,?,?)", cfg_rows)
    conn.execute("INSERT INTO responses_fts(responses_fts) VALUES('rebuild')")
    conn.execute(ai_sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    os.replace(tmp, out)
    with open(str(out) + ".models.txt", "w") as f:
        for c in gen.configs:
            f.write(c.name + "\n")
    if truth_fh:
        truth_fh.close()

    took = time.perf_counter() - t_begin
    size_mb = out.stat().st_size / 1e6
    s = gen.stats
    print(f"{out}: {writer.written} rows, {size_mb:.1f} MB, {took:.1f} s, "
          f"peak RSS {peak_rss_mb():.0f} MB (seed {args.seed})")
    print(f"runs: {s['runs']} ({s['runs_output']} with output, "
          f"{s['runs_no_output']} without, of which {s['runs_failed']} failed; "
          f"{s['nested_runs']} nested), {s['iterations']} iterations, "
          f"{gen.run_rows} run rows; {s['concurrent_plain']} plain prompts "
          f"during runs, {s['overlapping_runs']} overlapping runs")
    print(f"saved consortium names: {len(gen.configs)} in {out}.models.txt, "
          f"{len(cfg_rows)} in consortium_configs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
