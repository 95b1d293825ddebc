"""What every prompt-format reader is and returns.

A reader recognises the arbiter prompts of one llm-consortium format family
and reports what they quote as offsets, never copies, so that SQL can compare
a quote in place with ``substr(prompt, start, length)``.
"""
import dataclasses
import json
import re
import typing

# llm-consortium reads a synthesis with re.search(r"<synthesis>([\s\S]*?)</synthesis>", re.I).
# That search is quadratic on an answer of many unclosed <synthesis> tags; the
# same match is found here in linear time (see synthesis_text).
SYNTHESIS_OPEN = re.compile(r"<synthesis>", re.IGNORECASE)
SYNTHESIS_CLOSE = re.compile(r"</synthesis>", re.IGNORECASE)


class MalformedPrompt(ValueError):
    pass


class Quote(typing.NamedTuple):
    """One quoted text: prompt[start:end], 0-based, as Python slices take them.

    A tuple: QuotesJSON reads its fields in order, and where a dense prompt
    quotes hundreds of thousands of texts, a plain tuple of them serves too.
    """

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
    members: list  # [Quote, or a tuple of its fields]: member answers, earlier iterations first
    syntheses: list  # [Quote]: earlier arbiters' answers, as this prompt quotes them
    # What the prompt shows of earlier iterations: "quoted" (their members and
    # syntheses), "syntheses" (only their syntheses: each earlier arbiter's own
    # prompt quotes its members), "conversation" (nothing: llm's conversation
    # chain of the arbiter links them, see sql/chain.sql).
    history: str = "quoted"
    # What the run's output row says: the final arbiter's "synthesis", or, for
    # a judge, the chosen "member" answer itself.
    output: str = "synthesis"

    def as_json(self, prompt):
        """JSON text: each quote's 1-based start and length, as SQLite's substr() takes them, and its content hash."""
        write = QuotesJSON(prompt)
        original = write([Quote(*self.original_prompt)]) if self.original_prompt else "null"
        return (
            f'{{"format": {json.dumps(self.format)}, "original_prompt": {original}, '
            f'"iterations": {json.dumps(self.iterations)}, '
            f'"members": [{write(self.members)}], "syntheses": [{write(self.syntheses)}], '
            f'"history": {json.dumps(self.history)}, "output": {json.dumps(self.output)}}}'
        )


class QuotesJSON:
    """Quotes of one prompt as JSON objects, comma-separated, as json.dumps would write them.

    Written out here, not by json.dumps of a dict per quote: a dense prompt
    quotes hundreds of thousands of texts, and the dicts cost more than the
    rest of the parse.
    """

    def __init__(self, prompt):
        self.prompt = prompt
        # An ASCII prompt's character offsets are byte offsets: hash slices of one encoding.
        self.data = prompt.encode("ascii") if prompt.isascii() else None

    def hashes(self, quotes):
        """content_hash(prompt[start:end]) of each quote."""
        text = self.prompt if self.data is None else self.data
        return [content_hash(text[quote[0] : quote[1]]) for quote in quotes]

    def __call__(self, quotes):
        # What the quotes of one source and iteration, and of one model, share:
        # written once. A quote's iteration and position are whole numbers.
        heads, models = {}, {}
        for _, _, iteration, _, model, source in quotes:
            if iteration is not None and (source, iteration) not in heads:
                heads[source, iteration] = f'{{"source": {json.dumps(source)}, "iteration": {iteration}, "position": '
            if model not in models:
                models[model] = f', "model": {json.dumps(model)}, "start": '
        return ", ".join([
            f'{heads[source, iteration]}{position}{models[model]}{start + 1}, "length": {end - start}, "hash": {hash}}}'
            if iteration is not None else f'{{"start": {start + 1}, "length": {end - start}, "hash": {hash}}}'
            for (start, end, iteration, position, model, source), hash in zip(quotes, self.hashes(quotes))
        ])


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

    Python's own hash of the bytes (SipHash): the same for the same bytes
    within one process, which is as long as any hash lives (the temp tables of
    one command), and a tenth of the cost of a hashlib digest, which counts
    when a dense prompt quotes hundreds of thousands of texts.

    SQL passes `CAST(column AS BLOB)`, the stored bytes, which spares a decode
    and an encode of every response hashed.
    """
    if isinstance(text, bytes):
        return hash(text)
    if text is None:
        return None
    if isinstance(text, (str, int, float)):
        text = str(text).encode("utf-8", "surrogatepass")
    return hash(bytes(text))
