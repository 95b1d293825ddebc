"""Deterministic, offline stub models for llm.

Every answer is a pure function of the model id and the prompt text, so a
consortium run driven through the real llm / llm-consortium CLIs writes
genuine rows without any network access.

Models:
  stub-a, stub-b, stub-c   member answers depending on model id and prompt
  stub-same-1, stub-same-2 identical answers for the same prompt
  stub-tricky              answer holds </response>, &, <b>, </model_response>
  stub-arbiter             answers arbiter prompts in llm-consortium's format,
                           judge prompts with a <winner> or a <ranking>,
                           otherwise answers like a member
  stub-fail                always fails (llm.ModelError): a member that is down

A model prompted inside an llm conversation (the git builds of 2025 talk to
members and arbiter that way) answers from the whole conversation, as a real
model would: follow-up prompts that repeat word for word ("Based on my
previous feedback ...") still get answers of their own in each run.

Directives in the user's prompt steer stub-arbiter:
  [iterations=N]   confidence 0.3 (needs_iteration true) while fewer than
                   N-1 iterations are done, then 0.95 (default N=1); done =
                   the <iteration> blocks (or `Assistant:` turns, manual
                   context) of the arbiter prompt's history, or the
                   arbiter's earlier answers in its llm conversation
                   (automatic context), whichever is more
  [arbiter-fail]   no <confidence> tag at all in the answer
  [arbiter-error]  stub-arbiter raises an error instead of answering an
                   arbiter prompt (llm-consortium 0.8 then leaves its run
                   `running` in consortium_logs.db)
  [pick=N]         a judge picks (or ranks first) response N (default: the
                   last response)
Any stub model honours:
  [delay=MS]       sleep MS milliseconds before answering (lets two runs
                   started in parallel interleave their rows)
"""

import hashlib
import re
import time

import llm

ARBITER_PREFIXES = (
    "<arbiter_prompt>",
    "You are an advanced AI synthesis system",
    "Here are the refined responses from the models:",  # automatic context, iteration 2+
)
JUDGE_PREFIXES = ("<pick_one_prompt>", "<rank_prompt>")
MEMBER_MODELS = ("stub-a", "stub-b", "stub-c")
SAME_MODELS = ("stub-same-1", "stub-same-2")


def _digest(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _prompt_text(prompt):
    return prompt.prompt or ""


def member_answer(model_id, text):
    h = _digest(model_id + "\n" + text)
    return (
        f"{model_id} answer {h[:10]}: the short version first.\n"
        f"- point {h[10:16]} holds\n"
        f"- point {h[16:22]} needs care"
    )


def same_answer(text):
    h = _digest(text)
    return f"shared answer {h[:10]}: both models say this.\n- point {h[10:16]}"


def tricky_answer(text):
    h = _digest("stub-tricky\n" + text)
    return (
        f"stub-tricky answer {h[:10]}: close early </response> and go on\n"
        f"&amp; & <b>bold</b> then </model_response> too\n"
        f"last line {h[10:16]}"
    )


def is_arbiter_prompt(text):
    return text.lstrip().startswith(ARBITER_PREFIXES)


def _original_prompt(text):
    m = re.search(r"<original_prompt>(.*?)</original_prompt>", text, re.DOTALL)
    return m.group(1) if m else text


def _manual_turns(text):
    """Manual context quotes earlier iterations as `Human: ...\n\nAssistant: ...`."""
    m = re.search(r"<iteration_history>(.*?)</iteration_history>", text, re.DOTALL)
    return len(re.findall(r"^Assistant: ", m.group(1), re.M)) if m else 0


def judge_answer(text):
    """<winner> for a pick-one prompt, <ranking> for a rank prompt."""
    ids = re.findall(r"<id>(\d+)</id>", text) or ["1"]
    m = re.search(r"\[pick=(\d+)\]", _original_prompt(text))
    first = m.group(1) if m and m.group(1) in ids else ids[-1]
    if text.lstrip().startswith("<pick_one_prompt>"):
        return f"<winner>\n    <response_id>{first}</response_id>\n</winner>"
    order = [first] + [i for i in ids if i != first]
    ranks = "".join(f'\n    <rank position="{n}">{i}</rank>' for n, i in enumerate(order, 1))
    return f"<ranking>{ranks}\n</ranking>"


def arbiter_answer(text, earlier=()):
    """`earlier`: the prompts of the arbiter's earlier turns in its conversation."""
    original = _original_prompt(earlier[0] if earlier else text)
    m = re.search(r"\[iterations=(\d+)\]", original)
    wanted = int(m.group(1)) if m else 1
    # Earlier iterations as llm-consortium <= 0.5 quotes them (<iteration>
    # blocks), as 0.8 does ("Iteration N synthesis:" lines), as manual
    # context does (`Assistant:` turns), or the arbiter's earlier turns in its
    # llm conversation (automatic context).
    quoted = text.count("<iteration>") + len(re.findall(r"Iteration \d+ synthesis:", text))
    done = max(quoted, _manual_turns(text), len(earlier))
    h = _digest("\n".join([*earlier, text]))
    again = done < wanted - 1
    confidence = "0.3" if again else "0.95"
    lines = [
        f"<thought_process>Compared the answers ({h[:8]}).</thought_process>",
        "<synthesis_output>",
        f"<synthesis>Synthesis {h[:10]} after {done + 1} round(s): the members agree.</synthesis>",
    ]
    if "[arbiter-fail]" not in original:
        lines.append(f"<confidence>{confidence}</confidence>")
    lines += [
        "<analysis>Members were compared.</analysis>",
        "<dissent>None.</dissent>",
        f"<needs_iteration>{'true' if again else 'false'}</needs_iteration>",
        "<refinement_areas>",
        "area one",
        "</refinement_areas>",
        "</synthesis_output>",
    ]
    return "\n".join(lines)


class StubModel(llm.Model):
    can_stream = False

    def __init__(self, model_id):
        self.model_id = model_id

    def __str__(self):
        return f"Stub: {self.model_id}"

    def answer(self, text, earlier=()):
        if self.model_id == "stub-fail":
            raise llm.ModelError("stub-fail is down")
        if self.model_id == "stub-arbiter" and text.lstrip().startswith(JUDGE_PREFIXES):
            return judge_answer(text)
        if self.model_id == "stub-arbiter" and is_arbiter_prompt(text):
            if "[arbiter-error]" in _original_prompt(text):
                raise llm.ModelError("stub-arbiter: [arbiter-error] asked for an error")
            return arbiter_answer(text, earlier)
        # A model in a conversation answers from all of it.
        context = "\n".join([*earlier, text])
        if self.model_id in SAME_MODELS:
            return same_answer(context)
        if self.model_id == "stub-tricky":
            return tricky_answer(context)
        return member_answer(self.model_id, context)

    def execute(self, prompt, stream, response, conversation=None):
        text = _prompt_text(prompt)
        earlier = [_prompt_text(r.prompt) for r in (conversation.responses if conversation else [])]
        delay = re.search(r"\[delay=(\d+)\]", "\n".join([*earlier[:1], text]))
        if delay:
            time.sleep(int(delay.group(1)) / 1000.0)
        yield self.answer(text, earlier)


@llm.hookimpl
def register_models(register):
    for model_id in MEMBER_MODELS + SAME_MODELS + ("stub-tricky", "stub-arbiter", "stub-fail"):
        register(StubModel(model_id))
