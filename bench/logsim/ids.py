"""Row ids and times as llm <= 0.25 writes them."""
from __future__ import annotations

import base64
from datetime import datetime, timezone

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

