"""How the lab writes numbers for people: money, durations, rates. Shared by every front end.

Money and durations come from ``lessons.format`` (one formatter for lesson text and the front
ends); the rest is only used by the front ends.
"""

from __future__ import annotations

from lessons.format import duration_ms, money, seconds

__all__ = ["change", "clock", "count", "duration_ms", "money", "percent", "seconds"]


def percent(fraction: float, digits: int = 1) -> str:
    return f"{fraction * 100:.{digits}f}%"


def change(new: float, old: float) -> str:
    """``-92.8%`` relative to ``old``; ``n/a`` when there is nothing to compare with."""
    if old == 0:
        return "n/a"
    return f"{(new - old) / old * 100:+.1f}%"


def count(n: float) -> str:
    return f"{n:,.0f}" if float(n).is_integer() else f"{n:,.2f}"


def clock(s: float) -> str:
    """A clock reading to the microsecond under a second, else to the millisecond:
    ``0.412 ms``, ``19.532 s``, ``5 min 24.318 s``, ``28 h 00 min 0.250 s``."""
    us = round(max(s, 0.0) * 1e6)
    if us < 1_000_000:
        return f"{us / 1000:.3f} ms"
    ms = round(s * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    sec = f"{ms / 1000:.3f} s"
    if hours:
        return f"{hours} h {minutes:02d} min {sec}"
    if minutes:
        return f"{minutes} min {sec}"
    return sec
