"""Read what an llm-consortium arbiter prompt quotes.

The member texts inside an arbiter prompt are inserted verbatim, not
XML-escaped: they may hold ``<``, ``&``, even ``</response>``. So no XML
parser: each section is cut out between delimiters that include the
template's own tags around it, searching from the side the template controls.
Offsets are returned instead of copies so that SQL can compare the quoted
text in place with ``substr(prompt, start, length)``.
"""
import hashlib
import json
import re

ARBITER_PROMPT = "<arbiter_prompt>"  # llm-consortium 0.3 and later
SYNTHESIS_SYSTEM = "You are an advanced AI synthesis system"  # 0.1 and 0.2
PREFIX_LENGTH = max(len(ARBITER_PROMPT), len(SYNTHESIS_SYSTEM))

# The regular expression llm-consortium itself uses to read a synthesis.
SYNTHESIS = re.compile(r"<synthesis>([\s\S]*?)</synthesis>", re.IGNORECASE)


class MalformedPrompt(ValueError):
    pass


def arbiter_format(prompt):
    """'arbiter_prompt', 'synthesis_system', or None for any other prompt."""
    if prompt is None:
        return None
    if prompt.startswith(ARBITER_PROMPT):
        return "arbiter_prompt"
    if prompt.startswith(SYNTHESIS_SYSTEM):
        return "synthesis_system"
    return None


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


def synthesis_text(response):
    """What llm-consortium quotes as this arbiter's synthesis in later iterations."""
    if response is None:
        return None
    match = SYNTHESIS.search(response)
    return match.group(1).strip() if match else response


def _first(pattern, text, start=0, end=None, what=None):
    match = re.compile(pattern).search(text, start, len(text) if end is None else end)
    if match is None:
        raise MalformedPrompt(f"no {what or _tags(pattern)}")
    return match


def _last(pattern, text, start=0, end=None):
    """The last match of a delimiter pattern, found from the end: each pattern
    starts with a literal tag, so str.rfind finds the places worth trying."""
    end = len(text) if end is None else end
    compiled = re.compile(pattern)
    literal = re.match(r"</?[A-Za-z_]+>", pattern).group()
    position = end
    while True:
        position = text.rfind(literal, start, position)
        if position < 0:
            raise MalformedPrompt(f"no {_tags(pattern)}")
        match = compiled.match(text, position, end)
        if match:
            return match


def _tags(pattern):
    """The tags a delimiter pattern looks for, to name it in an error."""
    return "".join(re.findall(r"</?[a-z_]+>", pattern)) or pattern


def _sections(prompt, fmt):
    """(original, responses, history) as (start, end) offsets into prompt."""
    if fmt == "arbiter_prompt":
        opening = _first(
            r"^<arbiter_prompt>\s*(?:<user_instructions>[\s\S]*?</user_instructions>\s*)?<original_prompt>",
            prompt,
            what="<original_prompt> after <arbiter_prompt>",
        )
        original_end = _first(r"</original_prompt>\s*<model_responses>", prompt, opening.end())
        history_end = _last(r"</iteration_history>\s*</arbiter_prompt>", prompt, original_end.end())
        responses_end = _last(
            r"</model_responses>\s*<iteration_history>", prompt, original_end.end(), history_end.start()
        )
        return (
            (opening.end(), original_end.start()),
            (original_end.end(), responses_end.start()),
            (responses_end.end(), history_end.start()),
        )
    history_start = _first(r"<iteration_history>", prompt)
    history_end = _first(
        r"</iteration_history>\s*Here are the model responses to be analyzed:\s*<model_responses>",
        prompt,
        history_start.end(),
    )
    original_end = _last(r"</original_prompt>\s*Please follow these steps", prompt, history_end.end())
    responses_end = _last(
        r"</model_responses>\s*Here is the original prompt that generated the responses:\s*<original_prompt>",
        prompt,
        history_end.end(),
        original_end.start(),
    )
    original = (responses_end.end(), original_end.start())
    # This template puts the original prompt on lines of its own.
    if prompt.startswith("\n", original[0]):
        original = (original[0] + 1, original[1])
    if prompt.endswith("\n", original[0], original[1]):
        original = (original[0], original[1] - 1)
    return original, (history_end.end(), responses_end.start()), (history_start.end(), history_end.start())


def _strip(prompt, start, end):
    """Shrink (start, end) past the template's white space around a section."""
    while start < end and prompt[start].isspace():
        start += 1
    while end > start and prompt[end - 1].isspace():
        end -= 1
    return start, end


MEMBER_HEADER = re.compile(
    r"<model_response>\s*<model>([\s\S]*?)</model>\s*"
    r"(?:<instance>\s*(\d+)\s*</instance>\s*)?"
    r"<confidence>[\s\S]*?</confidence>\s*<response>"
)
MEMBER_SEPARATOR = re.compile(r"</response>\s*</model_response>\s*(?=<model_response>\s*<model>)")
MEMBER_CLOSE = re.compile(r"</response>\s*</model_response>\Z")


def _members(prompt, start, end):
    """Member blocks of <model_responses>: [(model, text_start, text_end)]."""
    start, end = _strip(prompt, start, end)
    if start == end:
        return []
    close = MEMBER_CLOSE.search(prompt, start, end)
    if close is None:
        raise MalformedPrompt("no </response></model_response> closing <model_responses>")
    members = []
    block_start = start
    separators = list(MEMBER_SEPARATOR.finditer(prompt, start, close.start()))
    for boundary in separators + [close]:
        header = MEMBER_HEADER.match(prompt, block_start, boundary.start())
        if header is None:
            raise MalformedPrompt("a <model_response> without <model>, <confidence> and <response>")
        members.append((header.group(1), header.end(), boundary.start()))
        block_start = boundary.end()
    return members


ITERATION_SEPARATOR = re.compile(r"</iteration>\s*(?=<iteration>\s*<iteration_number>)")
ITERATION_HEADER = re.compile(
    r"<iteration>\s*<iteration_number>\s*(\d+)\s*</iteration_number>\s*<model_responses>"
)


def _history(prompt, start, end, models):
    """Earlier iterations: [(number, [(model, text_start, text_end)], (synthesis_start, synthesis_end))]."""
    start, end = _strip(prompt, start, end)
    if start == end or prompt.startswith("<no_previous_iterations>", start):
        return []
    close = _last(r"</iteration>\Z", prompt, start, end)
    iterations = []
    chunk_start = start
    for boundary in list(ITERATION_SEPARATOR.finditer(prompt, start, close.start())) + [close]:
        header = ITERATION_HEADER.match(prompt, chunk_start, boundary.start())
        if header is None:
            raise MalformedPrompt("an <iteration> without <iteration_number> and <model_responses>")
        synthesis_end = _last(r"</synthesis>\s*<confidence>", prompt, header.end(), boundary.start())
        synthesis_start = _last(r"</model_responses>\s*<synthesis>", prompt, header.end(), synthesis_end.start())
        lines = _history_lines(prompt, header.end(), synthesis_start.start(), models)
        iterations.append(
            (int(header.group(1)), lines, (synthesis_start.end(), synthesis_end.start()))
        )
        chunk_start = boundary.end()
    return iterations


def _history_lines(prompt, start, end, models):
    """`<model_response>M: TEXT</model_response>` lines: [(model, text_start, text_end)]."""
    start, end = _strip(prompt, start, end)
    if start == end:
        return []
    names = "|".join(re.escape(model) for model in sorted(models, key=len, reverse=True))
    name = f"(?:{names})" if names else r"[^\n<]+?"
    separator = re.compile(rf"</model_response>\s*(?=<model_response>{name}: )")
    if not prompt.startswith("<model_response>", start) or not prompt.endswith("</model_response>", start, end):
        raise MalformedPrompt("an iteration's <model_responses> not made of <model_response> lines")
    lines = []
    line_start = start + len("<model_response>")
    bounds = [(m.start(), m.end()) for m in separator.finditer(prompt, start, end)]
    bounds.append((end - len("</model_response>"), end))
    for line_end, next_start in bounds:
        prefix = re.compile(rf"({name}): ").match(prompt, line_start, line_end)
        if prefix is None:
            raise MalformedPrompt("a history <model_response> without 'model: '")
        lines.append((prefix.group(1), prefix.end(), line_end))
        line_start = next_start + len("<model_response>")
    return lines


def original_prompt(prompt):
    """The <original_prompt> an arbiter prompt was asked about, or None."""
    fmt = arbiter_format(prompt)
    if fmt is None:
        return None
    try:
        (start, end), _, _ = _sections(prompt, fmt)
    except MalformedPrompt:
        return None
    return prompt[start:end]


def parse(prompt):
    """Everything an arbiter prompt quotes, as a dict of offsets and hashes.

    Offsets are 1-based ``start`` and ``length``, as SQLite's ``substr()`` takes them.
    Raises MalformedPrompt naming what is missing.
    """
    fmt = arbiter_format(prompt)
    if fmt is None:
        raise MalformedPrompt("not an arbiter prompt")
    original, responses, history = _sections(prompt, fmt)
    members = _members(prompt, *responses)
    iterations = _history(prompt, *history, models={model for model, _, _ in members})
    final_iteration = max([number for number, _, _ in iterations] + [len(iterations)]) + 1

    def span(start, end, **extra):
        text = prompt[start:end]
        return dict(extra, start=start + 1, length=end - start, hash=content_hash(text))

    quoted = []
    syntheses = []
    for number, lines, synthesis in iterations:
        quoted += [
            span(s, e, iteration=number, position=i, model=m, source="iteration_history")
            for i, (m, s, e) in enumerate(lines, start=1)
        ]
        syntheses.append(span(*synthesis, iteration=number, position=1, model=None, source="iteration_history"))
    quoted += [
        span(s, e, iteration=final_iteration, position=i, model=m, source="model_responses")
        for i, (m, s, e) in enumerate(members, start=1)
    ]
    return {
        "format": fmt,
        "original_prompt": span(*original),
        "iterations": final_iteration,
        "members": quoted,
        "syntheses": syntheses,
    }


def parse_json(prompt):
    """parse() for SQL: JSON text, or {"error": ...} for a prompt that cannot be read."""
    try:
        return json.dumps(parse(prompt))
    except MalformedPrompt as error:
        return json.dumps({"error": str(error)})
    except (ValueError, TypeError, RecursionError) as error:
        return json.dumps({"error": f"unreadable ({type(error).__name__}: {error})"})
