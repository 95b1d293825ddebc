"""The Python functions the SQL phases call, registered on our connection."""
import functools
import json

import sqlite_utils

from . import formats
from .runid import consortium_ksuid


def utils_db(conn):
    """sqlite-utils over our own connection: no plugins, SQLite's trigger defaults."""
    return sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)


def table_exists(conn, name):
    """Whether the main database holds a table (or view) of that name."""
    return utils_db(conn)[name].exists()


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


def arbiter_parse(prompt):
    """SQL: formats.parse_json of a prompt passed as BLOB; invalid UTF-8 is an error, never a guess.

    Offsets into a text SQLite holds as invalid UTF-8 would not be offsets of
    what Python read, so such a prompt is not read at all.
    """
    if isinstance(prompt, bytes):
        try:
            prompt = prompt.decode("utf-8")
        except UnicodeDecodeError as error:
            return json.dumps({"error": f"invalid UTF-8 at byte {error.start}"})
    return formats.parse_json(str(prompt) if isinstance(prompt, (int, float)) else prompt)


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
        (arbiter_parse, "arbiter_parse"),
        (consortium_ksuid, "consortium_ksuid"),
    ]:
        db.register_function(fn, deterministic=True, name=name)
    return db
