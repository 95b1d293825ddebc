"""The options the commands share, and how their values are read."""
import pathlib
import re

import click


def parse_window(value):
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(value))
    if not match:
        raise click.BadParameter(f"{value!r}: use seconds or a number with s, m, h or d, e.g. 90m")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def expand_user(ctx, param, value):
    """~/logs.db as the shell would read it, also when quoted (make passes paths quoted)."""
    return value.expanduser() if value is not None else None


database_option = click.option(
    "-d",
    "--database",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    callback=expand_user,
    help="logs.db to work on (default: llm's own, $LLM_USER_PATH/logs.db)",
)
models_option = click.option(
    "models_file",
    "-m",
    "--models-file",
    type=click.Path(path_type=pathlib.Path),
    callback=expand_user,
    help="Saved consortium names, one a line, added to those of the consortium_configs table. "
    "Write it from llm-consortium's own list (see backfill --help)",
)
window_option = click.option(
    "--window",
    default="1h",
    show_default=True,
    help="How far before its final arbiter a run's rows may start: seconds, or 90m, 2h, 1d",
)
consortium_logs_option = click.option(
    "consortium_logs_path",
    "--consortium-logs",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="llm-consortium 0.8+'s consortium_logs.db, read only (default: the one beside the database, "
    "else the one in llm's default folder)",
)
busy_option = click.option(
    "--busy-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for a database another process is writing to",
)
