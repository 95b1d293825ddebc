"""The user's saved consortia: names, members, arbiter, when each was saved."""
from __future__ import annotations

from .models import ARBITER_MODELS, MEMBER_MODELS


class Config:
    def __init__(self, name, members, arbiter, threshold, max_iter, system,
                 saved_at):
        self.name, self.members, self.arbiter = name, members, arbiter
        self.threshold, self.max_iter, self.system = threshold, max_iter, system
        self.saved_at = saved_at
        self.nested = any(not m in MEMBER_MODELS and ":" not in m
                          for m, _ in members)


def make_configs(rng, corpus, t_start: float, span: float) -> list:
    """120 saved consortia, sorted by the time they were saved."""
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
            system = corpus.text_of(rng, rng.randint(60, 400))
        saved_at = t_start + rng.random() * 0.9 * span
        if i < 4:
            saved_at = t_start + rng.random() * 0.05 * span
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
