#!/usr/bin/env python3
"""Generate a large, realistic llm ``logs.db`` full of llm-consortium runs.

    python bench/generate.py OUT.db --rows 100000 --seed 1 [--with-columns]
                             [--truth] [--rows-per-day 300]

The schema is made once by llm's own migrations (``bench/setup.sh`` builds a
pinned venv under build/ and caches an empty database); rows are then written
with the stdlib ``sqlite3`` module, so this script runs on any Python 3.9+.

What goes in (see the project's FORMATS notes for the formats):

* plain prompts (~65 % of rows) on varied models, now and then from a second
  terminal while a consortium run is going on;
* consortium runs of 3-5 members and 1-3 iterations in the llm-consortium
  0.3, 0.4 and 0.5 formats, one after the other in time (0.3 members run one
  by one and get their id at the start of the call, 0.4 one by one with the id
  at the end, 0.5 in parallel threads); arbiter prompts are the real templates
  (bench/templates) filled in with the member texts verbatim, arbiter ids are
  minted at the start of the arbiter call;
* most runs end with the final output row llm writes for a saved consortium
  (model = consortium name, datetime_utc = start of the run, id = end); about
  15 % have none (``llm consortium run``, or a 0.4/0.5 run whose arbiter
  forgot ``<confidence>``); a few saved consortia have another saved
  consortium as a member;
* rows are inserted in the order llm would have logged them; ids are
  lowercase ULIDs of llm <= 0.25 (python-ulid < 3.1: random within a ms).

Writes OUT, OUT.models.txt (saved consortium names, one a line) and, with
``--truth``, OUT.truth.jsonl: one line per run with its row ids and roles
("m" member, "a1" final arbiter, "a2" intermediate arbiter, "o" output)
and iterations (1-based; null for the output row);
``bench/score.py`` compares a backfilled database against it.
"""
from __future__ import annotations

import argparse
import base64
import bisect
import heapq
import itertools
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUILD = ROOT / "build"
LLM_VERSION = os.environ.get("LLM_VERSION", "0.25")

# --------------------------------------------------------------------------
# schema


def schema_db(llm_version: str = LLM_VERSION) -> Path:
    """Path of an empty logs.db made by llm's own migrations (cached)."""
    path = BUILD / "bench" / f"schema-llm-{llm_version}.db"
    if not path.exists() or path.stat().st_size == 0:
        env = dict(os.environ, LLM_VERSION=llm_version)
        subprocess.run(["bash", str(HERE / "setup.sh")], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return path


# --------------------------------------------------------------------------
# ids and times

_B32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = b"0123456789abcdefghjkmnpqrstvwxyz"
_TO_CROCKFORD = bytes.maketrans(_B32, _CROCKFORD)


def make_ulid(ms: int, rand80: int) -> str:
    """Lowercase ULID: 48-bit millisecond time + 80 random bits."""
    value = ((ms << 80) | rand80) << 30  # 130 bits -> 160 bits, 32 b32 chars
    return base64.b32encode(value.to_bytes(20, "big"))[:26].translate(
        _TO_CROCKFORD).decode("ascii")


def iso(t: float) -> str:
    """llm's datetime_utc: datetime.now(timezone.utc).isoformat()."""
    return datetime.fromtimestamp(t, timezone.utc).isoformat()


# --------------------------------------------------------------------------
# text

_BASE_WORDS = """
the of and to a in is that for it as with was on be by this are or from at an
which but not have has can will more one all their there been if would also
these so what when into other than then them some only its such may use used
data time system model function value code file user should each two new first
way both between over through most where well any how number example set out
list make like just need does many could very however because same without
while result different within case type process error output input approach
state memory thread lock query index table column row database schema cache
request response server client network latency throughput performance design
pattern interface class method object string integer array buffer stream queue
event handler callback async await future promise test assert mock fixture
build compile deploy release version branch merge commit review change update
python rust go javascript typescript sql shell linux kernel container docker
service api endpoint token secret config option flag argument parameter return
consider note important first second finally therefore overall summary answer
question problem solution trade-off benefit cost risk simple complex robust
reliable efficient scalable secure correct consistent available durable fast
slow large small high low better worse best worst key main core basic advanced
""".split()

_SYLLABLES = ("ka to mi ra ne lo su vi de pa go zu be ri mo ta ne xo li qu "
              "an el in on ur ex al or is um").split()


class Corpus:
    """A few MB of pseudo-English with Zipf word frequencies; texts are
    slices of it, so making 500 MB of text costs almost nothing."""

    def __init__(self, rng: random.Random, size: int = 6_000_000):
        words = list(_BASE_WORDS)
        seen = set(words)
        while len(words) < 4000:
            w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if w not in seen:
                seen.add(w)
                words.append(w)
        rng.shuffle(words[40:])
        cum, acc = [], 0.0
        for rank in range(len(words)):
            acc += 1.0 / (rank + 1) ** 1.07
            cum.append(acc)
        self.words, self.cum = words, cum
        parts, n = [], 0
        while n < size:
            p = self._paragraph(rng)
            parts.append(p)
            n += len(p) + 2
        self.text = "\n\n".join(parts)
        self.n = len(self.text)

    def _sentence(self, rng):
        ws = rng.choices(self.words, cum_weights=self.cum, k=rng.randint(6, 22))
        ws[0] = ws[0].capitalize()
        return " ".join(ws) + rng.choice(".....?!:")

    def _paragraph(self, rng):
        r = rng.random()
        if r < 0.08:
            return "## " + self._sentence(rng)[:-1].title()
        if r < 0.22:
            return "\n".join(
                rng.choice(("- ", "* ", "1. ")) + self._sentence(rng)
                for _ in range(rng.randint(2, 6)))
        return " ".join(self._sentence(rng) for _ in range(rng.randint(2, 6)))

    def text_of(self, rng: random.Random, n: int) -> str:
        n = max(1, min(n, self.n - 1000))
        off = rng.randrange(0, self.n - n)
        s = self.text[off:off + n]
        a = s.find(" ")
        return s[a + 1:].strip() if 0 <= a < 40 else s.strip()


CODE_SNIPPETS = [
    "```python\nif a < b and not (c > d):\n    total = x & mask\n    print(f\"{a} < {b}\")\n```",
    "```c\nfor (int i = 0; i < n && buf[i] != 0; i++) {\n    out[i] = buf[i] & 0x7f;\n}\n```",
    "```html\n<div class=\"card\">\n  <p>Tom &amp; Jerry</p>\n  <br>\n</div>\n```",
    "```bash\ncat logs.txt | grep -v '^#' > clean.txt && wc -l < clean.txt\n```",
    "```sql\nSELECT id FROM responses WHERE length(prompt) < 100 AND model <> 'x';\n```",
    "Use `a < b` for the comparison & keep `b > 0`.",
    "R&D costs fell, and x<y held in 3 of 4 cases.",
]
XML_ECHO = [
    "If you want the output machine-readable, wrap it like this:\n<response>\n  <answer>42</answer>\n</response>",
    "Example payload:\n<model_response><response>ok</response></model_response>",
    "The tool replies with `<response>done</response>` when it finishes.",
]
WELL_FORMED = [
    ("<think>\n", "\n</think>\n\n<answer>\n", "\n</answer>"),
    ("<analysis>", "</analysis>\n\n", ""),
    ("", "\n\n<summary>", "</summary>"),
]

PLAIN_MODELS = [
    ("gpt-4o-mini", 18), ("claude-3-7-sonnet-latest", 14), ("gpt-4o", 8),
    ("gpt-4.1-mini", 8), ("gpt-4.1", 5), ("o3-mini", 4),
    ("anthropic/claude-3-7-sonnet-latest", 6), ("claude-3-5-haiku-latest", 4),
    ("gemini-2.0-flash", 6), ("gemini-2.5-pro-exp-03-25", 4),
    ("openrouter/google/gemini-2.5-flash-preview", 3),
    ("openrouter/deepseek/deepseek-r1", 3), ("deepseek-reasoner", 2),
    ("llama3.2:latest", 2), ("mistral-small-latest", 1),
]
MEMBER_MODELS = [
    "gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "o3-mini",
    "claude-3-7-sonnet-latest", "anthropic/claude-3-7-sonnet-latest",
    "claude-3-5-haiku-latest", "gemini-2.0-flash", "gemini-2.5-pro-exp-03-25",
    "openrouter/google/gemini-2.5-pro-preview-03-25",
    "openrouter/google/gemini-2.5-flash-preview", "openrouter/deepseek/deepseek-r1",
    "deepseek-chat", "online-fast-4.1-nano", "qwq-32b",
]
ARBITER_MODELS = [
    "claude-3-7-sonnet-latest", "anthropic/claude-3-7-sonnet-latest",
    "gemini-2.0-flash", "gpt-4.1", "o3-mini", "gemini-2.5-pro-exp-03-25",
]
OPENAI_STYLE = ("gpt-", "o3", "o1", "openrouter/", "deepseek", "online-", "qwq")


def conversation_name(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 32 else text[:31] + "\u2026"


def _template(name: str) -> str:
    return (HERE / "templates" / name).read_text().strip()


ARBITER_TEMPLATES = {v: _template(f"arbiter_prompt-{v}.xml")
                     for v in ("0.3", "0.4", "0.5")}
ITERATION_TEMPLATE_05 = _template("iteration_prompt-0.5.txt")


# --------------------------------------------------------------------------
# the generator


class Config:
    def __init__(self, name, members, arbiter, threshold, max_iter, system,
                 saved_at):
        self.name, self.members, self.arbiter = name, members, arbiter
        self.threshold, self.max_iter, self.system = threshold, max_iter, system
        self.saved_at = saved_at
        self.nested = any(not m in MEMBER_MODELS and ":" not in m
                          for m, _ in members)

    def config_json(self, version):
        if version == "0.3":
            d = {"models": [m for m, _ in self.members],
                 "system_prompt": self.system,
                 "confidence_threshold": self.threshold,
                 "max_iterations": self.max_iter, "arbiter": self.arbiter}
        else:
            d = {"models": {m: c for m, c in self.members},
                 "system_prompt": self.system,
                 "confidence_threshold": self.threshold,
                 "max_iterations": self.max_iter, "minimum_iterations": 1,
                 "arbiter": self.arbiter}
        return json.dumps(d)


class Generator:
    CONSORTIUM_SHARE = 0.35   # target share of rows that belong to runs

    def __init__(self, seed: int, rows: int, days: float, truth_fh=None,
                 concurrency: float = 0.12):
        self.rng = random.Random(seed)
        self.concurrency = concurrency
        self.target_rows = rows
        self.corpus = Corpus(random.Random(seed * 7919 + 1))
        self.truth_fh = truth_fh
        self.heap: list = []
        self.seq = itertools.count()
        self.made_rows = 0          # rows created (pushed to the heap)
        self.run_rows = 0
        self.stats = dict(runs=0, runs_output=0, runs_no_output=0,
                          runs_failed=0, nested_runs=0, iterations=0,
                          concurrent_plain=0, overlapping_runs=0)
        # the log ends in spring 2025 (llm-consortium 0.5 era)
        self.span = days * 86400
        self.t_start = datetime(2025, 5, 20, 9, 0, tzinfo=timezone.utc).timestamp() \
            - self.span
        self.mean_session_gap = None
        self.recent_prompts: list = []
        self.deterministic_cache: dict = {}
        self._pm_models = [m for m, _ in PLAIN_MODELS]
        self._pm_cum = list(itertools.accumulate(w for _, w in PLAIN_MODELS))
        self.configs = self._make_configs()
        self.by_name = {c.name: c for c in self.configs}
        self._saved_at = [c.saved_at for c in self.configs]
        self._cfg_cum = list(itertools.accumulate(
            1.0 / (i + 1) ** 0.9 for i in range(len(self.configs))))
        self.last_plain_conv = None
        self.last_conv_id = None

    # ---- small helpers -------------------------------------------------
    def uid(self, t: float) -> str:
        return make_ulid(int(t * 1000), self.rng.getrandbits(80))

    def version_at(self, t: float) -> str:
        f = (t - self.t_start) / self.span
        return "0.3" if f < 0.3 else ("0.4" if f < 0.6 else "0.5")

    def push(self, log_t, resp, conv):
        heapq.heappush(self.heap, (log_t, next(self.seq), resp, conv))
        self.made_rows += 1

    def user_prompt(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            body = self.corpus.text_of(rng, rng.randint(1500, 9000))
            q = self.corpus.text_of(rng, rng.randint(30, 160))
            return f"{q}\n\n{body}"
        if r < 0.15:
            return self.corpus.text_of(rng, rng.randint(40, 300)) + "\n\n" + \
                rng.choice(CODE_SNIPPETS)
        return self.corpus.text_of(rng, int(rng.lognormvariate(4.8, 0.8)) + 15)

    def answer(self, n: int, xmlish: bool = True) -> str:
        rng = self.rng
        text = self.corpus.text_of(rng, n)
        if not xmlish:
            return text
        r = rng.random()
        if r < 0.22:
            cut = rng.randrange(len(text) // 3, max(len(text) // 3 + 1, len(text) - 1))
            text = text[:cut] + "\n\n" + rng.choice(CODE_SNIPPETS) + "\n\n" + text[cut:]
        elif r < 0.25:
            text = text + "\n\n" + rng.choice(XML_ECHO)
        elif r < 0.37:
            a, b, c = rng.choice(WELL_FORMED)
            cut = len(text) // 3
            text = a + text[:cut] + b + text[cut:] + c
        if rng.random() < 0.4:
            c = round(rng.uniform(0.6, 0.97), 2)
            text += rng.choice((f"\n\n<confidence>{c}</confidence>",
                                f"\n\nConfidence: {c}"))
        return text

    def response_json(self, model: str, rid: str, n_in: int, n_out: int,
                      created: float):
        if model.startswith(("claude", "anthropic/")):
            return json.dumps({
                "id": "msg_" + format(self.rng.getrandbits(96), "024x"),
                "content": [{"citations": None, "text": {"$": f"r:{rid}"},
                             "type": "text"}],
                "model": "claude-3-7-sonnet-20250219", "role": "assistant",
                "stop_reason": "end_turn", "stop_sequence": None,
                "type": "message",
                "usage": {"input_tokens": n_in, "output_tokens": n_out}})
        if model.startswith(OPENAI_STYLE):
            return json.dumps({
                "content": {"$": f"r:{rid}"}, "finish_reason": "stop",
                "usage": {"completion_tokens": n_out, "prompt_tokens": n_in,
                          "total_tokens": n_in + n_out},
                "id": "chatcmpl-" + format(self.rng.getrandbits(96), "024x"),
                "object": "chat.completion.chunk", "model": model.split("/")[-1],
                "created": int(created)})
        return None

    def row(self, model, prompt, response, start, end, id_t, log_t,
            system=None, response_json=None, options=None, conv_id=None):
        """Queue one responses row (+ its conversations row); returns id."""
        rng = self.rng
        rid = self.uid(id_t)
        n_in, n_out = len(prompt) // 4 + 3, len(response) // 4 + 1
        new_conv = conv_id is None
        if new_conv:
            conv_id = self.uid(id_t - 0.0001)
        if response_json is None:
            response_json = self.response_json(model, rid, n_in, n_out, start)
        prompt_json = None
        if model.startswith(OPENAI_STYLE):
            msgs = ([{"role": "system", "content": system}] if system else []) + \
                [{"role": "user", "content": prompt}]
            prompt_json = json.dumps({"messages": msgs}, ensure_ascii=False)
        resp = (rid, model, prompt, system, prompt_json,
                json.dumps(options or {}), response, response_json, conv_id,
                int((end - start) * 1000), iso(start), n_in, n_out, None, None)
        conv = (conv_id, conversation_name(prompt or system or ""), model) \
            if new_conv else None
        self.last_conv_id = conv_id
        self.push(log_t, resp, conv)
        return rid

    # ---- saved consortia ----------------------------------------------
    def _make_configs(self):
        rng = self.rng
        names = ["bigdogs", "gbloom-c1", "4.1-mini-n9-i2-t1+",
                 "con-online-sonnet-3.7"]
        bases = ["4.1-mini", "4.1-nano", "flash", "sonnet", "r1", "gem25",
                 "o3m", "haiku", "qwq", "mix"]
        words = ["bloom", "dogs", "cats", "online", "fast", "deep", "wide",
                 "council", "jury", "panel", "swarm", "herd", "crew", "think"]
        while len(names) < 120:
            k = rng.random()
            if k < 0.3:
                n = (f"{rng.choice(bases)}-n{rng.randint(2, 9)}"
                     f"-i{rng.randint(1, 3)}-t{rng.randint(1, 9)}"
                     + rng.choice(("", "", "+")))
            elif k < 0.5:
                n = f"con-{rng.choice(words)}-{rng.choice(bases)}"
            elif k < 0.65:
                n = f"gbloom-c{rng.randint(2, 40)}"
            elif k < 0.85:
                n = rng.choice(words) + rng.choice(words)
            else:
                n = f"cons-{rng.choice(words)}-{rng.randint(1, 99)}"
            if n not in names:
                names.append(n)
        configs = []
        for i, name in enumerate(names):
            k = rng.randint(3, 5)
            members = [(m, 1) for m in rng.sample(MEMBER_MODELS, k)]
            if rng.random() < 0.05:
                j = rng.randrange(k)
                members[j] = (members[j][0], 2)
            arbiter = rng.choice(ARBITER_MODELS)
            if rng.random() < 0.5 and arbiter not in [m for m, _ in members]:
                members[-1] = (arbiter, 1)   # arbiter also a member
            system = None
            if rng.random() < 0.15:
                system = self.corpus.text_of(rng, rng.randint(60, 400))
            saved_at = self.t_start + rng.random() * 0.9 * self.span
            if i < 4:
                saved_at = self.t_start + rng.random() * 0.05 * self.span
            configs.append(Config(name, members, arbiter,
                                  rng.choice((0.8, 0.8, 0.85, 0.9)),
                                  rng.choice((1, 2, 3, 3, 3)), system, saved_at))
        # a few consortia that have another saved consortium as a member
        for c in rng.sample(configs[4:], 3):
            inner = rng.choice([p for p in configs
                                if p is not c and not p.nested and p.max_iter == 1])
            c.members[0] = (inner.name, 1)
            c.nested = True
        configs.sort(key=lambda c: c.saved_at)
        return configs

    def pick_config(self, t):
        avail = bisect.bisect_right(self._saved_at, t)
        avail = max(avail, 4)
        cum = self._cfg_cum[:avail]
        # favour recently saved consortia
        i = bisect.bisect_left(cum, self.rng.random() * cum[-1])
        return self.configs[avail - 1 - i]

    # ---- activities ------------------------------------------------------
    def plain(self, t0: float) -> float:
        rng = self.rng
        model = rng.choices(self._pm_models, cum_weights=self._pm_cum)[0]
        prompt = self.user_prompt()
        response = self.answer(int(rng.lognormvariate(7.0, 0.8)) + 20,
                               xmlish=rng.random() < 0.3)
        dur = 0.6 + len(response) / rng.uniform(150, 900)
        end = t0 + dur
        conv = None
        if self.last_plain_conv and rng.random() < 0.05:
            conv = self.last_plain_conv
        system = None
        if rng.random() < 0.08:
            system = self.corpus.text_of(rng, rng.randint(30, 300))
        rid_t = end + rng.uniform(0.001, 0.02)
        self.row(model, prompt, response, t0, end, rid_t, rid_t + 0.002,
                 system=system, conv_id=conv)
        self.last_plain_conv = self.last_conv_id
        return end

    def member_text(self, version, it):
        rng = self.rng
        n = int(rng.uniform(1000, 6000))
        if version == "0.5" and it > 0 and rng.random() < 0.7:
            c = round(rng.uniform(0.7, 0.97), 2)
            return ("<problem_breakdown>\n" + self.corpus.text_of(rng, n // 4) +
                    "\n</problem_breakdown>\n\n<updated_response>\n" +
                    self.answer(n) + "\n</updated_response>\n\n<confidence>\n"
                    f"{c}\n</confidence>")
        return self.answer(n)

    @staticmethod
    def parse_conf(text, default):
        import re
        m = re.search(r"<confidence>\s*(0?\.\d+|1\.0|\d+)\s*</confidence>", text,
                      re.IGNORECASE | re.DOTALL)
        if m:
            v = float(m.group(1))
            return v / 100 if v > 1 else v
        for line in text.lower().split("\n"):
            if "confidence:" in line:
                try:
                    v = float(line.split("confidence:")[1].strip().rstrip("%"))
                    return v / 100 if v > 1 else v
                except ValueError:
                    pass
        return default

    def consortium(self, t0: float, cfg: Config | None, version: str,
                   prompt: str, mode: str, truth: list, members=None,
                   arbiter=None, max_iter=None, threshold=None, system=None,
                   depth=0):
        """Simulate one run starting at t0; queue its rows.

        mode: "output" (saved consortium via ``llm -m``: output row),
        "run" (``llm consortium run``: none), "fail" (arbiter answer without
        <confidence>: 0.4/0.5 raise, no output row), "nested" (used as a
        member of another consortium: the caller logs the output-like row).
        Returns (end_time, result_dict or None, synthesis text)."""
        rng = self.rng
        if cfg is not None:
            members, arbiter = cfg.members, cfg.arbiter
            max_iter, threshold, system = cfg.max_iter, cfg.threshold, cfg.system
        self.stats["runs"] += 1
        if depth:
            self.stats["nested_runs"] += 1
        n_iter = min(max_iter, rng.choices((1, 2, 3), (55, 30, 15))[0])
        if mode == "fail" and version == "0.3":
            mode = "run"
        original_prompt = prompt
        combined = prompt
        if version == "0.5" and system:
            combined = f"[SYSTEM INSTRUCTIONS]\n{system}\n[/SYSTEM INSTRUCTIONS]\n\n{prompt}"
        current = f"<prompt>\n    <instruction>{combined}</instruction>\n</prompt>"
        history = []           # (model_responses, synthesis dict)
        t = t0 + rng.uniform(0.002, 0.02)
        member_system = system if version in ("0.3", "0.4") else None
        instances = []
        for m, c in members:
            if version == "0.3":
                instances.append((m, 1, None))
            elif version == "0.4":
                instances += [(m, i + 1, None) for i in range(c)]
            else:
                instances.append((m if c == 1 else f"{m}:{c}", 1,
                                  None if c == 1 else "Unknown model"))
        arb_ids = []
        end = t
        synthesis = None
        failed = False
        for it in range(n_iter):
            self.stats["iterations"] += 1
            xml_prompt = f"<prompt>\n    <instruction>{current}</instruction>\n</prompt>"
            responses = []
            if version == "0.5":
                order = list(range(len(instances)))
                rng.shuffle(order)   # as_completed order
                starts = [t + 0.0015 * i for i in range(len(instances))]
                durs = [rng.uniform(4, 70) for _ in instances]
                by_end = sorted(order, key=lambda i: starts[i] + durs[i])
                ends = []
                for i in by_end:
                    r, e = self.member_call(instances[i], xml_prompt, version, it,
                                            starts[i], starts[i] + durs[i], None,
                                            truth, depth)
                    responses.append(r)
                    ends.append(e)
                t = max(ends) + rng.uniform(0.0002, 0.004)
            else:
                for inst in instances:
                    start = t
                    dur = rng.uniform(4, 70)
                    r, e = self.member_call(inst, xml_prompt, version, it, start,
                                            start + dur, member_system, truth, depth)
                    responses.append(r)
                    t = e + rng.uniform(0.001, 0.01)
            # arbiter
            if version == "0.3":
                fr = "\n".join(
                    f"<model_response>\n            <model>{r['model']}</model>\n"
                    f"            <confidence>{r.get('confidence', 'N/A')}</confidence>\n"
                    f"            <response>{r.get('response', 'Error: ' + r.get('error', 'Unknown error'))}</response>\n"
                    "        </model_response>" for r in responses)
            else:
                fr = "\n".join(
                    f"<model_response>\n            <model>{r['model']}</model>\n"
                    f"            <instance>{r.get('instance', 1)}</instance>\n"
                    f"            <confidence>{r.get('confidence', 'N/A')}</confidence>\n"
                    f"            <response>{r.get('response', 'Error: ' + r.get('error', 'Unknown error'))}</response>\n"
                    "        </model_response>" for r in responses)
            fh = self.format_history(history)
            kw = dict(original_prompt=original_prompt, formatted_responses=fr,
                      formatted_history=fh)
            if version == "0.5":
                kw["user_instructions"] = system or ""
            arbiter_prompt = ARBITER_TEMPLATES[version].format(**kw)
            last = it == n_iter - 1
            if last:
                conf = round(rng.uniform(threshold, 0.98), 2) if it + 1 < max_iter \
                    else round(rng.uniform(0.6, 0.95), 2)
            else:
                conf = round(rng.uniform(0.4, threshold - 0.01), 2)
            areas = [] if last else [self.corpus.text_of(rng, rng.randint(40, 120))
                                     for _ in range(rng.randint(1, 4))]
            synth_text = self.answer(int(rng.uniform(800, 4000)), xmlish=False)
            if rng.random() < 0.1:
                synth_text += "\n\n" + rng.choice(CODE_SNIPPETS)
            drop_conf = last and mode == "fail"
            arb_text = self.arbiter_text(version, synth_text, conf, areas, last,
                                         drop_conf)
            # the arbiter's id is minted before its call runs, a few ms after
            # the last member row was written
            a_id_t = t + rng.lognormvariate(-4.6, 0.9)     # ~10 ms
            a_start = a_id_t + rng.uniform(0.0003, 0.003)
            a_end = a_start + rng.uniform(8, 90)
            aid = self.row(arbiter, arbiter_prompt, arb_text, a_start, a_end,
                           a_id_t, a_end + rng.uniform(0.0005, 0.003))
            arb_ids.append(aid)
            t = a_end + rng.uniform(0.002, 0.02)
            end = t
            synthesis = {"synthesis": synth_text.strip(), "confidence": conf,
                         "analysis": self.corpus.text_of(rng, rng.randint(100, 400)),
                         "dissent": self.corpus.text_of(rng, rng.randint(50, 300)),
                         "needs_iteration": not last, "refinement_areas": areas}
            if drop_conf and version in ("0.4", "0.5"):
                failed = True
                break
            history.append((responses, synthesis))
            if not last:
                if version == "0.5":
                    fs = {k: synthesis[k] for k in ("synthesis", "confidence",
                          "analysis", "dissent", "needs_iteration",
                          "refinement_areas")}
                    current = ITERATION_TEMPLATE_05.format(
                        original_prompt=original_prompt,
                        previous_synthesis=json.dumps(fs, indent=2),
                        user_instructions=system or "",
                        refinement_areas="\n".join(areas))
                else:
                    current = ("Refining response for original prompt:\n"
                               f"{original_prompt}\n\nPrevious synthesis results:\n"
                               f"{json.dumps(synthesis, indent=2)}\n\n"
                               f"Previous iteration history:\n{self.format_history(history)}\n\n"
                               "Please provide an improved response that addresses "
                               "any issues identified in the previous iterations.")
        for i, aid in enumerate(arb_ids):
            truth.append([aid, "a1" if i == len(arb_ids) - 1 else "a2", i + 1])
        if failed:
            self.stats["runs_failed"] += 1
            return end, None, None
        result = {
            "original_prompt": original_prompt,
            "model_responses": responses,
            "synthesis": synthesis,
            "metadata": {
                "models_used": ([m for m, _ in members] if version == "0.3"
                                else {m: c for m, c in members}),
                "arbiter": arbiter,
                "timestamp": datetime.fromtimestamp(end, timezone.utc)
                .replace(tzinfo=None).isoformat(),
                "iteration_count": len(arb_ids)}}
        if mode == "output":
            out_t = end + rng.uniform(0.002, 0.05)
            rj = json.loads(json.dumps(result))
            rj["synthesis"]["synthesis"] = {"$": "r:PLACEHOLDER"}
            oid = self.row(cfg.name, prompt, synthesis["synthesis"], t0, out_t,
                           out_t, out_t + 0.002,
                           response_json=json.dumps(rj, ensure_ascii=False))
            truth.append([oid, "o", None])
            end = out_t
        return end, result, synthesis["synthesis"]

    def member_call(self, inst, xml_prompt, version, it, start, end, system,
                    truth, depth):
        rng = self.rng
        model, instance, error = inst
        if error or rng.random() < 0.015:
            return {"model": model, "instance": instance,
                    "error": error or rng.choice((
                        "Error code: 429 - rate limit exceeded",
                        "Connection error.", "Request timed out."))}, start + 0.5
        nested = self.by_name.get(model)
        if nested is not None and depth == 0:
            # a saved consortium used as a member: its own run happens inside
            inner_truth: list = []
            inner_end, result, text = self.consortium(
                start, nested, version, xml_prompt, "nested", inner_truth,
                depth=depth + 1)
            end = inner_end + rng.uniform(0.001, 0.01)
            id_t = start if version == "0.3" else end + rng.uniform(0.0002, 0.002)
            rj = json.loads(json.dumps(result))
            rj["synthesis"]["synthesis"] = {"$": "r:PLACEHOLDER"}
            rid = self.row(model, xml_prompt, text, start, end, id_t,
                           end + rng.uniform(0.002, 0.005),
                           response_json=json.dumps(rj, ensure_ascii=False))
            inner_truth.append([rid, "o", None])
            truth.append([rid, "m?", it + 1])
            self.write_truth(inner_truth, version, "nested", model)
        else:
            key = (model, xml_prompt)
            text = self.deterministic_cache.get(key) if it == 0 else None
            if text is None:
                text = self.member_text(version, it)
                if it == 0 and rng.random() < 0.3:
                    # answers of temperature-0 members repeat verbatim when
                    # a recent prompt is asked again; keep only recent ones
                    self.deterministic_cache[key] = text
                    if len(self.deterministic_cache) > 400:
                        del self.deterministic_cache[next(iter(self.deterministic_cache))]
            # 0.3 logs before reading the text: id ~ start; 0.4/0.5 after
            id_t = start - 0.0008 if version == "0.3" else end + rng.uniform(0.0002, 0.002)
            rid = self.row(model, xml_prompt, text, start, end, id_t,
                           end + rng.uniform(0.0003, 0.003), system=system)
            truth.append([rid, "m", it + 1])
        d = {"model": model, "instance": instance, "response": text,
             "confidence": self.parse_conf(text, 0.5 if version != "0.5" else 0.0)}
        if version == "0.3":
            del d["instance"]
        if version == "0.5":
            d["conversation_id"] = None
        return d, end

    def format_history(self, history):
        if not history:
            return "<no_previous_iterations>No previous iterations available.</no_previous_iterations>"
        out = []
        for i, (responses, s) in enumerate(history, start=1):
            mr = "\n".join(f"<model_response>{r['model']}: {r.get('response', 'Error')}</model_response>"
                           for r in responses)
            areas = "\n                ".join(f"<area>{a}</area>" for a in s["refinement_areas"])
            out.append(f"""<iteration>
            <iteration_number>{i}</iteration_number>
            <model_responses>
                {mr}
            </model_responses>
            <synthesis>{s['synthesis']}</synthesis>
            <confidence>{s['confidence']}</confidence>
            <refinement_areas>
                {areas}
            </refinement_areas>
        </iteration>""")
        return "\n".join(out)

    def arbiter_text(self, version, synth, conf, areas, last, drop_conf):
        rng = self.rng
        tag = "thought_process" if version == "0.3" else rng.choice(("think", "thinking", "think"))
        thought = self.corpus.text_of(rng, int(rng.uniform(600, 3000)))
        area_txt = "\n        ".join(areas) if areas else "None"
        conf_txt = "" if drop_conf else f"\n    <confidence>\n        {conf}\n    </confidence>\n"
        return (f"<{tag}>\n{thought}\n</{tag}>\n\n<synthesis_output>\n"
                f"    <synthesis>\n{synth}\n    </synthesis>\n\n"
                f"    <analysis>\n        {self.corpus.text_of(rng, rng.randint(100, 400))}\n    </analysis>\n\n"
                f"    <dissent>\n        {self.corpus.text_of(rng, rng.randint(50, 300))}\n    </dissent>\n\n"
                f"    <refinement_areas>\n        {area_txt}\n    </refinement_areas>\n\n"
                f"    <needs_iteration>{'false' if last else 'true'}</needs_iteration>\n"
                f"{conf_txt}</synthesis_output>")

    def write_truth(self, rows, version, kind, name):
        if self.truth_fh is not None:
            self.truth_fh.write(json.dumps({"kind": kind, "version": version,
                                            "name": name, "rows": rows}) + "\n")

    def run_activity(self, t0: float) -> float:
        rng = self.rng
        version = self.version_at(t0)
        r = rng.random()
        truth: list = []
        if r < 0.85:
            cfg = self.pick_config(t0)
            if cfg.nested and version == "0.3":
                cfg = next(c for c in self.configs if not c.nested)
            mode = "output" if r < 0.81 else "fail"
            if mode == "fail" and version == "0.3":
                mode = "output"
            # now and then the user re-runs a recent prompt
            if self.recent_prompts and rng.random() < 0.04:
                prompt = rng.choice(self.recent_prompts)
            else:
                prompt = self.user_prompt()
            end, result, _ = self.consortium(t0, cfg, version, prompt, mode, truth)
            kind = "output" if result is not None else "failed"
            name = cfg.name
        else:
            k = rng.randint(3, 5)
            members = [(m, 1) for m in rng.sample(MEMBER_MODELS, k)]
            prompt = self.user_prompt()
            end, _, _ = self.consortium(
                t0, None, version, prompt, "run", truth, members=members,
                arbiter=rng.choice(ARBITER_MODELS), max_iter=rng.choice((1, 2, 3)),
                threshold=0.8, system=None)
            kind, name = "run", None
        self.recent_prompts.append(prompt)
        del self.recent_prompts[:-20]
        self.stats["runs_output" if kind == "output" else "runs_no_output"] += 1
        self.write_truth(truth, version, kind, name)
        # someone else (another terminal, a script) prompts meanwhile
        if rng.random() < self.concurrency:
            for _ in range(rng.randint(1, 3)):
                self.stats["concurrent_plain"] += 1
                self.plain(rng.uniform(t0, end))
        return end

    # ---- main loop -------------------------------------------------------
    def generate(self, sink):
        rng = self.rng
        n = self.target_rows
        # sessions of ~25 activities; gaps between sessions fill the span
        act_per_session = 25
        rows_per_act = 1.55
        sessions = max(1.0, n / rows_per_act / act_per_session)
        mean_gap = max(600.0, self.span / sessions - act_per_session * 240)
        t = self.t_start
        p_run = 0.057
        last_end = t
        while True:
            remaining = n - self.made_rows
            if remaining <= 0:
                break
            # flush everything logged before t: no later activity can log earlier
            while self.heap and self.heap[0][0] <= t:
                sink(heapq.heappop(self.heap))
            is_run = remaining > 60 and rng.random() < p_run * (
                1.0 if self.run_rows <= self.CONSORTIUM_SHARE * max(self.made_rows, 1) else 0.6)
            before = self.made_rows
            if is_run:
                end = self.run_activity(t)
                self.run_rows += self.made_rows - before
            else:
                end = self.plain(t)
            assert self.made_rows <= n, "row budget exceeded"
            last_end = max(last_end, end)
            # next activity
            if rng.random() < 1 / act_per_session:
                t = last_end + rng.expovariate(1 / mean_gap)
            elif is_run and rng.random() < 0.04:
                self.stats["overlapping_runs"] += 1
                t = rng.uniform(t + 2, max(t + 3, end))   # a second terminal
            else:
                t = end + min(1800.0, rng.lognormvariate(3.8, 1.1))
        while self.heap:
            sink(heapq.heappop(self.heap))
        return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rows-per-day", type=float, default=300,
                    help="density of the log: the time span is rows / this "
                         "(default 300, so 100k rows cover about 11 months)")
    ap.add_argument("--with-columns", action="store_true",
                    help="pre-create consortium_id, is_arbiter_response and "
                         "idx_consortium_id like the user's own database")
    ap.add_argument("--concurrency", type=float, default=0.12,
                    help="share of runs during which 1-3 plain prompts are "
                         "logged from elsewhere (default 0.12)")
    ap.add_argument("--truth", action="store_true",
                    help="also write OUT.truth.jsonl (true runs and roles)")
    ap.add_argument("--llm-version", default=LLM_VERSION)
    args = ap.parse_args(argv)

    t_begin = time.perf_counter()
    out = Path(args.out)
    for suffix in ("", "-journal", ".models.txt", ".truth.jsonl"):
        p = Path(str(out) + suffix)
        if p.exists():
            p.unlink()
    schema = schema_db(args.llm_version)
    tmp = Path(str(out) + ".tmp")
    shutil.copyfile(schema, tmp)

    truth_fh = open(str(out) + ".truth.jsonl", "w") if args.truth else None
    days = max(30.0, args.rows / args.rows_per_day)
    gen = Generator(args.seed, args.rows, days, truth_fh, args.concurrency)

    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    if args.with_columns:
        conn.execute("ALTER TABLE responses ADD COLUMN consortium_id TEXT")
        conn.execute("ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0")
        conn.execute("CREATE INDEX idx_consortium_id ON responses(consortium_id)")
    # Filling the full-text index row by row through llm's responses_ai
    # trigger is ~3x slower than one rebuild at the end: drop the trigger for
    # the bulk load, rebuild, and put llm's own trigger back.
    (ai_sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE type='trigger' "
                             "AND name='responses_ai'").fetchone()
    conn.execute("DROP TRIGGER responses_ai")
    conn.execute("""
        CREATE TABLE IF NOT EXISTS consortium_configs (
            name TEXT PRIMARY KEY,
            config TEXT NOT NULL,
            created_at TEXT DEFAULT CURRENT_TIMESTAMP
        )
    """)
    ins_resp = ("INSERT INTO responses (id, model, prompt, system, prompt_json, "
                "options_json, response, response_json, conversation_id, "
                "duration_ms, datetime_utc, input_tokens, output_tokens, "
                "token_details, schema_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    ins_conv = "INSERT OR IGNORE INTO conversations (id, name, model) VALUES (?,?,?)"
    resp_batch, conv_batch = [], []
    written = [0]

    def flush():
        if conv_batch:
            conn.executemany(ins_conv, conv_batch)
            conv_batch.clear()
        if resp_batch:
            conn.executemany(ins_resp, resp_batch)
            written[0] += len(resp_batch)
            resp_batch.clear()

    def sink(item):
        _, _, resp, conv = item
        if resp[7] and "r:PLACEHOLDER" in resp[7]:
            resp = resp[:7] + (resp[7].replace("r:PLACEHOLDER", "r:" + resp[0]),) + resp[8:]
        if conv is not None:
            conv_batch.append(conv)
        resp_batch.append(resp)
        if len(resp_batch) >= 2000:
            flush()
            if written[0] % 50_000 == 0:
                conn.execute("COMMIT")
                conn.execute("BEGIN")

    conn.execute("BEGIN")
    gen.generate(sink)
    flush()
    # saved consortium configs: the ones still saved (the rest were removed)
    cfg_rows = []
    for c in gen.configs:
        if gen.rng.random() < 0.7:
            cfg_rows.append((c.name, c.config_json(gen.version_at(c.saved_at)),
                             datetime.fromtimestamp(c.saved_at, timezone.utc)
                             .strftime("%Y-%m-%d %H:%M:%S")))
    conn.executemany("INSERT INTO consortium_configs (name, config, created_at) "
                     "VALUES (?,?,?)", cfg_rows)
    conn.execute("INSERT INTO responses_fts(responses_fts) VALUES('rebuild')")
    conn.execute(ai_sql)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    os.replace(tmp, out)
    with open(str(out) + ".models.txt", "w") as f:
        for c in gen.configs:
            f.write(c.name + "\n")
    if truth_fh:
        truth_fh.close()

    took = time.perf_counter() - t_begin
    try:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    except ImportError:
        peak = float("nan")
    size_mb = out.stat().st_size / 1e6
    s = gen.stats
    print(f"{out}: {written[0]} rows, {size_mb:.1f} MB, {took:.1f} s, "
          f"peak RSS {peak:.0f} MB (seed {args.seed})")
    print(f"runs: {s['runs']} ({s['runs_output']} with output, "
          f"{s['runs_no_output']} without, of which {s['runs_failed']} failed; "
          f"{s['nested_runs']} nested), {s['iterations']} iterations, "
          f"{gen.run_rows} run rows; {s['concurrent_plain']} plain prompts "
          f"during runs, {s['overlapping_runs']} overlapping runs")
    print(f"saved consortium names: {len(gen.configs)} in {out}.models.txt, "
          f"{len(cfg_rows)} in consortium_configs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
