"""The score of the last `mutmut run`, per module, from its results in mutants/.

    python tests/mutation/score.py [--survivors]

Score = killed / (killed + survived + timeout + suspicious), over the mutants
mutmut has checked so far (a run cut short scores what it reached). Mutants
no test reaches ("no tests") count as survivors: nothing would catch them.

A survivor that only changes the letter case of SQL keywords and names in a
string of SQL (`SELECT` to `select`, `FROM runs` to `FROM RUNS`) is equivalent:
SQLite reads them the same. Such survivors are counted apart ("equivalent") and
left out of the score. Text in single quotes (SQL strings, JSON paths) and the
names given to result columns (`AS name`) are case sensitive: a mutant that
changes them is never counted as equivalent.
"""
import argparse
import collections
import difflib
import json
import math
import pathlib
import re
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


# Keywords this project writes in capitals: a string holding one is SQL.
SQL_KEYWORD = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|ATTACH|DETACH|FROM|WHERE|JOIN|VALUES|SET|"
    r"GROUP BY|ORDER BY|LIMIT|AND|OR|NOT|AS|ON|IN|IS|NULL)\b"
)
DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
SINGLE_QUOTED = re.compile(r"'[^']*'")
# Result column names (`AS name`) are seen by Python (dict(row), cursor.description);
# the names given to tables (`FROM logged AS quoter`) are not.
ALIAS = re.compile(r"\bAS\s+(\w+)", re.IGNORECASE)
TABLE_BEFORE = re.compile(r"\b(FROM|JOIN)\s+[\w.\[\]]+\s+$", re.IGNORECASE)


def column_aliases(text):
    return [m.group(1) for m in ALIAS.finditer(text) if not TABLE_BEFORE.search(text[:m.start()])]


def changed_lines(name):
    """The lines the mutant changes: (original lines, mutated lines), from mutmut's
    copy of the module (mutants/MODULE.py) and its index of functions (.spans)."""
    module = module_of(name)
    path = ROOT / "mutants" / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = path.with_name("__init__.py") if path.stem == path.parent.name else path
        path = ROOT / "mutants" / module.replace(".", "/") / "__init__.py" if not path.exists() else path
    spans = json.loads(path.with_name(path.name + ".spans").read_text())["spans"]
    key = name[len(module) + 1:]
    lines = path.read_text().splitlines()

    def body(function):
        start, end = spans[function]
        # Each copy carries its own name on its def line: compare what follows it.
        return [re.sub(r"__mutmut_\w+\(", "(", line) for line in lines[start:end]]

    before, after = [], []
    for line in difflib.ndiff(body(key.rsplit("__mutmut_", 1)[0] + "__mutmut_orig"), body(key)):
        if line.startswith("- "):
            before.append(line[2:])
        elif line.startswith("+ "):
            after.append(line[2:])
    return before, after


def sql_case_only(before, after):
    """True if the mutant only changes the case of SQL keywords or names inside strings of SQL."""
    if not before or len(before) != len(after):
        return False
    for old, new in zip(before, after):
        if old.lower() != new.lower() or len(old) != len(new):
            return False
        if old == new:
            continue
        first = next(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
        last = max(i for i, (a, b) in enumerate(zip(old, new)) if a != b)
        strings = [m for m in DOUBLE_QUOTED.finditer(old) if m.start(1) <= first and last < m.end(1)]
        if not strings:
            return False
        text, mutated = strings[0].group(1), new[strings[0].start(1):strings[0].end(1)]
        if not SQL_KEYWORD.search(text) or SINGLE_QUOTED.findall(text) != SINGLE_QUOTED.findall(mutated):
            return False
        if column_aliases(text) != column_aliases(mutated):
            return False
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    ap.add_argument("--sample", type=int, metavar="N",
                    help="score only the sample of N mutants that sample.py picks, with its 95 %% interval")
    args = ap.parse_args(argv)
    codes = results()
    if not codes:
        print("no mutmut results: run `make mutate` first")
        return 1
    if args.sample:
        from sample import sample
        codes = {name: codes[name] for name in sample(codes, args.sample)}
    by_module = collections.defaultdict(collections.Counter)
    equivalent = set()
    for name, code in codes.items():
        status = "killed" if code in KILLED else "survived" if code in SURVIVED else \
            "not checked" if code in NOT_CHECKED else "other"
        if status == "survived" and sql_case_only(*changed_lines(name)):
            status = "equivalent"
            equivalent.add(name)
        by_module[module_of(name)][status] += 1
    total = collections.Counter()
    print(f"{'module':42} {'killed':>7} {'survived':>9} {'other':>6} {'unchecked':>10} {'equivalent':>11} {'score':>6}")
    for module, counts in sorted(by_module.items()):
        total.update(counts)
        print(line(module, counts))
    print(line("all", total))
    if args.sample:
        checked = total["killed"] + total["survived"] + total["other"]
        if checked:
            low, high = wilson(total["killed"], checked)
            print(f"\nA random sample of {args.sample} of the {len(results())} mutants, {checked} of them "
                  f"checked and not equivalent: the project's score is between {100 * low:.0f} % and "
                  f"{100 * high:.0f} % (95 % interval).")
    if args.survivors:
        for name, code in sorted(codes.items()):
            if code in SURVIVED and name not in equivalent:
                print("survived:", name)
    return 0


def wilson(successes, trials, z=1.96):
    """The Wilson score interval of a proportion: sound even near 100 %, unlike p ± z·se."""
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return centre - half, centre + half


def line(module, counts):
    checked = counts["killed"] + counts["survived"] + counts["other"]
    score = f"{100 * counts['killed'] / checked:.0f} %" if checked else "-"
    return (f"{module:42} {counts['killed']:7} {counts['survived']:9} {counts['other']:6} "
            f"{counts['not checked']:10} {counts['equivalent']:11} {score:>6}")


if __name__ == "__main__":
    sys.exit(main())
