"""The backup made before the first write."""
import datetime
import os
import pathlib
import shutil
import sqlite3

from .errors import Problem


def default_backup_path(path):
    """Beside the database: logs.backup-YYYYmmdd-HHMMSS.db."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.backup-{stamp}{path.suffix}")


def make_backup(conn, path, backup_path):
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
    # Written under another name first: a copy cut short never passes for a backup.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        conn.execute("VACUUM INTO ?", [str(partial)])
    except sqlite3.OperationalError as error:
        partial.unlink(missing_ok=True)
        raise Problem(f"{target}: backup failed: {error}")
    check = sqlite3.connect(partial)
    try:
        result = check.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise Problem(f"{partial}: backup failed its quick_check: {result}")
    os.replace(partial, target)
    return target
