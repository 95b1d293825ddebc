"""llm-consortium 0.3, 0.4 and 0.5: prompts that start <arbiter_prompt>.

Original prompt, then the members' answers, then the history of earlier iterations.
"""
import re

from . import blocks
from .reader import MalformedPrompt

ORIGINAL_END = re.compile(r"</original_prompt>\s*<model_responses>")
HISTORY_END = "</iteration_history>"

# The prompt sections() was last asked about, its sections and the error they
# raised: [prompt, sections, error].
_last = [None, None, None]


class ArbiterPrompt(blocks.SectionsReader):
    name = "arbiter_prompt"
    prefixes = ("<arbiter_prompt>",)

    def sections(self, prompt):
        """(original, responses, history) as (start, end) offsets into prompt; raises MalformedPrompt.

        One prompt is asked about three times in a row: manual and automatic
        context tell theirs apart by its history, then the reader that took it
        reads it. They all inherit this method, so the sections are found once
        and kept for the prompt last asked about (held here, so that no other
        text can take its id).
        """
        if prompt is not _last[0]:
            try:
                _last[:] = [prompt, self.find_sections(prompt), None]
            except MalformedPrompt as error:
                _last[:] = [prompt, None, str(error)]
        if _last[2] is not None:
            raise MalformedPrompt(_last[2])
        return _last[1]

    def find_sections(self, prompt):
        opening = blocks.first(
            r"^<arbiter_prompt>\s*(?:<user_instructions>[\s\S]*?</user_instructions>\s*)?<original_prompt>",
            prompt,
            what="<original_prompt> after <arbiter_prompt>",
        )
        original_end = self.original_end(prompt, opening.end())
        history_end = blocks.last(HISTORY_END + r"\s*</arbiter_prompt>", prompt, original_end.end())
        responses_end = blocks.last(
            r"</model_responses>\s*<iteration_history>", prompt, original_end.end(), history_end.start()
        )
        return (
            (opening.end(), original_end.start()),
            (original_end.end(), responses_end.start()),
            (responses_end.end(), history_end.start()),
        )

    @staticmethod
    def original_end(prompt, start):
        """Where the original prompt ends: the first `</original_prompt><model_responses>`
        after which the original holds as many <original_prompt> as </original_prompt>.

        The original prompt can itself be a whole arbiter prompt (a consortium
        used as another's arbiter), with a `</original_prompt><model_responses>`
        of its own: the nested tags balance, so the search goes on past them.
        """
        # The tags are counted between one delimiter and the next, never
        # again from the start: a prompt of many delimiters stays linear.
        opened = closed = 0
        counted_to = start
        for match in ORIGINAL_END.finditer(prompt, start):
            opened += prompt.count("<original_prompt>", counted_to, match.start())
            closed += prompt.count("</original_prompt>", counted_to, match.start())
            counted_to = match.start()
            if opened == closed:
                return match
        return blocks.first(ORIGINAL_END.pattern, prompt, start)


    def history_span(self, prompt):
        """(start, end) of what <iteration_history> holds, white space around it
        left out; None for a head or a prompt this template cannot read.

        Readers that narrow this one (manual and automatic context) tell their
        prompts apart by it: same prefix, another history."""
        # A prompt with no end of a history, such as the head SQL passes to
        # arbiter_format(), is told apart without a search for its sections.
        if not ArbiterPrompt.recognises(self, prompt) or HISTORY_END not in prompt:
            return None
        try:
            return blocks.strip(prompt, *self.sections(prompt)[2])
        except MalformedPrompt:
            return None


reader = ArbiterPrompt()
