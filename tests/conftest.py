import hashlib
import json
import pathlib
import shutil
import sqlite3
import time
import types

import pytest
from click.testing import CliRunner

from consortium_backfill import cli as command_line
from consortium_backfill import write
from builder import FIXTURES, LogsDB
from forker import Forker

ALL_COMBOS = sorted(path.parent.name for path in FIXTURES.glob("*/truth.json"))
TRUTHS = {combo: json.loads((FIXTURES / combo / "truth.json").read_text()) for combo in ALL_COMBOS}
# Fixtures of the consortium_logs.db era: logs.db and consortium_logs.db together.
ERA08_COMBOS = [c for c in ALL_COMBOS if (FIXTURES / c / "consortium_logs.db").exists()]
# Fixtures of the 2025 git builds (their truth names the build).
BUILD_COMBOS = [c for c in ALL_COMBOS if "build" in TRUTHS[c] and c not in ERA08_COMBOS]
# Fixtures of the releases 0.3-0.5.
COMBOS = [c for c in ALL_COMBOS if c not in ERA08_COMBOS and c not in BUILD_COMBOS]


@pytest.fixture(autouse=True)
def no_users_llm_folder(tmp_path, monkeypatch):
    """llm's default folder (click.get_app_dir) is an empty one: a consortium_logs.db
    of the machine's user is never found by a test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture(autouse=True)
def no_pause_between_transactions(request, monkeypatch):
    """A backfill run in the test's process leaves out the pause between two write
    transactions, which only lets another program take the lock: hundreds of them
    made a tenth of a second each of the suite's time. Tests marked beside_a_writer,
    where another program does wait for the lock, and backfills run as a process of
    their own keep it. (write.pause_after, what the pause would be, is unchanged.)"""
    if "beside_a_writer" not in request.keywords:
        monkeypatch.setattr(write, "time", types.SimpleNamespace(perf_counter=time.perf_counter, sleep=lambda seconds: None))


@pytest.fixture
def forker():
    """Backfills as processes of their own, each forked from one that imported the package (tests/forker.py)."""
    with Forker() as started:
        yield started


@pytest.fixture
def logs_db(tmp_path):
    """A fresh logs.db with llm's schema and no rows; the models file names `cons`."""
    db = LogsDB(tmp_path / "logs.db")
    (tmp_path / "models.txt").write_text("cons\nother-cons\n")
    yield db
    db.conn.close()


@pytest.fixture(params=COMBOS)
def real_db(request, tmp_path):
    """A copy of a logs.db written by the real llm and llm-consortium, with its truth."""
    source = FIXTURES / request.param
    path = tmp_path / "logs.db"
    shutil.copy(source / "logs.db", path)
    return path, source / "consortium_models.txt", json.loads((source / "truth.json").read_text())


@pytest.fixture(params=BUILD_COMBOS)
def build_db(request, tmp_path):
    """A copy of a logs.db written by the real llm and a 2025 git build of llm-consortium."""
    source = FIXTURES / request.param
    path = tmp_path / "logs.db"
    shutil.copy(source / "logs.db", path)
    return path, source / "consortium_models.txt", TRUTHS[request.param]


def grouped_runs(truth):
    """The recorded runs the user's policy groups: those with an output row logged
    right after their final arbiter. Parallel runs can interleave so that another
    run's row sits between them: such a run is skipped for review, never guessed."""
    runs = []
    for run in truth["runs"]:
        by_role = {row["role"]: row["rowid"] for row in run["rows"] if row["role"] in ("final_output", "final_arbiter")}
        if run["expect_grouped"] and by_role.get("final_output", 0) - 1 == by_role.get("final_arbiter"):
            runs.append(run)
    return runs


def cli(*args):
    """Run the CLI in-process; returns click's Result."""
    return CliRunner().invoke(command_line.cli, [str(a) for a in args], catch_exceptions=False)


def run_backfill(path, models=None, *args, exit_code=0):
    """A backfill without backup; fails the test unless it exits with exit_code."""
    extra = ["--models-file", models] if models else []
    result = cli("backfill", "-d", path, *extra, "--no-backup", *args)
    assert result.exit_code == exit_code, result.output
    return result


def file_hash(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def grouped(path):
    """id -> (consortium_id, is_arbiter_response) for every grouped row."""
    conn = sqlite3.connect(path)
    try:
        return {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "SELECT id, consortium_id, is_arbiter_response FROM responses WHERE consortium_id IS NOT NULL"
            )
        }
    finally:
        conn.close()


# The longest tests (a virtualenv built on a clean clone, hundreds of backfills)
# start first, in this order: with the tests spread over two processes (make
# test), the two that build a virtualenv run side by side, and no long one is
# left to start when the rest are done.
LONGEST_FIRST = (
    "test_llm_036_logs_and_lists_on_the_backfilled_file",
    "test_kill_at_any_statement_leaves_all_or_nothing",
    "test_a_database_generated_now_by_the_real_packages",
    "test_a_rerun_after_each_cut_equals_one_pass_over_the_whole_file",
    "test_a_rerun_after_each_cut_equals_one_pass_over_the_whole_files",
    "test_a_backfill_killed_between_transactions_leaves_whole_runs_that_the_next_one_completes",
)


def pytest_collection_modifyitems(items):
    first = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: first.get(item.originalname, len(first)))
