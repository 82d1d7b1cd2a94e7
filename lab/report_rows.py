"""The rows of a side-by-side comparison of platform models, as plain strings.

One definition of what a report shows, used by the CLI table, the TUI meters and the web app,
so the three never disagree on a label or a rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab.format import count, duration_ms, money, percent

Summary = dict[str, Any]
Row = tuple[str, Callable[[Summary], str]]


def _bill_component(name: str) -> Callable[[Summary], str]:
    def show(summary: Summary) -> str:
        value = summary["bill_usd"].get(name)
        return "–" if value is None else money(value)

    return show


ROWS: list[Row] = [
    ("requests", lambda s: count(s["requests"]["total"])),
    ("completed", lambda s: count(s["requests"]["completed"])),
    ("timed out", lambda s: count(s["requests"]["timed_out"])),
    ("rejected", lambda s: count(s["requests"]["rejected"])),
    ("cold starts", lambda s: f"{count(s['cold_starts'])} ({percent(s['cold_start_rate'])})"),
    ("warm hits", lambda s: percent(s["warm_hit_rate"])),
    ("latency p50", lambda s: duration_ms(s["latency_ms"]["p50"])),
    ("latency p99", lambda s: duration_ms(s["latency_ms"]["p99"])),
    ("TTFB p50", lambda s: duration_ms(s["ttfb_ms"]["p50"])),
    ("TTFB p99", lambda s: duration_ms(s["ttfb_ms"]["p99"])),
    ("instances started", lambda s: count(s["instances"]["started"])),
    ("instances max / mean", lambda s: f"{s['instances']['max']} / {s['instances']['mean']:.2f}"),
    (
        "requests per instance (mean / max)",
        lambda s: (
            f"{s['concurrency_per_instance']['mean']:.2f} / {s['concurrency_per_instance']['max']}"
        ),
    ),
    ("CPU efficiency", lambda s: percent(s["cpu_efficiency"])),
    (
        "bytecode cache hits / misses",
        lambda s: f"{s['bytecode_cache']['hits']} / {s['bytecode_cache']['misses']}",
    ),
    ("wall-clock hours", lambda s: f"{s['usage']['wall_clock_hours']:.3f}"),
    ("active CPU hours", lambda s: f"{s['usage']['active_cpu_hours']:.3f}"),
    ("bill: wall-clock", _bill_component("wall_clock")),
    ("bill: active CPU", _bill_component("active_cpu")),
    ("bill: provisioned memory", _bill_component("provisioned_memory")),
    ("bill: invocations", _bill_component("invocations")),
    ("bill total", lambda s: money(s["bill_usd"]["total"])),
]


def comparison_rows(summaries: dict[str, Summary]) -> list[list[str]]:
    """``[label, value for model 1, value for model 2, ...]`` for every row."""
    return [[label] + [show(s) for s in summaries.values()] for label, show in ROWS]
