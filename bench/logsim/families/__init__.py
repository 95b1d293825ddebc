"""The llm-consortium release families, in the order they were used.

A new family is one new module here (a ``Family`` subclass and its
templates under bench/templates) and one line in ``ERAS``."""
from __future__ import annotations

from . import c03, c04, c05

# (share of the log's time span at which the family takes over, family)
ERAS = [
    (0.0, c03.FAMILY),
    (0.3, c04.FAMILY),
    (0.6, c05.FAMILY),
]


def family_at(fraction: float):
    """The family in use at this point of the log (0 = start, 1 = end)."""
    current = ERAS[0][1]
    for start, family in ERAS:
        if fraction >= start:
            current = family
    return current
