"""Replaying a scenario's workload against a live front door over HTTP (``lab load``).

The requests are the simulator's own (``generate_requests``), sent with ``X-Lab-Work`` so the
router runs exactly them, at their arrival times divided by ``speed`` and with at most
``concurrency`` outstanding, over httpx (kept-alive connections, a timeout per answer: a
request the client gave up on is counted as such, never as an answer). Afterwards the server
returns the model's events and they are billed by ``models.run.measure``, the code that bills
a simulated run; ``LoadResult.problems`` checks that it all adds up.
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

import httpx

from models.events import Event, event_from_dict
from models.live.server import work_header
from models.requests import generate_requests
from models.run import ModelResult, measure
from models.scenario import Scenario

DEFAULT_TIMEOUT_S = 120.0
"""How long ``lab load`` waits for one answer (queued requests can wait long)."""


def check_target(target: str) -> str:
    """``target`` if it is an ``http://host[:port]`` URL; ValueError naming it otherwise."""
    parts = urlsplit(target)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "http" or not parts.hostname or port == -1:
        raise ValueError(f"expected a target such as http://127.0.0.1:8080, not {target!r}")
    return target.rstrip("/")


def client(
    target: str, concurrency: int = 10, timeout: float = DEFAULT_TIMEOUT_S
) -> httpx.AsyncClient:
    """An httpx client for the front door: ``concurrency`` kept-alive connections, and
    ``timeout`` seconds for each request's answer (connecting gets 10 s)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=check_target(target),
        limits=limits,
        timeout=httpx.Timeout(timeout, connect=min(10.0, timeout), pool=None),
        trust_env=False,  # loopback: no proxy from the environment
    )


TERMINAL_STATUS = {
    "response_sent": 200,
    "request_timed_out": 504,
    "request_failed": 502,
    "request_rejected": 503,
}
"""How each way a request can end is answered over HTTP (routes that do not stream)."""


def answered_status(response: httpx.Response) -> int:
    """How the request ended, as an HTTP status: a streamed answer (its 200 went out at the
    first byte) that ended in an error says so in its last line (``{"error", "status"}``)."""
    if response.status_code != 200 or "chunked" not in response.headers.get(
        "transfer-encoding", ""
    ):
        return response.status_code
    last = response.content.rstrip().rsplit(b"\n", 1)[-1]
    try:
        final = json.loads(last)
    except ValueError:
        return response.status_code
    status = final.get("status") if isinstance(final, dict) and "error" in final else None
    return status if isinstance(status, int) else response.status_code


@dataclass(slots=True)
class LoadResult:
    model: str
    result: ModelResult
    statuses: dict[int, int]
    """HTTP status -> answers; 0 counts requests that got no answer (see ``no_answer``)."""
    sent: int
    wall_s: float
    checks: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    no_answer: dict[str, int] = field(default_factory=dict)
    """Why requests got no answer: ``timeout`` (the client gave up) or ``connection``."""

    def outcomes(self) -> dict[str, int]:
        """How the requests ended, by name: what a person reads in the report."""
        events = Counter(e.kind for e in self.events if e.kind in TERMINAL_STATUS)
        return {
            "ok": events["response_sent"],
            "timed_out": events["request_timed_out"],
            "failed": events["request_failed"],
            "rejected": events["request_rejected"],
            "no_answer": sum(self.no_answer.values()),
        }

    def problems(self) -> list[str]:
        """What does not add up (nothing when it all does): every request sent arrived and
        ended exactly once (response, error, timeout or rejection), each answer's HTTP status
        matches how it ended, and the bill's request counts add up to what was sent."""
        out = []
        arrived = [e.request for e in self.events if e.kind == "request_arrived"]  # type: ignore[attr-defined]
        ends = Counter(e.request for e in self.events if e.kind in TERMINAL_STATUS)  # type: ignore[attr-defined]
        kinds = Counter(e.kind for e in self.events if e.kind in TERMINAL_STATUS)
        for why, count in sorted(self.no_answer.items()):
            out.append(f"{count} requests got no answer ({why})")
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
        other.pop(0, None)  # already said why
        if other:
            out.append(f"other answers: {other}")
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
    timeout: float = DEFAULT_TIMEOUT_S,
) -> LoadResult:
    """Reset ``model`` on the server, replay the workload, fetch and bill its events."""
    control = {"x-lab-model": model}
    async with client(target, concurrency + 1, timeout) as http:
        reset = await http.post("/_lab/reset", headers=control, timeout=max(timeout, 60.0))
        if reset.status_code != 200:
            raise ValueError(f"the server refused model {model!r}: {reset.text[:200]}")
        specs = generate_requests(scenario, seed)
        if requests is not None:
            specs = itertools.islice(specs, requests)
        routes = [route.name for route in scenario.workload.routes]
        statuses: Counter[int] = Counter()
        no_answer: Counter[str] = Counter()
        limit = asyncio.Semaphore(concurrency)
        tasks: list[asyncio.Task[None]] = []
        done = 0
        start = time.monotonic()

        async def one(path: str, work: str) -> None:
            nonlocal done
            try:
                response = await http.get(path, headers={"x-lab-model": model, "x-lab-work": work})
                statuses[answered_status(response)] += 1
            except httpx.TimeoutException:
                statuses[0] += 1
                no_answer["timeout"] += 1
            except httpx.TransportError:
                statuses[0] += 1
                no_answer["connection"] += 1
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
        finish = await http.post("/_lab/finish", headers=control, timeout=max(timeout, 180.0))
        if finish.status_code != 200:
            raise ValueError(f"the server could not finish the run: {finish.text[:200]}")
        events = [event_from_dict(json.loads(line)) for line in finish.content.splitlines() if line]
        checks = json.loads(finish.headers.get("x-lab-checks", "{}"))
    result = measure(events, scenario, model)
    return LoadResult(
        model, result, dict(statuses), len(tasks), wall, checks, events, dict(no_answer)
    )
