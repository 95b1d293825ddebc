"""Which model names are saved consortiums."""
import pathlib

from .errors import Problem


def consortium_names(conn, models_file):
    """Names of saved consortiums: the models file's lines plus the consortium_configs table."""
    names = set()
    if models_file is not None:
        path = pathlib.Path(models_file)
        if not path.is_file():
            raise Problem(f"{path}: no such models file")
        names |= {
            line.strip()
            for line in path.read_text(errors="replace").splitlines()
            if line.strip() and not line.strip().startswith("#")
        }
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'consortium_configs'").fetchone():
        names |= {row[0] for row in conn.execute("SELECT name FROM consortium_configs") if row[0]}
    return names


def load_names(conn, names):
    """Into the scratch table consortium_names, which the SQL phases read."""
    conn.executemany("INSERT INTO consortium_names (name) VALUES (?)", [(n,) for n in sorted(names)])
