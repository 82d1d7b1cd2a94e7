"""An aggregates-only replay of one-request-per-instance platforms, without simpy.

A traditional platform (concurrency 1) makes simple decisions: an arriving request takes the
lowest-numbered idle instance, or starts a new one; an instance that finishes goes idle and
is recycled ``keep_alive`` later unless a request took it. This module makes exactly those
decisions with three heaps (busy instances by end time, idle instances by id, idle timers by
expiry), performs the same floating-point operations as ``models.sim.engine`` and
``models.metrics`` in the same order, and so reproduces the simpy run's totals -- counts
exactly, seconds to the last bit in the tests (``tests/traces/test_fast_replay.py``) -- about
twenty times faster.

It applies only where the simpy run is this simple (``applies``): concurrency 1, the built-in
fixed keep-alive (or a ``fixed`` policy), no pre-warming or minimum instances, no instance
cap, no bundle chunks, constant cold-start phases. Anything else runs on simpy.

Simultaneous events: an invocation arriving at exactly the time another ends, or an idle timer
fires, sees that end (or expiry) first. The simpy engine orders such ties by when each event was
scheduled; with times reconstructed from uniform draws they do not occur.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable

from models.durations import Constant
from models.policies import FixedPolicy
from models.replay.result import FunctionResult
from models.scenario import FunctionSpec, PlatformModel


def applies(platform: PlatformModel, function: FunctionSpec, any_concurrency: bool = False) -> bool:
    """Whether a fast replay reproduces the simpy engine for this model and function.

    With ``any_concurrency``, platforms running several requests per instance and the
    hybrid and scale-to-one keep-alive policies count too (``models.replay.fast_shared``).
    """
    policy = platform.keep_alive_policy
    return (
        (platform.concurrency == 1 or any_concurrency)
        and (policy is None or isinstance(policy, FixedPolicy) or any_concurrency)
        and platform.prewarm == 0
        and platform.min_instances == 0
        and platform.max_instances is None
        and not function.bundle
        and all(
            isinstance(d, Constant)
            for d in (function.provision, function.runtime_init, function.module_init)
        )
    )


def replay_one_per_instance(
    blocks: Iterable[tuple[list[float], list[float], list[float]]],
    platform: PlatformModel,
    function: FunctionSpec,
    result: FunctionResult,
) -> FunctionResult:
    """Fill ``result`` (counts and seconds, not the bill) from arrival/cpu/io blocks."""
    policy = platform.keep_alive_policy
    keep = policy.keep_alive if isinstance(policy, FixedPolicy) else platform.keep_alive
    max_duration = platform.max_duration or math.inf
    provision = function.provision.mean
    runtime_init = function.runtime_init.mean
    module_init = function.module_init.mean
    billed = set(platform.billed_phases)
    init_cpu = module_init if "module_init" in billed else None
    heappush, heappop = heapq.heappush, heapq.heappop

    busy: list[tuple[float, int, int, float, float, bool]] = []
    # (end, seq, instance, billed start, arrival, completed)
    cpu_ends: list[tuple[float, int, float]] = []  # metrics add cpu when a cpu segment ends
    idle: list[int] = []  # ids of idle instances (lazy: check idle_since)
    timers: list[tuple[float, int, int]] = []  # (expiry, instance, generation)
    idle_since: list[float] = []  # -1 while busy or recycled
    generation: list[int] = []
    alive = alive_max = started = 0
    arrived = completed = timed_out = cold = 0
    wall = request_cpu = init_cpu_s = provisioned = idle_s = latency = 0.0
    seq = 0
    now = 0.0

    def settle(until: float) -> None:
        """Play ends and expiries up to ``until`` (inclusive), in time order."""
        nonlocal wall, request_cpu, provisioned, latency, completed, timed_out, idle_s, alive
        while cpu_ends and cpu_ends[0][0] <= until:
            request_cpu += heappop(cpu_ends)[2]
        while busy or timers:
            end = busy[0][0] if busy else math.inf
            expiry = timers[0][0] if timers else math.inf
            if end <= expiry:
                if end > until:
                    return
                end, _s, iid, billed_from, arrival, done = heappop(busy)
                # models.metrics: ResponseSent or RequestTimedOut, then _end
                if done:
                    completed += 1
                    latency += end - arrival
                else:
                    timed_out += 1
                wall += max(0.0, end - billed_from)
                provisioned += end - billed_from
                idle_since[iid] = end
                generation[iid] += 1
                heappush(idle, iid)
                heappush(timers, (end + keep, iid, generation[iid]))
            else:
                if expiry > until:
                    return
                expiry, iid, gen = heappop(timers)
                if generation[iid] == gen and idle_since[iid] >= 0:
                    idle_s += expiry - idle_since[iid]
                    idle_since[iid] = -1.0
                    alive -= 1

    for times, cpus, ios in blocks:
        for t, c, io in zip(times, cpus, ios, strict=True):
            delay = t - now
            if delay > 0:
                now = now + delay
            settle(now)
            arrived += 1
            iid = -1
            while idle:
                candidate = idle[0]
                if idle_since[candidate] >= 0:
                    iid = candidate
                    heappop(idle)
                    break
                heappop(idle)
            if iid >= 0:  # warm
                idle_s += now - idle_since[iid]
                idle_since[iid] = -1.0
                generation[iid] += 1
                start = billed_from = now
            else:  # cold: the phases of models.sim.engine._cold_start
                iid = len(idle_since)
                idle_since.append(-1.0)
                generation.append(0)
                alive += 1
                started += 1
                cold += 1
                if alive > alive_max:
                    alive_max = alive
                phase_start = now
                billed_from = now if "provision" in billed else -1.0
                if provision > 0:
                    phase_start = phase_start + provision
                if billed_from < 0 and "runtime_init" in billed:
                    billed_from = phase_start
                if runtime_init > 0:
                    phase_start = phase_start + runtime_init
                if billed_from < 0 and "module_init" in billed:
                    billed_from = phase_start
                if module_init > 0:
                    phase_start = phase_start + module_init
                if init_cpu is not None:
                    init_cpu_s += init_cpu
                start = phase_start
                if billed_from < 0:
                    billed_from = start
                billed_from = max(now, billed_from)
            deadline = start + max_duration
            left = deadline - start
            seq += 1
            if c <= left:
                t1 = start + c
                heappush(cpu_ends, (t1, seq, c))
                left = deadline - t1
                done = io <= left
                end = t1 + (io if done else left)
            else:
                end = start + left
                heappush(cpu_ends, (end, seq, left))
                done = False
            heappush(busy, (end, seq, iid, billed_from, now, done))
    settle(math.inf)

    result.engine = "fast"
    result.invocations = arrived
    result.completed = completed
    result.timed_out = timed_out
    result.cold_starts = cold
    result.instances_started = started
    result.instances_max = alive_max
    result.wall_clock_s = wall
    result.request_cpu_s = request_cpu
    result.init_cpu_s = init_cpu_s
    result.provisioned_s = provisioned
    result.idle_s = idle_s
    result.latency_s = latency
    return result
