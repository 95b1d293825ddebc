"""The score of the last `mutmut run`, per module, from its results in mutants/.

    python tests/mutation/score.py [--survivors]

Score = killed / (killed + survived + timeout + suspicious), over the mutants
mutmut has checked so far (a run cut short scores what it reached). Mutants
no test reaches ("no tests") count as survivors: nothing would catch them.
"""
import argparse
import collections
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
KILLED = {1, 3, 37}
SURVIVED = {0, 5, 33}
NOT_CHECKED = {None, 2, 34}


def results():
    """{mutant name: mutmut's exit code} from every .meta file under mutants/."""
    codes = {}
    for meta in sorted((ROOT / "mutants").rglob("*.meta")):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def module_of(name):
    return name.split(".x_")[0].split(".xǁ")[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = ap.parse_args(argv)
    codes = results()
    if not codes:
        print("no mutmut results: run `make mutate` first")
        return 1
    by_module = collections.defaultdict(collections.Counter)
    for name, code in codes.items():
        status = "killed" if code in KILLED else "survived" if code in SURVIVED else \
            "not checked" if code in NOT_CHECKED else "other"
        by_module[module_of(name)][status] += 1
    total = collections.Counter()
    print(f"{'module':42} {'killed':>7} {'survived':>9} {'other':>6} {'unchecked':>10} {'score':>6}")
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        print(line(module, counts))
    print(line("all", total))
    if args.survivors:
        for name, code in sorted(codes.items()):
            if code in SURVIVED:
                print("survived:", name)
    return 0


def line(module, counts):
    checked = counts["killed"] + counts["survived"] + counts["other"]
    score = f"{100 * counts['killed'] / checked:.0f} %" if checked else "-"
    return (f"{module:42} {counts['killed']:7} {counts['survived']:9} {counts['other']:6} "
            f"{counts['not checked']:10} {score:>6}")


if __name__ == "__main__":
    sys.exit(main())
