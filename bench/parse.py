#!/usr/bin/env python3
"""How long the hostile texts take to parse, at two sizes: the cost must grow linearly.

    python bench/parse.py [--sizes 5,10] [--repeat 3]

Each text of tests/hostile.py (every one took minutes to hours when parsing
was quadratic) is built at each size in MB and parsed in this process; the
figure is the least CPU time of --repeat parses. The last column is the
time at the largest size over the time at the smallest: about their ratio
when the cost is linear, its square when it is not. Target: under 1 s at
10 MB.
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile  # noqa: E402
from consortium_backfill import formats  # noqa: E402

CASES = {
    "answer of unclosed <synthesis>": lambda size: (formats.synthesis_text, hostile.unclosed_synthesis_tags(size)),
    "member tags without a response": lambda size: (formats.parse_json, hostile.member_tags_without_a_response(size)),
    "dense valid prompt": lambda size: (formats.parse_json, hostile.dense_valid_prompt(size)[0]),
    "nested original prompts": lambda size: (formats.parse_json, hostile.nested_original_prompts(size)),
    "10,000 model names": lambda size: (formats.parse_json, hostile.many_model_names(size)),
}


def cpu_seconds(parse, text, repeat):
    best = None
    for _ in range(repeat):
        started = time.process_time()
        parse(text)
        elapsed = time.process_time() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="5,10", help="sizes in MB, comma-separated (default 5,10)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",")]
    print(f"{'text':<34}" + "".join(f"{f'{s:g} MB':>10}" for s in sizes) + f"{'growth':>9}")
    for name, build in CASES.items():
        seconds = []
        for size in sizes:
            parse, text = build(int(size * 1024 * 1024))
            seconds.append(cpu_seconds(parse, text, args.repeat))
        growth = seconds[-1] / seconds[0] if seconds[0] else float("nan")
        print(f"{name:<34}" + "".join(f"{s:>8.2f} s" for s in seconds) + f"{growth:>8.1f}×", flush=True)
    print(f"(least CPU time of {args.repeat}; linear growth from {sizes[0]:g} to {sizes[-1]:g} MB "
          f"is about {sizes[-1] / sizes[0]:.1f}×)")


if __name__ == "__main__":
    main()
