"""The simulator: one platform model running one stream of requests, on simpy or a heap loop.

It decides, as a platform would, where each request runs (a ready instance with room, an
instance that is already starting, a new cold instance, the queue, or a rejection), plays each
instance's cold-start phases, runs each request's segments (cpu segments share the instance's
vCPUs), keeps idle instances for the keep-alive window and recycles them after it. Everything
it decides is emitted as events (``models.events``); it computes no metrics itself.

Routing is O(log n) in the number of instances: a heap of instance ids with room, lowest id
first, so traffic packs onto the oldest instances and newer ones can age out.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import Any, Literal, cast

import simpy

from models.events import (
    BackgroundDone,
    Event,
    FirstByte,
    InstanceIdle,
    InstanceReady,
    InstanceRecycled,
    InstanceStarting,
    PhaseEnded,
    PhaseStarted,
    RequestArrived,
    RequestAssigned,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
    SegmentEnded,
    SegmentStarted,
)
from models.platform.core import COLD, QUEUE, Keep, PlatformCore, Slot
from models.policies import FixedRuntime, RuntimePolicy, effective_keep_alive, runtime_policy
from models.requests import RequestSpec
from models.scenario import Scenario
from models.sim.cache import BytecodeCache
from models.sim.cpu import CpuShare
from models.sim.heap import HeapClock

Emit = Callable[[Event], None]
Process = Generator[Any, Any, None]
Clock = Any
Driver = Literal["simpy", "heap"]
"""``simpy.Environment`` or ``models.sim.heap.HeapClock`` (the same subset, the same order)."""


class Instance(Slot):
    """One instance: the core's ``Slot`` plus what the simulator plays on it."""

    __slots__ = ("alarm", "cpu", "expiry", "loaded", "loading", "ready_event")

    def __init__(self, iid: int, env: Clock, vcpus: float) -> None:
        super().__init__(iid)
        self.alarm: tuple[float, int] | None = None
        """The heap loop's pending keep-alive alarm ``(due, order)``."""
        self.expiry: tuple[float, int, int] = (0.0, 0, -1)
        """The latest idle stretch's timer ``(due, order, gen)`` (heap loop)."""
        self.ready_event = env.event()
        self.loaded: set[str] = set()
        self.loading: dict[str, Any] = {}
        self.cpu = CpuShare(env, vcpus)


class _Flow:
    """One request's segments (then its background work) on a ready instance, as a callback
    chain: each segment is one simpy ``Timeout`` (or the instance's shared-CPU completion
    event) whose callback is this object, so serving a request needs no simpy process."""

    __slots__ = (
        "background",
        "deadline",
        "due",
        "emit",
        "finished",
        "flush_after",
        "index",
        "inst",
        "request",
        "run",
        "segments",
        "shared",
        "used",
    )

    def __init__(
        self, run: PlatformRun, request: RequestSpec, inst: Instance, deadline: float
    ) -> None:
        self.run = run
        self.emit = run.emit
        self.request = request
        self.inst = inst
        self.deadline = deadline
        self.shared = False
        self.segments = request.segments
        self.flush_after = request.flush_after
        self.background = False
        self.index = 0
        self.finished = True
        self.used = 0.0
        self.due = 0.0

    def step(self, now: float) -> None:
        """Start the next segment, or finish the response (or the background work)."""
        index, emit = self.index, self.emit
        request, iid = self.request, self.inst.id
        if index == len(self.segments):
            if self.background:
                emit(BackgroundDone(now, request.id, iid, cut=False))
                self.run._release(self.inst, now)
                return
            emit(ResponseSent(now, request.id, iid, bool(request.background)))
            if not request.background:
                self.run._release(self.inst, now)
                return
            self.background, self.segments, self.flush_after, index = (
                True,
                request.background,
                -1,
                0,
            )
            self.index = 0
        if index == self.flush_after:
            emit(FirstByte(now, request.id, iid))
        is_cpu, seconds = self.segments[index]
        emit(
            SegmentStarted(now, request.id, iid, "cpu" if is_cpu else "io", index, self.background)
        )
        run = self.run
        if is_cpu and run._shared_cpu:  # cores shared: the instance's scheduler says when
            self.shared = True
            self.inst.cpu.run(seconds, self.deadline, self)
            return
        left = self.deadline - now
        self.finished = finished = seconds <= left
        run_for = seconds if finished else left
        self.used = run_for if is_cpu else 0.0
        self.due = now + run_for
        run._later(run_for, self)

    def __call__(self, event: Any) -> None:
        """The segment's wake-up (or its shared-CPU completion) fired."""
        request, index = self.request, self.index
        if self.shared:
            self.shared = False
            now = self.run.env.now
            outcome = cast("tuple[bool, float]", event.value)  # (finished, cpu seconds used)
            self.finished, self.used = outcome
        else:
            now = self.due  # the clock's time now, exactly
        iid = self.inst.id
        is_cpu = self.segments[index][0]
        emit = self.emit
        emit(
            SegmentEnded(
                now, request.id, iid, "cpu" if is_cpu else "io", index, self.background, self.used
            )
        )
        if self.finished:
            self.index = index + 1
            self.step(now)
            return
        if self.background:
            emit(BackgroundDone(now, request.id, iid, cut=True))
        else:
            emit(RequestTimedOut(now, request.id, iid))
        self.run._release(self.inst, now)


class PlatformRun:
    """One platform model of a scenario, on simpy (``driver="simpy"``) or the plain heap loop
    (``"heap"``: the same events in the same order, faster); emits events through ``emit``.

    Where requests go and when instances start or are recycled is decided by the platform
    core (``models.platform.core``); this driver supplies the clock, plays cold-start phases,
    chunk loads and request segments, and emits what happens.
    """

    def __init__(
        self,
        scenario: Scenario,
        model: str,
        emit: Emit,
        seed: int | None = None,
        driver: Driver = "simpy",
    ) -> None:
        if model not in scenario.platforms:
            known = ", ".join(scenario.platforms)
            raise ValueError(f"unknown platform model {model!r}; this scenario has {known}")
        self.scenario = scenario
        self.model = model
        self.platform = platform = scenario.platforms[model]
        self.function = function = scenario.function
        self.emit = emit
        self.seed = scenario.seed if seed is None else seed
        self._heap: HeapClock | None = None
        self._last_due = 0.0
        self.env: Clock
        self._later: Callable[[float, Callable[[Any], None]], None]
        if driver == "heap":
            self.env = self._heap = HeapClock()
            self._later = self._heap.call_in
        else:
            self.env = env = simpy.Environment()

            def later(delay: float, callback: Callable[[Any], None]) -> None:
                cast("list[Any]", env.timeout(delay).callbacks).append(callback)

            self._later = later
        self._phase_rng = random.Random(f"{self.seed}:{model}:phases")
        self.concurrency = platform.concurrency
        self.max_duration = platform.max_duration or math.inf
        self.keep_alive = effective_keep_alive(platform.keep_alive_policy, platform.keep_alive)
        # None for the built-in fixed keep-alive (reported as no learned policy)
        self._policy = runtime_policy(platform.keep_alive_policy)
        self.core: PlatformCore[Instance] = PlatformCore(
            platform, self._policy or FixedRuntime(self.keep_alive)
        )
        # cpu segments can only contend when more requests than cores share an instance
        self._shared_cpu = platform.concurrency > function.vcpus
        self._route_names = [route.name for route in scenario.workload.routes]
        self._route_chunks = [route.chunk for route in scenario.workload.routes]
        self._eager = [c.name for c in function.bundle if c.eager]
        self._chunk_kb = {c.name: c.size_kb for c in function.bundle}
        self.cache = BytecodeCache(platform.bytecode_cache)
        self.instances = self.core.instances
        self.arrivals_done = False
        self.requests_arrived = 0
        self._requests: Iterator[RequestSpec] = iter(())
        self._due: RequestSpec | None = None
        self._finished = False

    @property
    def policy(self) -> RuntimePolicy | None:
        """The keep-alive policy as it has learned so far (None for the fixed keep-alive)."""
        return self._policy

    # --- driving -----------------------------------------------------------------------

    def start(self, requests: Iterator[RequestSpec]) -> None:
        for _ in range(self.platform.min_instances):
            self._start_instance("min_instances")
        self._requests = requests
        # a timeout, not a call: the instances above start (urgent events) before anyone arrives
        self._later(0, self._next_arrivals)

    def run(self, until: float | None = None) -> bool:
        """Advance to ``until`` (or to the end); True once every event has been played."""
        env = self.env
        if until is None:
            env.run()
        else:
            # step by hand: env.run(until=...) leaves its stop event queued, so the end of
            # the run could never be detected from the queue.
            step, peek = env.step, env.peek
            while peek() <= until:
                step()
        if env.peek() == math.inf and not self._finished:
            self._finish()
        return self._finished

    def _finish(self) -> None:
        self._finished = True
        if self._heap is not None and self._last_due > self._heap.now:
            self._heap.now = self._last_due
        now = self.env.now
        for inst in sorted(self.instances.values(), key=lambda i: i.id):
            self.emit(InstanceRecycled(now, inst.id, "run_end"))
        self.instances.clear()

    def _next_arrivals(self, _event: Any = None) -> None:
        """Let the request that is due arrive, then every other one due now; wake again at
        the next one. A callback chain rather than a simpy process: one timeout per arrival."""
        env, requests = self.env, self._requests
        request = self._due
        while True:
            if request is not None:
                self.requests_arrived += 1
                self._arrive(request)
            request = next(requests, None)
            if request is None:
                self._due = None
                self.arrivals_done = True
                return
            delay = request.t - env.now
            if delay > 0:
                self._due = request
                self._later(delay, self._next_arrivals)
                return

    # --- routing -----------------------------------------------------------------------

    def _arrive(self, request: RequestSpec) -> None:
        now = self.env.now
        self.emit(RequestArrived(now, request.id, self._route_names[request.route]))
        where = self.core.arrived(now)
        if isinstance(where, Instance):
            self._assign(request, where, "warm" if where.ready else "joined", now)
        elif where == COLD:
            self._assign(request, self._start_instance("cold"), "cold", now)
        elif where == QUEUE:
            self.core.queue.append(request)
            self.emit(RequestQueued(now, request.id))
        else:
            self.emit(RequestRejected(now, request.id, "max_instances"))

    def _assign(self, request: RequestSpec, inst: Instance, start: str, now: float) -> None:
        core = self.core
        core.assigned(inst)
        self.emit(RequestAssigned(now, request.id, inst.id, start))
        chunk = self._route_chunks[request.route]
        if inst.ready and (chunk is None or chunk in inst.loaded):
            _Flow(self, request, inst, now + self.max_duration).step(now)
        else:
            self.env.process(self._serve(request, inst))
        if core.wants_prewarm():
            self._start_instance("prewarm")

    def _release(self, inst: Instance, now: float) -> None:
        queued = self.core.released(inst)
        if queued is not None:
            self._assign(queued, inst, "warm", now)
            return
        if inst.inflight == 0:
            self.emit(InstanceIdle(now, inst.id))
            decision = self.core.idle(inst, now)
            if isinstance(decision, Keep):
                self._keep(inst, decision)
                return
            self.emit(InstanceRecycled(now, inst.id, "keep_alive"))  # unloaded by the policy
            self._later(decision.after, partial(self._prewarm_due, decision.gen, decision.keep))

    def _keep(self, inst: Instance, keep: Keep) -> None:
        """The keep-alive timer of this idle stretch (a later one makes it stale).

        On simpy: one timeout per idle stretch. On the heap loop: the timer's place in the
        order is reserved now and one alarm per instance stands for all its stretches' timers
        (most are stale: the instance took a request before they were due), re-placed at the
        latest stretch's reserved place when it fires early; the same order, far fewer timers.
        """
        heap = self._heap
        if heap is None:
            self._later(keep.seconds, partial(self._expire, inst, keep.gen))
            return
        due = heap.now + keep.seconds
        order = heap.reserve()
        if due > self._last_due:
            self._last_due = due  # simpy's clock ends at its last timer, stale or not
        inst.expiry = (due, order, keep.gen)
        alarm = inst.alarm
        if alarm is None or (due, order) < alarm:
            self._set_alarm(inst, due, order)

    def _set_alarm(self, inst: Instance, due: float, order: int) -> None:
        assert self._heap is not None
        inst.alarm = (due, order)
        self._heap.call_at(due, order, partial(self._alarm, inst, due, order))

    def _alarm(self, inst: Instance, due: float, order: int, _event: Any) -> None:
        """An instance's keep-alive alarm (heap loop): expire it if this is the latest idle
        stretch's timer, else move the alarm there (if busy now, its next idle sets one)."""
        if inst.alarm != (due, order):
            return  # superseded by an earlier alarm
        inst.alarm = None
        latest_due, latest_order, gen = inst.expiry
        if (latest_due, latest_order) == (due, order):
            self._expire(inst, gen, None)
        elif inst.inflight == 0 and not inst.recycled:
            self._set_alarm(inst, latest_due, latest_order)

    def _expire(self, inst: Instance, gen: int, _event: Any) -> None:
        if self.core.expire(inst, gen):
            self.emit(InstanceRecycled(self.env.now, inst.id, "keep_alive"))

    def _prewarm_due(self, gen: int, keep: float, _event: Any) -> None:
        if not self.core.prewarm_due(gen):
            return
        inst = self._start_instance("prewarm")
        cast("list[Any]", inst.ready_event.callbacks).append(lambda _ready: self._arm(inst, keep))

    def _arm(self, inst: Instance, keep: float) -> None:
        timer = self.core.arm(inst, keep)
        if timer is not None:
            self._keep(inst, timer)

    # --- instances ---------------------------------------------------------------------

    def _start_instance(self, reason: str) -> Instance:
        core = self.core
        inst = Instance(core.new_id(), self.env, self.function.vcpus)
        core.started(inst, reason)
        self.emit(InstanceStarting(self.env.now, inst.id, reason))
        self.env.process(self._cold_start(inst))
        return inst

    def _phase(self, inst: Instance, phase: str, seconds: float, cpu: bool) -> Process:
        self.emit(PhaseStarted(self.env.now, inst.id, phase))
        if seconds > 0:
            yield self.env.timeout(seconds)
        self.emit(PhaseEnded(self.env.now, inst.id, phase, cpu_s=seconds if cpu else 0.0))

    def _cold_start(self, inst: Instance) -> Process:
        function, rng = self.function, self._phase_rng
        yield from self._phase(inst, "provision", function.provision.sample(rng), cpu=False)
        yield from self._phase(inst, "runtime_init", function.runtime_init.sample(rng), cpu=False)
        for chunk in self._eager:
            yield from self._load_chunk(inst, chunk, None)
        yield from self._phase(inst, "module_init", function.module_init.sample(rng), cpu=True)
        if not inst.ready and not inst.recycled:
            inst.ready = True
            self.emit(InstanceReady(self.env.now, inst.id))
            inst.ready_event.succeed()

    def _load_chunk(self, inst: Instance, chunk: str, request: int | None) -> Process:
        """Load (compile, or read from the bytecode cache) one chunk on one instance."""
        env = self.env
        done = env.event()
        inst.loading[chunk] = done
        hit = self.cache.lookup(chunk)
        cost = self.function.code_load
        per_kb = cost.load_ms_per_kb if hit else cost.compile_ms_per_kb
        seconds = (self._chunk_kb[chunk] * per_kb + cost.fixed_ms) / 1000.0
        self.emit(PhaseStarted(env.now, inst.id, "code_load", chunk, hit, request))
        used = seconds
        if seconds > 0:
            if self._shared_cpu and inst.ready:
                _finished, used = yield inst.cpu.run(seconds)
            else:
                yield env.timeout(seconds)
        inst.loaded.add(chunk)
        del inst.loading[chunk]
        if not hit:
            self.cache.store(chunk, inst.loaded)
        self.emit(PhaseEnded(env.now, inst.id, "code_load", chunk, hit, request, used))
        done.succeed()

    # --- requests ----------------------------------------------------------------------

    def _serve(self, request: RequestSpec, inst: Instance) -> Process:
        """Wait for the instance (and the route's chunk), then serve as ``_Flow`` does."""
        env = self.env
        if not inst.ready:
            yield inst.ready_event
        deadline = env.now + self.max_duration  # the clock starts once the instance is ready
        chunk = self._route_chunks[request.route]
        if chunk is not None and chunk not in inst.loaded:
            loading = inst.loading.get(chunk)
            if loading is not None:
                yield loading
            else:
                yield from self._load_chunk(inst, chunk, request.id)
        _Flow(self, request, inst, deadline).step(env.now)
