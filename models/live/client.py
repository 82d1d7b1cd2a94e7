"""Replaying a scenario's workload against a live front door over HTTP (``lab load``).

The requests are the simulator's own (``generate_requests``), sent with ``X-Lab-Work`` so the
router runs exactly them, at their arrival times divided by ``speed`` and with at most
``concurrency`` outstanding. Afterwards the server returns the model's events and they are
billed by ``models.run.measure``, the code that bills a simulated run.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from models.events import Event, event_from_dict
from models.live.httpwire import Response, read_response
from models.live.server import work_header
from models.requests import generate_requests
from models.run import ModelResult, measure
from models.scenario import Scenario


class HttpClient:
    """A pool of keep-alive HTTP/1.1 connections to one ``http://host:port``."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"expected a target such as http://127.0.0.1:8080, not {target!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Response:
        conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = await asyncio.open_connection(self.host, self.port, limit=1 << 24)
        reader, writer = conn
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        writer.write(head.encode("latin-1") + b"\r\n" + body)
        try:
            response = await read_response(reader)
        except BaseException:
            writer.close()
            raise
        if response.headers.get("connection") == "close":
            writer.close()
        else:
            self._idle.append(conn)
        return response

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


@dataclass(slots=True)
class LoadResult:
    model: str
    result: ModelResult
    statuses: dict[int, int]
    sent: int
    wall_s: float
    checks: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


async def load_model(
    target: str,
    scenario: Scenario,
    model: str,
    requests: int | None = None,
    speed: float = 1.0,
    concurrency: int = 100,
    progress: Callable[[int], None] | None = None,
    seed: int | None = None,
) -> LoadResult:
    """Reset ``model`` on the server, replay the workload, fetch and bill its events."""
    client = HttpClient(target)
    control = {"x-lab-model": model}
    try:
        reset = await client.request("POST", "/_lab/reset", control)
        if reset.status != 200:
            raise ValueError(f"the server refused model {model!r}: {reset.body.decode()[:200]}")
        specs = generate_requests(scenario, seed)
        if requests is not None:
            specs = itertools.islice(specs, requests)
        routes = [route.name for route in scenario.workload.routes]
        statuses: dict[int, int] = {}
        limit = asyncio.Semaphore(concurrency)
        tasks: list[asyncio.Task[None]] = []
        done = 0
        start = time.monotonic()

        async def one(path: str, work: str) -> None:
            nonlocal done
            try:
                response = await client.request(
                    "GET", path, {"x-lab-model": model, "x-lab-work": work}
                )
                statuses[response.status] = statuses.get(response.status, 0) + 1
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                statuses[0] = statuses.get(0, 0) + 1
                _ = exc
            finally:
                limit.release()
                done += 1
                if progress is not None:
                    progress(done)

        loop = asyncio.get_running_loop()
        for spec in specs:
            if speed != float("inf"):
                delay = start + spec.t / speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await limit.acquire()
            tasks.append(loop.create_task(one(routes[spec.route], work_header(spec))))
        await asyncio.gather(*tasks)
        wall = time.monotonic() - start
        finish = await client.request("POST", "/_lab/finish", control)
        events = [event_from_dict(json.loads(line)) for line in finish.body.splitlines() if line]
        checks = json.loads(finish.headers.get("x-lab-checks", "{}"))
    finally:
        await client.close()
    result = measure(events, scenario, model)
    return LoadResult(model, result, statuses, len(tasks), wall, checks, events)
