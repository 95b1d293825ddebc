"""Reading llm-consortium arbiter prompts: one reader module per format family.

To add a format: write a module here with a Reader subclass (see reader.py)
and its tests, and list it in READERS below. Nothing else changes: the SQL
calls only the functions of this module.
"""
import json

from . import arbiter_prompt, auto_context, judge, manual_context, synthesis_system
from . import reader as base
from .reader import MalformedPrompt, content_hash

# Tried in this order; the first that recognises a prompt reads it. A reader
# that narrows another's prefix (see Reader.recognises) goes before it.
READERS = (
    synthesis_system.reader,
    manual_context.reader,  # narrows <arbiter_prompt>
    auto_context.first_prompt,  # narrows <arbiter_prompt>
    arbiter_prompt.reader,
    auto_context.follow_up,
    judge.reader,
)
BY_NAME = {reader.name: reader for reader in READERS}

# Every reader's prompts start with one of its prefixes (Reader.recognises):
# a prompt that starts with none of them, nearly every row, is told apart by
# one startswith, without a call to each reader.
PREFIXES = tuple(prefix for reader in READERS for prefix in reader.prefixes)
# SQL passes only a prompt's first PREFIX_LENGTH characters to arbiter_format().
PREFIX_LENGTH = max(len(prefix) for prefix in PREFIXES)

__all__ = [
    "MalformedPrompt", "PREFIX_LENGTH", "READERS", "arbiter_format", "content_hash",
    "original_prompt", "parse", "parse_json", "synthesis_text",
]


def reader_for(prompt):
    """The first reader in READERS that recognises prompt, or None."""
    if prompt is None or not prompt.startswith(PREFIXES):
        return None
    return next((reader for reader in READERS if reader.recognises(prompt)), None)


def arbiter_format(prompt):
    """The name of the format of an arbiter prompt, or None for any other prompt."""
    reader = reader_for(prompt)
    return reader.name if reader else None


def original_prompt(prompt):
    """The original prompt an arbiter prompt was asked about, or None."""
    reader = reader_for(prompt)
    if reader is None:
        return None
    try:
        span = reader.original(prompt)
    except MalformedPrompt:
        return None
    return prompt[span[0] : span[1]] if span else None


def synthesis_text(response, format=None):
    """What a later arbiter prompt quotes of this answer to a `format` arbiter prompt."""
    if response is None:
        return None
    reader = BY_NAME.get(format)
    return reader.synthesis_text(response) if reader else base.synthesis_text(response)


def parse(prompt):
    """Everything an arbiter prompt quotes, as a dict of offsets and hashes.

    Offsets are 1-based ``start`` and ``length``, as SQLite's ``substr()`` takes them.
    Raises MalformedPrompt naming what is missing.
    """
    return json.loads(parsed_json(prompt))


def parsed_json(prompt):
    """parse() as JSON text; raises MalformedPrompt."""
    reader = reader_for(prompt)
    if reader is None:
        raise MalformedPrompt("not an arbiter prompt")
    return reader.parse(prompt).as_json(prompt)


def parse_json(prompt):
    """parse() for SQL: JSON text, or {"error": ...} for a prompt that cannot be read."""
    try:
        return parsed_json(prompt)
    except MalformedPrompt as error:
        return json.dumps({"error": str(error)})
    except (ValueError, TypeError, RecursionError) as error:
        return json.dumps({"error": f"unreadable ({type(error).__name__}: {error})"})
