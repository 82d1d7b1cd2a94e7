"""An aggregates-only replay of many-requests-per-instance platforms (Fluid), without simpy.

This is ``models.sim.engine`` and ``models.sim.cpu`` for the simple case replay needs, written
as one explicit event loop: routing to the lowest-numbered instance with room, cold starts that
later requests join, processor sharing of an instance's vCPUs between its cpu segments, I/O
that holds no core, and a fixed keep-alive. It schedules its events in the order simpy would
(same time, then order of scheduling; process starts run at once, before other events at the
same instant) and does the same floating-point operations as the engine and
``models.metrics``, so it reproduces the simpy run's totals -- the tests compare them with
``==`` -- at several times the speed.

Like ``models.replay.fast`` it applies only where that is exact (``fast.applies`` without the
concurrency-1 condition): a fixed keep-alive, no pre-warming, minimum or maximum instances,
no bundle chunks, constant cold-start phases.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from typing import Any, cast

from models.policies import HistogramRuntime, effective_keep_alive, runtime_policy
from models.replay.result import FunctionResult
from models.scenario import FunctionSpec, PlatformModel

STARTING, READY, RECYCLED = 0, 1, 2
_EPS = 1e-12  # models.sim.cpu._EPS
# event kinds
_CPU_WAKE, _CPU_DONE, _IO_END, _PHASE, _READY, _EXPIRE, _PREWARM = range(7)


class _Inst:
    __slots__ = (
        "billed_from",
        "busy_since",
        "cpu_gen",
        "id",
        "idle_gen",
        "idle_since",
        "in_heap",
        "inflight",
        "jobs",
        "last",
        "on_ready",
        "state",
        "waiting",
    )

    def __init__(self, iid: int) -> None:
        self.id = iid
        self.state = STARTING
        self.inflight = 0
        self.idle_gen = 0
        self.in_heap = False
        self.waiting: list[list[float]] = []
        self.jobs: list[list[Any]] = []  # [remaining, work, deadline, request]
        self.last = 0.0
        self.cpu_gen = 0
        self.on_ready = -1.0  # keep-alive to arm when a pre-warmed instance is ready
        self.billed_from = -1.0  # models.metrics._Inst
        self.busy_since = 0.0
        self.idle_since = -1.0


def replay_shared(
    blocks: Iterable[tuple[list[float], list[float], list[float]]],
    platform: PlatformModel,
    function: FunctionSpec,
    result: FunctionResult,
) -> FunctionResult:
    """Fill ``result`` (counts and seconds, not the bill) from arrival/cpu/io blocks."""
    keep = effective_keep_alive(platform.keep_alive_policy, platform.keep_alive)
    policy = runtime_policy(platform.keep_alive_policy)  # None: the fixed keep-alive
    prewarm_gen = 0
    in_flight = 0  # engine: alive * concurrency - free_slots
    cap = platform.concurrency
    vcpus = function.vcpus
    shared = cap > vcpus
    max_duration = platform.max_duration or math.inf
    phases = (function.provision.mean, function.runtime_init.mean, function.module_init.mean)
    billed = tuple(name in platform.billed_phases for name in ("provision", "runtime_init"))
    module_billed = "module_init" in platform.billed_phases
    heappush, heappop = heapq.heappush, heapq.heappop

    queue: list[tuple[float, int, int, _Inst, object]] = []
    room: list[int] = []
    instances: dict[int, _Inst] = {}
    urgent: list[tuple[Callable[..., None], _Inst, object]] = []
    seq = 0
    # a request: [arrival, cpu, io, deadline, assigned]
    arrived = completed = timed_out = cold = started = alive = alive_max = prewarmed = 0
    wall = request_cpu = init_cpu = provisioned = idle_s = latency = 0.0

    def push(t: float, kind: int, inst: _Inst, data: object) -> None:
        nonlocal seq
        seq += 1
        heappush(queue, (t, seq, kind, inst, data))

    # --- processor sharing (models.sim.cpu.CpuShare) -----------------------------------

    def cpu_advance(inst: _Inst, now: float) -> None:
        jobs = inst.jobs
        if jobs and now > inst.last:
            n = len(jobs)
            done = (now - inst.last) * (1.0 if n <= vcpus else vcpus / n)
            for job in jobs:
                job[0] -= done
        inst.last = now

    def cpu_plan(inst: _Inst, now: float) -> None:
        inst.cpu_gen += 1
        jobs = inst.jobs
        if not jobs:
            return
        n = len(jobs)
        rate = 1.0 if n <= vcpus else vcpus / n
        if n == 1:  # min() of one value, without the generators
            job = jobs[0]
            by_work, by_deadline = job[0] / rate, job[2] - now
            wait = by_deadline if by_deadline < by_work else by_work
        else:
            wait = min(min(j[0] for j in jobs) / rate, min(j[2] for j in jobs) - now)
        push(now + (wait if wait > 0.0 else 0.0), _CPU_WAKE, inst, inst.cpu_gen)

    def cpu_wake(inst: _Inst, gen: object, now: float) -> None:
        if gen != inst.cpu_gen:
            return
        cpu_advance(inst, now)
        keep_jobs = []
        tolerance = _EPS * (1.0 + now)
        for job in inst.jobs:
            if job[0] <= tolerance:
                push(now, _CPU_DONE, inst, (job[3], True, job[1]))
            elif job[2] <= now + tolerance:
                push(now, _CPU_DONE, inst, (job[3], False, job[1] - job[0]))
            else:
                keep_jobs.append(job)
        inst.jobs = keep_jobs
        cpu_plan(inst, now)

    # --- requests (models.sim.engine._serve / _segments) --------------------------------

    def serve_start(inst: _Inst, req: list[float], now: float) -> None:
        deadline = now + max_duration
        req[3] = deadline
        seconds = req[1]
        if shared:
            cpu_advance(inst, now)
            inst.jobs.append([seconds, seconds, deadline, req])
            cpu_plan(inst, now)
        else:
            left = deadline - now
            finished = seconds <= left
            run_for = seconds if finished else left
            push(now + run_for, _CPU_DONE, inst, (req, finished, run_for))

    def serve_init(inst: _Inst, req: object, now: float) -> None:
        if inst.state != READY:
            inst.waiting.append(req)  # type: ignore[arg-type]
        else:
            serve_start(inst, req, now)  # type: ignore[arg-type]

    def cpu_done(inst: _Inst, data: object, now: float) -> None:
        nonlocal request_cpu, timed_out
        req, finished, used = cast(tuple[list[float], bool, float], data)
        request_cpu += used
        if not finished:
            timed_out += 1
            end(inst, req, now)
            release(inst, now)
            return
        left = req[3] - now
        io = req[2]
        finished = io <= left
        push(now + (io if finished else left), _IO_END, inst, (req, finished))

    def io_end(inst: _Inst, data: object, now: float) -> None:
        nonlocal completed, latency, timed_out
        req, finished = cast(tuple[list[float], bool], data)
        if finished:
            completed += 1
            latency += now - req[0]
        else:
            timed_out += 1
        end(inst, req, now)
        release(inst, now)

    def end(inst: _Inst, req: list[float], now: float) -> None:
        nonlocal provisioned, wall, in_flight
        # models.metrics.MetricsCollector._end and _flight_down
        billed_from = max(req[4], inst.billed_from)
        inst.inflight -= 1
        in_flight -= 1
        if inst.inflight == 0:
            provisioned += now - max(inst.busy_since, inst.billed_from)
        wall += max(0.0, now - billed_from)

    def release(inst: _Inst, now: float) -> None:
        offer(inst)
        if inst.inflight == 0:
            inst.idle_since = now
            inst.idle_gen += 1
            if policy is None:
                push(now + keep, _EXPIRE, inst, inst.idle_gen)
            else:
                policy_idle(inst, now)

    # --- keep-alive policies (engine._policy_idle, _arm, _prewarm_due) -------------------

    def policy_idle(inst: _Inst, now: float) -> None:
        nonlocal prewarm_gen
        assert policy is not None
        prewarm_after, window = policy.on_idle(now, in_flight)
        if prewarm_after > 0 and alive > 0:
            recycle(inst, now)
            prewarm_gen += 1
            push(now + prewarm_after, _PREWARM, inst, (prewarm_gen, window))
        else:
            arm(inst, window, now)

    def arm(inst: _Inst, window: float, now: float) -> None:
        if inst.inflight == 0 and inst.state != RECYCLED:
            inst.idle_gen += 1
            push(now + window, _EXPIRE, inst, inst.idle_gen)

    def prewarm_due(_inst: _Inst, data: object, now: float) -> None:
        nonlocal prewarmed
        gen, window = cast(tuple[int, float], data)
        if gen != prewarm_gen:
            return
        inst = start_instance(now)
        prewarmed += 1
        inst.on_ready = window
        offer(inst)

    def expire(inst: _Inst, gen: object, now: float) -> None:
        if inst.state == RECYCLED or inst.inflight or inst.idle_gen != gen:
            return
        if policy is not None and not policy.may_recycle(alive):
            return
        recycle(inst, now)

    def recycle(inst: _Inst, now: float) -> None:
        nonlocal alive, idle_s
        inst.state = RECYCLED
        alive -= 1
        del instances[inst.id]
        if inst.idle_since >= 0:
            idle_s += now - inst.idle_since

    # --- instances (models.sim.engine._start_instance / _cold_start) --------------------

    def offer(inst: _Inst) -> None:
        if not inst.in_heap and inst.state != RECYCLED:
            inst.in_heap = True
            heappush(room, inst.id)

    def cold_step(inst: _Inst, stage: object, now: float) -> None:
        """Run the cold start from phase ``stage`` until it waits (engine._cold_start)."""
        index = int(stage)  # type: ignore[call-overload]
        while index < 3:
            if index < 2:
                if billed[index] and inst.billed_from < 0:
                    inst.billed_from = now
            elif module_billed and inst.billed_from < 0:
                inst.billed_from = now
            seconds = phases[index]
            index += 1
            if seconds > 0:
                push(now + seconds, _PHASE, inst, index)
                return
            phase_ended(index)
        cold_ready(inst, now)

    def phase_ended(index: int) -> None:
        nonlocal init_cpu
        if index == 3 and module_billed:
            init_cpu += phases[2]

    def phase_timer(inst: _Inst, stage: object, now: float) -> None:
        phase_ended(int(stage))  # type: ignore[call-overload]
        cold_step(inst, stage, now)

    def cold_ready(inst: _Inst, now: float) -> None:
        if inst.state == STARTING:
            inst.state = READY
            if inst.billed_from < 0:
                inst.billed_from = now
            if inst.inflight == 0:
                inst.idle_since = now
            push(now, _READY, inst, None)

    def ready(inst: _Inst, _data: object, now: float) -> None:
        if inst.on_ready >= 0:  # a pre-warmed instance: its keep-alive starts now
            arm(inst, inst.on_ready, now)
        waiting, inst.waiting = inst.waiting, []
        for req in waiting:
            serve_start(inst, req, now)

    def start_instance(now: float) -> _Inst:
        nonlocal started, alive, alive_max
        inst = _Inst(started)
        instances[inst.id] = inst
        started += 1
        alive += 1
        if alive > alive_max:
            alive_max = alive
        urgent.append((cold_step, inst, 0))
        if cap > 1:
            offer(inst)
        return inst

    def assign(req: list[float], inst: _Inst, now: float) -> None:
        nonlocal idle_s, in_flight
        inst.inflight += 1
        in_flight += 1
        req[4] = now
        if inst.inflight == 1:
            inst.busy_since = now
            if inst.idle_since >= 0:
                idle_s += now - inst.idle_since
                inst.idle_since = -1.0
        urgent.append((serve_init, inst, req))

    def arrive(t: float, c: float, io: float, now: float) -> None:
        nonlocal arrived, cold, prewarm_gen
        if policy is not None:
            prewarm_gen += 1
            policy.on_arrival(now, in_flight)
        arrived += 1
        req = [t, c, io, 0.0, 0.0]
        while room:  # engine._pick
            inst = instances.get(room[0])
            if inst is not None and inst.inflight < cap:
                break
            heappop(room)
            if inst is not None:
                inst.in_heap = False
        else:
            inst = None
        if inst is None:
            cold += 1
            inst = start_instance(now)
        assign(req, inst, now)

    handlers: dict[int, Callable[[_Inst, object, float], None]] = {
        _CPU_WAKE: cpu_wake,
        _CPU_DONE: cpu_done,
        _IO_END: io_end,
        _PHASE: phase_timer,
        _READY: ready,
        _EXPIRE: expire,
        _PREWARM: prewarm_due,
    }

    def run_urgent(now: float) -> None:
        for action, inst, data in urgent:  # only arrivals add to it
            action(inst, data, now)
        urgent.clear()

    last = [0.0]

    def drain(until: float, until_seq: int) -> None:
        """Play queued events before (until, until_seq)."""
        while queue:
            top = queue[0]
            if top[0] > until or (top[0] == until and top[1] > until_seq):
                return
            t, _seq, kind, inst, data = heappop(queue)
            handlers[kind](inst, data, t)
            if urgent:  # a pre-warm started an instance: its cold start begins at once
                run_urgent(t)
            last[0] = t

    # the arrival process (engine._arrivals): it yields a timeout for each positive delay;
    # process starts queued before that yield (urgent) run first, then events in time order
    now = 0.0
    for times, cpus, ios in blocks:
        for t, c, io in zip(times, cpus, ios, strict=True):
            delay = t - now
            if delay > 0:
                seq += 1
                at, at_seq = now + delay, seq
                run_urgent(now)
                drain(at, at_seq)
                now = at
            arrive(t, c, io, now)
    run_urgent(now)
    drain(math.inf, 0)
    # engine._finish: what is still up (scale-to-one's last instance) goes at the end
    for iid in sorted(instances):
        inst = instances[iid]
        if inst.idle_since >= 0:
            idle_s += last[0] - inst.idle_since

    if isinstance(policy, HistogramRuntime):
        result.learned(policy.summary())
    result.engine = "fast"
    result.invocations = arrived
    result.completed = completed
    result.timed_out = timed_out
    result.cold_starts = cold
    result.instances_started = started
    result.instances_max = alive_max
    result.prewarmed = prewarmed
    result.wall_clock_s = wall
    result.request_cpu_s = request_cpu
    result.init_cpu_s = init_cpu
    result.provisioned_s = provisioned
    result.idle_s = idle_s
    result.latency_s = latency
    return result
