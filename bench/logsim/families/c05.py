"""llm-consortium 0.5: members called in parallel threads and logged as they
finish; the consortium's system prompt goes into the instruction and
``<user_instructions>`` (members get none); a model with count n is the
literal ``model:n``, which fails; later iterations use the 0.5 iteration
prompt, and members often answer in its ``<updated_response>`` shape."""
from __future__ import annotations

import json

from .base import Family, template

ITERATION_TEMPLATE = template("iteration_prompt-0.5.txt")


class C05(Family):
    version = "0.5"
    arbiter_template = template("arbiter_prompt-0.5.xml")
    default_confidence = 0.0

    def instances(self, members):
        return [(m if c == 1 else f"{m}:{c}", 1,
                 None if c == 1 else "Unknown model") for m, c in members]

    def instruction(self, prompt: str, system) -> str:
        if not system:
            return prompt
        return f"[SYSTEM INSTRUCTIONS]\n{system}\n[/SYSTEM INSTRUCTIONS]\n\n{prompt}"

    def arbiter_prompt(self, original_prompt, formatted_responses,
                       formatted_history, system) -> str:
        return self.arbiter_template.format(
            original_prompt=original_prompt,
            formatted_responses=formatted_responses,
            formatted_history=formatted_history,
            user_instructions=system or "")

    def next_prompt(self, original_prompt, synthesis, history, areas,
                    system) -> str:
        fs = {k: synthesis[k] for k in ("synthesis", "confidence", "analysis",
                                        "dissent", "needs_iteration",
                                        "refinement_areas")}
        return ITERATION_TEMPLATE.format(
            original_prompt=original_prompt,
            previous_synthesis=json.dumps(fs, indent=2),
            user_instructions=system or "",
            refinement_areas="\n".join(areas))

    def member_text(self, log, n: int, it: int) -> str:
        rng = log.rng
        if it > 0 and rng.random() < 0.7:
            c = round(rng.uniform(0.7, 0.97), 2)
            return ("<problem_breakdown>\n" + log.corpus.text_of(rng, n // 4) +
                    "\n</problem_breakdown>\n\n<updated_response>\n" +
                    log.answer(n) + "\n</updated_response>\n\n<confidence>\n"
                    f"{c}\n</confidence>")
        return log.answer(n)

    def member_record(self, model, instance, text, confidence) -> dict:
        return {"model": model, "instance": instance, "response": text,
                "confidence": confidence, "conversation_id": None}

    def call_members(self, call, instances, t: float, system, rng):
        # threads start 1.5 ms apart; rows are logged in the order calls end
        order = list(range(len(instances)))
        rng.shuffle(order)   # as_completed order
        starts = [t + 0.0015 * i for i in range(len(instances))]
        durs = [rng.uniform(4, 70) for _ in instances]
        by_end = sorted(order, key=lambda i: starts[i] + durs[i])
        responses, ends = [], []
        for i in by_end:
            r, e = call(instances[i], starts[i], starts[i] + durs[i], None)
            responses.append(r)
            ends.append(e)
        return responses, max(ends) + rng.uniform(0.0002, 0.004)


FAMILY = C05()
