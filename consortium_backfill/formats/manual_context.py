"""Manual context (git builds from October 2025, `--manual-context`).

An <arbiter_prompt> whose <iteration_history> is plain text, one pair per
earlier iteration: `Human: {that iteration's prompt}\\n\\nAssistant:
{its synthesis}`. Only the syntheses of earlier iterations are quoted: each
earlier arbiter's own prompt quotes its members (history "syntheses").
"""
import re

from .arbiter_prompt import ArbiterPrompt
from .reader import MalformedPrompt, Parsed, Quote
from . import blocks

ASSISTANT = re.compile(r"\n\nAssistant: ")
HUMAN = re.compile(r"\n\nHuman: ")


class ManualContext(ArbiterPrompt):
    name = "manual_context"

    def recognises(self, prompt):
        """Needs the whole prompt: its history starts `Human: `."""
        span = self.history_span(prompt)
        return span is not None and prompt.startswith("Human: ", *span)

    def parse(self, prompt):
        original, responses, history = self.sections(prompt)
        syntheses = [
            Quote(s, e, iteration=number, position=1, source="iteration_history")
            for number, (s, e) in enumerate(assistant_turns(prompt, *history), start=1)
        ]
        iteration = len(syntheses) + 1
        members = [
            Quote(s, e, iteration=iteration, position=i, model=m, source="model_responses")
            for i, (m, s, e) in enumerate(blocks.members(prompt, *responses), start=1)
        ]
        return Parsed(self.name, original, iteration, members, syntheses, history="syntheses")


def assistant_turns(prompt, start, end):
    """(start, end) of each `Assistant: ` text: up to the next `\\n\\nHuman: `."""
    start, end = blocks.strip(prompt, start, end)
    turns = []
    for match in ASSISTANT.finditer(prompt, start, end):
        following = HUMAN.search(prompt, match.end(), end)
        turns.append((match.end(), following.start() if following else end))
    if not turns:
        raise MalformedPrompt("a `Human:` history without `Assistant:`")
    return turns


reader = ManualContext()
