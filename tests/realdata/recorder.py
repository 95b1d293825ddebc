"""What every format family's recorder shares: run the scenario's steps through
a runner, read the rows each step left in logs.db, and assemble truth.json.

A family (families/<name>.py) subclasses `Recorder` and says what differs:
its saved consortiums, its scenario, how a step becomes an `llm` argv, which
rows of a run are its arbiter calls, what a correct run must look like.
See tests/realdata/README.md ("Format families") for the contract.
"""

import json
import sqlite3
import sys
import time

from venvs import requirement_lines


def log(msg):
    print(msg, flush=True)


def warn(msg):
    print(f"WARNING: {msg}", file=sys.stderr, flush=True)


class Recorder:
    # --- what a family fills in
    # name -> {"models": [...], "arbiter": ..., "confidence_threshold": ...,
    #          "max_iterations": ..., optional "save_args": [extra save options]}
    consortiums = {}
    # the steps, in order; kinds: plain, saves, saved, run, parallel (see `command`)
    scenario = []

    def __init__(self, combo, versions, runner, user_dir, verbose=False):
        self.verbose = verbose
        self.combo = combo
        self.versions = versions
        self.runner = runner
        self.user_dir = user_dir
        self.db_path = self.database(user_dir)
        self.runs = []
        self.plain = []
        self.plain_rows = []
        self.anomalies = []
        self.saved = []

    # --- where llm writes, for this family's builds
    @classmethod
    def environment(cls, user_dir):
        """Environment settings that send every file llm writes into user_dir."""
        return {"LLM_USER_PATH": str(user_dir), "XDG_CONFIG_HOME": str(user_dir / "xdg")}

    @classmethod
    def database(cls, user_dir):
        """The logs.db the commands write (llm honours LLM_USER_PATH here)."""
        return user_dir / "logs.db"

    @classmethod
    def prepare(cls, user_dir):
        """Files the user folder holds before the first command (none by default)."""

    def files(self):
        """The fixture's files: {name in the fixture folder: path written}."""
        return {"logs.db": self.db_path}

    # --- database helpers
    def _connect(self):
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def query(self, sql, params=()):
        conn = self._connect()
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def max_rowid(self):
        if not self.db_path.exists():
            return 0
        try:
            return self.query("select coalesce(max(rowid), 0) as m from responses")[0]["m"]
        except sqlite3.OperationalError:  # no responses table yet
            return 0

    def rows_between(self, lo, hi):
        return self.query(
            "select rowid, id, model, prompt, response, response_json, conversation_id"
            " from responses"
            " where rowid > ? and rowid <= ? order by rowid", (lo, hi))

    def anomaly(self, where, msg):
        text = f"[{self.combo}] {where}: {msg}"
        warn(text)
        self.anomalies.append(text)
        return text

    # --- commands
    def command(self, step):
        """The `llm` argv of one step:
        plain  llm -m MODEL PROMPT                 (one plain row)
        save   llm consortium save NAME ...        (no row)
        saved  llm -m CONSORTIUM [ARGS] PROMPT     (a run with an output row)
        run    llm consortium run -m ... PROMPT    (a run, no output row)"""
        kind = step["kind"]
        if kind == "plain":
            return ["-m", step["model"], step["prompt"]]
        if kind == "save":
            spec = self.consortiums[step["name"]]
            return ["consortium", "save", step["name"], *self.consortium_options(spec),
                    *spec.get("save_args", [])]
        if kind == "saved":
            return ["-m", step["consortium"], *step.get("args", []), step["prompt"]]
        if kind == "run":
            return ["consortium", "run", *self.consortium_options(step),
                    *step.get("args", []), step["prompt"]]
        raise ValueError(kind)

    def consortium_options(self, spec):
        cmd = []
        for m in spec["models"]:
            cmd += ["-m", m]
        return cmd + ["--arbiter", spec["arbiter"],
                      "--confidence-threshold", str(spec["confidence_threshold"]),
                      "--max-iterations", str(spec["max_iterations"])]

    def expectations(self, step):
        """(iterations, has_output, exit code) a correct run of this step leaves."""
        has_output = step["kind"] == "saved" and "--no-log" not in step.get("args", [])
        return step.get("iterations"), has_output, 0

    # --- running the scenario
    def generate(self):
        for step in self.scenario:
            t = time.monotonic()
            self.execute(step)
            if self.verbose:
                name = step.get("label") or step["kind"]
                log(f"  [{self.combo}] {name}: {time.monotonic() - t:.2f}s")
        return self.truth()

    def execute(self, step):
        if step["kind"] == "saves":
            return self.save_all(step["steps"])
        before = self.max_rowid()
        steps = step["steps"] if step["kind"] == "parallel" else [step]
        results = [(s, *res) for s, res in
                   zip(steps, self.runner.run([self.command(s) for s in steps]))]
        rows = self.rows_between(before, self.max_rowid())
        for s, rc, out, err in results:
            expected_rc = self.expectations(s)[2] if s["kind"] not in ("plain", "save") else 0
            if rc != expected_rc:
                self.anomaly(s.get("label") or s.get("name"),
                             f"exit code {rc}, expected {expected_rc}\n{out[-1500:]}\n{err[-1500:]}")
            elif rc == 0 and err.strip() and not self.stderr_expected(s):
                self.anomaly(s.get("label") or s.get("name"), f"stderr: {err.strip()[-1500:]}")
        if step["kind"] == "plain":
            self.record_plain(step, rows)
        elif step["kind"] == "parallel":
            self.record_parallel(steps, rows, results)
        else:
            self.record_run(step, rows, results[0][1])

    def stderr_expected(self, step):
        """Does a correct run of this step write to stderr?"""
        return False

    def save_all(self, steps):
        """`consortium save` steps write no responses row, so they run side by side."""
        before = self.max_rowid()
        results = self.runner.run([self.command(s) for s in steps])
        for s, (rc, _, _) in zip(steps, results):
            if rc != 0:  # lost a lock race: retry on its own
                rc, out, err = self.runner.run([self.command(s)])[0]
                if rc != 0:
                    raise RuntimeError(f"consortium save {s['name']} failed:\n{out}\n{err}")
            self.saved.append(s["name"])
        rows = self.rows_between(before, self.max_rowid())
        if rows:
            self.anomaly("save", f"consortium save logged {len(rows)} rows")

    def record_plain(self, step, rows):
        label = step["label"]
        if len(rows) != 1 or rows[0]["model"] != step["model"] or rows[0]["prompt"] != step["prompt"]:
            self.anomaly(label, f"expected one plain {step['model']} row, got "
                         f"{[(r['rowid'], r['model']) for r in rows]}")
        for r in rows:
            self.plain.append(r["id"])
            self.plain_rows.append({"id": r["id"], "rowid": r["rowid"], "model": r["model"],
                                    "label": label})

    def record_parallel(self, steps, rows, results):
        """Runs started together are told apart by the unique token in their prompt."""
        by_label = {s["label"]: [] for s in steps}
        for r in rows:
            owners = self.parallel_owners(steps, r, by_label)
            if len(owners) != 1:
                self.anomaly("parallel", f"row {r['rowid']} ({r['model']}) matches tokens of "
                             f"{owners or 'no run'}")
                if not owners:
                    continue
            by_label[owners[0]].append(r)
        spans = []
        for (s, rc, _, _) in results:
            own = by_label[s["label"]]
            self.record_run(s, own, rc)
            if own:
                spans.append((own[0]["rowid"], own[-1]["rowid"]))
        if len(spans) == 2 and (spans[0][1] < spans[1][0] or spans[1][1] < spans[0][0]):
            warn(f"[{self.combo}] parallel runs did not interleave: rowid spans {spans}")

    def parallel_owners(self, steps, row, by_label):
        """Labels of the parallel steps whose token the row's prompt holds."""
        return [s["label"] for s in steps if s["token"] in (row["prompt"] or "")]

    # --- the truth of one run
    def run_spec(self, step):
        """The consortium a run step used: a saved one, or the step's own options."""
        return self.consortiums[step["consortium"]] if step["kind"] == "saved" else step

    def is_output_row(self, step, row):
        return step["kind"] == "saved" and row["model"] == step["consortium"]

    def is_arbiter_row(self, step, row):
        raise NotImplementedError

    def record_run(self, step, rows, rc):
        """Roles, iterations and member indexes of a run's rows (see the README's
        truth.json), checked against what the step should have produced."""
        entries = self.assign_roles(step, rows)
        self.check_run(step, rows, entries)
        self.runs.append(self.run_truth(step, entries, rc))

    def assign_roles(self, step, rows):
        """Arbiter rows in order are iterations 1..n, the last one final; members
        logged between arbiter i-1 and arbiter i are iteration i, indexed by rowid."""
        arbiters = [r["rowid"] for r in rows
                    if not self.is_output_row(step, r) and self.is_arbiter_row(step, r)]
        entries = []
        member_counts = {}
        for r in rows:
            entry = {"id": r["id"], "rowid": r["rowid"], "model": r["model"],
                     "role": "member", "iteration": None, "member_index": None}
            if self.is_output_row(step, r):
                entry["role"] = "final_output"
            elif r["rowid"] in arbiters:
                order = arbiters.index(r["rowid"]) + 1
                entry["iteration"] = order
                entry["role"] = "final_arbiter" if order == len(arbiters) else "intermediate_arbiter"
            else:
                it = 1 + sum(1 for a in arbiters if a < r["rowid"])
                member_counts[it] = member_counts.get(it, 0) + 1
                entry["iteration"] = it
                entry["member_index"] = member_counts[it]
            entries.append(entry)
        return entries

    def expected_members(self, step, iteration):
        """The member models whose rows iteration `iteration` should log."""
        return self.run_spec(step)["models"]

    def check_run(self, step, rows, entries):
        """What holds for a run in every family; families add their own checks."""
        label = step["label"]
        exp_iterations, exp_output, _ = self.expectations(step)
        arbiters = [e for e in entries if e["role"].endswith("arbiter")]
        outputs = [e for e in entries if e["role"] == "final_output"]
        if len(outputs) > 1:
            self.anomaly(label, f"{len(outputs)} output rows")
        if bool(outputs) != exp_output:
            self.anomaly(label, f"output row present={bool(outputs)}, expected {exp_output}")
        if len(arbiters) != exp_iterations:
            self.anomaly(label, f"{len(arbiters)} arbiter rows, expected {exp_iterations}")
        if outputs:
            pos = entries.index(outputs[0])
            if pos != len(entries) - 1:
                self.anomaly(label, "output row is not the last row of its run")
            if pos == 0 or entries[pos - 1]["role"] != "final_arbiter":
                self.anomaly(label, "the row before the output row is not the final arbiter")
            out = next(r for r in rows if r["id"] == outputs[0]["id"])
            if out["prompt"] != step["prompt"]:
                self.anomaly(label, "output row prompt differs from the user prompt")
            try:
                meta = json.loads(out["response_json"] or "{}").get("metadata", {})
                if meta.get("iteration_count") != len(arbiters):
                    self.anomaly(label, f"output says {meta.get('iteration_count')} iterations,"
                                 f" {len(arbiters)} arbiter rows found")
            except ValueError:
                self.anomaly(label, "output response_json is not JSON")
        iteration_models = {}
        for e in entries:
            if e["role"] == "member":
                iteration_models.setdefault(e["iteration"], []).append(e["model"])
        for it in range(1, len(arbiters) + 1):
            got = sorted(iteration_models.get(it, []))
            if got != sorted(self.expected_members(step, it)):
                self.anomaly(label, f"iteration {it} members {got}, "
                             f"expected {sorted(self.expected_members(step, it))}")
        extra = [it for it in iteration_models if it > len(arbiters)]
        if extra:
            self.anomaly(label, f"member rows after the last arbiter (iterations {extra})")

    def run_truth(self, step, entries, rc):
        saved = step["kind"] == "saved"
        has_output = any(e["role"] == "final_output" for e in entries)
        return {
            "label": step["label"],
            "consortium": step.get("consortium"),
            "command": "saved" if saved else "run",
            "prompt": step["prompt"],
            "token": step.get("token"),
            "members": self.run_spec(step)["models"],
            "arbiter": self.run_spec(step)["arbiter"],
            "has_output": has_output,
            "expect_grouped": saved and has_output,
            "iterations": sum(1 for e in entries if e["role"].endswith("arbiter")),
            "exit_code": rc,
            "rows": entries,
        }

    def truth(self):
        all_ids = [r["id"] for r in self.query("select id from responses order by rowid")]
        assigned = [e["id"] for run in self.runs for e in run["rows"]] + self.plain
        if sorted(assigned) != sorted(all_ids):
            self.anomaly("truth", "rows in logs.db and rows in truth differ: "
                         f"{len(all_ids)} vs {len(assigned)}")
        return {
            "combo": self.combo,
            "versions": dict(self.versions),
            "requirements": requirement_lines(self.combo),
            "consortiums": {name: {k: v for k, v in self.consortiums[name].items()
                                   if k != "save_args"}
                            for name in self.saved},
            "row_count": len(all_ids),
            "runs": self.runs,
            "plain": self.plain,
            "plain_rows": self.plain_rows,
            "anomalies": self.anomalies,
        }
