"""Shared pieces of the arbiter-prompt templates: delimiter search, member blocks, history.

The member texts inside an arbiter prompt are inserted verbatim, not
XML-escaped: they may hold ``<``, ``&``, even ``</response>``. So no XML
parser: each section is cut out between delimiters that include the
template's own tags around it, searching from the side the template controls.
"""
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
    iterations = []
    chunk_start = start
    for boundary in list(ITERATION_SEPARATOR.finditer(prompt, start, close.start())) + [close]:
        header = ITERATION_HEADER.match(prompt, chunk_start, boundary.start())
        if header is None:
            raise MalformedPrompt("an <iteration> without <iteration_number> and <model_responses>")
        synthesis_end = last(r"</synthesis>\s*<confidence>", prompt, header.end(), boundary.start())
        synthesis_start = last(r"</model_responses>\s*<synthesis>", prompt, header.end(), synthesis_end.start())
        lines = history_lines(prompt, header.end(), synthesis_start.start(), models)
        iterations.append((int(header.group(1)), lines, (synthesis_start.end(), synthesis_end.start())))
        chunk_start = boundary.end()
    return iterations


def history_lines(prompt, start, end, models):
    """`<model_response>M: TEXT</model_response>` lines: [(model, text_start, text_end)]."""
    start, end = strip(prompt, start, end)
    if start == end:
        return []
    names = "|".join(re.escape(model) for model in sorted(models, key=len, reverse=True))
    name = f"(?:{names})" if names else r"[^\n<]+?"
    separator = re.compile(rf"</model_response>\s*(?=<model_response>{name}: )")
    line_prefix = re.compile(rf"({name}): ")
    if not prompt.startswith("<model_response>", start) or not prompt.endswith("</model_response>", start, end):
        raise MalformedPrompt("an iteration's <model_responses> not made of <model_response> lines")
    lines = []
    line_start = start + len("<model_response>")
    bounds = [(m.start(), m.end()) for m in separator.finditer(prompt, start, end)]
    bounds.append((end - len("</model_response>"), end))
    for line_end, next_start in bounds:
        prefix = line_prefix.match(prompt, line_start, line_end)
        if prefix is None:
            raise MalformedPrompt("a history <model_response> without 'model: '")
        lines.append((prefix.group(1), prefix.end(), line_end))
        line_start = next_start + len("<model_response>")
    return lines


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
        quotes += [
            Quote(s, e, iteration=number, position=i, model=m, source="iteration_history")
            for i, (m, s, e) in enumerate(lines, start=1)
        ]
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
