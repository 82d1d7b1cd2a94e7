"""One instance process: its cold-start phases, its handlers, and its own CPU accounting.

Started by the zygote (``os.fork``) or spawned as a fresh interpreter, it connects to the
router's Unix socket and reports each phase as it happens (``phase`` frames with the instance's
monotonic clock, shared by every process on Linux):

* ``runtime_init`` ends when this process is up and connected;
* ``code_load`` imports each eager chunk for real, through the bytecode cache (``pycache``);
* ``module_init`` runs the function's top-level set-up: it opens its upstream client and
  does the scenario's init work on the CPU.

Then it serves requests (``req`` frames) concurrently on one asyncio loop, up to whatever the
router sends it (1 for ``traditional``). A request's ``cpu`` segments really burn CPU through
the bundle's code, its ``io`` segments really wait on the upstream service over a socket (HTTP,
a pooled kept-alive connection per request: ``upstream_client``).

CPU is measured, not assumed: a task factory wraps every task's coroutine so each step (the
stretch between two awaits) adds its ``time.thread_time()`` delta to the request that owns the
task (a contextvar), and the process's own ``time.process_time()`` is reported beside the sum.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import json
import os
import sys
import time
from collections.abc import Coroutine, Generator
from pathlib import Path
from typing import Any

from models.live.bundles import PACKAGE_PREFIX, package_name
from models.live.protocol import encode, read_frame
from models.live.pycache import BytecodeStore, install
from models.live.upstream_client import UpstreamConnection

SLICE_S = 0.004
"""A cpu segment yields to the loop this often, so concurrent requests share the core."""

thread_time = time.thread_time
monotonic = time.monotonic

_current_user: str | None = None
"""The module-state hazard: request data kept in a module-level variable (leaky handler)."""


class CpuCell:
    """CPU time of one request: closed steps plus the step running now."""

    __slots__ = ("step_t0", "total")

    def __init__(self) -> None:
        self.total = 0.0
        self.step_t0 = -1.0

    def now(self) -> float:
        running = thread_time() - self.step_t0 if self.step_t0 >= 0 else 0.0
        return self.total + running


_CELL: contextvars.ContextVar[CpuCell | None] = contextvars.ContextVar("lab_cpu", default=None)


class Metered(Coroutine[Any, Any, Any]):
    """Wraps a coroutine; adds the thread CPU of each of its steps to a request's cell."""

    __slots__ = ("_cell", "_coro")

    def __init__(self, coro: Coroutine[Any, Any, Any], cell: CpuCell) -> None:
        self._coro = coro
        self._cell = cell

    def send(self, value: Any) -> Any:
        cell = self._cell
        outer = cell.step_t0
        t0 = thread_time()
        cell.step_t0 = t0
        try:
            return self._coro.send(value)
        finally:
            cell.total += thread_time() - t0
            cell.step_t0 = outer

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        cell = self._cell
        t0 = thread_time()
        cell.step_t0 = t0
        try:
            return self._coro.throw(typ, val, tb)
        finally:
            cell.total += thread_time() - t0
            cell.step_t0 = -1.0

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self._coro.__await__()


def _task_factory(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    context: contextvars.Context | None = None,
) -> asyncio.Task[Any]:
    cell = context.get(_CELL) if context is not None else _CELL.get()
    wrapped: Coroutine[Any, Any, Any] = coro if cell is None else Metered(coro, cell)
    return asyncio.Task(wrapped, loop=loop, context=context)


class Instance:
    """The instance's side of the protocol; one per process."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.id: int = config["instance"]
        self.src = Path(config["src"])
        self.store = BytecodeStore(config["cache_mode"], Path(config["cache_root"]), self.src)
        install(self.store, PACKAGE_PREFIX)
        self.chunks: dict[str, Any] = {}
        self.writer: asyncio.StreamWriter | None = None
        self.upstream: tuple[str, int] = (config["upstream"][0], int(config["upstream"][1]))
        self.pool = _Pool(self.upstream)
        self.leaky: bool = bool(config.get("leaky", False))
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self._task_ids: dict[asyncio.Task[None], int] = {}
        self.attributed = 0.0
        self.init_cpu = 0.0

    # --- frames -------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(encode(message))

    # --- cold start ---------------------------------------------------------------------

    def load_chunk(self, chunk: str, request: int | None) -> None:
        """Import a chunk for real (compile, or load cached bytecode); report it."""
        self.send(
            {
                "op": "phase",
                "edge": "start",
                "phase": "code_load",
                "chunk": chunk,
                "request": request,
                "t": monotonic(),
            }
        )
        stats = self.store.stats
        stats.reset()
        c0 = thread_time()
        self.chunks[chunk] = importlib.import_module(package_name(chunk))
        self.store.publish()
        cpu = thread_time() - c0
        self.init_cpu += cpu
        cell = _CELL.get()
        if cell is not None:  # a lazy load is a phase, not the request's segment work
            cell.total -= cpu
        hit = stats.misses == 0 and stats.hits > 0
        self.send(
            {
                "op": "phase",
                "edge": "end",
                "phase": "code_load",
                "chunk": chunk,
                "request": request,
                "t": monotonic(),
                "cpu": cpu,
                "hit": hit,
                "hits": stats.hits,
                "misses": stats.misses,
                "evicted": stats.evicted,
                "write_errors": stats.write_errors,
            }
        )

    async def module_init(self) -> None:
        self.send({"op": "phase", "edge": "start", "phase": "module_init", "t": monotonic()})
        c0 = thread_time()
        client = await UpstreamConnection.open(self.upstream)  # create the client
        await client.get("/ping")
        self.pool.put(client)
        burn(float(self.config.get("module_init_s", 0.0)), None)
        cpu = thread_time() - c0
        self.init_cpu += cpu
        self.send(
            {"op": "phase", "edge": "end", "phase": "module_init", "t": monotonic(), "cpu": cpu}
        )

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(_task_factory)  # type: ignore[arg-type]
        reader, self.writer = await asyncio.open_unix_connection(self.config["router"])
        self.send({"op": "hello", "instance": self.id, "pid": os.getpid(), "t": monotonic()})
        for chunk in self.config["eager"]:
            self.load_chunk(chunk, None)
        await self.module_init()
        self.send({"op": "ready", "t": monotonic()})
        while True:
            message = await read_frame(reader)
            if message is None or message["op"] == "stop":
                break
            op = message["op"]
            if op == "req":
                cell = CpuCell()
                context = contextvars.copy_context()
                context.run(_CELL.set, cell)
                rid = int(message["id"])
                task = loop.create_task(self.handle(message, cell), context=context)
                self.tasks[rid] = task
                self._task_ids[task] = rid
                task.add_done_callback(self._forget)
            elif op == "cancel":
                cancelled = self.tasks.get(int(message["id"]))
                if cancelled is not None:
                    cancelled.cancel()
            elif op == "stats":
                self.send(
                    {
                        "op": "stats",
                        "process_cpu": time.process_time(),
                        "attributed": self.attributed,
                        "init_cpu": self.init_cpu,
                        "inflight": len(self.tasks),
                    }
                )
            await self.writer.drain()
        self.writer.close()

    def _forget(self, task: asyncio.Task[None]) -> None:
        self.tasks.pop(self._task_ids.pop(task, -1), None)

    # --- requests -----------------------------------------------------------------------

    async def handle(self, req: dict[str, Any], cell: CpuCell) -> None:
        global _current_user
        rid = int(req["id"])
        max_s = req.get("max_duration")
        deadline = monotonic() + float(max_s) if max_s else None
        user = str(req.get("user", ""))
        if self.leaky:
            _current_user = user  # the hazard: shared by every request in this process
        chunk = req.get("chunk")
        conn = _Upstream(self.pool)
        try:
            if chunk and chunk not in self.chunks:
                self.load_chunk(chunk, rid)
            module = self.chunks.get(chunk) if chunk else None
            ok = await self.segments(
                req["segments"],
                rid,
                module,
                conn,
                deadline,
                int(req["flush_after"]),
                background=False,
            )
            if not ok:
                self.send({"op": "timed_out", "req": rid, "t": monotonic()})
                return
            echoed = _current_user if self.leaky else user
            body = json.dumps({"request": rid, "instance": self.id, "user": echoed})
            background = bool(req["background"])
            self.send(
                {
                    "op": "done",
                    "req": rid,
                    "t": monotonic(),
                    "body": body,
                    "user": echoed,
                    "background": background,
                }
            )
            if background:
                ok = await self.segments(
                    req["background"], rid, module, conn, deadline, -1, background=True
                )
                self.send({"op": "bg_done", "req": rid, "t": monotonic(), "cut": not ok})
        except Exception as exc:  # a handler error is the request's error, not the instance's
            self.send({"op": "error", "req": rid, "t": monotonic(), "error": repr(exc)})
        finally:
            conn.close()
            self.attributed += cell.now()

    async def segments(
        self,
        segments: list[list[Any]],
        rid: int,
        module: Any,
        conn: _Upstream,
        deadline: float | None,
        flush_after: int,
        background: bool,
    ) -> bool:
        """Run segments in order; False when max duration cut one short."""
        cell = _CELL.get()
        assert cell is not None
        for index, (is_cpu, seconds) in enumerate(segments):
            if index == flush_after:
                self.send({"op": "first_byte", "req": rid, "t": monotonic()})
            kind = "cpu" if is_cpu else "io"
            self.send(
                {
                    "op": "seg",
                    "edge": "start",
                    "req": rid,
                    "kind": kind,
                    "index": index,
                    "bg": background,
                    "t": monotonic(),
                }
            )
            c0 = cell.now()
            finished = True
            try:
                work = (
                    _cpu(float(seconds), module)
                    if is_cpu
                    else conn.wait(float(seconds), after_flush=0 <= flush_after <= index)
                )
                if deadline is None:
                    await work
                else:  # a timer on this task, not a task per segment (wait_for): its CPU
                    async with asyncio.timeout_at(deadline):  # would be billed to the request
                        await work
            except TimeoutError:
                finished = False
            self.send(
                {
                    "op": "seg",
                    "edge": "end",
                    "req": rid,
                    "kind": kind,
                    "index": index,
                    "bg": background,
                    "t": monotonic(),
                    "cpu": cell.now() - c0,
                }
            )
            if not finished:
                return False
        return True


def burn(seconds: float, module: Any) -> None:
    """Spend ``seconds`` of this thread's CPU time running real code (the chunk's, if any)."""
    end = thread_time() + seconds
    n = 0
    render = getattr(module, "render", None)
    while thread_time() < end:
        n += 1
        if render is not None:
            render(n)
        else:
            sum(i * i for i in range(200))


async def _cpu(seconds: float, module: Any) -> None:
    """A cpu segment: burn in slices, yielding between them so requests share the core."""
    left = seconds
    while left > 0:
        t0 = thread_time()
        burn(min(SLICE_S, left), module)
        left -= thread_time() - t0
        if left > 0:
            await asyncio.sleep(0)


class _Pool:
    """The instance's idle upstream connections (a database client's pool)."""

    def __init__(self, address: tuple[str, int], size: int = 64) -> None:
        self.address = address
        self.size = size
        self.idle: list[UpstreamConnection] = []

    async def get(self) -> UpstreamConnection:
        while self.idle:
            conn = self.idle.pop()
            if conn.reusable and not conn.reader.at_eof():
                return conn
            conn.close()
        return await UpstreamConnection.open(self.address)

    def put(self, conn: UpstreamConnection) -> None:
        if len(self.idle) < self.size and conn.reusable:
            self.idle.append(conn)
        else:  # cut mid-exchange (max duration), or the pool is full
            conn.close()


class _Upstream:
    """A request's upstream connection, taken from the pool on its first io segment."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.conn: UpstreamConnection | None = None

    async def wait(self, seconds: float, after_flush: bool) -> None:
        """One upstream call of ``seconds``: a streamed token after the flush, else a query."""
        path = "/token" if after_flush else "/db"
        target = f"{path}?ms={seconds * 1000:.3f}"
        if self.conn is None:
            self.conn = await self.pool.get()
        reused = self.conn.used
        try:
            await self.conn.get(target)
        except ConnectionError:
            if not reused:
                raise
            self.conn.close()  # a pooled connection the server had closed: one fresh try
            self.conn = await UpstreamConnection.open(self.pool.address)
            await self.conn.get(target)

    def close(self) -> None:
        if self.conn is not None:
            self.pool.put(self.conn)
            self.conn = None


def die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent exits (no orphans, even after kill -9)."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(config: dict[str, Any]) -> None:
    """Run one instance until the router stops it or goes away."""
    with contextlib.suppress(ConnectionError, OSError):
        asyncio.run(Instance(config).run())


if __name__ == "__main__":  # spawned as a fresh interpreter
    die_with_parent()
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    main(json.loads(sys.argv[1]))
