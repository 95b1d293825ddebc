"""Automatic context (git builds from October 2025, the default from 564de05).

The arbiter talks through one llm conversation per run. Its first prompt of
the run is a full <arbiter_prompt> with an empty <iteration_history> (every
prompt is, in the 2fa9235 builds); later ones may be follow-ups that quote
only the new member answers:

    Here are the refined responses from the models:

    <model_response> ... </model_response>

    Please evaluate these new responses based on the original prompt and your previous feedback.

No earlier iteration is quoted (history "conversation"): llm's
conversation_id links them, read from rows proven by content (sql/chain.sql
and analysis.chains). A follow-up has no original prompt of its own.
"""
from . import blocks
from .arbiter_prompt import ArbiterPrompt
from .reader import Parsed, Quote, Reader

FOLLOW_UP = "Here are the refined responses from the models:"
FOLLOW_UP_END = r"Please evaluate these new responses based on the original prompt and your previous feedback\.\s*\Z"


def latest(prompt, responses, iteration=1):
    return [
        Quote(s, e, iteration=iteration, position=i, model=m, source="model_responses")
        for i, (m, s, e) in enumerate(blocks.members(prompt, *responses), start=1)
    ]


class FirstPrompt(ArbiterPrompt):
    """An <arbiter_prompt> with an empty <iteration_history>."""

    name = "auto_context"

    def recognises(self, prompt):
        """Needs the whole prompt: its history is empty, not <no_previous_iterations>."""
        span = self.history_span(prompt)
        return span is not None and span[0] == span[1]

    def parse(self, prompt):
        original, responses, _ = self.sections(prompt)
        return Parsed(self.name, original, 1, latest(prompt, responses), [], history="conversation")


class FollowUp(Reader):
    name = "auto_context_follow_up"
    prefixes = (FOLLOW_UP,)

    def original(self, prompt):
        return None

    def parse(self, prompt):
        end = blocks.first(FOLLOW_UP_END, prompt, len(FOLLOW_UP), what="closing 'Please evaluate these new responses'")
        return Parsed(
            self.name,
            None,
            # Any count will do: a follow-up is never a run's first iteration, and the
            # conversation's chain sets the real count (chains.set_iterations).
            1,  # pragma: no mutate
            latest(prompt, (len(FOLLOW_UP), end.start())),
            [],
            history="conversation",
        )


first_prompt = FirstPrompt()
follow_up = FollowUp()
