"""Starting instance processes, and making sure none outlives the runtime.

Two start methods, chosen with numbers (measured here: a fork from a warm zygote ~3 ms, a
fresh interpreter ~75-160 ms; ``lab calibrate`` measures both on any machine):

* ``zygote`` (default): a pre-forked process forks each instance, ~3 ms until it runs;
* ``spawn``: a fresh ``sys.executable`` per instance (never a pyenv shim), ~75 ms or more.

Every process started here is tracked by pid; ``close()`` kills what is left. Children also
ask the kernel to kill them if their parent dies (``PR_SET_PDEATHSIG``), and exit when the
router's socket closes, so even a ``kill -9`` of the router leaves no orphans.

Launchers are supervised: a zygote that dies is noticed when its pipe closes, launches waiting
on it fail with the reason, and it is restarted with a bounded backoff (``ZygoteLauncher``);
``health()`` reports the state for ``/_lab/status``. Instances' stderr goes to a file per
instance (``config["stderr"]``), which the runtime shows when one crashes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ExitCallback = Callable[[int, int], None]
"""Called as ``on_exit(pid, status)`` when an instance process ends."""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


class LauncherError(RuntimeError):
    """An instance could not be started; the message says why (for the request's error)."""


LauncherState = str
"""``up``, ``starting``, ``restarting`` (after a death, backing off), ``failed`` (gave up after
``MAX_RESTARTS``; cold starts are refused) or ``closed``."""

MAX_RESTARTS = 5
"""Consecutive restarts of a launcher process before it is given up as failed."""
BACKOFF_S = (0.1, 2.0)
"""First delay before a restart, and the cap; the delay doubles with each consecutive one."""
STABLE_S = 60.0
"""A launcher up this long before it died starts its restart count afresh."""
STDERR_LINES = 40


class Launcher:
    """Base: tracks pids; subclasses start processes. ``health()`` says how it is doing."""

    method = "base"

    def __init__(self, on_exit: ExitCallback | None = None, boot_timeout: float = 30.0) -> None:
        self.on_exit = on_exit
        self.boot_timeout = boot_timeout
        self.pids: set[int] = set()
        self.state: LauncherState = "up"
        self.restarts = 0
        self.deaths = 0
        self.last_error = ""
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES)
        """The last lines the launcher process wrote on stderr (shown when it dies)."""
        self.on_change: Callable[[Launcher], None] | None = None

    async def start(self) -> None:
        return None

    async def launch(self, config: dict[str, Any]) -> int:
        raise NotImplementedError

    def health(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "state": self.state,
            "restarts": self.restarts,
            "deaths": self.deaths,
            "last_error": self.last_error,
            "stderr": list(self.stderr)[-10:],
        }

    def _set_state(self, state: LauncherState) -> None:
        if state != self.state:
            self.state = state
            if self.on_change is not None:
                self.on_change(self)

    def _exited(self, pid: int, status: int) -> None:
        self.pids.discard(pid)
        if self.on_exit is not None:
            self.on_exit(pid, status)

    async def close(self) -> None:
        self.state = "closed"
        for pid in list(self.pids):
            kill(pid)


class ZygoteLauncher(Launcher):
    """Forks instances from a zygote process, and supervises it.

    The zygote's stdout is a pipe: when it closes, the zygote is gone, and that is noticed at
    once (no polling). Every launch waiting on it then fails with the reason (exit status and
    the end of its stderr), the instances it forked are reported gone, and a new zygote is
    started after a backoff; after ``MAX_RESTARTS`` consecutive failures the launcher is
    ``failed`` and launches fail at once.
    """

    method = "zygote"

    def __init__(self, on_exit: ExitCallback | None = None, boot_timeout: float = 30.0) -> None:
        super().__init__(on_exit, boot_timeout)
        self.state = "starting"
        self.proc: asyncio.subprocess.Process | None = None
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._settled = asyncio.Event()
        """Set while the launcher is up, failed or closed (not while it is (re)starting)."""
        self._up_since = 0.0
        self.command = [sys.executable, "-m", "models.live.zygote"]
        self.max_restarts = MAX_RESTARTS
        self.backoff = BACKOFF_S

    async def start(self) -> None:
        await self._boot()

    def _task(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _boot(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=child_env(),
            cwd=str(ROOT),
        )
        assert proc.stdout is not None and proc.stderr is not None
        self._task(self._collect_stderr(proc.stderr))
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), self.boot_timeout)
        except TimeoutError:
            line = b""
            why = f"the zygote did not start within {self.boot_timeout:g} s"
        else:
            why = ""
        if not line:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            status = await proc.wait()
            await asyncio.sleep(0.05)  # let the last stderr lines arrive
            raise LauncherError(
                (why or f"the zygote exited while starting (exit status {status})")
                + self._stderr_tail()
            )
        self.proc = proc
        self._up_since = time.monotonic()
        self._set_state("up")
        self._settled.set()
        self._task(self._read(proc))

    async def _collect_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.stderr.append(line.decode(errors="replace").rstrip())

    def _stderr_tail(self) -> str:
        lines = [line for line in self.stderr if line.strip()]
        return f"; its stderr ends: {' | '.join(lines[-3:])}" if lines else ""

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        try:
            while line := await proc.stdout.readline():
                message = json.loads(line)
                if message["op"] == "forked":
                    self.pids.add(int(message["pid"]))
                    future = self._forks.pop(int(message["instance"]), None)
                    if future is not None and not future.done():
                        future.set_result(int(message["pid"]))
                elif message["op"] == "exited":
                    self._exited(int(message["pid"]), int(message["status"]))
        except (ValueError, KeyError) as exc:  # a garbled line: treat the zygote as broken
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            self.stderr.append(f"(router) bad message from the zygote: {exc!r}")
        if self.state == "closed":
            return
        try:  # the pipe closed: the zygote is gone (or going)
            status = await asyncio.wait_for(proc.wait(), 2)
        except TimeoutError:
            proc.kill()
            status = await proc.wait()
        await asyncio.sleep(0.02)  # its last stderr lines
        self._lost(f"the zygote (pid {proc.pid}) died (exit status {status})" + self._stderr_tail())

    def _lost(self, reason: str) -> None:
        """The zygote is gone: fail what waits on it, report its instances, restart it."""
        self.deaths += 1
        self.last_error = reason
        self.proc = None
        self._settled.clear()
        if time.monotonic() - self._up_since > STABLE_S:
            self.restarts = 0
        self._set_state("restarting")
        forks, self._forks = self._forks, {}
        for future in forks.values():
            if not future.done():
                future.set_exception(LauncherError(reason))
        for pid in list(self.pids):  # its children die with it (PR_SET_PDEATHSIG); say so
            kill(pid)
            self._exited(pid, -signal.SIGKILL)
        self._task(self._restart())

    async def _restart(self) -> None:
        while self.state == "restarting":
            if self.restarts >= self.max_restarts:
                self.last_error = f"gave up after {self.restarts} restarts; {self.last_error}"
                self._set_state("failed")
                self._settled.set()
                return
            first, cap = self.backoff
            await asyncio.sleep(min(cap, first * 2**self.restarts))
            self.restarts += 1
            if self.state != "restarting":
                return
            try:
                await self._boot()
            except (LauncherError, OSError) as exc:
                self.deaths += 1
                self.last_error = str(exc)

    async def launch(self, config: dict[str, Any]) -> int:
        if self.state in ("restarting", "starting"):
            try:
                await asyncio.wait_for(self._settled.wait(), self.boot_timeout)
            except TimeoutError:
                raise LauncherError(
                    f"the zygote is restarting and did not come back within "
                    f"{self.boot_timeout:g} s ({self.last_error})"
                ) from None
        if self.state == "failed":
            raise LauncherError(f"the launcher has failed: {self.last_error}")
        if self.state == "closed" or self.proc is None or self.proc.stdin is None:
            raise LauncherError("the launcher is closed")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        instance = int(config["instance"])
        self._forks[instance] = future
        try:
            self.proc.stdin.write(json.dumps({"op": "fork", "config": config}).encode() + b"\n")
            return await asyncio.wait_for(future, self.boot_timeout)
        except TimeoutError:
            raise LauncherError(f"the zygote did not fork within {self.boot_timeout:g} s") from None
        except ConnectionError as exc:
            raise LauncherError(f"the zygote is gone ({exc})") from None
        finally:
            self._forks.pop(instance, None)

    async def close(self) -> None:
        await super().close()
        self._settled.set()
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 2)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        for future in self._forks.values():
            if not future.done():
                future.set_exception(LauncherError("the launcher is closed"))


class SpawnLauncher(Launcher):
    """A fresh interpreter per instance; its stderr goes to ``config["stderr"]`` if given."""

    method = "spawn"

    def __init__(self, on_exit: ExitCallback | None = None, boot_timeout: float = 30.0) -> None:
        super().__init__(on_exit, boot_timeout)
        self.procs: dict[int, asyncio.subprocess.Process] = {}
        self._watchers: set[asyncio.Task[None]] = set()

    async def launch(self, config: dict[str, Any]) -> int:
        if self.state == "closed":
            raise LauncherError("the launcher is closed")
        stderr_path = config.get("stderr")
        with contextlib.ExitStack() as stack:
            stderr = stack.enter_context(open(stderr_path, "ab")) if stderr_path else None
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "models.live.worker",
                json.dumps(config),
                stdin=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                env=child_env(),
                cwd=str(ROOT),
            )
        self.pids.add(proc.pid)
        self.procs[proc.pid] = proc
        watcher = asyncio.get_running_loop().create_task(self._watch(proc))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        return proc.pid

    async def _watch(self, proc: asyncio.subprocess.Process) -> None:
        status = await proc.wait()
        self.procs.pop(proc.pid, None)
        self._exited(proc.pid, status)

    async def close(self) -> None:
        await super().close()
        for proc in list(self.procs.values()):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def make_launcher(
    method: str, on_exit: ExitCallback | None = None, boot_timeout: float = 30.0
) -> Launcher:
    if method == "zygote":
        return ZygoteLauncher(on_exit, boot_timeout)
    if method == "spawn":
        return SpawnLauncher(on_exit, boot_timeout)
    raise ValueError(f"unknown start method {method!r}; use zygote or spawn")
