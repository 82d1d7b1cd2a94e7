"""How the lab writes numbers for people: money, durations, rates. Shared by every front end."""

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
    """``0.14 ms``, ``873 ms``, ``20.0 s``, ``4.2 min``."""
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
    return duration_ms(s * 1000)


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
