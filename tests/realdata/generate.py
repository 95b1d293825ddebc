#!/usr/bin/env python3
"""Generate real-package logs.db fixtures for the consortium backfill.

For every combo (pinned `llm` + an `llm-consortium` release or git build) this
builds or reuses a virtualenv (venvs.py), drives the real command line tools
(`llm`, `llm consortium save`, `llm -m NAME`, `llm consortium run`) in a fresh
user folder (runners.py) so that the packages themselves write a genuine
logs.db, and records which rows belong to which run with the combo's format
family (families/<name>.py, on recorder.py). Into <out>/<combo>/ it writes:

  logs.db                 the database exactly as llm left it (no VACUUM)
  consortium_models.txt   the saved consortium names, one a line
  truth.json              the runs, their rows and roles, and the plain rows

The driver uses the standard library only.

    python tests/realdata/generate.py [--out DIR] [--combo NAME ...]
"""

import argparse
import concurrent.futures
import importlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from recorder import log
from runners import ForkServerRunner, SpawnRunner
from venvs import ensure_venv

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "tests" / "fixtures"
DEFAULT_VENVS = REPO / "build" / "fixture-venvs"

# The format families, one module each under families/ (README: "Format families").
FAMILIES = ("releases", "builds2025", "era08")


def load_combos():
    """combo name -> (its family's recorder class, the combo's spec)."""
    combos = {}
    for name in FAMILIES:
        family = importlib.import_module(f"families.{name}")
        for combo, spec in family.COMBOS.items():
            combos[combo] = (family.RECORDER, spec)
    return combos


COMBOS = load_combos()


def generate_combo(combo, out_dir, venvs_dir, installer, keep=False, verbose=False,
                   spawn=False):
    recorder_class, spec = COMBOS[combo]
    versions = {"llm": spec["llm"], "llm-consortium": spec["llm-consortium"]}
    t0 = time.monotonic()
    bindir, cached = ensure_venv(combo, venvs_dir, installer, spec.get("build"))
    t1 = time.monotonic()
    user_dir = Path(tempfile.mkdtemp(prefix=f"fixture-{combo}-"))
    recorder_class.prepare(user_dir)
    db_path = recorder_class.database(user_dir)
    runner = (SpawnRunner if spawn else ForkServerRunner)(
        bindir, recorder_class.environment(user_dir), db_path)
    try:
        recorder = recorder_class(combo, versions, runner, user_dir, verbose)
        truth = recorder.generate()
        target = out_dir / combo
        target.mkdir(parents=True, exist_ok=True)
        for name, path in recorder.files().items():
            for stale in (name, name + "-journal"):
                (target / stale).unlink(missing_ok=True)
            shutil.copyfile(path, target / name)
        (target / "consortium_models.txt").write_text("".join(f"{n}\n" for n in recorder.saved))
        (target / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    finally:
        runner.close()
        if keep:
            log(f"[{combo}] user dir kept: {user_dir}")
        else:
            shutil.rmtree(user_dir, ignore_errors=True)
    t2 = time.monotonic()
    size = (out_dir / combo / "logs.db").stat().st_size
    log(f"[{combo}] llm {truth['versions']['llm']} + llm-consortium "
        f"{truth['versions']['llm-consortium']}: {truth['row_count']} rows, "
        f"{len(truth['runs'])} runs ({sum(r['expect_grouped'] for r in truth['runs'])} with output), "
        f"{len(truth['plain'])} plain, logs.db {size // 1024} KiB, "
        f"{len(truth['anomalies'])} anomalies; venv {t1 - t0:.1f}s "
        f"({'cached' if cached else 'built'}), generation {t2 - t1:.1f}s, total {t2 - t0:.1f}s")
    return truth


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output directory (default: tests/fixtures)")
    ap.add_argument("--combo", action="append", choices=sorted(COMBOS),
                    help="combo to generate (repeatable; default: all)")
    ap.add_argument("--venvs", type=Path, default=DEFAULT_VENVS,
                    help="where the cached virtualenvs live (default: build/fixture-venvs)")
    ap.add_argument("--installer", choices=["auto", "uv", "pip"], default="auto",
                    help="uv if on PATH or beside this Python (auto), else venv + pip")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="combos generated at the same time (default 1)")
    ap.add_argument("--strict", action="store_true",
                    help="exit non-zero when the packages did something unexpected")
    ap.add_argument("--keep-user-dir", action="store_true",
                    help="keep the temporary user folder (LLM_USER_PATH) for inspection")
    ap.add_argument("-v", "--verbose", action="store_true", help="time every step")
    ap.add_argument("--spawn", action="store_true",
                    help="start the `llm` executable afresh for every command instead of "
                         "forking each command from a process that imported llm once "
                         "(same behaviour, about 0.7 s slower per command)")
    args = ap.parse_args(argv)
    combos = args.combo or list(COMBOS)
    out = args.out.resolve()
    t0 = time.monotonic()
    anomalies = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {c: pool.submit(generate_combo, c, out, args.venvs.resolve(),
                                  args.installer, args.keep_user_dir, args.verbose,
                                  args.spawn)
                   for c in combos}
        for c, f in futures.items():
            anomalies += f.result()["anomalies"]
    log(f"done: {len(combos)} combo(s) in {time.monotonic() - t0:.1f}s, "
        f"{len(anomalies)} anomalies")
    if anomalies and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
