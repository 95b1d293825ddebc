"""Format family: the consortium_logs.db era (llm-consortium 0.8.0 and later builds).

Members, arbiters and saved consortiums go to llm-consortium's own
`consortium_logs.db` (in llm's default folder, `click.get_app_dir`, whatever
LLM_USER_PATH says); logs.db gets only the final output row: in `responses`
on llm <= 0.31, in llm's new `turns` on llm >= 0.32. ERAS.md ("The
consortium_logs.db era", "llm 0.32 and later") has the details.

Each combo starts from the llm 0.25 + llm-consortium 0.5 fixture (its logs.db
and truth.json, whose runs are kept in this truth.json as they are), as a real
user's file would, and is then used by the newer llm + llm-consortium. The
fixture is both files: logs.db and consortium_logs.db.

The truth of the new runs comes from what each step did: a step that runs
one consortium command creates one `consortium_runs` row and at most one
output row, so those two belong together; runs started at the same time are
told apart by their prompt, by `metadata.consortium_id` where the build writes
it, or by their text; two runs nothing can tell apart are recorded as
ambiguous (the backfill must list them for review, never link them).
"""

import json
import shutil
import sqlite3
from pathlib import Path

from recorder import Recorder

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent.parent / "fixtures"
BASE = "llm0.25-c0.5"

COMBOS = {
    "llm0.31-c0.8": {"llm": "0.31.1", "llm-consortium": "0.8.0"},
    "llm0.36-c0.8": {"llm": "0.36", "llm-consortium": "0.8.0"},
    "llm0.36-c4ab2741": {"llm": "0.36", "llm-consortium": "4ab2741", "build": "2026-04-24-4ab2741"},
}

ARBITER = "stub-arbiter"


def consortium(*models):
    return {"models": list(models), "arbiter": ARBITER, "confidence_threshold": 0.9,
            "max_iterations": 3}


CONSORTIUMS = {
    # the 0.5-era names, saved again under 0.8 (its configs live in consortium_logs.db)
    "trio-c1": consortium("stub-a", "stub-b", "stub-c"),
    "4.1-mini-n2-i3": consortium("stub-a", "stub-b"),
    # one member: two runs of the same prompt write the same texts
    "solo-a": consortium("stub-a"),
}

SCENARIO = [
    {"kind": "plain", "label": "plain-q01", "model": "stub-a",
     "prompt": "Plain question q01: what changed in 0.8?"},
    {"kind": "saves", "steps": [{"kind": "save", "name": name} for name in CONSORTIUMS]},
    {"kind": "saved", "label": "c8-iter1", "consortium": "trio-c1", "iterations": 1,
     "prompt": "run-21: Name three primary colours. [iterations=1]"},
    {"kind": "saved", "label": "c8-iter2", "consortium": "trio-c1", "iterations": 2,
     "prompt": "run-22: Name two rivers in Europe. [iterations=2]"},
    {"kind": "plain", "label": "plain-q02", "model": "stub-b",
     "prompt": "Plain question q02: spell 'arbiter' backwards."},
    {"kind": "saved", "label": "c8-iter3", "consortium": "4.1-mini-n2-i3", "iterations": 3,
     "prompt": "run-23: Explain recursion in one line. [iterations=3]"},
    # the arbiter raises: the run stays `running`, no output row, exit code 1
    {"kind": "saved", "label": "c8-arbiter-error", "consortium": "trio-c1", "iterations": 0,
     "prompt": "run-24: Summarise Hamlet. [arbiter-error]", "exit_code": 1},
    # no <confidence>: 0.8 reads 0.0 and goes on to its maximum
    {"kind": "saved", "label": "c8-no-confidence", "consortium": "trio-c1", "iterations": 3,
     "prompt": "run-25: Summarise Macbeth. [arbiter-fail]"},
    {"kind": "parallel", "steps": [
        {"kind": "saved", "label": "c8-parallel-a", "consortium": "4.1-mini-n2-i3",
         "iterations": 2, "token": "run-26",
         "prompt": "run-26: Why is the sky blue? [iterations=2] [delay=50]"},
        {"kind": "saved", "label": "c8-parallel-b", "consortium": "4.1-mini-n2-i3",
         "iterations": 2, "token": "run-27",
         "prompt": "run-27: Why is the sea salty? [iterations=2] [delay=50]"},
    ]},
    # the same consortium and prompt at the same time: nothing but an id tells them apart
    {"kind": "parallel", "steps": [
        {"kind": "saved", "label": "c8-same-1", "consortium": "solo-a", "iterations": 2,
         "prompt": "Same: name a prime number. [iterations=2] [delay=50]"},
        {"kind": "saved", "label": "c8-same-2", "consortium": "solo-a", "iterations": 2,
         "prompt": "Same: name a prime number. [iterations=2] [delay=50]"},
    ]},
    {"kind": "saved", "label": "c8-repeat-1", "consortium": "trio-c1", "iterations": 1,
     "prompt": "Repeat: list two even numbers. [iterations=1]"},
    {"kind": "saved", "label": "c8-repeat-2", "consortium": "trio-c1", "iterations": 1,
     "prompt": "Repeat: list two even numbers. [iterations=1]"},
    {"kind": "saved", "label": "c8-before-follow-up", "consortium": "trio-c1", "iterations": 1,
     "prompt": "run-28: Name a fruit. [iterations=1]"},
    # llm -c: the follow-up is a run of the same consortium in the same conversation
    {"kind": "continue", "label": "c8-follow-up", "consortium": "trio-c1", "iterations": 2,
     "prompt": "run-29: And a vegetable? [iterations=2]"},
    {"kind": "saved", "label": "c8-no-log", "consortium": "trio-c1", "iterations": 1,
     "args": ["--no-log"], "prompt": "run-30: Count to three. [iterations=1]"},
    {"kind": "plain", "label": "plain-q03", "model": "stub-c",
     "prompt": "Plain question q03: is this the last one?"},
]


def connect(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def tables(conn):
    return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


def logged_rows(path):
    """Every row llm logged in a database: {id: row}, from responses and turns."""
    if not path.exists():
        return {}
    conn = connect(path)
    try:
        names = tables(conn)
        rows = {}
        if "responses" in names:
            for r in conn.execute("select id, model, prompt, response, datetime_utc,"
                                  " response_json from responses"):
                rows[r["id"]] = dict(r, table="responses")
        if "turns" in names:
            for r in conn.execute(
                    "select turns.id, turns.model, turn_search.prompt, turn_search.response,"
                    " turns.datetime_utc, turns.response_json from turns"
                    " left join turn_search on turn_search.turn_id = turns.id"):
                rows[r["id"]] = dict(r, table="turns")
        return rows
    finally:
        conn.close()


class Era08(Recorder):
    consortiums = CONSORTIUMS
    scenario = SCENARIO

    @classmethod
    def app_dir(cls, user_dir):
        return user_dir / "xdg" / "io.datasette.llm"

    @classmethod
    def environment(cls, user_dir):
        # LLM_USER_PATH is llm's default folder too: logs.db and
        # consortium_logs.db side by side, as most users have them.
        return {"LLM_USER_PATH": str(cls.app_dir(user_dir)), "XDG_CONFIG_HOME": str(user_dir / "xdg")}

    @classmethod
    def database(cls, user_dir):
        return cls.app_dir(user_dir) / "logs.db"

    @classmethod
    def prepare(cls, user_dir):
        """The user's logs.db of the 0.5 era, before the newer llm first opens it."""
        cls.app_dir(user_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / BASE / "logs.db", cls.database(user_dir))

    def files(self):
        return {"logs.db": self.db_path, "consortium_logs.db": self.consortium_logs}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.consortium_logs = self.app_dir(self.user_dir) / "consortium_logs.db"
        self.base = json.loads((FIXTURES / BASE / "truth.json").read_text())
        self.saved = list(self.base["consortiums"])
        self.runs08 = []
        self.plain08 = []

    # --- commands
    def command(self, step):
        if step["kind"] == "continue":
            return ["-c", step["prompt"]]
        return super().command(step)

    def save_all(self, steps):
        for s in steps:
            rc, out, err = self.runner.run([self.command(s)])[0]
            if rc != 0:
                raise RuntimeError(f"consortium save {s['name']} failed:\n{out}\n{err}")
            if s["name"] not in self.saved:
                self.saved.append(s["name"])

    def consortium_runs(self):
        if not self.consortium_logs.exists():
            return {}
        conn = connect(self.consortium_logs)
        try:
            if "consortium_runs" not in tables(conn):
                return {}
            return {r["id"]: dict(r) for r in conn.execute("select * from consortium_runs")}
        finally:
            conn.close()

    def execute(self, step):
        if step["kind"] == "saves":
            return self.save_all(step["steps"])
        rows_before, runs_before = logged_rows(self.db_path), self.consortium_runs()
        steps = step["steps"] if step["kind"] == "parallel" else [step]
        results = self.runner.run([self.command(s) for s in steps])
        new_rows = [r for i, r in logged_rows(self.db_path).items() if i not in rows_before]
        new_runs = [r for i, r in self.consortium_runs().items() if i not in runs_before]
        for s, (rc, out, err) in zip(steps, results):
            if rc != s.get("exit_code", 0):
                self.anomaly(s["label"], f"exit code {rc}\n{out[-1500:]}\n{err[-1500:]}")
        if step["kind"] == "plain":
            if len(new_rows) != 1 or new_rows[0]["model"] != step["model"] or new_runs:
                self.anomaly(step["label"], f"expected one plain row, got {len(new_rows)} rows,"
                             f" {len(new_runs)} runs")
            self.plain08 += [{"id": r["id"], "table": r["table"], "model": r["model"],
                              "label": step["label"]} for r in new_rows]
            return
        self.record_runs(steps, new_rows, new_runs)

    # --- the truth of a step's runs
    def record_runs(self, steps, outputs, runs):
        label = "+".join(s["label"] for s in steps)
        if len(runs) != len(steps):
            self.anomaly(label, f"{len(runs)} consortium_runs rows for {len(steps)} commands")
        expected_outputs = sum(1 for s in steps if self.has_output(s))
        if len(outputs) != expected_outputs:
            self.anomaly(label, f"{len(outputs)} output rows, expected {expected_outputs}")
        pairs, basis = self.pair(steps, outputs, runs)
        by_run = {run_id: (output, basis_of) for run_id, output, basis_of in pairs}
        steps_by_prompt = {}
        for s in steps:
            steps_by_prompt.setdefault(s["prompt"], []).append(s)
        for run in sorted(runs, key=lambda r: r["created_at"]):
            step = steps_by_prompt[run["user_prompt"]].pop(0) if steps_by_prompt.get(run["user_prompt"]) else None
            if step is None:
                self.anomaly(label, f"run {run['id']}: prompt {run['user_prompt']!r} of no step")
                continue
            output, how = by_run.get(run["id"], (None, None))
            ambiguous = basis == "ambiguous"
            self.runs08.append(self.run_truth08(step, run, output, how, ambiguous,
                                                [o["id"] for o in outputs] if ambiguous else []))

    def has_output(self, step):
        return "--no-log" not in step.get("args", []) and step.get("exit_code", 0) == 0

    def pair(self, steps, outputs, runs):
        """[(run id, output row, how we know)] and 'ambiguous' when nothing tells them apart."""
        if len(steps) == 1:
            return [(runs[0]["id"], outputs[0], "one command")] if runs and outputs else [], None
        pairs = []
        for output in outputs:
            meta = self.metadata(output).get("consortium_id")
            if meta:
                pairs.append((meta, output, "metadata.consortium_id"))
                continue
            same_prompt = [r for r in runs if r["user_prompt"] == output["prompt"]]
            if len(same_prompt) == 1:
                pairs.append((same_prompt[0]["id"], output, "its prompt"))
                continue
            same_text = [r for r in same_prompt if self.last_synthesis(r["id"]) == output["response"]]
            if len(same_text) == 1:
                pairs.append((same_text[0]["id"], output, "its text"))
                continue
            return [], "ambiguous"
        return pairs, None

    def metadata(self, output):
        try:
            return (json.loads(output["response_json"] or "{}") or {}).get("metadata") or {}
        except (ValueError, AttributeError):
            return {}

    def consortium_query(self, sql, params=()):
        conn = connect(self.consortium_logs)
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def last_synthesis(self, run_id):
        rows = self.consortium_query(
            "select synthesis from arbiter_decisions where run_id = ? order by iteration desc limit 1",
            [run_id])
        return rows[0]["synthesis"] if rows else None

    def run_truth08(self, step, run, output, how, ambiguous, candidates):
        label = step["label"]
        members = self.consortium_query(
            "select response_id, role, iteration, member_index from consortium_members"
            " where run_id = ? order by iteration, role = 'arbiter', rowid", [run["id"]])
        logged = set(logged_rows(self.consortium_logs))
        for m in members:
            m["logged"] = m["response_id"] in logged
        if run["config_name"] != step["consortium"]:
            self.anomaly(label, f"run of {run['config_name']}, not {step['consortium']}")
        if (run["iteration_count"] or 0) != step["iterations"]:
            self.anomaly(label, f"{run['iteration_count']} iterations, expected {step['iterations']}")
        if output is not None:
            if output["model"] != step["consortium"] or output["prompt"] != step["prompt"]:
                self.anomaly(label, "output row model or prompt differs from the command's")
            if output["response"] != self.last_synthesis(run["id"]):
                self.anomaly(label, "output text is not the run's last synthesis")
        if ambiguous:
            expect = "review"
        elif output is not None:
            expect = "linked"
        else:
            expect = "no_output"
        return {
            "label": label,
            "consortium": step["consortium"],
            "command": step["kind"],
            "prompt": step["prompt"],
            "run_id": run["id"],
            "status": run["status"],
            "iteration_count": run["iteration_count"],
            "output_id": output["id"] if output is not None else None,
            "output_table": output["table"] if output is not None else None,
            "paired_by": how,
            "expect": expect,
            "output_candidates": candidates,
            "members": members,
        }

    def truth(self):
        conn = connect(self.db_path)
        try:
            row_count = conn.execute("select count(*) from responses").fetchone()[0]
        finally:
            conn.close()
        logged = logged_rows(self.db_path)
        known = ({e["id"] for run in self.base["runs"] for e in run["rows"]} | set(self.base["plain"])
                 | {r["output_id"] for r in self.runs08 if r["output_id"]}
                 | {c for r in self.runs08 for c in r["output_candidates"]}
                 | {p["id"] for p in self.plain08})
        if set(logged) != known:
            self.anomaly("truth", f"rows in logs.db and rows in truth differ: {len(logged)} vs {len(known)}")
        consortiums = dict(self.base["consortiums"])
        consortiums.update(self.consortiums)
        return {
            "combo": self.combo,
            "versions": dict(self.versions),
            "requirements": self.base_requirements(),
            "base": BASE,
            "consortiums": {name: consortiums[name] for name in self.saved},
            "row_count": row_count,
            "runs": self.base["runs"],
            "plain": self.base["plain"],
            "plain_rows": self.base["plain_rows"],
            "consortium_logs": {"runs": self.runs08, "plain": self.plain08},
            "anomalies": self.base["anomalies"] + self.anomalies,
        }

    def base_requirements(self):
        from venvs import requirement_lines

        return requirement_lines(self.combo)


RECORDER = Era08
