"""Backfills as processes of their own, without starting Python for each one.

    with Forker() as forker:
        status = forker.run(["backfill", "-d", path, "-m", models], CONSORTIUM_BACKFILL_KILL_AFTER="12")

A process started once imports the command line; each run is a fork of it: a
process of its own, which a kill ends as it would end `backfill.py`, with the
environment given and its output thrown away. The status is what Popen's
returncode would be: the exit code, or minus the signal that ended it.

For the crash tests, which kill dozens of backfills: starting Python and
importing the package took longer than the backfill each kill cut short.
"""
import json
import os
import pathlib
import signal
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# A run that hangs is ended (SIGALRM) rather than the test waiting forever.
LONGEST_RUN_SECONDS = 60


class Forker:
    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        return self

    def run(self, args, **env):
        self.process.stdin.write(json.dumps({"args": [str(a) for a in args], "env": env}) + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def __exit__(self, *exc):
        self.process.stdin.close()
        self.process.wait(timeout=LONGEST_RUN_SECONDS)


def run_one(cli, request):
    """In the child: the command, then exit with its code."""
    os.environ.update(request["env"])
    signal.alarm(LONGEST_RUN_SECONDS)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    try:
        cli.main(request["args"], prog_name="backfill.py")
    except SystemExit as done:
        os._exit(done.code if isinstance(done.code, int) else 1)
    except BaseException:
        os._exit(1)
    os._exit(0)


def serve():
    sys.path.insert(0, str(ROOT))
    from consortium_backfill.cli import cli

    for line in sys.stdin:
        request = json.loads(line)
        child = os.fork()
        if child == 0:
            run_one(cli, request)
        _, status = os.waitpid(child, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    serve()
