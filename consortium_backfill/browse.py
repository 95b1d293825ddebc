"""Datasette over a backfilled logs.db: datasette/metadata.yml, made to fit the file."""
import json
import pathlib
import re
import tempfile

from .database import history_tables
from .errors import Problem
from .functions import table_exists
from .sqlfiles import root


def metadata(path, runs_table, members_table):
    """datasette/metadata.yml for this file: its database name in every link, its table names."""
    import yaml
    from datasette.utils import tilde_encode

    name = path.stem
    text = (root() / "datasette" / "metadata.yml").read_text()
    # Runs live in backfill_consortium_runs when llm-consortium's own tables took the plain names.
    text = re.sub(r"\bconsortium_runs\b", runs_table, text)
    text = re.sub(r"\bconsortium_members\b", members_table, text)
    result = yaml.safe_load(text)
    database = result["databases"].pop("logs")
    for query in database["queries"].values():
        query["sql"] = query["sql"].replace("'/logs/", f"'/{tilde_encode(name)}/")
    result["databases"][name] = database
    return result


def check_installed():
    try:
        import datasette  # noqa: F401
        import datasette_json_html  # noqa: F401
    except ImportError:
        raise Problem(
            "Datasette is not installed: pip install 'consortium-backfill[browse]'"
            " (or datasette datasette-json-html; make browse has them)"
        )


def tables(conn, path):
    """The runs and members tables, or a Problem saying what to run first."""
    runs_table, members_table = history_tables(conn)
    if not table_exists(conn, runs_table):
        raise Problem(f"{path}: no runs to show yet: run `consortium-backfill backfill -d {path}` first")
    return runs_table, members_table


def serve(path, runs_table, members_table, datasette_args):
    """`datasette serve` with our metadata, in this process: one process to stop, Ctrl-C or kill."""
    from datasette.cli import cli as datasette_cli

    with tempfile.TemporaryDirectory() as folder:
        metadata_path = pathlib.Path(folder) / "metadata.json"
        metadata_path.write_text(json.dumps(metadata(path, runs_table, members_table)))
        # Datasette reads the metadata file as it starts; it is removed when Datasette stops.
        datasette_cli.main(
            ["serve", str(path), "--metadata", str(metadata_path), *datasette_args],
            prog_name="datasette",
        )
