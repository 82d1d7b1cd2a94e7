"""The upstream service handlers call: a database and an AI model, over HTTP on loopback only.

The same HTTP/1.1 server as the front door (``httpserver``, on h11), with limits for a
backend whose clients (the instances' connection pools) keep connections open for long::

    GET /ping                ->  ``PONG``                  (the client's handshake at module init)
    GET /db?ms=M[&jitter=J]  ->  a JSON row after M (± uniform J) milliseconds
    GET /token?ms=M          ->  the next token of a stream after M (the handler pulls tokens)
    GET /stream?n=N&ms=M     ->  N tokens pushed every M milliseconds, chunked (a model pushing)

Waiting is real waiting on a socket: the handler's coroutine is suspended, holds no core, and
other requests of the same instance run meanwhile. The instances' side is
``upstream_client.UpstreamConnection`` (h11 as the client, kept alive, pooled).
"""

from __future__ import annotations

import asyncio
import json
import random

from models.live.httpserver import HttpError, HttpLimits, HttpServer, Request, Response, Stream

HOST = "127.0.0.1"
LIMITS = HttpLimits(idle_timeout=24 * 3600.0, max_connections=100_000, header_timeout=60.0)
"""Pooled connections sit idle as long as their instance is kept alive: no idle cut here."""


def _ms(request: Request, name: str, default: str | None = None) -> float:
    text = request.query.get(name, default)
    try:
        value = float(text) if text is not None else -1.0
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3_600_000:
        raise HttpError(400, f"{name} must be a number of milliseconds")
    return value


class Upstream:
    """The service; ``await start()`` binds an ephemeral loopback port."""

    def __init__(self, seed: int = 0) -> None:
        self.http: HttpServer | None = None
        self.port = 0
        self.rng = random.Random(seed)
        self.served = 0

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port)

    async def start(self) -> Upstream:
        self.http = HttpServer(self._answer, HOST, 0, LIMITS)
        await self.http.start()
        self.port = self.http.port
        return self

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close(grace=0.5)

    async def _answer(self, request: Request, stream: Stream) -> Response | None:
        self.served += 1
        path = request.path
        if path == "/ping":
            return Response(200, {"content-type": "text/plain"}, b"PONG")
        if path == "/db":
            ms = _ms(request, "ms")
            if "jitter" in request.query:
                ms = max(0.0, ms + self.rng.uniform(-1, 1) * _ms(request, "jitter"))
            await asyncio.sleep(ms / 1000)
            row = {"id": self.served, "rows": 1, "ms": round(ms, 3)}
            return Response(200, {"content-type": "application/json"}, json.dumps(row).encode())
        if path == "/token":
            await asyncio.sleep(_ms(request, "ms") / 1000)
            return Response(200, {"content-type": "text/plain"}, f"token-{self.served}".encode())
        if path == "/stream":
            count, ms = int(_ms(request, "n")), _ms(request, "ms")
            stream.start(200, {"content-type": "text/plain"})
            for i in range(count):
                await asyncio.sleep(ms / 1000)
                stream.write(f"token-{i + 1}\n".encode())
            return None
        raise HttpError(404, f"no upstream endpoint {path!r}")
