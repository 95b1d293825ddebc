"""`python backfill.py ...` from a clone: the command line of consortium_backfill/cli.py.

Installed, the same commands are `consortium-backfill` and `llm consortium-backfill`;
the wheel carries no top-level module of this name.
"""
import sys

try:
    from consortium_backfill.cli import cli
except ModuleNotFoundError as missing:
    # Outside the project's venv: say how to run it.
    if missing.name not in ("click", "sqlite_utils", "ksuid"):
        raise
    sys.exit(
        f"backfill.py needs {missing.name}, which this Python lacks: run `make venv`, then "
        ".venv/bin/python backfill.py ..., or install the command: pip install . (README, Install)"
    )


if __name__ == "__main__":
    cli()
