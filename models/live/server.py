"""The HTTP front door: routes requests on 127.0.0.1 to the live runtimes, one per model.

``GET /api/chat`` runs the scenario's ``/api/chat`` route under the default (first) platform
model; ``X-Lab-Model: fluid`` or ``?model=fluid`` picks another. A request's work is sampled
from its route like the simulator does, unless ``X-Lab-Work`` carries it (``lab load`` sends
the exact requests the simulator would play)::

    X-Lab-Work: {"s": [[1, 0.2], [0, 0.45]], "b": [], "f": 1}    # segments, background, flush

Answers: 200 (response), 504 (cut at max duration), 502 (instance crashed / handler error),
503 (rejected: no room, the model's launcher is down, or the server is stopping), 404
(unknown route), 4xx for malformed requests; never a crash. HTTP itself (framing, timeouts,
the connection cap, graceful drain) is ``httpserver``'s, on h11. A route that
flushes early (``flush`` in its work) streams: headers and a first chunk go out at the flush,
so time-to-first-byte is real on the wire; an error after that ends the stream with an error
object carrying the status it would have had (``{"error": ..., "status": 504}``: the HTTP
status, 200, was already sent).

Control endpoints, for ``lab load`` and front ends:

* ``GET /_lab/status``                      scenario, models, routes, event counts, and
                                            health: each model's launcher (up, restarting,
                                            failed), requests failed/timed out, instances
                                            crashed, bytecode-cache evictions; HTTP counters
* ``POST /_lab/reset?model=M``              stop M's instances, start a fresh run (cache too)
* ``POST /_lab/finish?model=M``             wait for M's requests, stop, return its events
* ``GET /_lab/events?model=M&from=N``       M's events from index N, as JSON Lines
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from typing import Any

from models.events import Event
from models.live.httpserver import (
    HttpError,
    HttpLimits,
    HttpServer,
    Request,
    Response,
    Stream,
    json_response,
)
from models.live.runtime import LiveOptions, LiveRuntime, Outcome
from models.live.upstream import Upstream
from models.requests import RequestSpec, _RoutePlan
from models.scenario import Scenario

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATUS = {"ok": 200, "timeout": 504, "error": 502, "rejected": 503, "stopped": 503}
Sink = Callable[[str, Event], None]
"""Receives ``(model, event)`` for every event of every model, as it happens."""


_json = json_response


def parse_work(
    text: str,
) -> tuple[tuple[tuple[bool, float], ...], tuple[tuple[bool, float], ...], int]:
    """``X-Lab-Work`` -> (segments, background, flush_after); ValueError names the problem."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError("X-Lab-Work is not JSON (or is nested too deeply)") from None
    if not isinstance(data, dict):
        raise ValueError("X-Lab-Work must be an object with s, b, f")

    def segments(key: str) -> tuple[tuple[bool, float], ...]:
        items = data.get(key, [])
        out = []
        if not isinstance(items, list):
            raise ValueError(f"X-Lab-Work.{key} must be a list")
        for item in items:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[1], int | float)
                or not 0 <= item[1] <= 3600
            ):
                raise ValueError(f"X-Lab-Work.{key}: expected [is_cpu, seconds] pairs")
            out.append((bool(item[0]), float(item[1])))
        return tuple(out)

    work, background = segments("s"), segments("b")
    if not work:
        raise ValueError("X-Lab-Work.s needs at least one segment")
    flush = data.get("f", len(work))
    if not isinstance(flush, int) or not 0 <= flush <= len(work):
        raise ValueError("X-Lab-Work.f must be a segment index")
    return work, background, flush


def work_header(spec: RequestSpec) -> str:
    """The ``X-Lab-Work`` value that makes the front door run exactly ``spec``."""
    return json.dumps(
        {
            "s": [[int(c), s] for c, s in spec.segments],
            "b": [[int(c), s] for c, s in spec.background],
            "f": spec.flush_after,
        },
        separators=(",", ":"),
    )


class LiveServer:
    """The router process's front door, its upstream service and one runtime per model."""

    def __init__(
        self,
        scenario: Scenario,
        models: list[str] | None = None,
        options: LiveOptions | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        sink: Sink | None = None,
        limits: HttpLimits | None = None,
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the live runtime listens on loopback only, not {host!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {port}")
        self.scenario = scenario
        self.models = models or list(scenario.platforms)
        for model in self.models:
            if model not in scenario.platforms:
                known = ", ".join(scenario.platforms)
                raise ValueError(f"unknown platform model {model!r}; this scenario has {known}")
        self.options = options or LiveOptions()
        self.host, self.port = host, port
        self.sink = sink
        self.limits = limits or HttpLimits()
        self.upstream = Upstream(scenario.seed)
        self.runtimes: dict[str, LiveRuntime] = {}
        self.http: HttpServer | None = None
        self._routes = {route.name: i for i, route in enumerate(scenario.workload.routes)}
        self._rng = random.Random(f"{scenario.seed}:live-front-door")
        self._plans = [_RoutePlan(route, self._rng) for route in scenario.workload.routes]
        self._closed = False
        self._fingerprint = scenario.fingerprint()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> LiveServer:
        await self.upstream.start()
        for model in self.models:
            await self._fresh(model)
        self.http = HttpServer(self._respond, self.host, self.port, self.limits)
        await self.http.start()
        self.port = self.http.port
        return self

    async def _fresh(self, model: str) -> LiveRuntime:
        old = self.runtimes.pop(model, None)
        if old is not None:
            await old.close()
        sink = None
        if self.sink is not None:
            forward = self.sink

            def sink(event: Event, model: str = model) -> None:
                forward(model, event)

        runtime = LiveRuntime(self.scenario, model, self.options, sink, self.upstream)
        self.runtimes[model] = runtime  # registered first: close() reaches it whatever happens
        await runtime.start()
        return runtime

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop gracefully: no new connections; requests in flight get ``grace`` seconds to
        finish, then an answer (503, the runtime is stopping); then everything stops."""
        if self.http is not None:
            await self.http.drain(grace)
        await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.http is not None and not self.http.draining:
            await self.http.drain(0)
        try:
            for runtime in list(self.runtimes.values()):
                try:
                    await runtime.close()  # what is still in flight ends "stopped" (503)
                except Exception:  # keep closing the others: no process may outlive us
                    await runtime.launcher.close()
        finally:
            try:
                if self.http is not None:
                    await self.http.close()
            finally:
                await self.upstream.close()

    async def __aenter__(self) -> LiveServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- HTTP ---------------------------------------------------------------------------

    def _model(self, request: Request) -> str:
        model = request.headers.get("x-lab-model") or request.query.get("model") or self.models[0]
        if model not in self.runtimes:
            raise HttpError(400, f"unknown model {model!r}; this server runs {self.models}")
        return model

    async def _respond(self, request: Request, stream: Stream) -> Response | None:
        if request.path.startswith("/_lab/"):
            return await self._control(request)
        route = self._routes.get(request.path)
        if route is None:
            known = ", ".join(self._routes)
            raise HttpError(404, f"no route {request.path!r}; routes are {known}")
        if request.method not in ("GET", "POST"):
            raise HttpError(405, f"method {request.method} not allowed")
        model = self._model(request)
        header = request.headers.get("x-lab-work")
        if header is not None:
            try:
                work, background, flush = parse_work(header)
            except ValueError as exc:
                raise HttpError(400, str(exc)) from None
        else:
            plan = self._plans[route]
            work, background = plan.sample()
            flush = plan.flush_after
        spec = RequestSpec(-1, 0.0, route, work, background, flush)
        user = request.headers.get("x-lab-user")
        if flush >= len(work):
            return _outcome_response(await self.runtimes[model].submit(spec, user))

        def first_byte(so_far: Outcome) -> None:  # headers and a first chunk go out now
            stream.start(200, _outcome_response(so_far).headers)
            stream.write(b'{"streaming": true}\n')

        outcome = await self.runtimes[model].submit(spec, user, first_byte)
        final = _outcome_response(outcome)
        if not stream.started:
            return final
        stream.write(final.body + b"\n")  # after the flush the status cannot change
        return None

    async def _control(self, request: Request) -> Response:
        path = request.path
        if path == "/_lab/status":
            return _json(200, self.status())
        model = self._model(request)
        runtime = self.runtimes[model]
        if path == "/_lab/events":
            text = request.query.get("from", "0") or "0"
            if not text.isascii() or not text.isdigit():
                raise HttpError(400, f"from must be a whole number of events, not {text[:40]!r}")
            start = int(text)
            body = "".join(
                json.dumps(e.to_dict(), separators=(",", ":")) + "\n"
                for e in runtime.events[start:]
            )
            return Response(200, {"content-type": "application/x-ndjson"}, body.encode())
        if request.method != "POST":
            raise HttpError(405, f"{path} needs POST")
        if path == "/_lab/reset":
            await self._fresh(model)
            return _json(200, {"model": model, "reset": True})
        if path == "/_lab/finish":
            with contextlib.suppress(TimeoutError):
                await runtime.drain(timeout=120)
            cpu = await runtime.cpu_check()
            await runtime.close()
            events = runtime.events
            leaks = runtime.leaks
            health = runtime.health()
            await self._fresh(model)
            body = "".join(json.dumps(e.to_dict(), separators=(",", ":")) + "\n" for e in events)
            extra = {"leaks": len(leaks), "cpu_check": cpu, "health": health}
            return Response(
                200,
                {"content-type": "application/x-ndjson", "x-lab-checks": json.dumps(extra)},
                body.encode(),
            )
        raise HttpError(404, f"no control endpoint {path!r}")

    def status(self) -> dict[str, Any]:
        """The server's state for ``/_lab/status``: scenario, models, and each model's health
        (``LiveRuntime.health``), plus the front door's own counters (``HttpServer.snapshot``).
        """
        health = {m: r.health() for m, r in self.runtimes.items()}
        return {
            "scenario": self.scenario.name,
            "fingerprint": self._fingerprint,
            "models": self.models,
            "routes": list(self._routes),
            "healthy": all(h["healthy"] for h in health.values()),
            "events": {m: len(r.events) for m, r in self.runtimes.items()},
            "leaks": {m: len(r.leaks) for m, r in self.runtimes.items()},
            "health": health,
            "http": self.http.snapshot() if self.http is not None else {},
        }


def _outcome_response(outcome: Outcome) -> Response:
    headers = {
        "content-type": "application/json",
        "x-lab-request": str(outcome.request),
        "x-lab-instance": str(outcome.instance),
        "x-lab-start": outcome.start,
    }
    if outcome.leaked:
        headers["x-lab-leak"] = "1"
    if outcome.status == "ok":
        return Response(200, headers, outcome.body.encode())
    status = STATUS[outcome.status]
    error = {"error": outcome.error or outcome.status, "request": outcome.request, "status": status}
    return Response(status, headers, json.dumps(error).encode())
