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
from collections import Counter
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


TERMINAL_STATUS = {
    "response_sent": 200,
    "request_timed_out": 504,
    "request_failed": 502,
    "request_rejected": 503,
}
"""How each way a request can end is answered over HTTP (routes that do not stream)."""


@dataclass(slots=True)
class LoadResult:
    model: str
    result: ModelResult
    statuses: dict[int, int]
    sent: int
    wall_s: float
    checks: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def problems(self) -> list[str]:
        """What does not add up (nothing when it all does): every request sent arrived and
        ended exactly once (response, error, timeout or rejection), each answer's HTTP status
        matches how it ended, and the bill's request counts add up to what was sent."""
        out = []
        arrived = [e.request for e in self.events if e.kind == "request_arrived"]  # type: ignore[attr-defined]
        ends = Counter(e.request for e in self.events if e.kind in TERMINAL_STATUS)  # type: ignore[attr-defined]
        kinds = Counter(e.kind for e in self.events if e.kind in TERMINAL_STATUS)
        if len(arrived) != self.sent or len(set(arrived)) != len(arrived):
            out.append(f"{self.sent} requests sent, {len(arrived)} arrived")
        never = set(arrived) - set(ends)
        if never:
            out.append(f"{len(never)} requests never ended (e.g. {min(never)})")
        twice = sorted(r for r, n in ends.items() if n > 1)
        if twice:
            out.append(f"{len(twice)} requests ended more than once (e.g. {twice[0]})")
        if set(ends) - set(arrived):
            out.append("requests ended that never arrived")
        for kind, status in TERMINAL_STATUS.items():
            if self.statuses.get(status, 0) != kinds[kind]:
                out.append(f"{kinds[kind]} {kind} but {self.statuses.get(status, 0)} HTTP {status}")
        other = {s: n for s, n in self.statuses.items() if s not in TERMINAL_STATUS.values()}
        if other:
            out.append(f"other answers (0: no answer): {other}")
        if sum(self.statuses.values()) != self.sent:
            out.append(f"{sum(self.statuses.values())} answers to {self.sent} requests")
        counts = self.result.metrics["requests"]
        ended = sum(counts[k] for k in ("completed", "failed", "timed_out", "rejected"))
        if counts["total"] != self.sent or ended != self.sent:
            out.append(f"the bill counts {counts['total']} requests, {ended} ended")
        return out


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
