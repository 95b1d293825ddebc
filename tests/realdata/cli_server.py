"""Run `llm` command lines, each in its own forked process, without paying
Python's start-up and import cost (about 0.7 s, mostly `openai`) every time.

Started by generate.py with a fixture virtualenv's python and LLM_USER_PATH
set. It imports `llm.cli` once (which loads the installed plugins, as the
`llm` console script does), then reads JSON requests from stdin, one a line:

    {"commands": [["-m", "stub-a", "hi"], ["consortium", "run", ...],
                  {"argv": ["chat", "-m", "x"], "stdin": "hello\nexit\n"}]}

forks one child per command, all at the same time, and in each child runs the
`llm` click command with that argv exactly as the `llm` console script would
(stdin /dev/null or the given text, stdout/stderr to files). When every child has exited it
writes one JSON line back:

    {"results": [{"rc": 0, "stdout": "...", "stderr": "..."}, ...]}

Nothing here touches logs.db before a fork, so every command opens its own
connections like a fresh process.
"""

import json
import os
import sys
import tempfile
import traceback


def child(argv, stdin_path, out_path, err_path):
    os.dup2(os.open(stdin_path or os.devnull, os.O_RDONLY), 0)
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(err, 2)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = ["llm", *argv]
    code = 0
    try:
        from llm.cli import cli

        cli.main(args=list(argv), prog_name="llm")
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main():
    # Import the CLI (and with it every plugin) once, before any fork.
    import llm.cli  # noqa: F401

    proto_out = sys.stdout
    workdir = tempfile.mkdtemp(prefix="llm-cli-server-")
    print(json.dumps({"ready": True}), file=proto_out, flush=True)
    counter = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        children = []
        for command in request["commands"]:
            counter += 1
            argv, stdin_path = command, None
            if isinstance(command, dict):
                argv = command["argv"]
                stdin_path = os.path.join(workdir, f"{counter}.in")
                with open(stdin_path, "w") as f:
                    f.write(command["stdin"])
            out_path = os.path.join(workdir, f"{counter}.out")
            err_path = os.path.join(workdir, f"{counter}.err")
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child(argv, stdin_path, out_path, err_path)
            children.append((pid, stdin_path, out_path, err_path))
        results = []
        for pid, stdin_path, out_path, err_path in children:
            _, status = os.waitpid(pid, 0)
            rc = os.waitstatus_to_exitcode(status)
            with open(out_path, errors="replace") as f:
                stdout = f.read()
            with open(err_path, errors="replace") as f:
                stderr = f.read()
            for path in (stdin_path, out_path, err_path):
                if path:
                    os.unlink(path)
            results.append({"rc": rc, "stdout": stdout, "stderr": stderr})
        print(json.dumps({"results": results}), file=proto_out, flush=True)
    os.rmdir(workdir)


if __name__ == "__main__":
    main()
