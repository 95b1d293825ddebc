"""The one kind of error a user sees: one line, exit code 2."""
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
    return Problem(f"{path}: {message}")
