"""The Python functions the SQL phases call, registered on our connection."""
import functools

import sqlite_utils

from . import formats
from .runid import consortium_ksuid


def utils_db(conn):
    """sqlite-utils over our own connection: no plugins, SQLite's trigger defaults."""
    return sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)


def text_arguments(fn):
    """A SQL function over texts that also takes what else a column may hold.

    A row's prompt or response can be stored as a BLOB or a number; read it as
    the text it is, so that one odd row never aborts a whole backfill.
    """

    @functools.wraps(fn)
    def wrapper(*values):
        return fn(*(
            value.decode("utf-8", "replace") if isinstance(value, bytes)
            else str(value) if isinstance(value, (int, float))
            else value
            for value in values
        ))

    return wrapper


def synthesis_text(arbiter_format, response):
    """SQL: synthesis_text(format of the row's own prompt, its response)."""
    return formats.synthesis_text(response, arbiter_format)


def register_functions(conn):
    db = utils_db(conn)
    for fn, name in [
        (text_arguments(formats.arbiter_format), "arbiter_format"),
        (formats.content_hash, "content_hash"),
        (text_arguments(synthesis_text), "synthesis_text"),
        (text_arguments(formats.original_prompt), "original_prompt"),
        (text_arguments(formats.parse_json), "arbiter_parse"),
        (consortium_ksuid, "consortium_ksuid"),
    ]:
        db.register_function(fn, deterministic=True, name=name)
    return db
