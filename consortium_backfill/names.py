"""Which model names are saved consortiums."""
import codecs
import pathlib

from . import consortium_logs
from .errors import Problem
from .functions import table_exists


def consortium_names(conn, models_file):
    """Names of saved consortiums: the models file's lines plus the consortium_configs table."""
    names = set()
    if models_file is not None:
        path = pathlib.Path(models_file)
        if not path.is_file():
            raise Problem(f"{path}: no such models file")
        names |= {
            line.strip()
            for line in read_models_file(path).splitlines()
            if line.strip() and not line.strip().startswith("#")
        }
    return names | saved_names(conn)


def saved_names(conn):
    """The names in consortium_configs, where llm-consortium saves its consortiums."""
    if not table_exists(conn, "consortium_configs"):
        return set()
    return {row[0] for row in conn.execute("SELECT name FROM consortium_configs") if row[0]}


def known_names(conn, models_file, clogs):
    """Every saved consortium name there is: the models file, consortium_configs,
    the runs already recorded, and consortium_logs.db (clogs) when there is one:
    its saved consortiums and, deleted or not, those its runs name."""
    names = consortium_names(conn, models_file) | names_of_past_runs(conn)
    if clogs:
        file = consortium_logs.connect(clogs)
        try:
            names |= saved_names(file) | names_of_past_runs(file)
        finally:
            file.close()
    return names


RUN_TABLES = ("consortium_runs", "backfill_consortium_runs")


def names_of_past_runs(conn):
    """Consortiums that ran, from the runs tables in the database: those of earlier
    backfills, and llm-consortium's own where a version kept one in logs.db or
    consortium_logs.db. A
    consortium deleted since is still found, and a later backfill needs no models
    file for the consortiums an earlier one was told about."""
    names = set()
    for table in RUN_TABLES:
        columns = {row[1] for row in conn.execute(f"PRAGMA main.table_info([{table}])")}
        if "config_name" in columns:
            names |= {row[0] for row in conn.execute(f"SELECT DISTINCT config_name FROM [{table}]") if row[0]}
    return names


def read_models_file(path):
    """Its text, whatever editor saved it: UTF-8 with or without a BOM, or UTF-16 (Notepad's "Unicode")."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise Problem(f"{path}: not a text file of names (NUL bytes; UTF-16 without a BOM?)")
    return data.decode("utf-8-sig", errors="replace")


def load_names(conn, names):
    """Into the scratch table consortium_names, which the SQL phases read."""
    conn.executemany("INSERT INTO consortium_names (name) VALUES (?)", [(n,) for n in sorted(names)])
