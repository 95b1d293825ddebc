"""Judges (git builds from July 2025): prompts that start <pick_one_prompt> or <rank_prompt>.

The judge answers `<winner><response_id>N</response_id></winner>` or a
`<ranking>`; it synthesises nothing. The run has one iteration: the judge is
its final arbiter, its `<model_responses>` are the members, and the output
row's text is the chosen member's text, byte for byte (checked in
sql/parse.sql, since a judge's answer is no synthesis to compare).
"""
from . import blocks
from .reader import Parsed, Quote, Reader


class Judge(Reader):
    name = "judge"
    prefixes = ("<pick_one_prompt>", "<rank_prompt>")

    def sections(self, prompt):
        """(original, responses) as (start, end) offsets into prompt."""
        tag = "pick_one_prompt" if prompt.startswith("<pick_one_prompt>") else "rank_prompt"
        opening = blocks.first(
            rf"^<{tag}>\s*(?:<user_instructions>[\s\S]*?</user_instructions>\s*)?<original_prompt>",
            prompt,
            what=f"<original_prompt> after <{tag}>",
        )
        original_end = blocks.first(r"</original_prompt>\s*<model_responses>", prompt, opening.end())
        responses_end = blocks.last(rf"</model_responses>\s*</{tag}>", prompt, original_end.end())
        return (opening.end(), original_end.start()), (original_end.end(), responses_end.start())

    def original(self, prompt):
        return self.sections(prompt)[0]

    def parse(self, prompt):
        original, responses = self.sections(prompt)
        members = [
            Quote(s, e, iteration=1, position=i, model=m, source="model_responses")
            for i, (m, s, e) in enumerate(blocks.members(prompt, *responses), start=1)
        ]
        return Parsed(self.name, original, 1, members, [], output="member")

    def synthesis_text(self, response):
        # Never quoted as a synthesis: the run ends with the judge.
        return response


reader = Judge()
