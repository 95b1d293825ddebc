import hashlib
import json
import pathlib
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

import backfill
from builder import FIXTURES, LogsDB

COMBOS = sorted(path.parent.name for path in FIXTURES.glob("*/truth.json"))


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


def cli(*args):
    """Run backfill.py's CLI in-process; returns click's Result."""
    return CliRunner().invoke(backfill.cli, [str(a) for a in args], catch_exceptions=False)


def run_backfill(path, models=None, *args):
    extra = ["--models-file", models] if models else []
    return cli("backfill", "-d", path, *extra, "--no-backup", *args)


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
