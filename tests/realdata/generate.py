#!/usr/bin/env python3
"""Generate real-package logs.db fixtures for the consortium backfill.

For every combo of pinned `llm` + `llm-consortium` releases this script builds
(and caches) a virtualenv under build/fixture-venvs/<combo>/, installs the
pinned packages plus the offline stub models of tests/realdata/stub_models,
then drives the real command line tools (`llm`, `llm consortium save`,
`llm -m NAME`, `llm consortium run`) in a fresh LLM_USER_PATH so that the
packages themselves write a genuine logs.db.  While doing so it records which
rows belong to which run and writes, into <out>/<combo>/:

  logs.db                 the database exactly as llm left it (no VACUUM)
  consortium_models.txt   the saved consortium names, one a line
  truth.json              the runs, their rows and roles, and the plain rows

Each command runs in its own process, exactly as the `llm` console script
would run it: by default cli_server.py (started once per combo with the venv's
python) imports llm.cli once and forks a child per command, which saves the
~0.7 s of imports every `llm` start costs; `--spawn` starts the `llm`
executable afresh for each command instead (same rows, ~15 s slower a combo).

The driver uses the standard library only.  If `uv` is on PATH it is used to
build the virtualenvs (much faster); otherwise `venv` + pip.

    python tests/realdata/generate.py [--out DIR] [--combo NAME ...]
"""

import argparse
import base64
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STUB_DIR = HERE / "stub_models"
REQUIREMENTS_DIR = HERE / "requirements"
DEFAULT_OUT = REPO / "tests" / "fixtures"
DEFAULT_VENVS = REPO / "build" / "fixture-venvs"

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

# Saved consortiums: name -> member models (all use stub-arbiter as arbiter,
# confidence threshold 0.9 and at most 3 iterations).
CONSORTIUMS = {
    "trio-c1": ["stub-a", "stub-b", "stub-c"],
    "4.1-mini-n2-i3": ["stub-a", "stub-b"],
    "same-pair": ["stub-same-1", "stub-same-2"],
    "arb-member": ["stub-arbiter", "stub-a"],
    "tricky-duo": ["stub-tricky", "stub-a"],
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

# The scenario, in order.  Kinds:
#   plain:    llm -m MODEL PROMPT                        (one plain row)
#   save:     llm consortium save NAME ...               (no row)
#   saved:    llm -m CONSORTIUM [ARGS] PROMPT            (a run, output row)
#   run:      llm consortium run -m ... PROMPT           (a run, no output row)
#   parallel: several `saved` steps started at the same time
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
    {"kind": "run", "label": "cli-run", "models": ["stub-a", "stub-b", "stub-c"],
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
    {"kind": "run", "label": "cli-run-arbiter-member", "models": [ARBITER, "stub-a"],
     "token": "run-13", "prompt": "run-13: Give an antonym for slow. [iterations=1]",
     "iterations": 1},
    {"kind": "saved", "label": "no-log", "consortium": "trio-c1", "token": "run-14",
     "args": ["--no-log"], "prompt": "run-14: Count to three. [iterations=1]",
     "iterations": 1},
    {"kind": "plain", "label": "plain-last", "model": "stub-b",
     "prompt": "Plain question p05: is this the last one?"},
]


def log(msg):
    print(msg, flush=True)


def warn(msg):
    print(f"WARNING: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- venvs ----

def _file_digest(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _read_stub_project():
    text = (STUB_DIR / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        tomllib = None
    if tomllib:
        data = tomllib.loads(text)["project"]
        return (data["name"], data["version"], data.get("dependencies", []),
                data.get("entry-points", {}))
    name = re.search(r'^name\s*=\s*"([^"]+)"', text, re.M).group(1)
    version = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M).group(1)
    eps = dict(re.findall(r'^(\w+)\s*=\s*"([\w.:]+)"\s*$',
                          text.split("[project.entry-points.llm]", 1)[1], re.M))
    return name, version, ["llm"], {"llm": eps}


def build_stub_wheel(dest):
    """Build the stub plugin's wheel with zipfile alone (no build backend,
    nothing written into the source tree)."""
    name, version, deps, entry_points = _read_stub_project()
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    files = {
        "llm_stub_models.py": (STUB_DIR / "llm_stub_models.py").read_bytes(),
        f"{info}/METADATA": (
            "Metadata-Version: 2.1\n"
            f"Name: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {d}\n" for d in deps)
        ).encode(),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: consortium-backfill\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        ).encode(),
        f"{info}/entry_points.txt": "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in eps.items()) + "\n"
            for group, eps in entry_points.items()
        ).encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in files.items():
            zf.writestr(zipfile.ZipInfo(path, date_time=(2025, 1, 1, 0, 0, 0)), data)
    return wheel


def _run(cmd, **kw):
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        raise RuntimeError(
            f"command failed ({res.returncode}): {' '.join(map(str, cmd))}\n"
            f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        )
    return res


def _pick_installer(choice):
    if choice in ("auto", "uv"):
        uv = shutil.which("uv")
        if uv:
            return ("uv", uv)
        if choice == "uv":
            raise SystemExit("--installer uv: no uv on PATH")
    return ("pip", None)


def _outer_pip_ok():
    """Can this interpreter's pip install into another environment
    (pip >= 22.3 has --python)?"""
    try:
        from importlib.metadata import version
        major, minor = (int(x) for x in version("pip").split(".")[:2])
        return (major, minor) >= (22, 3)
    except Exception:
        return False


def _norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def fill_wheelhouse(req, wheelhouse, pip):
    """pip mode: download the pinned wheels once into a folder shared by all
    combos (they share most pins), so that every venv installs offline."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    have = {(_norm(f.name.split("-")[0]), f.name.split("-")[1]) for f in wheelhouse.glob("*.whl")}
    missing = []
    for line in req.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            if (_norm(name), version) not in have:
                missing.append(line)
    if missing:
        _run([*pip, "download", "-q", "--disable-pip-version-check", "--no-deps",
              "--only-binary", ":all:", "-d", str(wheelhouse), *missing])


def ensure_venv(combo, venvs_dir, installer):
    """Create or reuse build/fixture-venvs/<combo>; returns (bin dir, cached?)."""
    venv = venvs_dir / combo
    bindir = venv / "bin"
    py = bindir / "python"
    req = REQUIREMENTS_DIR / f"{combo}.txt"
    deps_stamp = hashlib.sha256(
        req.read_bytes() + sys.version.encode() + sys.base_prefix.encode()
    ).hexdigest()
    stub_stamp = _file_digest([STUB_DIR / "pyproject.toml", STUB_DIR / "llm_stub_models.py"])
    stamp_file = venv / "fixture-venv.json"
    wheelhouse = venvs_dir / "wheels"
    stamp = {}
    if stamp_file.exists():
        try:
            stamp = json.loads(stamp_file.read_text())
        except ValueError:
            stamp = {}
    kind, uv = _pick_installer(installer)
    outer_pip = kind == "pip" and _outer_pip_ok()

    def install(args):
        if kind == "uv":
            _run([uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(py), *args])
        else:
            if outer_pip:  # this interpreter's pip installs into the venv: no ensurepip
                pip = [sys.executable, "-m", "pip", "--python", str(py)]
            else:
                if not (bindir / "pip").exists():
                    _run([str(py), "-m", "ensurepip", "-q"])
                pip = [str(py), "-m", "pip"]
            if "-r" in args:
                fill_wheelhouse(req, wheelhouse, pip)
                args = ["--no-index", "--find-links", str(wheelhouse), *args]
            _run([*pip, "install", "-q", "--disable-pip-version-check", *args])

    cached = stamp.get("deps") == deps_stamp and (bindir / "llm").exists()
    if not cached:
        if venv.exists():
            shutil.rmtree(venv)
        venv.parent.mkdir(parents=True, exist_ok=True)
        stamp = {}
        if kind == "uv":
            _run([uv, "venv", "-q", "--python", sys.executable, str(venv)])
        elif outer_pip:
            _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        else:
            _run([sys.executable, "-m", "venv", str(venv)])
        install(["--no-deps", "-r", str(req)])
        stamp["deps"] = deps_stamp
        stamp_file.write_text(json.dumps(stamp))
    if stamp.get("stub") != stub_stamp:
        wheel = build_stub_wheel(venv / "stub-wheel")
        reinstall = "--reinstall" if kind == "uv" else "--force-reinstall"
        install(["--no-deps", reinstall, str(wheel)])
        stamp["stub"] = stub_stamp
        stamp_file.write_text(json.dumps(stamp))
    return bindir, cached


# -------------------------------------------------------------- runners ----

def llm_env(bindir, user_dir):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LLM_", "OPENAI_", "VIRTUAL_ENV", "PYTHON"))}
    env["LLM_USER_PATH"] = str(user_dir)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return env


class SpawnRunner:
    """Every command is a fresh `llm` process; commands of one call run at
    the same time."""

    def __init__(self, bindir, user_dir):
        self.llm = str(bindir / "llm")
        self.env = llm_env(bindir, user_dir)

    def run(self, commands):
        procs = [subprocess.Popen([self.llm, *argv], env=self.env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for argv in commands]
        results = []
        for p in procs:
            out, err = p.communicate()
            results.append((p.returncode, out, err))
        return results

    def close(self):
        pass


class ForkServerRunner:
    """cli_server.py in the fixture venv imports llm.cli once and forks one
    child per command, which runs the `llm` click command with that argv."""

    def __init__(self, bindir, user_dir):
        self.proc = subprocess.Popen(
            [str(bindir / "python"), str(HERE / "cli_server.py")],
            env=llm_env(bindir, user_dir), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        ready = self.proc.stdout.readline()
        if not ready.strip():
            raise RuntimeError("cli_server.py did not start")
        if (user_dir / "logs.db").exists():
            raise RuntimeError("importing llm.cli wrote logs.db before any command")

    def run(self, commands):
        self.proc.stdin.write(json.dumps({"commands": commands}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("cli_server.py died")
        return [(r["rc"], r["stdout"], r["stderr"]) for r in json.loads(line)["results"]]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


# ------------------------------------------------------------ the truth ----

def is_arbiter_prompt(prompt):
    return (prompt or "").lstrip().startswith(ARBITER_PREFIXES)


class Generator:
    def __init__(self, combo, runner, user_dir, verbose=False):
        self.verbose = verbose
        self.combo = combo
        self.versions = COMBOS[combo]
        self.runner = runner
        self.user_dir = user_dir
        self.db_path = user_dir / "logs.db"
        self.runs = []
        self.plain = []
        self.plain_rows = []
        self.anomalies = []
        self.saved = []

    # -- database helpers
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
            "select rowid, id, model, prompt, response, response_json from responses"
            " where rowid > ? and rowid <= ? order by rowid", (lo, hi))

    def anomaly(self, where, msg):
        text = f"[{self.combo}] {where}: {msg}"
        warn(text)
        self.anomalies.append(text)
        return text

    # -- commands
    def command(self, step):
        kind = step["kind"]
        if kind == "plain":
            return ["-m", step["model"], step["prompt"]]
        if kind == "save":
            cmd = ["consortium", "save", step["name"]]
            for m in CONSORTIUMS[step["name"]]:
                cmd += ["-m", m]
            return cmd + ["--arbiter", ARBITER, "--confidence-threshold", THRESHOLD,
                          "--max-iterations", str(MAX_ITERATIONS)]
        if kind == "saved":
            return ["-m", step["consortium"], *step.get("args", []), step["prompt"]]
        if kind == "run":
            cmd = ["consortium", "run"]
            for m in step["models"]:
                cmd += ["-m", m]
            return cmd + ["--arbiter", ARBITER, "--confidence-threshold", THRESHOLD,
                          "--max-iterations", str(MAX_ITERATIONS), step["prompt"]]
        raise ValueError(kind)

    def expectations(self, step):
        """What a correct run of this step should leave: iterations, output
        row, exit code."""
        iterations = step.get("iterations")
        has_output = step["kind"] == "saved" and "--no-log" not in step.get("args", [])
        rc = 0
        if iterations is None:  # [arbiter-fail]
            if self.versions["llm-consortium"] == "0.3":
                # 0.3 defaults a missing confidence to 0.5 and iterates on
                iterations = MAX_ITERATIONS
            else:
                iterations, has_output, rc = 1, False, 1
        return iterations, has_output, rc

    def save_all(self, steps):
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

    def execute(self, step):
        if step["kind"] == "saves":
            return self.save_all(step["steps"])
        before = self.max_rowid()
        steps = step["steps"] if step["kind"] == "parallel" else [step]
        results = [(s, *res) for s, res in
                   zip(steps, self.runner.run([self.command(s) for s in steps]))]
        after = self.max_rowid()
        rows = self.rows_between(before, after)
        for s, rc, out, err in results:
            expected_rc = self.expectations(s)[2] if s["kind"] in ("saved", "run") else 0
            if rc != expected_rc:
                self.anomaly(s.get("label") or s.get("name"),
                             f"exit code {rc}, expected {expected_rc}\n{out[-1500:]}\n{err[-1500:]}")
            elif rc == 0 and err.strip():
                self.anomaly(s.get("label") or s.get("name"), f"stderr: {err.strip()[-1500:]}")
        if step["kind"] == "plain":
            self.record_plain(step, rows)
            return
        if step["kind"] == "parallel":
            self.record_parallel(steps, rows, results)
            return
        self.record_run(step, rows, results[0][1])

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
        by_label = {s["label"]: [] for s in steps}
        for r in rows:
            owners = [s["label"] for s in steps if s["token"] in (r["prompt"] or "")]
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

    def record_run(self, step, rows, rc):
        label = step["label"]
        saved = step["kind"] == "saved"
        consortium = step.get("consortium")
        members = CONSORTIUMS[consortium] if saved else step["models"]
        exp_iterations, exp_output, _ = self.expectations(step)
        roles = []
        arbiters = []
        for r in rows:
            if saved and r["model"] == consortium:
                roles.append("final_output")
            elif r["model"] == ARBITER and is_arbiter_prompt(r["prompt"]):
                roles.append("arbiter")
                arbiters.append(r["rowid"])
            else:
                roles.append("member")
        out_rows = []
        member_counts = {}
        iteration_models = {}
        for r, role in zip(rows, roles):
            entry = {"id": r["id"], "rowid": r["rowid"], "model": r["model"], "role": role,
                     "iteration": None, "member_index": None}
            if role == "arbiter":
                order = arbiters.index(r["rowid"]) + 1
                entry["iteration"] = order
                entry["role"] = "final_arbiter" if order == len(arbiters) else "intermediate_arbiter"
            elif role == "member":
                it = 1 + sum(1 for a in arbiters if a < r["rowid"])
                member_counts[it] = member_counts.get(it, 0) + 1
                entry["iteration"] = it
                entry["member_index"] = member_counts[it]
                iteration_models.setdefault(it, []).append(r["model"])
            out_rows.append(entry)

        # ---- check the truth against what this step should have produced
        outputs = [e for e in out_rows if e["role"] == "final_output"]
        has_output = bool(outputs)
        if len(outputs) > 1:
            self.anomaly(label, f"{len(outputs)} output rows")
        if has_output != exp_output:
            self.anomaly(label, f"output row present={has_output}, expected {exp_output}")
        if len(arbiters) != exp_iterations:
            self.anomaly(label, f"{len(arbiters)} arbiter rows, expected {exp_iterations}")
        if outputs:
            pos = out_rows.index(outputs[0])
            if pos != len(out_rows) - 1:
                self.anomaly(label, "output row is not the last row of its run")
            if pos == 0 or out_rows[pos - 1]["role"] != "final_arbiter":
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
            final = next(r for r in rows if r["rowid"] == arbiters[-1]) if arbiters else None
            m = re.search(r"<synthesis>([\s\S]*?)</synthesis>", (final or {}).get("response") or "")
            if m and m.group(1).strip() != (out["response"] or "").strip():
                self.anomaly(label, "output response is not the final arbiter's synthesis")
        for it in range(1, len(arbiters) + 1):
            got = sorted(iteration_models.get(it, []))
            if got != sorted(members):
                self.anomaly(label, f"iteration {it} members {got}, expected {sorted(members)}")
        extra = [it for it in iteration_models if it > len(arbiters)]
        if extra:
            self.anomaly(label, f"member rows after the last arbiter (iterations {extra})")
        for r in rows:
            if step["prompt"] not in (r["prompt"] or ""):
                self.anomaly(label, f"row {r['rowid']} does not contain the user prompt")
        self.runs.append({
            "label": label,
            "consortium": consortium if saved else None,
            "command": "saved" if saved else "run",
            "prompt": step["prompt"],
            "token": step.get("token"),
            "members": members,
            "arbiter": ARBITER,
            "has_output": has_output,
            "expect_grouped": saved and has_output,
            "iterations": len(arbiters),
            "exit_code": rc,
            "rows": out_rows,
        })

    def generate(self):
        for step in SCENARIO:
            t = time.monotonic()
            self.execute(step)
            if self.verbose:
                name = step.get("label") or step["kind"]
                log(f"  [{self.combo}] {name}: {time.monotonic() - t:.2f}s")
        all_ids = [r["id"] for r in self.query("select id from responses order by rowid")]
        assigned = [e["id"] for run in self.runs for e in run["rows"]] + self.plain
        if sorted(assigned) != sorted(all_ids):
            self.anomaly("truth", "rows in logs.db and rows in truth differ: "
                         f"{len(all_ids)} vs {len(assigned)}")
        return {
            "combo": self.combo,
            "versions": dict(self.versions),
            "requirements": [l for l in (REQUIREMENTS_DIR / f"{self.combo}.txt").read_text()
                             .splitlines() if l and not l.startswith("#")],
            "consortiums": {name: {"models": CONSORTIUMS[name], "arbiter": ARBITER,
                                   "confidence_threshold": float(THRESHOLD),
                                   "max_iterations": MAX_ITERATIONS}
                            for name in self.saved},
            "row_count": len(all_ids),
            "runs": self.runs,
            "plain": self.plain,
            "plain_rows": self.plain_rows,
            "anomalies": self.anomalies,
        }


def generate_combo(combo, out_dir, venvs_dir, installer, keep=False, verbose=False,
                   spawn=False):
    t0 = time.monotonic()
    bindir, cached = ensure_venv(combo, venvs_dir, installer)
    t1 = time.monotonic()
    user_dir = Path(tempfile.mkdtemp(prefix=f"fixture-{combo}-"))
    runner = (SpawnRunner if spawn else ForkServerRunner)(bindir, user_dir)
    try:
        gen = Generator(combo, runner, user_dir, verbose)
        truth = gen.generate()
        target = out_dir / combo
        target.mkdir(parents=True, exist_ok=True)
        for name in ("logs.db", "logs.db-journal"):
            (target / name).unlink(missing_ok=True)
        shutil.copyfile(user_dir / "logs.db", target / "logs.db")
        (target / "consortium_models.txt").write_text("".join(f"{n}\n" for n in gen.saved))
        (target / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    finally:
        runner.close()
        if keep:
            log(f"[{combo}] user dir kept: {user_dir}")
        else:
            shutil.rmtree(user_dir, ignore_errors=True)
    t2 = time.monotonic()
    size = (out_dir / combo / "logs.db").stat().st_size
    log(f"[{combo}] llm {truth['versions']['llm']} + llm-consortium "
        f"{truth['versions']['llm-consortium']}: {truth['row_count']} rows, "
        f"{len(truth['runs'])} runs ({sum(r['expect_grouped'] for r in truth['runs'])} with output), "
        f"{len(truth['plain'])} plain, logs.db {size // 1024} KiB, "
        f"{len(truth['anomalies'])} anomalies; venv {t1 - t0:.1f}s "
        f"({'cached' if cached else 'built'}), generation {t2 - t1:.1f}s, total {t2 - t0:.1f}s")
    return truth


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help="output directory (default: tests/fixtures)")
    ap.add_argument("--combo", action="append", choices=sorted(COMBOS),
                    help="combo to generate (repeatable; default: all)")
    ap.add_argument("--venvs", type=Path, default=DEFAULT_VENVS,
                    help="where the cached virtualenvs live (default: build/fixture-venvs)")
    ap.add_argument("--installer", choices=["auto", "uv", "pip"], default="auto",
                    help="uv if on PATH (auto), else venv + pip")
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="combos generated at the same time (default 1)")
    ap.add_argument("--strict", action="store_true",
                    help="exit non-zero when the packages did something unexpected")
    ap.add_argument("--keep-user-dir", action="store_true",
                    help="keep the temporary LLM_USER_PATH for inspection")
    ap.add_argument("-v", "--verbose", action="store_true", help="time every step")
    ap.add_argument("--spawn", action="store_true",
                    help="start the `llm` executable afresh for every command instead of "
                         "forking each command from a process that imported llm once "
                         "(same behaviour, about 0.7 s slower per command)")
    args = ap.parse_args(argv)
    combos = args.combo or list(COMBOS)
    out = args.out.resolve()
    t0 = time.monotonic()
    anomalies = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {c: pool.submit(generate_combo, c, out, args.venvs.resolve(),
                                  args.installer, args.keep_user_dir, args.verbose,
                                  args.spawn)
                   for c in combos}
        for c, f in futures.items():
            anomalies += f.result()["anomalies"]
    log(f"done: {len(combos)} combo(s) in {time.monotonic() - t0:.1f}s, "
        f"{len(anomalies)} anomalies")
    if anomalies and args.strict:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
