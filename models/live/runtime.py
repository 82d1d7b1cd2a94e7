"""``LiveRuntime``: one platform model of a scenario, run for real, emitting ``models.events``.

The router decides where a request runs with the simulator's rules (``placement``): a ready
instance with room, one already starting (``joined``), a new cold instance, the queue, or a
rejection; pre-warming, ``min_instances`` and keep-alive recycling (a fixed timeout, or
``scale_to_one``, which keeps the last instance) are the same rules on a real clock. Instances
are processes (``procs``) that report their phases and segments over a Unix socket
(``protocol``); the router turns those reports into events with the run's clock.

Every request ends exactly once: ``response_sent`` (then ``background_done`` if it has waitUntil
work), ``request_timed_out``, ``request_failed`` (its instance crashed, or its handler raised) or
``request_rejected``. Events are emitted in time order (reports from instances are clamped to
never go backwards by the few microseconds a frame takes).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    RequestFailed,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
    SegmentEnded,
    SegmentStarted,
)
from models.live.bundles import default_cache_root, ensure_bundle
from models.live.placement import Placement, Slot
from models.live.procs import Launcher, kill, make_launcher
from models.live.protocol import encode, read_frame
from models.live.rundir import SOCKET, RunDir
from models.live.upstream import Upstream
from models.policies import FixedRuntime, effective_keep_alive, runtime_policy
from models.requests import RequestSpec, Segment
from models.scenario import Scenario

Status = Literal["ok", "timeout", "error", "rejected", "stopped"]
"""How a request ended for its caller; ``stopped``: the runtime stopped before it did (the
front door answers 503, like a rejection: the platform did not serve it)."""
STDERR_TAIL = 2000


@dataclass(slots=True)
class LiveOptions:
    """How the live runtime runs (not what the platform is: that is the scenario's)."""

    start_method: Literal["zygote", "spawn"] = "zygote"
    cache_root: Path | None = None
    """Bundles and bytecode caches live here (default: ``~/.cache/serverless-lab/live``)."""
    keep_cache: bool = False
    """Keep the bytecode cache of an earlier run (default: every run starts with none)."""
    provision: bool = False
    """Sleep the scenario's ``provision`` delay, a stand-in for a container or image pull."""
    leaky: bool = False
    """Handlers keep request data in a module-level variable (the module-state hazard)."""
    kill_grace_s: float = 1.0
    """After max duration plus this, an instance that has not cut its request is killed."""
    boot_timeout_s: float = 60.0
    """An instance not ready this long after its runtime_init began is killed (its requests
    fail); also how long a launch may wait for a (re)starting zygote (at least 30 s)."""
    log: Callable[[str], None] | None = None
    """Told about faults as they happen (a crash and its stderr, a launcher restarting)."""
    on_health: Callable[[dict[str, Any]], None] | None = None
    """Given ``LiveRuntime.health()`` (a fresh dict, safe to hand to another thread) whenever
    it changes for the worse or recovers: a launcher dies, restarts or fails, an instance
    crashes, a request fails or times out, a damaged cache file is evicted."""


@dataclass(slots=True)
class Outcome:
    """How one request ended, as its caller (the HTTP front door) sees it."""

    request: int
    status: Status
    instance: int = -1
    start: str = ""
    body: str = ""
    error: str = ""
    leaked: bool = False


@dataclass(slots=True)
class _Req:
    spec: RequestSpec
    id: int
    route: str
    chunk: str | None
    user: str
    future: asyncio.Future[Outcome]
    start: str = ""
    instance: _Inst | None = None
    responded: bool = False
    router_timeout: bool = False
    timer: asyncio.TimerHandle | None = None
    on_first_byte: Callable[[Outcome], None] | None = None


@dataclass(eq=False)
class _Inst(Slot):
    writer: asyncio.StreamWriter | None = None
    pid: int = -1
    waiting: list[_Req] = field(default_factory=list)
    requests: dict[int, _Req] = field(default_factory=dict)
    stats: asyncio.Future[dict[str, Any]] | None = None
    idle_timer: asyncio.TimerHandle | None = None
    boot_timer: asyncio.TimerHandle | None = None
    exit_status: int | None = None
    stderr: str = ""


class LiveRuntime:
    """Runs one platform model for real. Use ``async with LiveRuntime(...) as rt``."""

    def __init__(
        self,
        scenario: Scenario,
        model: str,
        options: LiveOptions | None = None,
        sink: Callable[[Event], None] | None = None,
        upstream: Upstream | None = None,
    ) -> None:
        if model not in scenario.platforms:
            known = ", ".join(scenario.platforms)
            raise ValueError(f"unknown platform model {model!r}; this scenario has {known}")
        self.scenario = scenario
        self.model = model
        self.platform = platform = scenario.platforms[model]
        self.options = options or LiveOptions()
        self.sinks: list[Callable[[Event], None]] = [sink] if sink is not None else []
        self.events: list[Event] = []
        policy = runtime_policy(platform.keep_alive_policy)
        if policy is not None and not isinstance(policy, FixedRuntime):
            kind = getattr(platform.keep_alive_policy, "kind", "")
            raise ValueError(
                "the live runtime runs the fixed and scale_to_one keep-alive policies; "
                f"{model!r} has a {kind} one (simulate it instead)"
            )
        self.keep_alive = (
            policy.keep_alive
            if policy is not None
            else effective_keep_alive(platform.keep_alive_policy, platform.keep_alive)
        )
        self.placement = Placement(platform, policy)
        self._own_upstream = upstream is None
        self.upstream = upstream or Upstream(scenario.seed)
        self.launcher: Launcher = make_launcher(  # a zygote gets at least 30 s to come up
            self.options.start_method, self._on_exit, max(30.0, self.options.boot_timeout_s)
        )
        self.launcher.on_change = self._launcher_changed
        self._routes = {route.name: route for route in scenario.workload.routes}
        self._eager = [c.name for c in scenario.function.bundle if c.eager]
        self._rng = random.Random(f"{scenario.seed}:{model}:phases")
        self._mono0 = 0.0
        self._last_t = 0.0
        self._next_request = 0
        self._dir: Path | None = None
        self._rundir: RunDir | None = None
        self.counts: Counter[str] = Counter()
        """Requests by how they ended, instances crashed, cache hits/misses/evictions."""
        self.last_crash: dict[str, Any] = {}
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._inflight: dict[int, _Req] = {}
        self._drained: asyncio.Event | None = None
        self._closing = False
        self.leaks: list[dict[str, Any]] = []
        self.started = False

    # --- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> LiveRuntime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        root = self.options.cache_root or default_cache_root()
        chunks = [(c.name, c.size_kb) for c in self.scenario.function.bundle]
        self.src = ensure_bundle(root, chunks)
        self._rundir = RunDir()
        self._dir = self._rundir.path
        self.cache_dir = root / "pycache" / f"{self.scenario.fingerprint()}-{self.model}"
        if not self.options.keep_cache:
            shutil.rmtree(self.cache_dir, ignore_errors=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._sock = str(self._dir / SOCKET)
        self._server = await asyncio.start_unix_server(self._connected, self._sock)
        if self._own_upstream:
            await self.upstream.start()
        await self.launcher.start()
        self._drained = asyncio.Event()
        self._drained.set()
        self._mono0 = time.monotonic()
        self.started = True
        for _ in range(self.platform.min_instances):
            self._start_instance("min_instances")

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until no request is in flight (waitUntil work included)."""
        if self._drained is not None:
            await asyncio.wait_for(self._drained.wait(), timeout)

    async def close(self) -> None:
        """Stop every instance (``instance_recycled`` with ``run_end``) and clean up."""
        if self._closing:
            return
        if not self.started:  # a start that failed half-way: still stop what it launched
            self._closing = True
            try:
                await self.launcher.close()
            finally:
                if self._rundir is not None:
                    self._rundir.remove()
            return
        self._closing = True
        try:
            self._stop_all()
            await asyncio.sleep(0)
        finally:
            await self.launcher.close()
            if self._server is not None:
                self._server.close()
            for task in list(self._tasks):
                task.cancel()
            if self._own_upstream:
                await self.upstream.close()
            if self._rundir is not None:
                self._rundir.remove()

    def _stop_all(self) -> None:
        now = self.now()
        for req in list(self._inflight.values()):
            self._end(req, RequestFailed(now, req.id, _iid(req), "runtime stopped"), "stopped")
        for inst in sorted(self.placement.instances.values(), key=lambda i: i.id):
            self.emit(InstanceRecycled(now, inst.id, "run_end"))
            inst.recycled = True
            if isinstance(inst, _Inst):
                self._stop_instance(inst)
        self.placement.instances.clear()

    # --- events --------------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self._mono0

    def at(self, mono: float) -> float:
        """A time reported by an instance (its monotonic clock) on the run's clock."""
        return mono - self._mono0

    def emit(self, event: Event) -> None:
        if event.t < self._last_t:
            event.t = self._last_t
        self._last_t = event.t
        self.events.append(event)
        for sink in self.sinks:
            sink(event)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- requests ------------------------------------------------------------------------

    async def submit(
        self,
        spec: RequestSpec,
        user: str | None = None,
        on_first_byte: Callable[[Outcome], None] | None = None,
    ) -> Outcome:
        """Serve one request; returns when it has ended (its waitUntil work may go on).

        ``on_first_byte`` is called when a streaming handler flushes (its ``first_byte``), with
        the request's id, instance and start so far: the front door sends headers then.
        """
        route = self.scenario.workload.routes[spec.route]
        rid = self._next_request
        self._next_request += 1
        loop = asyncio.get_running_loop()
        req = _Req(spec, rid, route.name, route.chunk, user or f"user-{rid}", loop.create_future())
        req.on_first_byte = on_first_byte
        now = self.now()
        self.emit(RequestArrived(now, rid, route.name))
        if self._closing:
            self.emit(RequestRejected(now, rid, "stopping"))
            self.counts["rejected"] += 1
            return Outcome(rid, "rejected", error="the runtime is stopping")
        decision = self.placement.place()
        if decision == "cold" and self.launcher.state == "failed":
            self.emit(RequestRejected(now, rid, "unhealthy"))
            self.counts["rejected"] += 1
            self._health_changed()
            error = f"no instance can start: {self.launcher.last_error}"
            return Outcome(rid, "rejected", error=error)
        if decision == "reject":
            self.emit(RequestRejected(now, rid, "max_instances"))
            self.counts["rejected"] += 1
            return Outcome(rid, "rejected", error="no instance has room (max_instances)")
        self._inflight[rid] = req
        assert self._drained is not None
        self._drained.clear()
        if decision == "queue":
            self.placement.queue.append(req)
            self.emit(RequestQueued(now, rid))
        elif decision == "cold":
            self._assign(req, self._start_instance("cold"), "cold")
        else:
            assert isinstance(decision, _Inst)
            self._assign(req, decision, "warm" if decision.ready else "joined")
        return await req.future

    def _assign(self, req: _Req, inst: _Inst, start: str) -> None:
        self.placement.assigned(inst)
        req.instance, req.start = inst, start
        inst.requests[req.id] = req
        self.emit(RequestAssigned(self.now(), req.id, inst.id, start))
        if inst.ready:
            self._send_request(inst, req)
        else:
            inst.waiting.append(req)
        if self.placement.wants_prewarm():
            self.placement.offer(self._start_instance("prewarm"))

    def _send_request(self, inst: _Inst, req: _Req) -> None:
        spec = req.spec
        max_s = self.platform.max_duration
        message = {
            "op": "req",
            "id": req.id,
            "route": req.route,
            "chunk": req.chunk,
            "segments": spec.segments,
            "background": spec.background,
            "flush_after": spec.flush_after,
            "max_duration": max_s,
            "user": req.user,
        }
        assert inst.writer is not None
        inst.writer.write(encode(message))
        if max_s is not None:
            backstop = max_s + self.options.kill_grace_s
            req.timer = asyncio.get_running_loop().call_later(backstop, self._backstop, req)

    def _backstop(self, req: _Req) -> None:
        """The instance did not cut its request at max duration: kill the instance."""
        inst = req.instance
        if req.id not in self._inflight or inst is None:
            return
        req.router_timeout = True
        if inst.pid > 0:
            kill(inst.pid)

    def _end(self, req: _Req, event: Event, status: Status, body: str = "") -> None:
        """A request's last event; frees its slot."""
        self.emit(event)
        self.counts[status] += 1
        if status in ("error", "timeout"):
            self._health_changed()
        if req.timer is not None:
            req.timer.cancel()
        self._resolve(req, status, body, getattr(event, "error", ""))
        self._inflight.pop(req.id, None)
        inst = req.instance
        if inst is not None:
            inst.requests.pop(req.id, None)
            if not self._closing and not inst.recycled:
                self._release(inst)
        if not self._inflight and self._drained is not None:
            self._drained.set()

    def _resolve(self, req: _Req, status: Status, body: str = "", error: str = "") -> None:
        if not req.future.done():
            iid = _iid(req)
            leaked = bool(self.leaks) and self.leaks[-1]["request"] == req.id
            req.future.set_result(Outcome(req.id, status, iid, req.start, body, error, leaked))

    def _release(self, inst: _Inst) -> None:
        queued = self.placement.release(inst)
        if queued is not None:
            self._assign(queued, inst, "warm")
            return
        if inst.inflight == 0:
            self.emit(InstanceIdle(self.now(), inst.id))
            if inst.idle_timer is not None:
                inst.idle_timer.cancel()
            loop = asyncio.get_running_loop()
            inst.idle_timer = loop.call_later(self.keep_alive, self._expire, inst)

    def _expire(self, inst: _Inst) -> None:
        if self.placement.expire(inst):
            self.emit(InstanceRecycled(self.now(), inst.id, "keep_alive"))
            self._stop_instance(inst)

    # --- instances -----------------------------------------------------------------------

    def _start_instance(self, reason: str) -> _Inst:
        inst = _Inst(self.placement.new_id())
        self.placement.started(inst, reason)
        self.emit(InstanceStarting(self.now(), inst.id, reason))
        self._spawn(self._boot(inst))
        return inst

    def _boot_timed_out(self, inst: _Inst) -> None:
        if inst.ready or inst.recycled or self._closing:
            return
        if inst.pid > 0:
            kill(inst.pid)
        timeout = self.options.boot_timeout_s
        self._crashed(inst, f"instance {inst.id} was not ready within {timeout:g} s")

    async def _boot(self, inst: _Inst) -> None:
        function = self.scenario.function
        provision = function.provision.sample(self._rng)
        module_init = function.module_init.sample(self._rng)
        if self.options.provision and provision > 0:
            self.emit(PhaseStarted(self.now(), inst.id, "provision"))
            await asyncio.sleep(provision)
            self.emit(PhaseEnded(self.now(), inst.id, "provision"))
        if inst.recycled:
            return
        self.emit(PhaseStarted(self.now(), inst.id, "runtime_init"))
        loop = asyncio.get_running_loop()  # the boot timeout counts from here (after provision)
        inst.boot_timer = loop.call_later(self.options.boot_timeout_s, self._boot_timed_out, inst)
        config = {
            "instance": inst.id,
            "router": self._sock,
            "src": str(self.src),
            "cache_mode": self.platform.bytecode_cache,
            "cache_root": str(self.cache_dir),
            "eager": self._eager,
            "module_init_s": module_init,
            "upstream": list(self.upstream.address),
            "leaky": self.options.leaky,
            "stderr": str(self._stderr_path(inst)),
        }
        try:
            inst.pid = await self.launcher.launch(config)
        except Exception as exc:
            self._crashed(inst, f"instance {inst.id} could not start: {exc}")
            return
        if inst.recycled and inst.pid > 0:  # it timed out or crashed while being launched
            kill(inst.pid)

    def _stderr_path(self, inst: _Inst) -> Path:
        assert self._dir is not None
        return self._dir / f"instance-{inst.id}.stderr"

    def _stderr_tail(self, inst: _Inst) -> str:
        """The end of what the instance wrote on stderr (a traceback, usually)."""
        try:
            with open(self._stderr_path(inst), "rb") as handle:
                handle.seek(0, 2)
                size = handle.tell()
                handle.seek(max(0, size - STDERR_TAIL))
                return handle.read().decode(errors="replace").strip()
        except OSError:
            return ""

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = await read_frame(reader)
        if hello is None or hello.get("op") != "hello":
            writer.close()
            return
        inst = self.placement.instances.get(int(hello["instance"]))
        if inst is None or not isinstance(inst, _Inst):
            writer.close()
            return
        inst.writer = writer
        inst.pid = int(hello["pid"])
        self.emit(PhaseEnded(self.at(hello["t"]), inst.id, "runtime_init"))
        try:
            while (message := await read_frame(reader)) is not None:
                self._handle(inst, message)
        except (ValueError, KeyError) as exc:
            self._crashed(inst, f"instance {inst.id} sent a bad frame: {exc}")
            return
        if not inst.recycled and not self._closing:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.05)  # let the exit status arrive for the message
            status = f" (exit status {inst.exit_status})" if inst.exit_status is not None else ""
            self._crashed(inst, f"instance {inst.id} crashed{status}")

    def _handle(self, inst: _Inst, m: dict[str, Any]) -> None:
        op = m["op"]
        t = self.at(m["t"]) if "t" in m else self.now()
        iid = inst.id
        if op == "seg":
            if m["edge"] == "start":
                self.emit(SegmentStarted(t, m["req"], iid, m["kind"], m["index"], m["bg"]))
            else:
                self.emit(SegmentEnded(t, m["req"], iid, m["kind"], m["index"], m["bg"], m["cpu"]))
            return
        req = inst.requests.get(int(m.get("req", -1)))
        if op == "phase":
            chunk, hit, rid = m.get("chunk"), m.get("hit"), m.get("request")
            if m["edge"] == "start":
                self.emit(PhaseStarted(t, iid, m["phase"], chunk, None, rid))
            else:
                evicted = int(m.get("evicted", 0))
                for key in ("hits", "misses", "evicted", "write_errors"):
                    self.counts[f"cache_{key}"] += int(m.get(key, 0))
                self.emit(PhaseEnded(t, iid, m["phase"], chunk, hit, rid, m["cpu"], evicted))
                if evicted:
                    self._health_changed()
        elif op == "ready":
            inst.ready = True
            if inst.boot_timer is not None:
                inst.boot_timer.cancel()
            self.emit(InstanceReady(t, iid))
            waiting, inst.waiting = inst.waiting, []
            for waiter in waiting:
                self._send_request(inst, waiter)
            # like the simulator, an instance that is ready before any request (pre-warm,
            # min_instances) starts no keep-alive timer until it has served one
        elif op == "first_byte":
            self.emit(FirstByte(t, m["req"], iid))
            if req is not None and req.on_first_byte is not None:
                req.on_first_byte(Outcome(req.id, "ok", iid, req.start))
        elif op == "done" and req is not None:
            if m["user"] != req.user:
                self.leaks.append(
                    {"request": req.id, "instance": iid, "expected": req.user, "got": m["user"]}
                )
            if m["background"]:
                req.responded = True
                self.emit(ResponseSent(t, req.id, iid, True))
                self._resolve(req, "ok", m["body"])
            else:
                self._end(req, ResponseSent(t, req.id, iid, False), "ok", m["body"])
        elif op == "bg_done" and req is not None:
            self._end(req, BackgroundDone(t, req.id, iid, bool(m["cut"])), "ok")
        elif op == "timed_out" and req is not None:
            self._end(req, RequestTimedOut(t, req.id, iid), "timeout")
        elif op == "error" and req is not None:
            self._end(req, RequestFailed(t, req.id, iid, m["error"]), "error")
        elif op == "stats" and inst.stats is not None and not inst.stats.done():
            inst.stats.set_result(m)

    def _on_exit(self, pid: int, status: int) -> None:
        for inst in list(self.placement.instances.values()):
            if isinstance(inst, _Inst) and inst.pid == pid:
                inst.exit_status = status
                if inst.writer is None:  # died before it ever connected: no EOF will come
                    self._crashed(inst, f"instance {inst.id} exited while starting ({status})")

    def _crashed(self, inst: _Inst, message: str) -> None:
        """The instance is gone unasked: its requests end with a clear error, and what it
        wrote on stderr is kept (``last_crash``) and logged."""
        if inst.recycled or self._closing:
            return
        if inst.boot_timer is not None:
            inst.boot_timer.cancel()
        self.counts["instances_crashed"] += 1
        inst.stderr = self._stderr_tail(inst)
        last = inst.stderr.splitlines()[-1] if inst.stderr else ""
        if last:
            message = f"{message}: {last}"
        self.last_crash = {"instance": inst.id, "error": message, "stderr": inst.stderr}
        self._log(f"{self.model}: {message}" + (f"\n{inst.stderr}" if inst.stderr else ""))
        self._health_changed()
        now = self.now()
        held = sorted(inst.requests.values(), key=lambda r: r.id)  # waiting ones included
        inst.waiting = []
        self.placement.remove(inst)
        for req in held:
            inst.requests.pop(req.id, None)
            if req.router_timeout and not req.responded:
                self._end(req, RequestTimedOut(now, req.id, inst.id), "timeout")
            elif req.responded:
                self._end(req, BackgroundDone(now, req.id, inst.id, True), "ok")
            else:
                self._end(req, RequestFailed(now, req.id, inst.id, message), "error")
        self.emit(InstanceRecycled(now, inst.id, "crashed"))
        self._stop_instance(inst)
        while self.placement.queue and self.placement.can_start():
            queued = self.placement.queue.popleft()
            assert isinstance(queued, _Req)
            self._assign(queued, self._start_instance("cold"), "cold")

    def _stop_instance(self, inst: _Inst) -> None:
        if inst.idle_timer is not None:
            inst.idle_timer.cancel()
        if inst.boot_timer is not None:
            inst.boot_timer.cancel()
        if inst.writer is not None and not inst.writer.is_closing():
            with contextlib.suppress(ConnectionError, RuntimeError):
                inst.writer.write(encode({"op": "stop"}))
            inst.writer.close()

    # --- health --------------------------------------------------------------------------

    def _log(self, message: str) -> None:
        if self.options.log is not None:
            self.options.log(message)

    def _launcher_changed(self, launcher: Launcher) -> None:
        if not launcher.deaths:
            return  # its first start is not news
        if launcher.state == "up":
            self._log(f"{self.model}: launcher up again (restart {launcher.restarts})")
        else:
            why = f": {launcher.last_error}" if launcher.last_error else ""
            self._log(f"{self.model}: launcher {launcher.state}{why}")
        self._health_changed()

    def _health_changed(self) -> None:
        if self.options.on_health is not None:
            self.options.on_health(self.health())

    def health(self) -> dict[str, Any]:
        """How this model is doing, for ``/_lab/status`` and front ends (JSON-ready).

        ``healthy`` is False when the launcher has failed (cold starts are refused with a
        503) or is restarting; ``launcher`` has its state, restarts and last error;
        ``requests`` counts how requests ended (``ok``, ``error``, ``timeout``,
        ``rejected``, ``stopped``) and how many are in flight; ``instances`` how many are
        alive and how many crashed, with the last crash's error and stderr; ``cache`` the
        bytecode cache's hits, misses, evictions (damaged files) and failed writes.
        """
        counts = self.counts
        launcher = self.launcher.health()
        return {
            "healthy": launcher["state"] in ("up", "closed"),
            "launcher": launcher,
            "requests": {
                "in_flight": len(self._inflight),
                **{k: counts[k] for k in ("ok", "error", "timeout", "rejected", "stopped")},
            },
            "instances": {
                "alive": self.placement.alive,
                "crashed": counts["instances_crashed"],
                "last_crash": self.last_crash,
            },
            "cache": {
                "mode": self.platform.bytecode_cache,
                **{k: counts[f"cache_{k}"] for k in ("hits", "misses", "evicted", "write_errors")},
            },
        }

    # --- checks --------------------------------------------------------------------------

    async def cpu_check(self) -> dict[str, float]:
        """Per-request CPU the instances measured vs their processes' own CPU accounting."""
        loop = asyncio.get_running_loop()
        futures = []
        for inst in self.placement.instances.values():
            if isinstance(inst, _Inst) and inst.ready and inst.writer is not None:
                inst.stats = loop.create_future()
                inst.writer.write(encode({"op": "stats"}))
                futures.append(inst.stats)
        results = await asyncio.wait_for(asyncio.gather(*futures), 10) if futures else []
        process = sum(r["process_cpu"] for r in results)
        attributed = sum(r["attributed"] + r["init_cpu"] for r in results)
        return {
            "process_cpu_s": process,
            "attributed_cpu_s": attributed,
            "attributed_share": attributed / process if process > 0 else 0.0,
        }


def _iid(req: _Req) -> int:
    return req.instance.id if req.instance is not None else -1


def make_spec(
    scenario: Scenario,
    route_index: int,
    segments: tuple[Segment, ...],
    background: tuple[Segment, ...] = (),
    flush_after: int | None = None,
) -> RequestSpec:
    """A request spec for a route (ids are assigned by the runtime, not here)."""
    flush = len(segments) if flush_after is None else flush_after
    return RequestSpec(-1, 0.0, route_index, segments, background, flush)
