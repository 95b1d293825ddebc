"""The backup made before the first write."""
import datetime
import math
import os
import pathlib
import shutil
import sqlite3
import tempfile
import time
import urllib.parse

from .database import TRY_WAIT_MS
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


# A step of the copy holds a read lock, which keeps llm from committing: it
# should last about STEP_SECONDS, and never much more.
STEP_SECONDS = 0.2
FIRST_STEP_BYTES = 4_000_000
MIN_STEP_PAGES = 16
# Between steps. A writer waiting to commit holds SQLite's PENDING lock, so it
# gets in before the next step anyway; the pause lets it do so at once.
PAUSE_SECONDS = 0.05
# Each write by another connection makes SQLite start the copy again from
# page 1. After this many restarts, a copy the measured speed says takes at
# most ONE_STEP_SECONDS is made in one step (one read lock that long).
RESTARTS_BEFORE_ONE_STEP = 2
ONE_STEP_SECONDS = 0.5
BUSY, LOCKED = sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED


class Resize(Exception):
    """Stops a copy, to start it again with steps of another size."""


class KeptRestarting(Exception):
    """Writes by another program kept starting the copy again for the whole busy timeout."""


class StepwiseCopy:
    """One copy through SQLite's online backup API, a step of a few MB at a time.

    The step size follows the measured speed; a slow step makes the steps
    smaller (the copy starts again), and a fast first step makes them bigger.
    """

    def __init__(self, page_size, busy_timeout, advance):
        self.page_size = page_size
        self.busy_timeout = busy_timeout
        self.advance = advance
        self.pages = max(MIN_STEP_PAGES, FIRST_STEP_BYTES // page_size)
        self.pages_per_second = None
        self.restarts = 0
        self.restarting_since = None
        self.busy_since = None
        self.resized = False
        self.shown = 0  # MB the progress bar shows: the furthest the copy got
        self.remaining = None
        self.step_started = None

    def run(self, conn, target):
        while True:
            self.remaining = None
            self.step_started = time.monotonic()
            try:
                conn.backup(target, pages=self.pages, progress=self.after_step, sleep=PAUSE_SECONDS)
                return
            except Resize:
                continue

    def after_step(self, status, remaining, total):
        """Called by SQLite's backup after each step: measure, decide, pause."""
        now = time.monotonic()
        if status in (BUSY, LOCKED):
            # No page copied; Python sleeps PAUSE_SECONDS before the next try.
            self.busy_since = self.busy_since or now
            if now - self.busy_since > self.busy_timeout:
                raise sqlite3.OperationalError("database is locked")
            self.check_deadline(now, total)
            self.step_started = now + PAUSE_SECONDS
            return
        self.busy_since = None
        restarted = self.remaining is not None and remaining >= self.remaining
        copied = (total if restarted or self.remaining is None else self.remaining) - remaining
        self.remaining = remaining
        elapsed = now - self.step_started
        if copied and elapsed > 0:
            self.pages_per_second = copied / elapsed
        self.show(total - remaining)
        if not remaining:
            return
        if restarted:
            self.restarts += 1
            self.restarting_since = self.restarting_since or now
        self.check_deadline(now, total)
        self.choose_step(remaining, total, elapsed)
        time.sleep(PAUSE_SECONDS)
        self.step_started = time.monotonic()

    def choose_step(self, remaining, total, elapsed):
        """Raise Resize to start again with steps of another size, when that is better."""
        if self.pages < 0 or not self.pages_per_second:
            return
        if self.restarts >= RESTARTS_BEFORE_ONE_STEP and total / self.pages_per_second <= ONE_STEP_SECONDS:
            self.pages = -1
            raise Resize()
        if elapsed > 2 * STEP_SECONDS and self.pages > MIN_STEP_PAGES:
            self.pages = max(MIN_STEP_PAGES, int(self.pages_per_second * STEP_SECONDS))
            raise Resize()
        wanted = int(self.pages_per_second * STEP_SECONDS)
        if not self.resized and wanted > 2 * self.pages and remaining > wanted:
            # Once, at the start, while little is lost by starting again.
            self.resized = True
            self.pages = wanted
            raise Resize()
        self.resized = True

    def check_deadline(self, now, total):
        """Give up once the copy has been started again for longer than the busy
        timeout plus the time one whole copy takes at the measured speed."""
        if self.restarting_since is None or not self.pages_per_second:
            return
        whole_copy = total / self.pages_per_second * (1 + PAUSE_SECONDS / STEP_SECONDS)
        if now - self.restarting_since > self.busy_timeout + whole_copy:
            raise KeptRestarting()

    def show(self, pages):
        mb = pages * self.page_size // 1_000_000
        if mb > self.shown:
            self.advance(mb - self.shown)
            self.shown = mb


def copy_in_steps(conn, partial, advance):
    """conn's database into the new file partial, a consistent copy made in short
    steps, each under a read lock of its own; advance(MB) as it goes.

    Raises KeptRestarting when writes by another program started the copy
    again and again for longer than the busy timeout.
    """
    busy_timeout_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    copy = StepwiseCopy(page_size, busy_timeout_ms / 1000, advance)
    target = sqlite3.connect(partial, isolation_level=None)
    try:
        # A new file nobody else opens: its journal in memory (a copy started
        # again rolls back to the empty file), and one fsync at the end.
        target.execute("PRAGMA journal_mode = MEMORY")
        target.execute("PRAGMA synchronous = OFF")
        # Each step waits briefly for a lock: the deadline is checked between steps.
        conn.execute(f"PRAGMA busy_timeout = {min(TRY_WAIT_MS, busy_timeout_ms)}")
        try:
            copy.run(conn, target)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
    finally:
        target.close()
    with open(partial, "rb+") as copied:
        os.fsync(copied.fileno())
    advance(math.ceil(os.path.getsize(partial) / 1_000_000) - copy.shown)


def make_backup(conn, path, backup_path, progress=QUIET):
    """A consistent online copy, made in steps that llm can write between, checked before use."""
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
                copy_in_steps(conn, partial, advance)
        except KeptRestarting:
            raise Problem(
                f"{path}: no backup made, nothing written: another program (llm?) kept writing to the database "
                "and each write starts the copy again; run the backfill when llm is idle, or with --backup none "
                "(`undo` still reverts it exactly)"
            )
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
