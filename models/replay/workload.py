"""One trace function as a stream of invocations and of simulator requests.

Both the simpy engine and the fast replay consume exactly the same numbers: arrival ``t``,
then ``cpu = duration * cpu_share`` on a core and ``io = duration - cpu`` waiting.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from models.requests import RequestSpec
from models.traces import FunctionTrace, WithinMinute, invocations

Invocation = tuple[float, float, float]
"""``(arrival seconds, cpu seconds, io seconds)``."""


def invocation_blocks(
    fn: FunctionTrace,
    seed: int,
    cpu_share: float,
    within: WithinMinute = "uniform",
    horizon: float | None = None,
) -> Iterator[tuple[list[float], list[float], list[float]]]:
    """Blocks of arrivals, cpu and io seconds as plain lists (cheap to loop over)."""
    for times, durations in invocations(fn, seed, within):
        if horizon is not None:
            keep = times <= horizon
            if not keep.any():
                return
            if not keep.all():
                times, durations = times[keep], durations[keep]
        cpu = durations * cpu_share
        io = durations - cpu
        yield times.tolist(), cpu.tolist(), io.tolist()
        if horizon is not None and len(times) and float(np.max(times)) >= horizon:
            return


def function_requests(
    fn: FunctionTrace,
    seed: int,
    cpu_share: float,
    within: WithinMinute = "uniform",
    horizon: float | None = None,
) -> Iterator[RequestSpec]:
    """The function's invocations as the simulator's requests (one route, cpu then io)."""
    rid = 0
    for times, cpus, ios in invocation_blocks(fn, seed, cpu_share, within, horizon):
        for t, c, i in zip(times, cpus, ios, strict=True):
            yield RequestSpec(rid, t, 0, ((True, c), (False, i)), (), 2)
            rid += 1
