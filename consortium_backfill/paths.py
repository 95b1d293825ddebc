"""The files a backfill writes, checked before any work: never over what must be kept."""
import os
import pathlib

from .errors import Problem

SQLITE_HEADER = b"SQLite format 3\x00"
JOURNALS = ("-journal", "-wal", "-shm")


def kept_files(database, models_file, backup_path):
    """{path: what it is} for every file an output must never replace."""
    kept = {database: "the database"}
    kept.update({database.with_name(database.name + suffix): "the database's journal" for suffix in JOURNALS})
    if models_file is not None:
        kept[pathlib.Path(models_file)] = "the models file"
    if backup_path is not None:
        kept[pathlib.Path(backup_path)] = "the backup"
    return kept


def same_file(a, b):
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def check_not_kept(path, option, kept):
    for other, what in kept.items():
        if same_file(path, other):
            raise Problem(f"{path}: is {what}; {option} never writes over it")


def check_output(path, option, kept):
    """Refuse an output path that cannot be written or would replace a file to keep."""
    path = pathlib.Path(path)
    check_not_kept(path, option, kept)
    if path.is_dir():
        raise Problem(f"{path}: is a folder; {option} takes a file name")
    folder = path.parent
    if not folder.is_dir():
        raise Problem(f"{folder}: no such folder (for {option})")
    if path.exists():
        with open(path, "rb") as f:
            if f.read(len(SQLITE_HEADER)) == SQLITE_HEADER:
                raise Problem(f"{path}: is a SQLite database; {option} never writes over one")
    if not os.access(folder, os.W_OK):
        raise Problem(f"{folder}: read-only folder (for {option})")


def check_outputs(database, models_file, backup_path, report_path):
    """Every output path of a backfill, before it reads a row."""
    if backup_path is not None:
        # The rest of the backup's checks come with the backup (backup.py).
        check_not_kept(pathlib.Path(backup_path), "--backup-path", kept_files(database, models_file, None))
    if report_path is not None:
        check_output(report_path, "--report", kept_files(database, models_file, backup_path))
