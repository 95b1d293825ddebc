"""llm-consortium 0.3: members called one by one, each row's id minted at the
start of its call; no ``<instance>``, a list of models, no nesting; an
arbiter answer without ``<confidence>`` does not fail the run."""
from __future__ import annotations

from .base import Family, template


class C03(Family):
    version = "0.3"
    arbiter_template = template("arbiter_prompt-0.3.xml")
    nests = False
    can_fail = False
    quotes_instance = False
    saves_minimum_iterations = False

    def models_used(self, members):
        return [m for m, _ in members]

    def instances(self, members):
        # a model listed once is called once, whatever its count
        return [(m, 1, None) for m, _ in members]

    def member_record(self, model, instance, text, confidence) -> dict:
        return {"model": model, "response": text, "confidence": confidence}

    def thought_tag(self, rng) -> str:
        return "thought_process"

    def member_id_time(self, rng, start: float, end: float) -> float:
        # llm logs the row before reading the streamed text
        return start - 0.0008


FAMILY = C03()
