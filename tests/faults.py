"""Faults in the backup copy, injected into the backfill's own connection to the user's file.

    python tests/faults.py MODE backfill -d logs.db ...   # the CLI with the fault

MODE is what happens to the copy right after SQLite's backup API has written it:
  damaged  a page in use is overwritten with junk, as a bad disk would;
  cut      half of it is left, and the process is killed (kill -9) there,
           as if the machine died while the copy was being written.
A kill from the crash-test hook can only land at the start of a statement,
never inside the copy: this is how the tests reach inside it.
"""
import os
import pathlib
import signal
import sqlite3
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
_connect = sqlite3.connect


def damage(path):
    """Junk over the root page of responses: a page in use (a page-for-page copy also holds free ones)."""
    check = _connect(f"file:{path}?mode=ro", uri=True)
    root = check.execute("SELECT rootpage FROM sqlite_master WHERE name = 'responses'").fetchone()[0]
    check.close()
    data = bytearray(pathlib.Path(path).read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[(root - 1) * page_size:root * page_size] = b"\xa5" * page_size
    pathlib.Path(path).write_bytes(bytes(data))


def cut(path):
    os.truncate(path, os.path.getsize(path) // 2)
    os.kill(os.getpid(), signal.SIGKILL)


FAULTS = {"damaged": damage, "cut": cut}


def faulty_connect(mode):
    """sqlite3.connect whose connections opened by URI (the backfill's) apply the fault after a backup."""
    fault = FAULTS[mode]

    class Faulty(sqlite3.Connection):
        def backup(self, target, **kwargs):
            super().backup(target, **kwargs)
            fault(target.execute("PRAGMA database_list").fetchone()[2])

    def connect(*args, **kwargs):
        if kwargs.get("uri"):
            kwargs.setdefault("factory", Faulty)
        return _connect(*args, **kwargs)

    return connect


if __name__ == "__main__":
    sqlite3.connect = faulty_connect(sys.argv[1])
    sys.path.insert(0, str(ROOT))
    from consortium_backfill.cli import cli

    cli(sys.argv[2:])
