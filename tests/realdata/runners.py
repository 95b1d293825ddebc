"""Run `llm` command lines for the generator, each in a process of its own.

Both runners take a batch of commands (an argv, or {"argv": [...], "stdin":
TEXT} for a command that reads its input, such as `llm chat`), run them at the
same time and return [(exit code, stdout, stderr)] in order. `ForkServerRunner` (the default) forks
each command from cli_server.py, which imported llm.cli once; `SpawnRunner`
starts the `llm` executable afresh for every command (same rows, slower).
The environment is the family's (`Recorder.environment`): a fresh user folder,
nothing of the caller's LLM_*/OPENAI_* settings.
"""

import json
import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def llm_env(bindir, settings):
    """The caller's environment without llm/OpenAI/venv settings, plus the
    family's `settings` (LLM_USER_PATH, XDG_CONFIG_HOME, ...)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LLM_", "OPENAI_", "VIRTUAL_ENV", "PYTHON", "XDG_"))}
    env.update(settings)
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return env


def _snapshot(path):
    """Size and change time of a file, None when there is none."""
    return (path.stat().st_size, path.stat().st_mtime_ns) if path.exists() else None


class SpawnRunner:
    """Every command is a fresh `llm` process; commands of one call run at
    the same time."""

    def __init__(self, bindir, settings, db_path):
        self.llm = str(bindir / "llm")
        self.env = llm_env(bindir, settings)

    def run(self, commands):
        commands = [c if isinstance(c, dict) else {"argv": c} for c in commands]
        procs = [subprocess.Popen([self.llm, *c["argv"]], env=self.env,
                                  stdin=subprocess.PIPE if "stdin" in c else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for c in commands]
        results = []
        for c, p in zip(commands, procs):
            out, err = p.communicate(c.get("stdin"))
            results.append((p.returncode, out, err))
        return results

    def close(self):
        pass


class ForkServerRunner:
    """cli_server.py in the fixture venv imports llm.cli once and forks one
    child per command, which runs the `llm` click command with that argv."""

    def __init__(self, bindir, settings, db_path):
        before = _snapshot(db_path)
        self.proc = subprocess.Popen(
            [str(bindir / "python"), str(HERE / "cli_server.py")],
            env=llm_env(bindir, settings), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        ready = self.proc.stdout.readline()
        if not ready.strip():
            raise RuntimeError("cli_server.py did not start")
        if _snapshot(db_path) != before:
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
