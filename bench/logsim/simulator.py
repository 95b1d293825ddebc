"""The simulated log: a user's plain prompts and consortium runs over months,
queued as the rows llm would have logged, in the order it logged them."""
from __future__ import annotations

import bisect
import heapq
import itertools
import json
import random
from datetime import datetime, timezone

from .configs import make_configs
from .consortium import consortium
from . import families
from .ids import iso, make_ulid
from .models import ARBITER_MODELS, MEMBER_MODELS, OPENAI_STYLE, PLAIN_MODELS
from .models import response_json as make_response_json
from .text import (CODE_SNIPPETS, WELL_FORMED, XML_ECHO, Corpus,
                   conversation_name)


class Simulator:
    """Plays a user's activity from ``t_start`` on and queues every row it
    logs; ``generate(sink)`` hands them over in log order."""
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
        self.recent_prompts: list = []
        self.deterministic_cache: dict = {}
        self._pm_models = [m for m, _ in PLAIN_MODELS]
        self._pm_cum = list(itertools.accumulate(w for _, w in PLAIN_MODELS))
        self.configs = make_configs(self.rng, self.corpus, self.t_start,
                                    self.span)
        self.by_name = {c.name: c for c in self.configs}
        self._saved_at = [c.saved_at for c in self.configs]
        self._cfg_cum = list(itertools.accumulate(
            1.0 / (i + 1) ** 0.9 for i in range(len(self.configs))))
        self.last_plain_conv = None
        self.last_conv_id = None

    # ---- small helpers -------------------------------------------------
    def uid(self, t: float) -> str:
        return make_ulid(int(t * 1000), self.rng.getrandbits(80))

    def family_at(self, t: float):
        """The llm-consortium release in use at time t."""
        return families.family_at((t - self.t_start) / self.span)

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
            response_json = make_response_json(self.rng, model, rid, n_in,
                                               n_out, start)
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

    def write_truth(self, rows, version, kind, name):
        if self.truth_fh is not None:
            self.truth_fh.write(json.dumps({"kind": kind, "version": version,
                                            "name": name, "rows": rows}) + "\n")

    def run_activity(self, t0: float) -> float:
        rng = self.rng
        family = self.family_at(t0)
        r = rng.random()
        truth: list = []
        if r < 0.85:
            cfg = self.pick_config(t0)
            if cfg.nested and not family.nests:
                cfg = next(c for c in self.configs if not c.nested)
            mode = "output" if r < 0.81 else "fail"
            if mode == "fail" and not family.can_fail:
                mode = "output"
            # now and then the user re-runs a recent prompt
            if self.recent_prompts and rng.random() < 0.04:
                prompt = rng.choice(self.recent_prompts)
            else:
                prompt = self.user_prompt()
            end, result, _ = consortium(self, t0, cfg, family, prompt, mode,
                                        truth)
            kind = "output" if result is not None else "failed"
            name = cfg.name
        else:
            k = rng.randint(3, 5)
            members = [(m, 1) for m in rng.sample(MEMBER_MODELS, k)]
            prompt = self.user_prompt()
            end, _, _ = consortium(
                self, t0, None, family, prompt, "run", truth, members=members,
                arbiter=rng.choice(ARBITER_MODELS), max_iter=rng.choice((1, 2, 3)),
                threshold=0.8, system=None)
            kind, name = "run", None
        self.recent_prompts.append(prompt)
        del self.recent_prompts[:-20]
        self.stats["runs_output" if kind == "output" else "runs_no_output"] += 1
        self.write_truth(truth, family.version, kind, name)
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


