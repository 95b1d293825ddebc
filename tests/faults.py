"""Faults in the backup copy, injected into the backfill's own connection to the user's file.

    python tests/faults.py MODE backfill -d logs.db ...   # backfill.py's CLI with the fault

MODE is what happens to the copy right after `VACUUM INTO` has written it:
  damaged  its middle page is overwritten with junk, as a bad disk would;
  cut      half of it is left, and the process is killed (kill -9) there,
           as if the machine died while the copy was being written.
A kill from the crash-test hook can only land at the start of a statement,
never inside VACUUM INTO: this is how the tests reach inside it.
"""
import os
import pathlib
import signal
import sqlite3
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
_connect = sqlite3.connect


def damage(path):
    data = bytearray(pathlib.Path(path).read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    middle = len(data) // page_size // 2
    data[middle * page_size:(middle + 1) * page_size] = b"\xa5" * page_size
    pathlib.Path(path).write_bytes(bytes(data))


def cut(path):
    os.truncate(path, os.path.getsize(path) // 2)
    os.kill(os.getpid(), signal.SIGKILL)


FAULTS = {"damaged": damage, "cut": cut}


def faulty_connect(mode):
    """sqlite3.connect whose connections opened by URI (the backfill's) apply the fault after VACUUM INTO."""
    fault = FAULTS[mode]

    class Faulty(sqlite3.Connection):
        def execute(self, sql, *args):
            cursor = super().execute(sql, *args)
            if sql.lstrip().upper().startswith("VACUUM INTO"):
                fault(args[0][0])
            return cursor

    def connect(*args, **kwargs):
        if kwargs.get("uri"):
            kwargs.setdefault("factory", Faulty)
        return _connect(*args, **kwargs)

    return connect


if __name__ == "__main__":
    sqlite3.connect = faulty_connect(sys.argv[1])
    sys.path.insert(0, str(ROOT))
    import backfill

    backfill.cli(sys.argv[2:])
