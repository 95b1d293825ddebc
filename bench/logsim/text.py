"""Words for the simulated log: a pseudo-English corpus and the snippets
that make member answers awkward to parse (code with ``<`` and ``&``, echoed
XML, well-formed tags)."""
from __future__ import annotations

import random

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

def conversation_name(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 32 else text[:31] + "\u2026"

