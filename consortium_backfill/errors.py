"""The one kind of error a user sees: one line, exit code 2."""
import pathlib
import shutil
import tempfile

import click


class Problem(click.ClickException):
    """Bad input or a database we must not touch: one line, exit code 2."""

    exit_code = 2


def database_error(path, error):
    """A sqlite3 error as a Problem that names the file and what is wrong with it."""
    message = str(error)
    if "locked" in message or "busy" in message:
        return Problem(f"{path}: database is busy (another process holds a lock on it): {message}")
    if "readonly" in message or "read-only" in message:
        return Problem(f"{path}: cannot write: {message}")
    if "disk is full" in message:
        return Problem(disk_full(path))
    return Problem(f"{path}: {message}")


def disk_full(path):
    """SQLite says "database or disk is full" for the database's disk and for TMPDIR alike: name the fuller."""
    folders = {
        "the database's folder": pathlib.Path(path).resolve().parent,
        "TMPDIR, where SQLite keeps its temporary tables": pathlib.Path(tempfile.gettempdir()),
    }
    free = {what: shutil.disk_usage(folder).free for what, folder in folders.items()}
    fuller, other = sorted(free, key=free.get)
    return (
        f"{path}: disk full: {fuller}, {folders[fuller]}, has {free[fuller] / 1e6:.0f} MB free "
        f"({other} {folders[other]} has {free[other] / 1e6:.0f} MB); nothing was written"
    )
