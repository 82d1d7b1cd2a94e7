"""Starting instance processes, and making sure none outlives the runtime.

Two start methods, chosen with numbers (measured here: a fork from a warm zygote ~3 ms, a
fresh interpreter ~75-160 ms; ``lab calibrate`` measures both on any machine):

* ``zygote`` (default): a pre-forked process forks each instance, ~3 ms until it runs;
* ``spawn``: a fresh ``sys.executable`` per instance (never a pyenv shim), ~75 ms or more.

Every process started here is tracked by pid; ``close()`` kills what is left. Children also
ask the kernel to kill them if their parent dies (``PR_SET_PDEATHSIG``), and exit when the
router's socket closes, so even a ``kill -9`` of the router leaves no orphans.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
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


class Launcher:
    """Base: tracks pids; subclasses start processes."""

    method = "base"

    def __init__(self, on_exit: ExitCallback | None = None) -> None:
        self.on_exit = on_exit
        self.pids: set[int] = set()

    async def start(self) -> None:
        return None

    async def launch(self, config: dict[str, Any]) -> int:
        raise NotImplementedError

    def _exited(self, pid: int, status: int) -> None:
        self.pids.discard(pid)
        if self.on_exit is not None:
            self.on_exit(pid, status)

    async def close(self) -> None:
        for pid in list(self.pids):
            kill(pid)


class ZygoteLauncher(Launcher):
    method = "zygote"

    def __init__(self, on_exit: ExitCallback | None = None) -> None:
        super().__init__(on_exit)
        self.proc: asyncio.subprocess.Process | None = None
        self._forks: dict[int, asyncio.Future[int]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "models.live.zygote",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=child_env(),
            cwd=str(ROOT),
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        if not line:
            raise RuntimeError("the zygote process did not start")
        self._reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            if message["op"] == "forked":
                self.pids.add(int(message["pid"]))
                future = self._forks.pop(int(message["instance"]), None)
                if future is not None and not future.done():
                    future.set_result(int(message["pid"]))
            elif message["op"] == "exited":
                self._exited(int(message["pid"]), int(message["status"]))
        for future in self._forks.values():
            if not future.done():
                future.set_exception(RuntimeError("the zygote process exited"))

    async def launch(self, config: dict[str, Any]) -> int:
        assert self.proc is not None and self.proc.stdin is not None
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._forks[int(config["instance"])] = future
        self.proc.stdin.write(json.dumps({"op": "fork", "config": config}).encode() + b"\n")
        return await future

    async def close(self) -> None:
        await super().close()
        if self.proc is not None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 2)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class SpawnLauncher(Launcher):
    method = "spawn"

    def __init__(self, on_exit: ExitCallback | None = None) -> None:
        super().__init__(on_exit)
        self.procs: dict[int, asyncio.subprocess.Process] = {}

    async def launch(self, config: dict[str, Any]) -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "models.live.worker",
            json.dumps(config),
            stdin=asyncio.subprocess.DEVNULL,
            env=child_env(),
            cwd=str(ROOT),
        )
        self.pids.add(proc.pid)
        self.procs[proc.pid] = proc
        asyncio.get_running_loop().create_task(self._watch(proc))
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


def make_launcher(method: str, on_exit: ExitCallback | None = None) -> Launcher:
    if method == "zygote":
        return ZygoteLauncher(on_exit)
    if method == "spawn":
        return SpawnLauncher(on_exit)
    raise ValueError(f"unknown start method {method!r}; use zygote or spawn")
