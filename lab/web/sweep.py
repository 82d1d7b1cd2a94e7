"""The web app's sweeps: which knobs of a scenario a student can sweep, and running a grid.

The page picks knobs and values; everything else is ``models.sweep``: the same ``SweepSpec``
a ``lab sweep`` file holds, validated the same way, run by ``run_sweep`` (in this process: a
sweep a page asks for is small) and charted by ``lab.sweep_charts``, as ``lab sweep`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.scenario import Scenario
from models.sweep import Knob, SweepSpec, knobs, run_sweep

MAX_POINTS = 60
"""Grid points x seeds a page runs at most (each point simulates every model)."""


@dataclass(frozen=True, slots=True)
class SweepKnob:
    path: str
    label: str
    values: tuple[Any, ...]
    default: tuple[Any, ...]


def _rate_values(rate: float) -> tuple[float, ...]:
    return tuple(round(rate * f, 6) for f in (0.1, 0.25, 0.5, 1.0, 2.0, 4.0))


def sweep_knobs(scenario: Scenario) -> list[SweepKnob]:
    """The knobs this scenario has, with values worth comparing (its own value among them)."""
    found: list[SweepKnob] = []
    keep_alives = ("30s", "1min", "5min", "10min", "20min", "1h")
    for name in scenario.platforms:
        found.append(
            SweepKnob(
                f"platforms.{name}.keep_alive",
                f"{name}: keep-alive",
                keep_alives,
                ("1min", "5min", "10min", "20min"),
            )
        )
        found.append(
            SweepKnob(
                f"platforms.{name}.min_instances", f"{name}: min instances", (0, 1, 2, 5), (0, 1)
            )
        )
    for name, platform in scenario.platforms.items():
        if platform.kind == "fluid":
            found.append(
                SweepKnob(
                    f"platforms.{name}.concurrency",
                    f"{name}: concurrency cap",
                    (1, 2, 5, 10, 30, 100, 250),
                    (1, 5, 30, 100),
                )
            )
    rate = getattr(scenario.workload.arrivals, "rate", None)
    if isinstance(rate, int | float):
        values = _rate_values(float(rate))
        found.append(
            SweepKnob("workload.arrivals.rate", "arrival rate (req/s)", values, values[1:5])
        )
    found.append(
        SweepKnob("function.memory_mb", "memory (MB)", (512, 1024, 2048, 4096), (1024, 2048, 4096))
    )
    return found


def sweep_spec(
    scenario: Scenario, grid: dict[str, list[Any]], seeds: list[int], title: str = ""
) -> SweepSpec:
    """The sweep a page asks for, as a ``lab sweep`` file would write it."""
    return SweepSpec(
        name="web",
        title=title or f"{scenario.name}: {' x '.join(_label(scenario, path) for path in grid)}",
        scenario=scenario.name,
        grid=grid,
        seeds=seeds,
    )


def _label(scenario: Scenario, path: str) -> str:
    """A knob's words (``fluid: keep-alive``), not its path."""
    return next((k.label for k in sweep_knobs(scenario) if k.path == path), path)


def points(spec: SweepSpec) -> int:
    return len(spec.points()) * len(spec.seeds)


def sample(scenario: Scenario, requests: int) -> Scenario:
    """The scenario with ``requests`` requests per point (a duration-bounded one as it is)."""
    if scenario.workload.requests is None:
        return scenario
    return scenario.with_changes(**{"workload.requests": requests})


def run(spec: SweepSpec, base: Scenario) -> tuple[list[dict[str, Any]], dict[str, Knob]]:
    """The tidy rows and the knobs as the sweep validated them."""
    return run_sweep(spec, base, engine="serial"), knobs(spec, base)
