"""What-if knobs: the few numbers a student turns, read from and written back to a scenario.

``read_knobs(scenario)`` says where a scenario stands on every knob; ``apply_knobs(scenario,
knobs)`` returns the scenario with the knobs that changed written back through
``Scenario.with_changes`` (so every change is validated like a file). Knobs that did not move
leave the scenario untouched, so ``apply_knobs(s, read_knobs(s)) == s``.

The knobs edit the *workload* and *platform settings*; what the platforms then do with them is
the simulator's business. Two knobs reshape the workload rather than set one field:

* ``io_share`` rescales every route's CPU and I/O steps so that I/O is that share of the
  route's expected foreground time, keeping the expected total the same (a missing kind of
  step is added). This is the x axis of the bill calculator's break-even sweep.
* ``burstiness`` is the share of time with no traffic: 0 is steady Poisson arrivals, 0.8 means
  all traffic arrives in bursts filling 20 % of the time, at the same mean rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from models.durations import Constant, _Dist
from models.scenario import Scenario
from models.workload import (
    BurstArrivals,
    ConstantArrivals,
    CpuStep,
    DiurnalArrivals,
    IoStep,
    PoissonArrivals,
    RepeatStep,
    Route,
    Step,
)

COMPARED = ("traditional", "fluid")
"""The two platform models every web view puts side by side."""

BURST_PERIOD_S = 300.0
"""One burst cycle (on + off) when a scenario had steady traffic before."""


@dataclass(frozen=True, slots=True)
class Knobs:
    """Where a scenario stands on each what-if knob. ``None``: the knob does not apply."""

    requests: int | None
    rate: float | None
    """Mean arrivals per second over the whole run."""
    burstiness: float | None
    io_share: float
    bundle_kb: float
    memory_mb: int
    keep_alive_s: float
    concurrency: int
    """Fluid's requests per instance (traditional is always 1)."""
    min_instances: int
    cache_traditional: str
    cache_fluid: str
    prices_traditional: str
    prices_fluid: str

    def changed(self, other: Knobs) -> dict[str, tuple[Any, Any]]:
        """``{name: (mine, theirs)}`` for every knob that differs."""
        return {
            f.name: (getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
            if getattr(self, f.name) != getattr(other, f.name)
        }


def with_compared_models(scenario: Scenario) -> Scenario:
    """The scenario with both compared platform models (a missing one gets its preset)."""
    missing = [name for name in COMPARED if name not in scenario.platforms]
    if not missing:
        return scenario
    return scenario.with_changes(**{f"platforms.{name}": {"preset": name} for name in missing})


# --- reading ----------------------------------------------------------------------------


def _mean_rate(scenario: Scenario) -> float | None:
    arrivals = scenario.workload.arrivals
    if isinstance(arrivals, PoissonArrivals | ConstantArrivals):
        return arrivals.rate
    if isinstance(arrivals, BurstArrivals):
        return arrivals.rate * arrivals.on / (arrivals.on + arrivals.off)
    if isinstance(arrivals, DiurnalArrivals):
        return arrivals.mean_rate
    return None


def _burstiness(scenario: Scenario) -> float | None:
    arrivals = scenario.workload.arrivals
    if isinstance(arrivals, BurstArrivals):
        return arrivals.off / (arrivals.on + arrivals.off)
    if isinstance(arrivals, PoissonArrivals | ConstantArrivals):
        return 0.0
    return None


def _step_means(steps: list[Step]) -> tuple[float, float]:
    """Expected (cpu, io) seconds of a list of steps."""
    cpu = io = 0.0
    for step in steps:
        if isinstance(step, CpuStep):
            cpu += step.cpu.mean
        elif isinstance(step, IoStep):
            io += step.io.mean
        elif isinstance(step, RepeatStep):
            c, i = _step_means(step.steps)
            cpu += c * step.repeat
            io += i * step.repeat
    return cpu, io


def io_share(scenario: Scenario) -> float:
    """Share of the expected foreground request time that is I/O, weighted by route traffic."""
    routes = scenario.workload.routes
    total_weight = sum(r.weight for r in routes)
    share = 0.0
    for route in routes:
        cpu, io = _step_means(route.work)
        if cpu + io > 0:
            share += route.weight / total_weight * io / (cpu + io)
    return share


def read_knobs(scenario: Scenario) -> Knobs:
    scenario = with_compared_models(scenario)
    trad, fluid = scenario.platforms["traditional"], scenario.platforms["fluid"]
    return Knobs(
        requests=scenario.workload.requests,
        rate=_mean_rate(scenario),
        burstiness=_burstiness(scenario),
        io_share=io_share(scenario),
        bundle_kb=sum(c.size_kb for c in scenario.function.bundle),
        memory_mb=scenario.function.memory_mb,
        keep_alive_s=fluid.keep_alive,
        concurrency=fluid.concurrency,
        min_instances=fluid.min_instances,
        cache_traditional=trad.bytecode_cache,
        cache_fluid=fluid.bytecode_cache,
        prices_traditional=trad.prices.name,
        prices_fluid=fluid.prices.name,
    )


# --- writing ----------------------------------------------------------------------------


def _scaled(duration: _Dist, k: float) -> dict[str, Any]:
    """A duration table with the same shape and ``k`` times the scale."""
    data = duration.model_dump(mode="json", by_alias=True)
    for key in ("value", "mean", "median", "low", "high"):
        if key in data:
            data[key] = data[key] * k
    if "percentiles" in data:
        data["percentiles"] = {p: v * k for p, v in data["percentiles"].items()}
    return data


def _scale_steps(steps: list[Step], k_cpu: float, k_io: float) -> list[Any]:
    out: list[Any] = []
    for step in steps:
        if isinstance(step, CpuStep):
            out.append({"cpu": _scaled(step.cpu, k_cpu)})
        elif isinstance(step, IoStep):
            out.append({"io": _scaled(step.io, k_io)})
        elif isinstance(step, RepeatStep):
            out.append({"repeat": step.repeat, "steps": _scale_steps(step.steps, k_cpu, k_io)})
        else:
            out.append(step.model_dump(mode="json", by_alias=True))
    return out


def _route_with_io_share(route: Route, share: float) -> dict[str, Any]:
    data = route.model_dump(mode="json", by_alias=True)
    cpu, io = _step_means(route.work)
    total = cpu + io
    if total <= 0:
        return data
    want_cpu, want_io = total * (1 - share), total * share
    work = _scale_steps(route.work, want_cpu / cpu if cpu else 0.0, want_io / io if io else 0.0)
    if cpu == 0 and want_cpu > 0:
        work.insert(0, {"cpu": Constant(value=want_cpu).model_dump(mode="json")})
    if io == 0 and want_io > 0:
        work.append({"io": Constant(value=want_io).model_dump(mode="json")})
    data["work"] = work
    return data


def with_io_share(scenario: Scenario, share: float) -> Scenario:
    """Every route reshaped so that I/O is ``share`` of its expected foreground time."""
    if not 0 <= share <= 1:
        raise ValueError("expected an I/O share between 0 and 1")
    routes = [_route_with_io_share(r, share) for r in scenario.workload.routes]
    return scenario.with_changes(**{"workload.routes": routes})


def _arrivals(rate: float, burstiness: float, scenario: Scenario) -> dict[str, Any]:
    current = scenario.workload.arrivals
    if burstiness <= 0:
        kind = "constant" if isinstance(current, ConstantArrivals) else "poisson"
        return {"kind": kind, "rate": rate}
    period = current.on + current.off if isinstance(current, BurstArrivals) else BURST_PERIOD_S
    on = period * (1 - burstiness)
    return {"kind": "bursts", "rate": rate / (1 - burstiness), "on": on, "off": period - on}


def _bundle(scenario: Scenario, total_kb: float) -> list[dict[str, Any]]:
    bundle = scenario.function.bundle
    if not bundle:
        return [{"name": "bundle", "size_kb": total_kb, "eager": True}]
    current = sum(c.size_kb for c in bundle)
    return [
        {**c.model_dump(mode="json"), "size_kb": c.size_kb * total_kb / current} for c in bundle
    ]


def apply_knobs(scenario: Scenario, knobs: Knobs) -> Scenario:
    """The scenario with every knob that moved written back (validated by ``with_changes``)."""
    scenario = with_compared_models(scenario)
    was = read_knobs(scenario)
    moved = knobs.changed(was)
    if not moved:
        return scenario
    changes: dict[str, Any] = {}
    if "requests" in moved and knobs.requests is not None:
        changes["workload.requests"] = knobs.requests
    if (
        ("rate" in moved or "burstiness" in moved)
        and knobs.rate is not None
        and knobs.burstiness is not None
    ):
        changes["workload.arrivals"] = _arrivals(knobs.rate, knobs.burstiness, scenario)
    elif "rate" in moved and knobs.rate is not None:
        changes["workload.arrivals.mean_rate"] = knobs.rate  # diurnal
    if "bundle_kb" in moved:
        changes["function.bundle"] = _bundle(scenario, knobs.bundle_kb)
    if "memory_mb" in moved:
        changes["function.memory_mb"] = knobs.memory_mb
    for name in COMPARED:
        if "keep_alive_s" in moved:
            changes[f"platforms.{name}.keep_alive"] = knobs.keep_alive_s
        if "min_instances" in moved:
            changes[f"platforms.{name}.min_instances"] = knobs.min_instances
    if "concurrency" in moved:
        changes["platforms.fluid.concurrency"] = knobs.concurrency
    if "cache_traditional" in moved:
        changes["platforms.traditional.bytecode_cache"] = knobs.cache_traditional
    if "cache_fluid" in moved:
        changes["platforms.fluid.bytecode_cache"] = knobs.cache_fluid
    if "prices_traditional" in moved:
        changes["platforms.traditional.prices"] = knobs.prices_traditional
    if "prices_fluid" in moved:
        changes["platforms.fluid.prices"] = knobs.prices_fluid
    if changes:
        scenario = scenario.with_changes(**changes)
    if "io_share" in moved and not math.isclose(knobs.io_share, was.io_share, abs_tol=1e-9):
        scenario = with_io_share(scenario, knobs.io_share)
    return scenario


def set_knob(knobs: Knobs, **values: Any) -> Knobs:
    """A copy of ``knobs`` with some values replaced (for code and tests)."""
    return replace(knobs, **values)
