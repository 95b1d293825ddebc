"""The SQL phases (sql/*.sql) and the schema migrations (migrations/migrations.py).

They live at the top of the repository, where a reader finds them beside
backfill.py, and inside the package once installed (pyproject.toml puts them
there); `root()` is the one place that knows where they are.
"""
import functools
import pathlib
import re
import sqlite3


def root():
    """The folder that holds sql/ and migrations/: the package's own, once installed."""
    package = pathlib.Path(__file__).resolve().parent
    return package if (package / "sql").is_dir() else package.parent


def sql_text(name, **fill):
    text = (root() / "sql" / f"{name}.sql").read_text()
    return text.format(**fill) if fill else text


def statements(text):
    """Split a .sql file into its statements."""
    current = []
    for line in text.splitlines(keepends=True):
        current.append(line)
        if sqlite3.complete_statement("".join(current)):
            yield "".join(current)
            current = []


def run_sql(conn, name, params=None, **fill):
    for statement in statements(sql_text(name, **fill)):
        conn.execute(statement, params or {})


def checks(text):
    """The `-- check: name` sections of verify.sql, as (name, statement)."""
    for section in re.split(r"^-- check: ", text, flags=re.M)[1:]:
        name, _, body = section.partition("\n")
        yield name.strip(), body


@functools.cache
def schema():
    """migrations/migrations.py: run as `sqlite-utils migrate` runs it, a file, not a module."""
    namespace = {}
    path = root() / "migrations" / "migrations.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace
