"""What every llm-consortium release shares, and the hooks a family overrides.

A family is one release line of llm-consortium (0.3, 0.4, 0.5 ...): the
prompts it sends, the order and timing of the rows it logs, the JSON it
stores. The run itself (iterations, arbiter call, output row) is simulated by
``logsim.consortium``, which asks the family at each step where releases
differ. The defaults here are the 0.4 behaviour; a family overrides what it
does differently.

Every hook draws from ``rng`` in a fixed order: the same seed must give the
same database, so a hook must not add, drop or reorder random draws.
"""
from __future__ import annotations

import json
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def template(name: str) -> str:
    """A prompt template copied from a released wheel (bench/templates)."""
    return (TEMPLATES / name).read_text().strip()


def format_history(history) -> str:
    """``<iteration_history>`` of earlier iterations, as all releases write it."""
    if not history:
        return "<no_previous_iterations>No previous iterations available.</no_previous_iterations>"
    out = []
    for i, (responses, s) in enumerate(history, start=1):
        mr = "\n".join(f"<model_response>{r['model']}: {r.get('response', 'Error')}</model_response>"
                       for r in responses)
        areas = "\n                ".join(f"<area>{a}</area>" for a in s["refinement_areas"])
        out.append(f"""<iteration>
            <iteration_number>{i}</iteration_number>
            <model_responses>
                {mr}
            </model_responses>
            <synthesis>{s['synthesis']}</synthesis>
            <confidence>{s['confidence']}</confidence>
            <refinement_areas>
                {areas}
            </refinement_areas>
        </iteration>""")
    return "\n".join(out)


class Family:
    version = ""
    arbiter_template = ""
    # a saved consortium can be a member of another one
    nests = True
    # an arbiter answer without <confidence> raises: the run logs no output row
    can_fail = True
    # the confidence a member gets when its text states none
    default_confidence = 0.5
    # the arbiter prompt numbers the calls of a member (<instance>)
    quotes_instance = True
    # saved configs have "minimum_iterations"
    saves_minimum_iterations = True

    # ---- configuration ---------------------------------------------------
    def config_json(self, cfg) -> str:
        """consortium_configs.config as this release saves it."""
        config = {"models": self.models_used(cfg.members),
                  "system_prompt": cfg.system,
                  "confidence_threshold": cfg.threshold,
                  "max_iterations": cfg.max_iter}
        if self.saves_minimum_iterations:
            config["minimum_iterations"] = 1
        config["arbiter"] = cfg.arbiter
        return json.dumps(config)

    def models_used(self, members):
        """``metadata.models_used`` of the orchestration result."""
        return {m: c for m, c in members}

    def instances(self, members):
        """(model, instance number, error) for each member call of an
        iteration: a member with count n is called n times."""
        return [(m, i + 1, None) for m, c in members for i in range(c)]

    # ---- prompts ---------------------------------------------------------
    def instruction(self, prompt: str, system) -> str:
        """What goes inside the first iteration's ``<instruction>``."""
        return prompt

    def arbiter_prompt(self, original_prompt, formatted_responses,
                       formatted_history, system) -> str:
        return self.arbiter_template.format(
            original_prompt=original_prompt,
            formatted_responses=formatted_responses,
            formatted_history=formatted_history)

    def format_responses(self, responses) -> str:
        """``<model_responses>`` of the arbiter prompt."""
        return "\n".join(self.format_response(r) for r in responses)

    def format_response(self, r) -> str:
        instance = (f"            <instance>{r.get('instance', 1)}</instance>\n"
                    if self.quotes_instance else "")
        # a failed member is quoted as its error
        text = r.get('response', 'Error: ' + r.get('error', 'Unknown error'))
        return (f"<model_response>\n            <model>{r['model']}</model>\n"
                f"{instance}"
                f"            <confidence>{r.get('confidence', 'N/A')}</confidence>\n"
                f"            <response>{text}</response>\n"
                "        </model_response>")

    def next_prompt(self, original_prompt, synthesis, history, areas,
                    system) -> str:
        """The instruction of the next iteration."""
        return ("Refining response for original prompt:\n"
                f"{original_prompt}\n\nPrevious synthesis results:\n"
                f"{json.dumps(synthesis, indent=2)}\n\n"
                f"Previous iteration history:\n{format_history(history)}\n\n"
                "Please provide an improved response that addresses "
                "any issues identified in the previous iterations.")

    # ---- texts -----------------------------------------------------------
    def member_text(self, log, n: int, it: int) -> str:
        return log.answer(n)

    def member_record(self, model, instance, text, confidence) -> dict:
        """A member's entry in the result's ``model_responses``."""
        return {"model": model, "instance": instance, "response": text,
                "confidence": confidence}

    def thought_tag(self, rng) -> str:
        """The tag the arbiter wraps its reasoning in."""
        return rng.choice(("think", "thinking", "think"))

    # ---- timing ----------------------------------------------------------
    def member_id_time(self, rng, start: float, end: float) -> float:
        """When a member row's ULID is minted: after the call returns."""
        return end + rng.uniform(0.0002, 0.002)

    def call_members(self, call, instances, t: float, system, rng):
        """Call the members one after the other, starting at t.

        ``call(instance, start, end, system)`` logs one call and returns
        (record, end). Returns the records in call order and the time after
        the last one."""
        responses = []
        for inst in instances:
            start = t
            dur = rng.uniform(4, 70)
            r, e = call(inst, start, start + dur, system)
            responses.append(r)
            t = e + rng.uniform(0.001, 0.01)
        return responses, t
