"""Mutation testing on a fixed random sample of mutmut's mutants: a score in hours, not days.

    python tests/mutation/sample.py N [--jobs J] [--list]

Most mutants are reached by most of the suite, so a survivor costs a whole
suite run: checking all ~6,000 takes days on two cores. mutmut checks the
quickest first, so a run cut short says little about the rest; a random sample
does. `score.py --sample N` gives the sample's score and the 95 % interval in
which the whole project's score lies.

The sample is the N names with the smallest SHA-1: random with respect to what
a mutant does, yet the same from one run to the next, so a stopped run resumes
where it was (only mutants without a result are run). A mutant of a function
that changed loses its result and is run again.
"""
import argparse
import hashlib
import os
import subprocess
import sys

from score import NOT_CHECKED, ROOT, results


def sample(names, size):
    return sorted(names, key=lambda name: hashlib.sha1(name.encode()).hexdigest())[:size]


def generate():
    """Write mutants/ (new and changed modules only), as the start of `mutmut run` does.

    mutmut has no command that only generates; these are the steps of its `run`
    (mutmut is pinned in requirements-mutate.txt)."""
    os.chdir(ROOT)
    from mutmut import __main__ as mutmut

    os.makedirs("mutants", exist_ok=True)
    mutmut.set_mutant_under_test("mutant_generation")
    mutmut.copy_src_dir()
    mutmut.copy_also_copy_files()
    mutmut.setup_source_paths()
    mutmut.store_lines_covered_by_tests()
    mutmut.create_mutants(os.cpu_count() or 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("size", type=int, help="how many mutants")
    ap.add_argument("--jobs", type=int, default=1, help="test processes at a time")
    ap.add_argument("--list", action="store_true", help="print the sample, run nothing")
    args = ap.parse_args(argv)
    generate()
    codes = results()
    chosen = sample(codes, args.size)
    if args.list:
        print("\n".join(chosen))
        return 0
    unchecked = [name for name in chosen if codes[name] in NOT_CHECKED]
    if not unchecked:
        print(f"all {len(chosen)} mutants of the sample have a result")
        return 0
    print(f"{len(unchecked)} of the {len(chosen)} mutants of the sample to check", flush=True)
    # Named mutants only: without names, mutmut would go on to every other mutant.
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "mutmut"), "run", "--max-children", str(args.jobs), *unchecked],
        cwd=ROOT,
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
