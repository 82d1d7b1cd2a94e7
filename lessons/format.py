"""How the lab writes numbers for people: money and durations, once for every front end.

Lesson text (``lessons.text`` filters) and both front ends (``lab.format`` re-exports these)
write a bill or a duration the same way, so a number in a lesson reads exactly as the same
number on the playground's meters. It lives here, not in ``lab/``, because arrows point
``lab -> lessons -> models``: lessons cannot import the front ends.
"""

from __future__ import annotations


def money(usd: float) -> str:
    """``$2.00``, ``$0.1447``, ``$0.000390``: enough digits to compare small bills."""
    if usd == 0:
        return "$0"
    if abs(usd) >= 100:
        return f"${usd:,.0f}"
    if abs(usd) >= 1:
        return f"${usd:,.2f}"
    if abs(usd) >= 0.01:
        return f"${usd:.4f}"
    return f"${usd:.6f}"


def duration_ms(ms: float) -> str:
    """A duration given in milliseconds, in the unit a person would say:
    ``0 ms``, ``0.14 ms``, ``873 ms``, ``20.0 s``, ``4.2 min``, ``1.5 h``."""
    if ms == 0:
        return "0 ms"
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    if ms < 3_600_000:
        return f"{ms / 60_000:.1f} min"
    return f"{ms / 3_600_000:.1f} h"


def seconds(s: float) -> str:
    """A duration given in seconds, written as ``duration_ms`` writes it."""
    return duration_ms(s * 1000)
