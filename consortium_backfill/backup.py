"""The backup made before the first write."""
import datetime
import math
import os
import pathlib
import shutil
import sqlite3
import tempfile
import urllib.parse

from .errors import Problem
from .progress import QUIET


def timestamp():
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def default_backup_path(path):
    """Beside the real database file: logs.backup-YYYYmmdd-HHMMSS.db, then -2, -3 in the same second."""
    real = path.resolve()
    stamp = timestamp()
    for number in range(1, 1000):
        suffix = "" if number == 1 else f"-{number}"
        target = real.with_name(f"{real.stem}.backup-{stamp}{suffix}{real.suffix}")
        if not target.exists():
            return target
    raise Problem(f"{real.parent}: too many backups made this second")


def quick_check(path):
    """PRAGMA quick_check of a file that must exist, opened read-only, never created: 'ok', or what is wrong on one line."""
    uri = "file:{}?mode=ro".format(urllib.parse.quote(str(pathlib.Path(path).resolve())))
    try:
        check = sqlite3.connect(uri, uri=True)
        try:
            result = check.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as error:
        result = str(error)
    return " ".join(result.split())


def remove_stale_partials(folder, database):
    """Copies cut short by a kill or Ctrl-C. Called under the database's lock: no backup of it is under way."""
    for stale in folder.glob(f"{database.resolve().stem}.backup-*.partial"):
        stale.unlink(missing_ok=True)


def publish(partial, target):
    """partial under the name target, unless target exists: never over another file."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: the lock keeps our own backups apart.
        if target.exists():
            raise FileExistsError(target)
        os.replace(partial, target)
    partial.unlink(missing_ok=True)


def copy_growing(conn, partial, advance):
    """VACUUM INTO partial, calling advance(MB) as the copy grows: one statement, watched
    through SQLite's progress handler, which never stops it."""
    written = 0

    def watch():
        nonlocal written
        size = os.path.getsize(partial) // 1_000_000
        if size > written:
            advance(size - written)
            written = size
        return 0

    conn.set_progress_handler(watch, 500)
    try:
        conn.execute("VACUUM INTO ?", [str(partial)])
    finally:
        conn.set_progress_handler(None, 0)
    advance(math.ceil(os.path.getsize(partial) / 1_000_000) - written)


def make_backup(conn, path, backup_path, progress=QUIET):
    """A consistent online copy, the way `llm logs backup` makes one, checked before use."""
    target = pathlib.Path(backup_path) if backup_path else default_backup_path(path)
    if target.exists():
        raise Problem(f"{target}: backup file already exists")
    if not os.access(target.parent, os.W_OK):
        raise Problem(f"{target.parent}: cannot write the backup there (read-only folder)")
    page_count = conn.execute("PRAGMA page_count").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    needed = page_count * page_size
    free = shutil.disk_usage(target.parent).free
    if free < needed + 16 * 1024 * 1024:
        raise Problem(
            f"not enough free disk for the backup in {target.parent}: "
            f"{needed / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free"
        )
    remove_stale_partials(target.parent, path)
    # Written under a name of its own first: a copy cut short never passes for a backup.
    fd, name = tempfile.mkstemp(prefix=f"{path.resolve().stem}.backup-", suffix=".partial", dir=target.parent)
    os.close(fd)
    partial = pathlib.Path(name)
    try:
        try:
            with progress.phase("Backing up", math.ceil(needed / 1_000_000), "MB") as advance:
                copy_growing(conn, partial, advance)
        except sqlite3.OperationalError as error:
            raise Problem(f"{target}: backup failed: {error}")
        result = quick_check(partial)
        if result != "ok":
            raise Problem(f"{target}: backup failed its quick_check: {result}")
        while True:
            try:
                publish(partial, target)
                return target
            except FileExistsError:
                if backup_path:
                    raise Problem(f"{target}: backup file already exists")
                target = default_backup_path(path)
    finally:
        partial.unlink(missing_ok=True)
