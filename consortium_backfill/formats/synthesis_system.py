"""llm-consortium 0.1 and 0.2: prompts that start "You are an advanced AI synthesis system".

History first, then the members' answers, then the original prompt.
"""
from . import blocks


class SynthesisSystem(blocks.SectionsReader):
    name = "synthesis_system"
    prefixes = ("You are an advanced AI synthesis system",)

    def sections(self, prompt):
        """(original, responses, history) as (start, end) offsets into prompt."""
        history_start = blocks.first(r"<iteration_history>", prompt)
        history_end = blocks.first(
            r"</iteration_history>\s*Here are the model responses to be analyzed:\s*<model_responses>",
            prompt,
            # Only the template's own words come before the history: searching from 0 finds the same.
            history_start.end(),  # pragma: no mutate
        )
        original_end = blocks.last(r"</original_prompt>\s*Please follow these steps", prompt, history_end.end())
        responses_end = blocks.last(
            r"</model_responses>\s*Here is the original prompt that generated the responses:\s*<original_prompt>",
            prompt,
            history_end.end(),
            # Only the template's own words follow the original prompt: no end finds the same.
            original_end.start(),  # pragma: no mutate
        )
        original = (responses_end.end(), original_end.start())
        # This template puts the original prompt on lines of its own.
        if prompt.startswith("\n", original[0]):
            original = (original[0] + 1, original[1])
        if prompt.endswith("\n", original[0], original[1]):
            original = (original[0], original[1] - 1)
        return original, (history_end.end(), responses_end.start()), (history_start.end(), history_end.start())


reader = SynthesisSystem()
