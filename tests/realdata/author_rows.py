#!/usr/bin/env python3
"""Rows of the author's own file that the releases cannot write.

    python tests/realdata/author_rows.py [--out tests/fixtures/author-rows]

Drives the real `llm` 0.25 and llm-consortium at commit 13fca2a (family C of
ERAS.md, the first builds that run a consortium used as another's arbiter to
the end), with the stub models of stub_models/, and writes:

  logs.db     the database as llm left it
  author_truth.json  which rows belong to which run, and the look-alike rows

The scenario:
- `gemini-n2` (stub-a, stub-b; arbiter stub-arbiter) is a saved consortium;
  `gemini-arb` (stub-c, stub-a) uses it as its arbiter, as the author's own
  `gemini-arb` uses his `gemini-n2`. Each outer arbiter call is a whole inner
  run whose output row (model gemini-n2, prompt = the outer arbiter prompt)
  is logged right before the outer iteration ends.
- `gemini-n2` used on its own, once.
- A coding agent's session: one conversation (`llm -c`) switching models,
  whose prompts paste query output holding <arbiter_prompt> and
  <synthesis_output> text; one of its answers holds synthesis XML.

Runs in the builds2025 family's venv for 13fca2a (venvs.py: the archive
../shared/llm-consortium-builds/2025-06-12-13fca2a.tar.gz, or the folder
LLM_CONSORTIUM_BUILDS names, and PyPI; cached in build/fixture-venvs/), one
`llm` process a command (runners.SpawnRunner), in that family's user folder.
"""
import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import venvs  # noqa: E402
from families.builds2025 import COMBOS, Builds2025  # noqa: E402
from runners import SpawnRunner  # noqa: E402

REPO = HERE.parent.parent
COMBO = "llm0.25-13fca2a"
BUILD = COMBO.rsplit("-", 1)[1]
DEFAULT_OUT = REPO / "tests" / "fixtures" / "author-rows"
INNER, OUTER = "gemini-n2", "gemini-arb"

QUERY_OUTPUT = """$ sqlite3 logs.db "select id, substr(prompt, 1, 400), substr(response, 1, 300) from responses where is_arbiter_response = 1 limit 1"
01jrx0m4z3y2d7gq7h6b1k8v5e|<arbiter_prompt>
    <user_instructions></user_instructions>
    <original_prompt>Name two rivers in Europe.</original_prompt>
    <model_responses>
        <model_response>
            <model>stub-a</model>
            <instance>1</instance>
            <confidence>0.8</confidence>
            <response>The Danube and the Rhine.</response>
        </model_response>
    </model_responses>|<thought_process>Compared.</thought_process>
<synthesis_output>
<synthesis>The Danube and the Rhine.</synthesis>
<confidence>0.9</confidence>
</synthesis_output>"""

AGENT = [
    ("stub-a", [], f"Here is the query output:\n{QUERY_OUTPUT}\n\nWhich of these rows is an arbiter?"),
    ("stub-b", ["-c"], f"Same question with another model. Output again:\n{QUERY_OUTPUT}"),
    # Pasted so that it starts like an arbiter prompt: stub-arbiter answers it
    # with synthesis XML, in the same conversation.
    ("stub-arbiter", ["-c"], QUERY_OUTPUT.split("|", 1)[1].split("|")[0]
     + "\n    <iteration_history>\n    </iteration_history>\n</arbiter_prompt>"),
    ("stub-c", ["-c"], "Count the rows whose response LIKE '%<synthesis_output>%'."),
]


class Session:
    """One user folder of the builds2025 family: `llm` run a command at a time,
    the rows read back as the family's recorder reads them."""

    def __init__(self, bindir, user_dir):
        runner = SpawnRunner(bindir, Builds2025.environment(user_dir), Builds2025.database(user_dir))
        versions = {"llm": COMBOS[COMBO]["llm"], "llm-consortium": COMBOS[COMBO]["llm-consortium"]}
        self.recorder = Builds2025(COMBO, versions, runner, user_dir)
        self.db_path = self.recorder.db_path

    def llm_run(self, *args):
        ((code, _, err),) = self.recorder.runner.run([list(args)])
        if code != 0:
            raise RuntimeError(f"llm {' '.join(args)[:80]} failed:\n{err[-2000:]}")

    def rows_after(self, rowid):
        return self.recorder.rows_between(rowid, self.recorder.max_rowid())

    def last_rowid(self):
        return self.recorder.max_rowid()


def entry(row, role, iteration=None, member_index=None):
    return {"id": row["id"], "rowid": row["rowid"], "model": row["model"], "role": role,
            "iteration": iteration, "member_index": member_index}


def split_runs(rows, outer_prompt):
    """The rows of one `llm -m gemini-arb` command, as its inner runs and the outer run.

    Each inner run ends with its output row (model gemini-n2); its members are
    asked about the outer arbiter prompt, the outer members about the user's prompt.
    """
    inner_runs, outer_rows, pending = [], [], []
    outer_iteration = 1
    for row in rows:
        if row["model"] == OUTER:
            outer_rows.append(entry(row, "final_output", outer_iteration - 1))
        elif row["model"] == INNER:
            inner_runs.append(run_truth(INNER, row["prompt"], pending + [row]))
            outer_rows.append(entry(row, "arbiter", outer_iteration))
            outer_iteration += 1
            pending = []
        elif "<arbiter_prompt>" in (row["prompt"] or ""):
            pending.append(row)
        else:
            outer_rows.append(entry(row, "member", outer_iteration))
    arbiters = [r for r in outer_rows if r["role"] == "arbiter"]
    for r in arbiters:
        r["role"] = "final_arbiter" if r is arbiters[-1] else "intermediate_arbiter"
    number_members(outer_rows)
    outer = {"label": "consortium-as-arbiter", "consortium": OUTER, "prompt": outer_prompt,
             "iterations": len(arbiters), "arbiter_runs": [run["label"] for run in inner_runs],
             "rows": outer_rows}
    for number, run in enumerate(inner_runs, start=1):
        run["label"] = f"inner-{number}"
        run["parent"] = outer["label"]
    outer["arbiter_runs"] = [run["label"] for run in inner_runs]
    return inner_runs, outer


def run_truth(consortium, prompt, rows):
    """A plain run: members, then arbiter rows (arbiter prompt, stub-arbiter), then the output."""
    entries, iteration = [], 1
    arbiters = [r for r in rows if r["model"] == "stub-arbiter" and r["prompt"].startswith("<arbiter_prompt>")]
    for row in rows:
        if row["model"] == consortium:
            entries.append(entry(row, "final_output", len(arbiters)))
        elif row in arbiters:
            role = "final_arbiter" if row is arbiters[-1] else "intermediate_arbiter"
            entries.append(entry(row, role, iteration))
            iteration += 1
        else:
            entries.append(entry(row, "member", iteration))
    number_members(entries)
    return {"label": None, "consortium": consortium, "prompt": prompt, "iterations": len(arbiters),
            "rows": entries}


def number_members(entries):
    counts = {}
    for e in entries:
        if e["role"] == "member":
            counts[e["iteration"]] = counts.get(e["iteration"], 0) + 1
            e["member_index"] = counts[e["iteration"]]


def generate_rows(bindir, out):
    home = Path(tempfile.mkdtemp(prefix="author-rows-"))
    try:
        s = Session(bindir, home)
        s.llm_run("-m", "stub-a", "Plain question a01: what is a saved consortium?")
        plain = [entry(r, "plain") for r in s.rows_after(0)]
        for name, members, arbiter in [(INNER, ["stub-a", "stub-b"], "stub-arbiter"),
                                       (OUTER, ["stub-c", "stub-a"], INNER)]:
            args = [a for m in members for a in ("-m", m)]
            s.llm_run("consortium", "save", name, *args, "--arbiter", arbiter,
                      "--confidence-threshold", "0.9", "--max-iterations", "2")
        runs = []
        before = s.last_rowid()
        prompt = "inner-01: Name a bird of prey. [iterations=2]"
        s.llm_run("-m", INNER, prompt)
        run = run_truth(INNER, prompt, s.rows_after(before))
        run["label"] = "inner-alone"
        runs.append(run)
        before = s.last_rowid()
        prompt = "outer-01: Name a bird that cannot fly. [iterations=1]"
        s.llm_run("-m", OUTER, prompt)
        inner_runs, outer = split_runs(s.rows_after(before), prompt)
        runs += inner_runs + [outer]
        before = s.last_rowid()
        for model, options, text in AGENT:
            s.llm_run("-m", model, *options, text)
        agent = [entry(r, "look-alike") for r in s.rows_after(before)]
        before = s.last_rowid()
        s.llm_run("-m", "stub-b", "Plain question a02: is this the last one?")
        plain += [entry(r, "plain") for r in s.rows_after(before)]
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(s.db_path, out / "logs.db")
        truth = {
            "build": BUILD, "llm": "0.25", "consortiums": [INNER, OUTER],
            "row_count": len(s.rows_after(0)), "runs": runs, "look_alikes": agent, "plain": plain,
        }
        (out / "author_truth.json").write_text(json.dumps(truth, indent=1) + "\n")
        (out / "consortium_models.txt").write_text(f"{INNER}\n{OUTER}\n")
        return truth
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--venvs", type=Path, default=REPO / "build" / "fixture-venvs")
    args = parser.parse_args(argv)
    bindir, _ = venvs.ensure_venv(COMBO, args.venvs.resolve(), "auto", build=COMBOS[COMBO]["build"])
    truth = generate_rows(bindir, args.out)
    accounted = sum(len(r["rows"]) for r in truth["runs"]) + len(truth["look_alikes"]) + len(truth["plain"])
    # Inner output rows are in two runs: their own and, as arbiter, the outer one.
    shared = sum(1 for r in truth["runs"] if r.get("parent"))
    print(f"{truth['row_count']} rows: {len(truth['runs'])} runs, {len(truth['look_alikes'])} look-alikes,"
          f" {len(truth['plain'])} plain; {'ok' if accounted - shared == truth['row_count'] else 'ROWS MISSING'}")
    return 0 if accounted - shared == truth["row_count"] else 1


if __name__ == "__main__":
    sys.exit(main())
