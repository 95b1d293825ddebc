"""Shared pieces of the arbiter-prompt templates: delimiter search, member blocks, history.

The member texts inside an arbiter prompt are inserted verbatim, not
XML-escaped: they may hold ``<``, ``&``, even ``</response>``. So no XML
parser: each section is cut out between delimiters that include the
template's own tags around it, searching from the side the template controls.
"""
import functools
import re

from .reader import MalformedPrompt, Parsed, Quote, Reader


def first(pattern, text, start=0, end=None, what=None):
    match = re.compile(pattern).search(text, start, len(text) if end is None else end)
    if match is None:
        raise MalformedPrompt(f"no {what or tags(pattern)}")
    return match


def last(pattern, text, start=0, end=None):
    """The last match of a delimiter pattern, found from the end: each pattern
    starts with a literal tag, so str.rfind finds the places worth trying."""
    end = len(text) if end is None else end
    compiled = re.compile(pattern)
    literal = re.match(r"</?[A-Za-z_]+>", pattern).group()
    position = end
    while True:
        position = text.rfind(literal, start, position)
        if position < 0:
            raise MalformedPrompt(f"no {tags(pattern)}")
        match = compiled.match(text, position, end)
        if match:
            return match


def tags(pattern):
    """The tags a delimiter pattern looks for, to name it in an error."""
    return "".join(re.findall(r"</?[a-z_]+>", pattern)) or pattern


def strip(prompt, start, end):
    """Shrink (start, end) past the template's white space around a section."""
    while start < end and prompt[start].isspace():
        start += 1
    while end > start and prompt[end - 1].isspace():
        end -= 1
    return start, end


# Atomic groups (?>...): a block's <model> and <confidence> end at their first
# closing tag. Without them a malformed block of many "</model><confidence>"
# makes the match try every pair of closing tags: quadratic.
# Git builds from July 2025 number each block: <id>N</id> before <model>.
MEMBER_HEADER = re.compile(
    r"<model_response>\s*(?:<id>\s*\d+\s*</id>\s*)?<model>(?>([\s\S]*?)</model>)\s*"
    r"(?:<instance>\s*(\d+)\s*</instance>\s*)?"
    r"<confidence>(?>[\s\S]*?</confidence>)\s*<response>"
)
MEMBER_SEPARATOR = re.compile(
    r"</response>\s*</model_response>\s*(?=<model_response>\s*(?:<id>\s*\d+\s*</id>\s*)?<model>)"
)
MEMBER_CLOSE = re.compile(r"</response>\s*</model_response>\Z")


def members(prompt, start, end, header=MEMBER_HEADER):
    """Member blocks of <model_responses>: [(model, text_start, text_end)].

    header: the pattern of a block up to its <response>, group 1 the model.
    """
    start, end = strip(prompt, start, end)
    if start == end:
        return []
    close = MEMBER_CLOSE.search(prompt, start, end)
    if close is None:
        raise MalformedPrompt("no </response></model_response> closing <model_responses>")
    found = []
    block_start = start
    separators = list(MEMBER_SEPARATOR.finditer(prompt, start, close.start()))
    for boundary in separators + [close]:
        match = header.match(prompt, block_start, boundary.start())
        if match is None:
            raise MalformedPrompt("a <model_response> without <model>, <confidence> and <response>")
        found.append((match.group(1), match.end(), boundary.start()))
        block_start = boundary.end()
    return found


ITERATION_SEPARATOR = re.compile(r"</iteration>\s*(?=<iteration>\s*<iteration_number>)")
ITERATION_HEADER = re.compile(
    r"<iteration>\s*<iteration_number>\s*(\d+)\s*</iteration_number>\s*<model_responses>"
)


def history(prompt, start, end, models):
    """Earlier iterations: [(number, [(model, text_start, text_end)], (synthesis_start, synthesis_end))]."""
    start, end = strip(prompt, start, end)
    if start == end or prompt.startswith("<no_previous_iterations>", start):
        return []
    close = last(r"</iteration>\Z", prompt, start, end)
    read_lines = line_reader(models)
    iterations = []
    chunk_start = start
    for boundary in list(ITERATION_SEPARATOR.finditer(prompt, start, close.start())) + [close]:
        header = ITERATION_HEADER.match(prompt, chunk_start, boundary.start())
        if header is None:
            raise MalformedPrompt("an <iteration> without <iteration_number> and <model_responses>")
        synthesis_end = last(r"</synthesis>\s*<confidence>", prompt, header.end(), boundary.start())
        synthesis_start = last(r"</model_responses>\s*<synthesis>", prompt, header.end(), synthesis_end.start())
        lines = history_lines(prompt, header.end(), synthesis_start.start(), read_lines)
        iterations.append((int(header.group(1)), lines, (synthesis_start.end(), synthesis_end.start())))
        chunk_start = boundary.end()
    return iterations


LINE_OPEN = "<model_response>"
LINE_CLOSE = "</model_response>"
# A line's model is the longest name of the latest iteration's models that
# `: ` follows; any text up to `: ` when there are no names.
#
# Names without `: `, a newline or `<` (all real ones) can only be the text up
# to the line's first `: `: one regular expression finds each separator with
# the next line's model (group 1), `+?` when there are no names to go by.
PLAIN_SEPARATOR = re.compile(r"</model_response>\s*<model_response>([^\n<]*?): ")
ANY_SEPARATOR = re.compile(r"</model_response>\s*<model_response>([^\n<]+?): ")
PLAIN_MODEL = re.compile(r"([^\n<]*?): ")
ANY_MODEL = re.compile(r"([^\n<]+?): ")
# Other names are looked up at each place a line may start (see model_end).
LINE_SEPARATOR = re.compile(r"</model_response>\s*(?=<model_response>)")


def history_lines(prompt, start, end, read):
    """`<model_response>M: TEXT</model_response>` lines: [(model, text_start, text_end)].

    read: line_reader(the latest iteration's models), one for every iteration.
    """
    start, end = strip(prompt, start, end)
    if start == end:
        return []
    if not prompt.startswith(LINE_OPEN, start) or not prompt.endswith(LINE_CLOSE, start, end):
        raise MalformedPrompt("an iteration's <model_responses> not made of <model_response> lines")
    return read(prompt, start + len(LINE_OPEN), end)


def line_reader(models):
    """How to read the lines of an iteration for these models: read(prompt, first line's text start, end)."""
    names = set(models)
    if not any(names):
        return functools.partial(plain_lines, model=ANY_MODEL, separator=ANY_SEPARATOR, names=None)
    if not any(": " in name or "\n" in name or "<" in name for name in names):
        return functools.partial(plain_lines, model=PLAIN_MODEL, separator=PLAIN_SEPARATOR, names=names)
    return functools.partial(named_lines, names=names)


def plain_lines(prompt, line_start, end, model, separator, names):
    """history_lines when a model is the text up to the line's first `: ` (names: those allowed, or None for any).

    The model can hold no `<`, so it never runs past its line's end."""
    first = model.match(prompt, line_start, end)
    if first is None or (names is not None and first.group(1) not in names):
        raise MalformedPrompt("a history <model_response> without 'model: '")
    lines = []
    name, text_start = first.group(1), first.end()
    for match in separator.finditer(prompt, line_start, end):
        next_name = match.group(1)
        if names is None or next_name in names:
            lines.append((name, text_start, match.start()))
            name, text_start = next_name, match.end()
    lines.append((name, text_start, end - len(LINE_CLOSE)))
    return lines


def named_lines(prompt, line_start, end, names):
    """history_lines for names that may hold `: `, a newline or `<`: each looked up, longest first."""
    longest = max(map(len, names))
    inner = max(name.count(": ") for name in names)
    # (line end, next line's start, where its model ends as seen from the separator)
    bounds = []
    for match in LINE_SEPARATOR.finditer(prompt, line_start, end):
        next_start = match.end() + len(LINE_OPEN)
        name_end = model_end(prompt, next_start, end, names, longest, inner)
        if name_end >= 0:
            bounds.append((match.start(), next_start, name_end))
    bounds.append((end - len(LINE_CLOSE), None, None))
    lines = []
    name_end = -1
    for line_end, next_start, next_name_end in bounds:
        if name_end < 0 or name_end + 2 > line_end:
            # Not seen yet, or past this line's end: look within the line.
            name_end = model_end(prompt, line_start, line_end, names, longest, inner)
            if name_end < 0:
                raise MalformedPrompt("a history <model_response> without 'model: '")
        lines.append((prompt[line_start:name_end], name_end + 2, line_end))
        line_start, name_end = next_start, next_name_end
    return lines


def model_end(prompt, position, bound, names, longest, inner):
    """Where the longest of names that `: ` follows at position ends, within bound; -1 for none.

    longest: the longest name's length; inner: the most `: ` a name holds.
    A name that holds k of them ends at the (k+1)th `: ` from position: the
    few places worth a look are found with str.find, never name by name.
    """
    found = -1
    limit = min(bound, position + longest + 2)
    colon = prompt.find(": ", position, limit)
    for _ in range(inner + 1):
        if colon < 0:
            break
        if prompt[position:colon] in names:
            found = colon
        colon = prompt.find(": ", colon + 2, limit)
    return found


def quoted(name, prompt, original, responses, history_span):
    """Parsed for a template with <model_responses> and an <iteration_history> of <iteration> blocks.

    original, responses, history_span: (start, end) of each section.
    """
    latest = members(prompt, *responses)
    earlier = history(prompt, *history_span, models={model for model, _, _ in latest})
    final_iteration = max([number for number, _, _ in earlier] + [len(earlier)]) + 1
    quotes = []
    syntheses = []
    for number, lines, synthesis in earlier:
        # Plain tuples of a Quote's fields: a dense history quotes hundreds of
        # thousands of lines, and a tuple costs a fifth of a Quote.
        quotes += [(s, e, number, i, m, "iteration_history") for i, (m, s, e) in enumerate(lines, start=1)]
        syntheses.append(Quote(*synthesis, iteration=number, position=1, model=None, source="iteration_history"))
    quotes += [
        Quote(s, e, iteration=final_iteration, position=i, model=m, source="model_responses")
        for i, (m, s, e) in enumerate(latest, start=1)
    ]
    return Parsed(name, original, final_iteration, quotes, syntheses)


class SectionsReader(Reader):
    """A template of three sections: the original prompt, <model_responses> of member
    blocks, and an <iteration_history> of <iteration> blocks. Subclasses say where
    each section is, in sections(prompt)."""

    def sections(self, prompt):
        """(original, responses, history) as (start, end) offsets into prompt."""
        raise NotImplementedError

    def original(self, prompt):
        return self.sections(prompt)[0]

    def parse(self, prompt):
        return quoted(self.name, prompt, *self.sections(prompt))
