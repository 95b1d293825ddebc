"""One consortium run: member calls, arbiter calls, iterations, output row.

What is the same in every llm-consortium release lives here; where releases
differ (prompts, member order and timing, JSON shapes) the run asks its
family (``logsim.families``)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from .families.base import format_history
from .text import CODE_SNIPPETS

ERRORS = ("Error code: 429 - rate limit exceeded", "Connection error.",
          "Request timed out.")


def parse_conf(text, default):
    """The confidence llm-consortium reads from a member's text."""
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


def consortium(log, t0: float, cfg, family, prompt: str, mode: str,
               truth: list, members=None, arbiter=None, max_iter=None,
               threshold=None, system=None, depth=0):
    """Simulate one run starting at t0; queue its rows on ``log``.

    mode: "output" (saved consortium via ``llm -m``: output row),
    "run" (``llm consortium run``: none), "fail" (arbiter answer without
    <confidence>: the run raises, no output row), "nested" (used as a member
    of another consortium: the caller logs the output-like row).
    Returns (end_time, result_dict or None, synthesis text)."""
    rng = log.rng
    if cfg is not None:
        members, arbiter = cfg.members, cfg.arbiter
        max_iter, threshold, system = cfg.max_iter, cfg.threshold, cfg.system
    log.stats["runs"] += 1
    if depth:
        log.stats["nested_runs"] += 1
    n_iter = min(max_iter, rng.choices((1, 2, 3), (55, 30, 15))[0])
    if mode == "fail" and not family.can_fail:
        mode = "run"
    original_prompt = prompt
    current = (f"<prompt>\n    <instruction>{family.instruction(prompt, system)}"
               "</instruction>\n</prompt>")
    history = []           # (model_responses, synthesis dict)
    t = t0 + rng.uniform(0.002, 0.02)
    instances = family.instances(members)
    arb_ids = []
    end = t
    synthesis = None
    failed = False
    for it in range(n_iter):
        log.stats["iterations"] += 1
        xml_prompt = f"<prompt>\n    <instruction>{current}</instruction>\n</prompt>"

        def call(inst, start, stop, member_system):
            return member_call(log, family, inst, xml_prompt, it, start, stop,
                               member_system, truth, depth)

        responses, t = family.call_members(call, instances, t, system, rng)
        arbiter_prompt = family.arbiter_prompt(
            original_prompt, family.format_responses(responses),
            format_history(history), system)
        last = it == n_iter - 1
        if last:
            conf = round(rng.uniform(threshold, 0.98), 2) if it + 1 < max_iter \
                else round(rng.uniform(0.6, 0.95), 2)
        else:
            conf = round(rng.uniform(0.4, threshold - 0.01), 2)
        areas = [] if last else [log.corpus.text_of(rng, rng.randint(40, 120))
                                 for _ in range(rng.randint(1, 4))]
        synth_text = log.answer(int(rng.uniform(800, 4000)), xmlish=False)
        if rng.random() < 0.1:
            synth_text += "\n\n" + rng.choice(CODE_SNIPPETS)
        drop_conf = last and mode == "fail"
        arb_text = arbiter_text(log, family, synth_text, conf, areas, last,
                                drop_conf)
        # the arbiter's id is minted before its call runs, a few ms after
        # the last member row was written
        a_id_t = t + rng.lognormvariate(-4.6, 0.9)     # ~10 ms
        a_start = a_id_t + rng.uniform(0.0003, 0.003)
        a_end = a_start + rng.uniform(8, 90)
        aid = log.row(arbiter, arbiter_prompt, arb_text, a_start, a_end,
                      a_id_t, a_end + rng.uniform(0.0005, 0.003))
        arb_ids.append(aid)
        t = a_end + rng.uniform(0.002, 0.02)
        end = t
        synthesis = {"synthesis": synth_text.strip(), "confidence": conf,
                     "analysis": log.corpus.text_of(rng, rng.randint(100, 400)),
                     "dissent": log.corpus.text_of(rng, rng.randint(50, 300)),
                     "needs_iteration": not last, "refinement_areas": areas}
        if drop_conf and family.can_fail:
            failed = True
            break
        history.append((responses, synthesis))
        if not last:
            current = family.next_prompt(original_prompt, synthesis, history,
                                         areas, system)
    for i, aid in enumerate(arb_ids):
        truth.append([aid, "a1" if i == len(arb_ids) - 1 else "a2", i + 1])
    if failed:
        log.stats["runs_failed"] += 1
        return end, None, None
    result = {
        "original_prompt": original_prompt,
        "model_responses": responses,
        "synthesis": synthesis,
        "metadata": {
            "models_used": family.models_used(members),
            "arbiter": arbiter,
            "timestamp": datetime.fromtimestamp(end, timezone.utc)
            .replace(tzinfo=None).isoformat(),
            "iteration_count": len(arb_ids)}}
    if mode == "output":
        out_t = end + rng.uniform(0.002, 0.05)
        oid = log.row(cfg.name, prompt, synthesis["synthesis"], t0, out_t,
                      out_t, out_t + 0.002,
                      response_json=output_json(result))
        truth.append([oid, "o", None])
        end = out_t
    return end, result, synthesis["synthesis"]


def output_json(result) -> str:
    """response_json of an output row: the result, with the synthesis text
    replaced by a reference to the row's own response (filled in on write)."""
    rj = json.loads(json.dumps(result))
    rj["synthesis"]["synthesis"] = {"$": "r:PLACEHOLDER"}
    return json.dumps(rj, ensure_ascii=False)


def member_call(log, family, inst, xml_prompt, it, start, end, system, truth,
                depth):
    """One member call: queue its row (or, for a saved consortium used as a
    member, its whole inner run) and return its result entry and end time."""
    rng = log.rng
    model, instance, error = inst
    if error or rng.random() < 0.015:
        return {"model": model, "instance": instance,
                "error": error or rng.choice(ERRORS)}, start + 0.5
    nested = log.by_name.get(model)
    if nested is not None and depth == 0:
        # a saved consortium used as a member: its own run happens inside
        inner_truth: list = []
        inner_end, result, text = consortium(
            log, start, nested, family, xml_prompt, "nested", inner_truth,
            depth=depth + 1)
        end = inner_end + rng.uniform(0.001, 0.01)
        rid = log.row(model, xml_prompt, text, start, end,
                      family.member_id_time(rng, start, end),
                      end + rng.uniform(0.002, 0.005),
                      response_json=output_json(result))
        inner_truth.append([rid, "o", None])
        truth.append([rid, "m?", it + 1])
        log.write_truth(inner_truth, family.version, "nested", model)
    else:
        key = (model, xml_prompt)
        text = log.deterministic_cache.get(key) if it == 0 else None
        if text is None:
            text = family.member_text(log, int(rng.uniform(1000, 6000)), it)
            if it == 0 and rng.random() < 0.3:
                # answers of temperature-0 members repeat verbatim when
                # a recent prompt is asked again; keep only recent ones
                log.deterministic_cache[key] = text
                if len(log.deterministic_cache) > 400:
                    del log.deterministic_cache[next(iter(log.deterministic_cache))]
        rid = log.row(model, xml_prompt, text, start, end,
                      family.member_id_time(rng, start, end),
                      end + rng.uniform(0.0003, 0.003), system=system)
        truth.append([rid, "m", it + 1])
    return family.member_record(
        model, instance, text,
        parse_conf(text, family.default_confidence)), end


def arbiter_text(log, family, synth, conf, areas, last, drop_conf):
    """The arbiter's answer: reasoning, then ``<synthesis_output>``."""
    rng = log.rng
    tag = family.thought_tag(rng)
    thought = log.corpus.text_of(rng, int(rng.uniform(600, 3000)))
    area_txt = "\n        ".join(areas) if areas else "None"
    conf_txt = "" if drop_conf else f"\n    <confidence>\n        {conf}\n    </confidence>\n"
    return (f"<{tag}>\n{thought}\n</{tag}>\n\n<synthesis_output>\n"
            f"    <synthesis>\n{synth}\n    </synthesis>\n\n"
            f"    <analysis>\n        {log.corpus.text_of(rng, rng.randint(100, 400))}\n    </analysis>\n\n"
            f"    <dissent>\n        {log.corpus.text_of(rng, rng.randint(50, 300))}\n    </dissent>\n\n"
            f"    <refinement_areas>\n        {area_txt}\n    </refinement_areas>\n\n"
            f"    <needs_iteration>{'false' if last else 'true'}</needs_iteration>\n"
            f"{conf_txt}</synthesis_output>")
