#!/usr/bin/env python3
"""Run backfill.py's command line in this process and count what it read and wrote.

    python bench/measured.py OUT.json backfill -d DB -m MODELS ...

OUT.json gets, measured rather than estimated:
* pages_read, pages_hit, pages_written: SQLite's own counters of the
  connection (sqlite3_db_status CACHE_MISS, CACHE_HIT, CACHE_WRITE), read
  through ctypes from the libsqlite3 Python's sqlite3 module is linked to,
  as the connection closes; pages_read + pages_hit are the pages the
  backfill looked at, pages_read those it had to read from the file;
* bytes_written: this process's wchar (/proc/self/io): the database, its
  journal, and a few lines of output.
Rows are not counted one by one: a counting function in a query changes
SQLite's plan for it (a max(rowid) seek becomes a scan).
"""
import atexit
import ctypes
import ctypes.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import backfill  # noqa: E402
from consortium_backfill import database  # noqa: E402

out = Path(sys.argv[1])


def sqlite_counters(conn):
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        lib.sqlite3_db_status.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                          ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        # CPython's sqlite3.Connection starts with PyObject_HEAD, then the sqlite3* handle.
        handle = ctypes.c_void_p.from_address(id(conn) + 2 * ctypes.sizeof(ctypes.c_void_p)).value
        current, high = ctypes.c_int(), ctypes.c_int()
        result = {}
        for name, op in (("pages_hit", 7), ("pages_read", 8), ("pages_written", 9)):
            if lib.sqlite3_db_status(handle, op, ctypes.byref(current), ctypes.byref(high), 0) != 0:
                return {}
            result[name] = current.value
        return result
    except (OSError, AttributeError):
        return {}


def proc_io():
    try:
        fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
        return {"bytes_written": int(fields["wchar"])}
    except (OSError, KeyError, ValueError):
        return {}


def report():
    out.write_text(json.dumps(dict(pages_seen, **proc_io())))


pages_seen = {}
atexit.register(report)

# The connection is closed before the command returns: read its counters as it closes.
import sqlite3  # noqa: E402


class CountedConnection(sqlite3.Connection):
    def close(self):
        for name, value in sqlite_counters(self).items():
            pages_seen[name] = pages_seen.get(name, 0) + value
        try:
            pages_seen["page_size"] = self.execute("PRAGMA page_size").fetchone()[0]
        except sqlite3.Error:
            pass
        super().close()


plain_connect = sqlite3.connect


def connect(*args, **kwargs):
    kwargs.setdefault("factory", CountedConnection)
    return plain_connect(*args, **kwargs)


sqlite3.connect = connect
database.sqlite3.connect = connect

sys.argv = ["backfill.py", *sys.argv[2:]]
backfill.cli()
