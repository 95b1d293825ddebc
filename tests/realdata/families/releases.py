"""Format family: the PyPI releases llm-consortium 0.3, 0.4 and 0.5.

Arbiter prompts start `<arbiter_prompt>` (0.3-0.5) or "You are an advanced AI
synthesis system" (0.1/0.2); every later arbiter quotes the earlier iterations
in `<iteration_history>`; the output row's text is the final arbiter's
`<synthesis>`. FORMATS.md has the details.
"""

import re

from recorder import Recorder

COMBOS = {
    "llm0.24-c0.3": {"llm": "0.24.2", "llm-consortium": "0.3"},
    "llm0.24-c0.4": {"llm": "0.24.2", "llm-consortium": "0.4"},
    "llm0.25-c0.5": {"llm": "0.25", "llm-consortium": "0.5"},
    "llm0.27-c0.5": {"llm": "0.27.1", "llm-consortium": "0.5"},
}

ARBITER = "stub-arbiter"
ARBITER_PREFIXES = ("<arbiter_prompt>", "You are an advanced AI synthesis system")
THRESHOLD = "0.9"
MAX_ITERATIONS = 3



def consortium(*models):
    """Every consortium here: stub-arbiter, confidence threshold 0.9, at most 3 iterations."""
    return {"models": list(models), "arbiter": ARBITER,
            "confidence_threshold": float(THRESHOLD), "max_iterations": MAX_ITERATIONS}


CONSORTIUMS = {
    "trio-c1": consortium("stub-a", "stub-b", "stub-c"),
    "4.1-mini-n2-i3": consortium("stub-a", "stub-b"),
    "same-pair": consortium("stub-same-1", "stub-same-2"),
    "arb-member": consortium("stub-arbiter", "stub-a"),
    "tricky-duo": consortium("stub-tricky", "stub-a"),
}

PASTED_ARBITER_PROMPT = """<arbiter_prompt>
    <original_prompt>run-02: Name two rivers in Europe. [iterations=2]</original_prompt>
    <model_responses>
        <model_response>
            <model>stub-a</model>
            <confidence>0.5</confidence>
            <response>The Danube & the Rhine.</response>
        </model_response>
    </model_responses>
    <iteration_history>
        <no_previous_iterations>No previous iterations available.</no_previous_iterations>
    </iteration_history>
</arbiter_prompt>

Why does this arbiter prompt make the model iterate?"""

# The scenario, in order (step kinds: recorder.Recorder.command; parallel:
# several `saved` steps started at the same time).
# `iterations` is the number of arbiter calls the stub arbiter is steered to
# (see the [iterations=N] directive); `None` means version dependent.
SCENARIO = [
    {"kind": "plain", "label": "plain-first", "model": "stub-a",
     "prompt": "Plain question p01: what is a model consortium?"},
    # the saves write no responses row, so they can run side by side
    {"kind": "saves", "steps": [{"kind": "save", "name": name} for name in CONSORTIUMS]},
    {"kind": "saved", "label": "iter1", "consortium": "trio-c1", "token": "run-01",
     "prompt": "run-01: Name three primary colours. [iterations=1]", "iterations": 1},
    {"kind": "plain", "label": "plain-between-1", "model": "stub-b",
     "prompt": "Plain question p02: spell 'consortium' backwards."},
    {"kind": "saved", "label": "iter2", "consortium": "trio-c1", "token": "run-02",
     "prompt": "run-02: Name two rivers in Europe. [iterations=2]", "iterations": 2},
    {"kind": "saved", "label": "iter3", "consortium": "4.1-mini-n2-i3", "token": "run-03",
     "prompt": "run-03: Explain recursion in one line. [iterations=3]", "iterations": 3},
    {"kind": "plain", "label": "plain-between-2", "model": "stub-a",
     "prompt": "Plain question p03: what is 2+2?"},
    {"kind": "run", "label": "cli-run", **consortium("stub-a", "stub-b", "stub-c"),
     "token": "run-04", "prompt": "run-04: Suggest a name for a cat. [iterations=2]",
     "iterations": 2},
    {"kind": "saved", "label": "arbiter-fail", "consortium": "trio-c1", "token": "run-05",
     "prompt": "run-05: Summarise the plot of Hamlet. [arbiter-fail]", "iterations": None},
    {"kind": "parallel", "steps": [
        {"kind": "saved", "label": "parallel-a", "consortium": "4.1-mini-n2-i3",
         "token": "run-06", "iterations": 2,
         "prompt": "run-06: Why is the sky blue? [iterations=2] [delay=50]"},
        {"kind": "saved", "label": "parallel-b", "consortium": "4.1-mini-n2-i3",
         "token": "run-07", "iterations": 2,
         "prompt": "run-07: Why is the sea salty? [iterations=2] [delay=50]"},
    ]},
    {"kind": "saved", "label": "repeat-1", "consortium": "trio-c1", "token": None,
     "prompt": "Repeat: list two prime numbers. [iterations=2]", "iterations": 2},
    {"kind": "saved", "label": "repeat-2", "consortium": "trio-c1", "token": None,
     "prompt": "Repeat: list two prime numbers. [iterations=2]", "iterations": 2},
    {"kind": "saved", "label": "tricky", "consortium": "tricky-duo", "token": "run-10",
     "prompt": "run-10: Show an XML snippet & explain it. [iterations=2]", "iterations": 2},
    {"kind": "saved", "label": "same-answers", "consortium": "same-pair", "token": "run-11",
     "prompt": "run-11: Say hello politely. [iterations=2]", "iterations": 2},
    {"kind": "plain", "label": "plain-pasted-arbiter-prompt", "model": "stub-a",
     "prompt": PASTED_ARBITER_PROMPT},
    {"kind": "plain", "label": "plain-between-3", "model": "stub-c",
     "prompt": "Plain question p04: what colour is grass?"},
    {"kind": "plain", "label": "plain-pasted-to-arbiter", "model": ARBITER,
     "prompt": PASTED_ARBITER_PROMPT},
    {"kind": "saved", "label": "arbiter-member", "consortium": "arb-member", "token": "run-12",
     "prompt": "run-12: Give a synonym for quick. [iterations=2]", "iterations": 2},
    {"kind": "run", "label": "cli-run-arbiter-member", **consortium(ARBITER, "stub-a"),
     "token": "run-13", "prompt": "run-13: Give an antonym for slow. [iterations=1]",
     "iterations": 1},
    {"kind": "saved", "label": "no-log", "consortium": "trio-c1", "token": "run-14",
     "args": ["--no-log"], "prompt": "run-14: Count to three. [iterations=1]",
     "iterations": 1},
    {"kind": "plain", "label": "plain-last", "model": "stub-b",
     "prompt": "Plain question p05: is this the last one?"},
]


def is_arbiter_prompt(prompt):
    return (prompt or "").lstrip().startswith(ARBITER_PREFIXES)


class Releases(Recorder):
    consortiums = CONSORTIUMS
    scenario = SCENARIO

    def expectations(self, step):
        iterations, has_output, rc = super().expectations(step)
        if iterations is None:  # [arbiter-fail]
            if self.versions["llm-consortium"] == "0.3":
                # 0.3 defaults a missing confidence to 0.5 and iterates on
                iterations = MAX_ITERATIONS
            else:
                iterations, has_output, rc = 1, False, 1
        return iterations, has_output, rc

    def is_arbiter_row(self, step, row):
        return row["model"] == ARBITER and is_arbiter_prompt(row["prompt"])

    def check_run(self, step, rows, entries):
        super().check_run(step, rows, entries)
        label = step["label"]
        by_id = {r["id"]: r for r in rows}
        roles = {e["role"]: by_id[e["id"]] for e in entries}
        if "final_output" in roles and "final_arbiter" in roles:
            m = re.search(r"<synthesis>([\s\S]*?)</synthesis>", roles["final_arbiter"]["response"] or "")
            if m and m.group(1).strip() != (roles["final_output"]["response"] or "").strip():
                self.anomaly(label, "output response is not the final arbiter's synthesis")
        for r in rows:
            if step["prompt"] not in (r["prompt"] or ""):
                self.anomaly(label, f"row {r['rowid']} does not contain the user prompt")


RECORDER = Releases
