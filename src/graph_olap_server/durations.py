"""ISO 8601 durations as used for TTLs and inactivity timeouts (``P7D``, ``PT24H``...)."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_duration"]

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: str, field: str) -> dt.timedelta:
    """Parse an ISO 8601 duration of weeks, days, hours, minutes and seconds.

    Raises ValueError with a message naming ``field`` and showing valid examples.

    Example:
        >>> parse_duration("PT1H30M", "ttl")
        datetime.timedelta(seconds=5400)
    """
    match = _DURATION.match(value.strip().upper()) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{field} must be an ISO 8601 duration such as 'PT30M', 'PT24H' or 'P7D' "
            f"(weeks, days, hours, minutes, seconds; no months or years), got {value!r}."
        )
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    return dt.timedelta(**parts)
