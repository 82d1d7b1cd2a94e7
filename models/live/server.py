"""The HTTP front door: routes requests on 127.0.0.1 to the live runtimes, one per model.

``GET /api/chat`` runs the scenario's ``/api/chat`` route under the default (first) platform
model; ``X-Lab-Model: fluid`` or ``?model=fluid`` picks another. A request's work is sampled
from its route like the simulator does, unless ``X-Lab-Work`` carries it (``lab load`` sends
the exact requests the simulator would play)::

    X-Lab-Work: {"s": [[1, 0.2], [0, 0.45]], "b": [], "f": 1}    # segments, background, flush

Answers: 200 (response), 504 (cut at max duration), 502 (instance crashed / handler error),
503 (rejected), 404 (unknown route), 4xx for malformed requests; never a crash. A route that
flushes early (``flush`` in its work) streams: headers and a first chunk go out at the flush,
so time-to-first-byte is real on the wire; an error after that ends the stream with an error
object (the status was already sent).

Control endpoints, for ``lab load`` and front ends:

* ``GET /_lab/status``                      scenario, models, routes, event counts
* ``POST /_lab/reset?model=M``              stop M's instances, start a fresh run (cache too)
* ``POST /_lab/finish?model=M``             wait for M's requests, stop, return its events
* ``GET /_lab/events?model=M&from=N``       M's events from index N, as JSON Lines
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Callable
from typing import Any

from models.events import Event
from models.live.httpwire import (
    BadRequest,
    Request,
    Response,
    encode_chunk,
    encode_response,
    encode_stream_head,
    read_request,
)
from models.live.runtime import LiveOptions, LiveRuntime, Outcome
from models.live.upstream import Upstream
from models.requests import RequestSpec, _RoutePlan
from models.scenario import Scenario

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STATUS = {"ok": 200, "timeout": 504, "error": 502, "rejected": 503}
Sink = Callable[[str, Event], None]
"""Receives ``(model, event)`` for every event of every model, as it happens."""


def _json(status: int, data: Any) -> Response:
    body = json.dumps(data).encode()
    return Response(status, {"content-type": "application/json"}, body)


def parse_work(
    text: str,
) -> tuple[tuple[tuple[bool, float], ...], tuple[tuple[bool, float], ...], int]:
    """``X-Lab-Work`` -> (segments, background, flush_after); ValueError names the problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("X-Lab-Work is not JSON") from None
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
    ) -> None:
        if host not in LOOPBACK:
            raise ValueError(f"the live runtime listens on loopback only, not {host!r}")
        self.scenario = scenario
        self.models = models or list(scenario.platforms)
        for model in self.models:
            if model not in scenario.platforms:
                known = ", ".join(scenario.platforms)
                raise ValueError(f"unknown platform model {model!r}; this scenario has {known}")
        self.options = options or LiveOptions()
        self.host, self.port = host, port
        self.sink = sink
        self.upstream = Upstream(scenario.seed)
        self.runtimes: dict[str, LiveRuntime] = {}
        self._server: asyncio.Server | None = None
        self._routes = {route.name: i for i, route in enumerate(scenario.workload.routes)}
        self._rng = random.Random(f"{scenario.seed}:live-front-door")
        self._plans = [_RoutePlan(route, self._rng) for route in scenario.workload.routes]
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> LiveServer:
        await self.upstream.start()
        for model in self.models:
            await self._fresh(model)
        self._server = await asyncio.start_server(
            self._client, self.host, self.port, limit=16 * 1024
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
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

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        try:
            for runtime in list(self.runtimes.values()):
                try:
                    await runtime.close()
                except Exception:  # keep closing the others: no process may outlive us
                    await runtime.launcher.close()
        finally:
            await self.upstream.close()

    async def __aenter__(self) -> LiveServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- HTTP ---------------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadRequest as exc:
                    writer.write(encode_response(_json(exc.status, {"error": str(exc)}), False))
                    await writer.drain()
                    break
                if request is None:
                    break
                try:
                    response = await self._respond(request, writer)
                except BadRequest as exc:
                    response = _json(exc.status, {"error": str(exc)})
                if response is not None:  # None: it was streamed already
                    writer.write(encode_response(response, request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    def _model(self, request: Request) -> str:
        model = request.headers.get("x-lab-model") or request.query.get("model") or self.models[0]
        if model not in self.runtimes:
            raise BadRequest(400, f"unknown model {model!r}; this server runs {self.models}")
        return model

    async def _respond(self, request: Request, writer: asyncio.StreamWriter) -> Response | None:
        if request.path.startswith("/_lab/"):
            return await self._control(request)
        route = self._routes.get(request.path)
        if route is None:
            known = ", ".join(self._routes)
            raise BadRequest(404, f"no route {request.path!r}; routes are {known}")
        if request.method not in ("GET", "POST"):
            raise BadRequest(405, f"method {request.method} not allowed")
        model = self._model(request)
        header = request.headers.get("x-lab-work")
        if header is not None:
            try:
                work, background, flush = parse_work(header)
            except ValueError as exc:
                raise BadRequest(400, str(exc)) from None
        else:
            plan = self._plans[route]
            work, background = plan.sample()
            flush = plan.flush_after
        spec = RequestSpec(-1, 0.0, route, work, background, flush)
        user = request.headers.get("x-lab-user")
        if flush >= len(work):
            return _outcome_response(await self.runtimes[model].submit(spec, user))
        streamed = False

        def first_byte(so_far: Outcome) -> None:  # headers and a first chunk go out now
            nonlocal streamed
            streamed = True
            head = _outcome_response(so_far).headers
            writer.write(encode_stream_head(200, head, request.keep_alive))
            writer.write(encode_chunk(b'{"streaming": true}\n'))

        outcome = await self.runtimes[model].submit(spec, user, first_byte)
        if not streamed:
            return _outcome_response(outcome)
        final = _outcome_response(outcome)  # after the flush the status cannot change
        writer.write(encode_chunk(final.body + b"\n") + encode_chunk(b""))
        return None

    async def _control(self, request: Request) -> Response:
        path = request.path
        if path == "/_lab/status":
            return _json(200, self.status())
        model = self._model(request)
        runtime = self.runtimes[model]
        if path == "/_lab/events":
            start = int(request.query.get("from", "0") or 0)
            body = "".join(
                json.dumps(e.to_dict(), separators=(",", ":")) + "\n"
                for e in runtime.events[start:]
            )
            return Response(200, {"content-type": "application/x-ndjson"}, body.encode())
        if request.method != "POST":
            raise BadRequest(405, f"{path} needs POST")
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
            await self._fresh(model)
            body = "".join(json.dumps(e.to_dict(), separators=(",", ":")) + "\n" for e in events)
            extra = {"leaks": len(leaks), "cpu_check": cpu}
            return Response(
                200,
                {"content-type": "application/x-ndjson", "x-lab-checks": json.dumps(extra)},
                body.encode(),
            )
        raise BadRequest(404, f"no control endpoint {path!r}")

    def status(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "fingerprint": self.scenario.fingerprint(),
            "models": self.models,
            "routes": list(self._routes),
            "events": {m: len(r.events) for m, r in self.runtimes.items()},
            "leaks": {m: len(r.leaks) for m, r in self.runtimes.items()},
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
    body = json.dumps({"error": outcome.error or outcome.status, "request": outcome.request})
    return Response(STATUS[outcome.status], headers, body.encode())
