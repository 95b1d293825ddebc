"""Hand-written mutations: each is applied to a copy of the project and the suite run against it.

    python tests/mutation/hand.py [--only NAME] [-k PYTEST_K] [--list]

The mutations are in mutations.txt beside this file, one block each:

    ## name: what the bug is
    file: path/in/the/project
    tests: a pytest -k expression (optional: the tests meant to catch it)
    - the exact text as it is now (one or more lines)
    + what the bug makes of it (none: the lines are removed)

A mutation the suite fails on is caught; one it passes is a survivor, a gap
in the tests. The named tests run first: if they fail, the rest need not. Prints one line per mutation and the score; exits 1 if any
mutation survived or no longer applies (its text is not found).
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def parse(text):
    """[(name, file, tests, old, new)] from mutations.txt."""
    mutations = []
    for block in text.split("\n## ")[1:]:
        lines = block.splitlines()
        name = lines[0].strip()
        file = next(line[len("file:"):].strip() for line in lines if line.startswith("file:"))
        tests = next((line[len("tests:"):].strip() for line in lines if line.startswith("tests:")), None)
        old = "\n".join(line[2:] for line in lines if line.startswith("- ") or line == "-")
        new = "\n".join(line[2:] for line in lines if line.startswith("+ ") or line == "+")
        mutations.append((name, file, tests, old, new))
    return mutations


def project_copy(into):
    """The project's files as they are in the working tree; build/ (cached venvs) shared."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in files:
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if (ROOT / "build").exists():
        (into / "build").symlink_to(ROOT / "build")


def run_suite(copy, keyword):
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests"]
    if keyword:
        command += ["-k", keyword]
    return subprocess.run(command, cwd=copy, capture_output=True, text=True).returncode


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="run only the mutations whose name contains this")
    ap.add_argument("-k", dest="keyword", help="pytest -k expression: run part of the suite only")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = ap.parse_args(argv)
    mutations = parse((HERE / "mutations.txt").read_text())
    if args.only:
        mutations = [m for m in mutations if args.only in m[0]]
    if args.list:
        for name, file, *_ in mutations:
            print(f"{file}: {name}")
        return 0
    caught, bad = 0, []
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        copy = pathlib.Path(tmp)
        project_copy(copy)
        for name, file, tests, old, new in mutations:
            path = copy / file
            original = path.read_text()
            if original.count(old) != 1:
                print(f"STALE     {name}: its text is not in {file} exactly once", flush=True)
                bad.append(name)
                continue
            path.write_text(original.replace(old, new))
            started = time.perf_counter()
            try:
                failed = (tests is not None and run_suite(copy, tests) != 0) or run_suite(copy, args.keyword) != 0
            finally:
                path.write_text(original)
            took = time.perf_counter() - started
            print(f"{'caught' if failed else 'SURVIVED':9} {name} ({took:.0f} s)", flush=True)
            caught += failed
            if not failed:
                bad.append(name)
    print(f"hand-written mutations: {caught} of {len(mutations)} caught")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
