"""A run's consortium_id: a KSUID that the same database always gets again."""
import datetime
import hashlib
import math

from ksuid import Ksuid

UNIX_EPOCH_JULIAN_DAY = 2440587.5
# A KSUID holds seconds since 2014-05-13 16:53:20 UTC in 32 bits: up to 2150.
KSUID_EPOCH = 1400000000
FIRST_DAY = UNIX_EPOCH_JULIAN_DAY + KSUID_EPOCH / 86400
END_DAY = UNIX_EPOCH_JULIAN_DAY + (KSUID_EPOCH + 2**32) / 86400


def day_bounds():
    """[first, end) Julian days a KSUID can hold, as SQL parameters."""
    return dict(ksuid_first_day=FIRST_DAY, ksuid_end_day=END_DAY)


def consortium_ksuid(arbiter_day, output_id):
    """A run's id: the final arbiter's start time, a payload derived from the output row's id.

    The time comes as SQLite's julianday() of datetime_utc: read as UTC, whatever
    ISO 8601 variant llm wrote. (svix-ksuid would read a naive datetime as local.)
    """
    seconds = math.floor(round((arbiter_day - UNIX_EPOCH_JULIAN_DAY) * 86400, 3))
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    payload = hashlib.sha256(output_id.encode("utf-8")).digest()[:16]
    return str(Ksuid(datetime=moment, payload=payload))
