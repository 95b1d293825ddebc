"""One backfill (or migrate, undo, accept) per database at a time."""
import contextlib
import os

from .errors import Problem

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


def lock_path(database):
    """Beside the real file (not a symlink's folder): logs.db.backfill-lock."""
    real = database.resolve()
    return real.with_name(real.name + ".backfill-lock")


def try_lock(fd):
    try:
        if fcntl:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def database_lock(database):
    """Hold the database's lock file for the length of the block, or raise Problem at once.

    The file is removed on the way out. Whoever locks a file that was removed
    meanwhile (it opened it just before) tries again on the new one.
    """
    path = lock_path(database)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise Problem(f"{path}: cannot make the lock file: {error.strerror}")
        if not try_lock(fd):
            os.close(fd)
            raise Problem(f"{database}: another backfill is working on it (it holds {path}); try again when it is done")
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)
