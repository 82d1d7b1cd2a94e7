"""Headline numbers in words: what each one means, and one line of why under a change.

A delta alone ("p99 +6 %") invites a guess; the line under it says what in the run made it
("up to 9 requests shared one instance"). Every sentence is made from the run's own summary
(``RunResult.summary()``), never typed in, so it follows the scenario and the knobs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab.format import count

Summary = dict[str, Any]

DEFINITIONS = {
    "bill": "What the platform charges for this run, from its price list: every part of the "
    "bill added up (the bill calculator shows the parts).",
    "cold starts": "Requests that had to wait for a new instance to start: provision, runtime "
    "init, module init and loading the code.",
    "latency p50": "The median: half of the completed requests took longer than this, from "
    "arrival to the end of the response.",
    "latency p99": "One completed request in a hundred took longer than this: the slow tail "
    "a user notices.",
    "instances (max)": "The most instances alive at the same moment.",
    "CPU efficiency": "CPU time over billed time: of the time the platform billed, the share "
    "in which a CPU actually worked for a request.",
}
"""The help text of every headline number (Streamlit shows it as a tooltip)."""

USAGE = {
    "wall_clock": ("wall_clock_hours", "h of wall-clock time"),
    "active_cpu": ("active_cpu_hours", "h of active CPU"),
    "provisioned_memory": ("provisioned_memory_gb_hours", "GB-h of memory"),
}
"""What each part of a bill counts, as the summary's usage has it."""


def completed(summary: Summary) -> int:
    return int(summary.get("requests", {}).get("completed", 0))


def _billed(summary: Summary) -> str:
    parts = [
        f"{summary['usage'][field]:,.2f} {unit}"
        for part, (field, unit) in USAGE.items()
        if summary["bill_usd"].get(part, 0) > 0 and field in summary.get("usage", {})
    ]
    return " + ".join(parts) or "invocations only"


def _sharing(summary: Summary) -> int:
    return int(summary.get("concurrency_per_instance", {}).get("max", 1))


def _bill(mine: Summary, theirs: Summary, against: str) -> str:
    return f"billed {_billed(mine)}; {against}: {_billed(theirs)}"


def _plural(n: int, word: str) -> str:
    return f"{count(n)} {word}" + ("" if n == 1 else "s")


def _cold(mine: Summary, theirs: Summary, against: str) -> str:
    return (
        f"{_plural(mine['instances']['started'], 'instance')} started, up to "
        f"{count(_sharing(mine))} requests each at once; {against}: "
        f"{count(theirs['instances']['started'])}, up to {count(_sharing(theirs))}"
    )


def _latency(mine: Summary, theirs: Summary, against: str) -> str:
    if _sharing(mine) != _sharing(theirs):
        return (
            f"up to {count(_sharing(mine))} requests shared one instance's CPU "
            f"({against}: {count(_sharing(theirs))}); cold starts {count(mine['cold_starts'])} "
            f"vs {count(theirs['cold_starts'])}"
        )
    return f"cold starts {count(mine['cold_starts'])} vs {count(theirs['cold_starts'])}"


def _instances(mine: Summary, theirs: Summary, against: str) -> str:
    return f"up to {count(_sharing(mine))} requests per instance ({against}: {_sharing(theirs)})"


def _efficiency(mine: Summary, theirs: Summary, against: str) -> str:
    """CPU time and the billed time it is a share of (the definition's denominator, read back
    from the ratio, so the line never names another time than the model bills)."""
    cpu_h = float(mine["usage"]["active_cpu_hours"])
    share = float(mine["cpu_efficiency"])
    if share <= 0:
        return f"{cpu_h:,.2f} h of CPU"
    return f"{cpu_h:,.2f} h of CPU in {cpu_h / share:,.2f} h billed"


WHY: dict[str, Callable[[Summary, Summary, str], str]] = {
    "bill": _bill,
    "cold starts": _cold,
    "latency p50": _latency,
    "latency p99": _latency,
    "instances (max)": _instances,
    "CPU efficiency": _efficiency,
}


def why(label: str, mine: Summary, theirs: Summary, against: str) -> str | None:
    """One line on what made ``label`` differ from ``against``; None when the summaries
    lack what the line needs (a live run's summary, say)."""
    try:
        return WHY[label](mine, theirs, against)
    except (KeyError, TypeError):
        return None
