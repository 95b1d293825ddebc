"""What every prompt-format reader is and returns.

A reader recognises the arbiter prompts of one llm-consortium format family
and reports what they quote as offsets, never copies, so that SQL can compare
a quote in place with ``substr(prompt, start, length)``.
"""
import dataclasses
import hashlib
import re

# llm-consortium reads a synthesis with re.search(r"<synthesis>([\s\S]*?)</synthesis>", re.I).
# That search is quadratic on an answer of many unclosed <synthesis> tags; the
# same match is found here in linear time (see synthesis_text).
SYNTHESIS_OPEN = re.compile(r"<synthesis>", re.IGNORECASE)
SYNTHESIS_CLOSE = re.compile(r"</synthesis>", re.IGNORECASE)


class MalformedPrompt(ValueError):
    pass


@dataclasses.dataclass
class Quote:
    """One quoted text: prompt[start:end], 0-based, as Python slices take them."""

    start: int
    end: int
    iteration: int = None
    position: int = None
    model: str = None
    source: str = None


@dataclasses.dataclass
class Parsed:
    """Everything one arbiter prompt quotes. The same shape for every format."""

    format: str
    original_prompt: tuple  # (start, end), or None when the prompt quotes none
    iterations: int
    members: list  # [Quote]: member answers, earlier iterations first
    syntheses: list  # [Quote]: earlier arbiters' answers, as this prompt quotes them
    # What the prompt shows of earlier iterations: "quoted" (their members and
    # syntheses), "syntheses" (only their syntheses: each earlier arbiter's own
    # prompt quotes its members), "conversation" (nothing: llm's conversation
    # chain of the arbiter links them, see sql/chain.sql).
    history: str = "quoted"
    # What the run's output row says: the final arbiter's "synthesis", or, for
    # a judge, the chosen "member" answer itself.
    output: str = "synthesis"

    def as_dict(self, prompt):
        """1-based start and length, as SQLite's substr() takes them, with content hashes."""

        def span(quote):
            extra = {} if quote.iteration is None else dict(
                iteration=quote.iteration, position=quote.position, model=quote.model, source=quote.source
            )
            text = prompt[quote.start : quote.end]
            return dict(extra, start=quote.start + 1, length=quote.end - quote.start, hash=content_hash(text))

        return {
            "format": self.format,
            "original_prompt": span(Quote(*self.original_prompt)) if self.original_prompt else None,
            "iterations": self.iterations,
            "members": [span(q) for q in self.members],
            "syntheses": [span(q) for q in self.syntheses],
            "history": self.history,
            "output": self.output,
        }


class Reader:
    """One prompt-format family. Subclass it in a module of its own and list it in formats/__init__.py.

    A reader says which prompts are its own (``prefixes``, or ``recognises``
    for more than a prefix), where the original prompt is (``original``), what
    the prompt quotes (``parse``), and how an answer to one of its prompts is
    quoted by a later arbiter prompt (``synthesis_text``).
    """

    name = None
    prefixes = ()

    def recognises(self, prompt):
        """Whether prompt is one of this format's: never one that starts with none of ``prefixes``.

        SQL's arbiter_format() passes only a prompt's first PREFIX_LENGTH
        characters; parse() passes the whole prompt. A reader that shares its
        prefix with another and needs more of the prompt to tell its own apart
        returns False on a head that does not show it, and comes before the
        other reader in READERS.
        """
        return prompt.startswith(self.prefixes)

    def original(self, prompt):
        """(start, end) of the original prompt, or None; raises MalformedPrompt."""
        raise NotImplementedError

    def parse(self, prompt):
        """A Parsed; raises MalformedPrompt naming what is missing."""
        raise NotImplementedError

    def synthesis_text(self, response):
        """What a later arbiter prompt quotes of an answer to one of this format's prompts."""
        return synthesis_text(response)


def synthesis_text(response):
    """What llm-consortium quotes as an arbiter's synthesis in later iterations."""
    # The leftmost <synthesis> that some </synthesis> follows, up to the first
    # of those: when none follows the first opening tag, none follows any.
    opening = SYNTHESIS_OPEN.search(response)
    closing = opening and SYNTHESIS_CLOSE.search(response, opening.end())
    return response[opening.end() : closing.start()].strip() if closing else response


def content_hash(text):
    """A 64-bit hash of a text's UTF-8 bytes, as a signed integer SQLite can index.

    SQL passes `CAST(column AS BLOB)`, the stored bytes, which spares a decode
    and an encode of every response hashed.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)):
        text = str(text)
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
