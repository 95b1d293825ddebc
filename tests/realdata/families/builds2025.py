"""Format family: the llm-consortium git builds of 2025 that log to logs.db.

../shared/spec/ERAS.md describes them; their source is the `git archive` of
each commit in ../shared/llm-consortium-builds/ (installed from source):

  B   eacffb2 (04-21)  broken parser: nothing of the arbiter's answer is parsed,
                       so every run goes to its maximum iterations and the
                       quoted syntheses and the output are whole answers
  C   13fca2a (06-12)  0.5 templates, `model:count` instances
  D   2daa177 (08-22)  `<id>N</id>` blocks, judges (pick-one, rank), members and
                       arbiter talk through llm conversations
  F1  2fa9235 (10-22)  automatic context: every arbiter prompt is full but its
                       `<iteration_history>` is empty; --manual-context
  F2  ff27a65 (12-09)  automatic context: iteration 2+ arbiter prompts are
                       "Here are the refined responses ..." follow-ups in the
                       arbiter's llm conversation; manual context; judges

Builds after 2025-04-12 ignore LLM_USER_PATH: llm's own directory is set
with XDG_CONFIG_HOME. Each scenario step names the builds it runs on.
"""

import re

from recorder import Recorder

COMBOS = {
    "llm0.24-eacffb2": {"llm": "0.24.2", "llm-consortium": "git eacffb2",
                        "build": "2025-04-21-eacffb2", "family": "B"},
    "llm0.25-13fca2a": {"llm": "0.25", "llm-consortium": "git 13fca2a",
                        "build": "2025-06-12-13fca2a", "family": "C"},
    "llm0.25-2daa177": {"llm": "0.25", "llm-consortium": "git 2daa177",
                        "build": "2025-08-22-2daa177", "family": "D"},
    "llm0.25-2fa9235": {"llm": "0.25", "llm-consortium": "git 2fa9235",
                        "build": "2025-10-22-2fa9235", "family": "F1"},
    "llm0.25-ff27a65": {"llm": "0.25", "llm-consortium": "git ff27a65",
                        "build": "2025-12-09-ff27a65", "family": "F2"},
}

ARBITER = "stub-arbiter"
ARBITER_PREFIXES = (
    "<arbiter_prompt>",
    "<pick_one_prompt>",
    "<rank_prompt>",
    "Here are the refined responses from the models:",
)
FAILING = "stub-fail"  # raises: logs no row

ALL = {"B", "C", "D", "F1", "F2"}
INSTANCES = ALL - {"B"}          # `model:count` parsed from C on
JUDGES = {"D", "F1", "F2"}       # --judging-method from D on
MANUAL = {"F1", "F2"}            # --manual-context from F1 on


def consortium(*models, max_iterations=3, save_args=(), builds=ALL):
    return {"models": list(models), "arbiter": ARBITER, "confidence_threshold": 0.9,
            "max_iterations": max_iterations, "save_args": list(save_args),
            "builds": builds}


CONSORTIUMS = {
    "duo-i1": consortium("stub-a", "stub-b", max_iterations=1),
    "duo-i2": consortium("stub-a", "stub-b", max_iterations=2),
    "trio": consortium("stub-a", "stub-b", "stub-c"),
    "inst": consortium("stub-a:2", "stub-b", builds=INSTANCES),
    "fail-trio": consortium("stub-a", FAILING, "stub-b"),
    "same-pair": consortium("stub-same-1", "stub-same-2"),
    "tricky-duo": consortium("stub-tricky", "stub-a"),
    "pick": consortium("stub-a", "stub-b", "stub-c",
                       save_args=["--judging-method", "pick-one"], builds=JUDGES),
    "ranker": consortium("stub-a", "stub-b",
                         save_args=["--judging-method", "rank"], builds=JUDGES),
    "same-pick": consortium("stub-same-1", "stub-same-2",
                            save_args=["--judging-method", "pick-one"], builds=JUDGES),
    "pick-fail": consortium("stub-a", FAILING, "stub-b",
                            save_args=["--judging-method", "pick-one"], builds=JUDGES),
    "manual": consortium("stub-a", "stub-b", save_args=["--manual-context"], builds=MANUAL),
}

PASTED_ARBITER_PROMPT = """<arbiter_prompt>
    <original_prompt>run-02: Name two rivers in Europe. [iterations=2]</original_prompt>
    <model_responses>
        <model_response>
            <id>1</id>
            <model>stub-a</model>
            <confidence>0.5</confidence>
            <response>The Danube & the Rhine.</response>
        </model_response>
    </model_responses>
    <iteration_history>
        
    </iteration_history>
</arbiter_prompt>

Why does this arbiter prompt make the model iterate?"""


def saved(label, name, token, prompt, builds=ALL, **kw):
    return {"kind": "saved", "label": label, "consortium": name, "token": token,
            "prompt": f"{token}: {prompt}" if token else prompt, "builds": builds, **kw}


def plain(label, model, prompt):
    return {"kind": "plain", "label": label, "model": model, "prompt": prompt}


# The scenario, in order; a step runs on the builds in its `builds`.
SCENARIO = [
    plain("plain-first", "stub-a", "Plain question p01: what is a model consortium?"),
    {"kind": "saves", "steps": [{"kind": "save", "name": n} for n in CONSORTIUMS]},
    saved("iter1", "duo-i1", "run-01", "Name three primary colours. [iterations=1]"),
    plain("plain-between-1", "stub-b", "Plain question p02: spell 'consortium' backwards."),
    saved("iter2", "duo-i2", "run-02", "Name two rivers in Europe. [iterations=2]"),
    saved("iter3", "trio", "run-03", "Explain recursion in one line. [iterations=3]"),
    saved("instances", "inst", "run-04", "Name a prime above ten. [iterations=2]",
          builds=INSTANCES),
    saved("member-fail", "fail-trio", "run-05", "Name a metal. [iterations=2]"),
    saved("arbiter-fail", "trio", "run-06", "Summarise the plot of Hamlet. [arbiter-fail]",
          builds=ALL - {"B"}),
    {"kind": "parallel", "builds": ALL, "steps": [
        saved("parallel-a", "duo-i2", "run-07", "Why is the sky blue? [iterations=2] [delay=50]"),
        saved("parallel-b", "duo-i2", "run-08", "Why is the sea salty? [iterations=2] [delay=50]"),
    ]},
    saved("repeat-1", "trio", None, "Repeat: list two prime numbers. [iterations=2]"),
    saved("repeat-2", "trio", None, "Repeat: list two prime numbers. [iterations=2]"),
    saved("tricky", "tricky-duo", "run-09", "Show an XML snippet & explain it. [iterations=2]"),
    saved("same-answers", "same-pair", "run-10", "Say hello politely. [iterations=2]"),
    saved("pick", "pick", "run-11", "Pick the best haiku. [pick=2]", builds=JUDGES),
    saved("rank", "ranker", "run-12", "Rank these answers.", builds=JUDGES),
    saved("pick-same", "same-pick", "run-13", "Say goodbye politely.", builds=JUDGES),
    saved("pick-fail", "pick-fail", "run-14", "Name a gas. [pick=1]", builds=JUDGES),
    saved("manual", "manual", "run-15", "Name a planet. [iterations=2]", builds=MANUAL),
    saved("manual-3", "manual", "run-16", "Name a moon. [iterations=3]", builds=MANUAL),
    plain("plain-pasted-arbiter-prompt", "stub-a", PASTED_ARBITER_PROMPT),
    plain("plain-pasted-to-arbiter", ARBITER, PASTED_ARBITER_PROMPT),
    {"kind": "chat", "label": "chat", "consortium": "trio", "builds": ALL,
     "turns": ["chat-1: Name a fruit. [iterations=2]", "chat-2: And a vegetable? [iterations=1]"]},
    {"kind": "chat", "label": "chat-manual", "consortium": "manual", "builds": MANUAL,
     "turns": ["chat-3: Name a tree. [iterations=2]", "chat-4: And a flower? [iterations=1]"]},
    {"kind": "run", "label": "cli-run", **consortium("stub-a", "stub-b"), "token": "run-17",
     "prompt": "run-17: Suggest a name for a cat. [iterations=2]"},
    saved("no-log", "duo-i1", "run-18", "Count to three. [iterations=1]", args=["--no-log"]),
    plain("plain-last", "stub-b", "Plain question p05: is this the last one?"),
]


def instances(models):
    """`stub-a:2` is two member instances of stub-a."""
    out = []
    for m in models:
        name, _, count = m.partition(":")
        out += [name] * int(count or 1)
    return out


def is_arbiter_prompt(prompt):
    return (prompt or "").lstrip().startswith(ARBITER_PREFIXES)


def is_judge(spec):
    return "--judging-method" in spec.get("save_args", [])


class Builds2025(Recorder):
    def __init__(self, combo, versions, runner, user_dir, verbose=False):
        super().__init__(combo, versions, runner, user_dir, verbose)
        self.family = COMBOS[combo]["family"]
        self.consortiums = {n: c for n, c in CONSORTIUMS.items() if self.family in c["builds"]}
        self.scenario = [s for s in SCENARIO if self.family in s.get("builds", ALL)
                         or s["kind"] == "saves"]
        self.scenario = [self.only_saves_here(s) for s in self.scenario]

    def only_saves_here(self, step):
        if step["kind"] != "saves":
            return step
        return {**step, "steps": [s for s in step["steps"] if s["name"] in self.consortiums]}

    @classmethod
    def environment(cls, user_dir):
        """No LLM_USER_PATH: llm and the plugin then share llm's default
        directory, as on the author's machine."""
        # it exists on any machine that ran llm; some builds log there at import
        cls.database(user_dir).parent.mkdir(parents=True, exist_ok=True)
        return {"XDG_CONFIG_HOME": str(user_dir / "xdg")}

    @classmethod
    def database(cls, user_dir):
        """Builds after 2025-04-12 write to click.get_app_dir("io.datasette.llm")."""
        return user_dir / "xdg" / "io.datasette.llm" / "logs.db"

    # --- commands
    def command(self, step):
        if step["kind"] == "chat":
            return {"argv": ["chat", "-m", step["consortium"]],
                    "stdin": "".join(f"{t}\n" for t in step["turns"]) + "exit\n"}
        return super().command(step)

    def expectations(self, step):
        spec = self.run_spec(step)
        has_output = step["kind"] in ("saved", "chat") and "--no-log" not in step.get("args", [])
        if self.family == "B":  # confidence is never parsed: always the maximum
            iterations = spec["max_iterations"]
        elif is_judge(spec):
            iterations = 1
        elif "[arbiter-fail]" in step["prompt"]:  # missing confidence = 0.0: goes on
            iterations = spec["max_iterations"]
        else:
            m = re.search(r"\[iterations=(\d+)\]", step["prompt"])
            iterations = min(int(m.group(1)) if m else 1, spec["max_iterations"])
        rc = 0
        if step["kind"] == "run" and self.family in ("C", "D"):
            iterations, rc = 0, 1  # `consortium run` dies before logging (until 402119d)
        return iterations, has_output, rc

    def run_spec(self, step):
        if step["kind"] in ("saved", "chat"):
            return self.consortiums[step["consortium"]]
        return step

    def expected_members(self, step, iteration):
        return [m for m in instances(self.run_spec(step)["models"]) if m != FAILING]

    def stderr_expected(self, step):
        """The builds log a failed member's traceback to stderr."""
        return step["kind"] == "saved" and FAILING in self.run_spec(step)["models"]

    # --- rows
    def is_output_row(self, step, row):
        return step["kind"] in ("saved", "chat") and row["model"] == step["consortium"]

    def is_arbiter_row(self, step, row):
        return row["model"] == ARBITER and is_arbiter_prompt(row["prompt"])

    def parallel_owners(self, steps, row, by_label):
        """Follow-up prompts of automatic context carry no token: such a row
        belongs to the run whose rows share its llm conversation."""
        owners = super().parallel_owners(steps, row, by_label)
        if owners or not row["conversation_id"]:
            return owners
        return [label for label, rows in by_label.items()
                if any(r["conversation_id"] == row["conversation_id"] for r in rows)]

    def execute(self, step):
        if step["kind"] != "chat":
            return super().execute(step)
        before = self.max_rowid()
        rc, out, err = self.runner.run([self.command(step)])[0]
        if rc != 0:
            self.anomaly(step["label"], f"exit code {rc}\n{out[-1500:]}\n{err[-1500:]}")
        rows = self.rows_between(before, self.max_rowid())
        self.record_chat(step, rows, rc)

    def record_chat(self, step, rows, rc):
        """Each turn of `llm chat` is a run of its own, ending at its output row."""
        turns = [[]]
        for r in rows:
            turns[-1].append(r)
            if r["model"] == step["consortium"]:
                turns.append([])
        if turns[-1]:
            self.anomaly(step["label"], f"{len(turns[-1])} rows after the last output row")
        for n, (prompt, turn_rows) in enumerate(zip(step["turns"], turns), 1):
            turn = {"kind": "chat", "label": f"{step['label']}-turn{n}", "turn": n,
                    "consortium": step["consortium"], "prompt": prompt}
            self.record_run(turn, turn_rows, rc)

    # --- checks and truth
    def check_run(self, step, rows, entries):
        super().check_run(step, rows, entries)
        label = step["label"]
        by_id = {r["id"]: r for r in rows}
        roles = {e["role"]: by_id[e["id"]] for e in entries}
        output, final = roles.get("final_output"), roles.get("final_arbiter")
        if not (output and final):
            return
        spec = self.run_spec(step)
        if is_judge(spec):
            # The chosen member's text; or, when the judge chose a member that
            # failed (D quotes it as `Error: ...`), the judge's whole answer.
            members = {by_id[e["id"]]["response"] for e in entries if e["role"] == "member"}
            if output["response"] not in members | {final["response"]}:
                self.anomaly(label, "a judge's output is neither a member's text nor its answer")
        elif self.family == "B":
            if output["response"] != final["response"]:
                self.anomaly(label, "output is not the final arbiter's whole answer")
        else:
            m = re.search(r"<synthesis>([\s\S]*?)</synthesis>", final["response"] or "")
            if not m or m.group(1).strip() != (output["response"] or "").strip():
                self.anomaly(label, "output response is not the final arbiter's synthesis")

    def run_truth(self, step, entries, rc):
        truth = super().run_truth(step, entries, rc)
        if step["kind"] == "chat":
            truth.update(command="chat", turn=step["turn"], expect_grouped=truth["has_output"])
        spec = self.run_spec(step)
        truth["judging_method"] = (spec["save_args"][1] if is_judge(spec) else None)
        truth["manual_context"] = "--manual-context" in spec.get("save_args", [])
        return truth

    def truth(self):
        truth = super().truth()
        truth["build"] = COMBOS[self.combo]["build"]
        truth["family"] = self.family
        for name, spec in truth["consortiums"].items():
            spec.pop("builds")
            saved = CONSORTIUMS[name]
            spec["judging_method"] = saved["save_args"][1] if is_judge(saved) else None
            spec["manual_context"] = "--manual-context" in saved["save_args"]
        return truth


RECORDER = Builds2025
