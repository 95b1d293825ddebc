"""llm-consortium 0.4: members called one by one, each row logged (and its
id minted) when the call returns; ``<instance>`` numbers members called more
than once. The defaults of ``Family`` are this release."""
from __future__ import annotations

from .base import Family, template


class C04(Family):
    version = "0.4"
    arbiter_template = template("arbiter_prompt-0.4.xml")


FAMILY = C04()
