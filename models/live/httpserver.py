"""HTTP/1.1 for the front door: h11 (a sans-I/O protocol state machine) under asyncio streams.

h11 does the framing (request line, headers, ``Content-Length`` or chunked bodies, keep-alive,
the order of events) strictly and raises on anything malformed; this module drives it with the
limits a server on a shared machine needs (``HttpLimits``):

* ``header_timeout``: from a request's first byte until its head is complete (slowloris);
* ``body_timeout``: from the end of the head until the end of the body;
* ``idle_timeout``: a connection with no request in progress is closed after this;
* ``send_timeout``: a client that does not read its response is dropped after this;
* ``max_connections``: a connection beyond it gets a 503 and is closed;
* ``max_head`` / ``max_body``: 431 / 413.

Every malformed or timed-out request gets an answer (4xx/5xx with a JSON ``error``) before the
connection closes: a socket is never just dropped while a request is pending. ``drain(grace)``
stops accepting, closes idle connections, lets requests in progress finish for ``grace``
seconds and closes each connection after its answer; ``close()`` ends what is left, answering
a request whose handler has not answered with a 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import h11

READ_SIZE = 65536


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Timeouts (seconds) and sizes the front door enforces."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 30.0
    send_timeout: float = 30.0
    max_connections: int = 512
    max_head: int = 16 * 1024
    max_body: int = 1024 * 1024


class HttpError(Exception):
    """A request the server answers with ``status`` and an ``error`` message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data).encode()
    return Response(status, {"content-type": "application/json", **(headers or {})}, body)


class Stream:
    """A response sent in parts: ``start`` sends the head (chunked), ``write`` a part. The
    handler then returns None; the server ends the body."""

    def __init__(self, conn: _Conn) -> None:
        self._conn = conn
        self.started = False

    def start(self, status: int, headers: dict[str, str]) -> None:
        self.started = True
        self._conn.send(_head(status, headers, self._conn.closing))
        self._conn.push()

    def write(self, data: bytes) -> None:
        self._conn.send(h11.Data(data=data))
        self._conn.push()


Handler = Callable[[Request, Stream], Awaitable[Response | None]]


def _head(status: int, headers: dict[str, str], close: bool) -> h11.Response:
    items = [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in headers.items()]
    if close:
        items.append((b"connection", b"close"))
    return h11.Response(status_code=status, headers=items, reason=_reason(status))


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


class _Timeout(Exception):
    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


class _Conn:
    """One client connection: its h11 state and its place in the server's bookkeeping."""

    def __init__(self, writer: asyncio.StreamWriter, limits: HttpLimits) -> None:
        self.writer = writer
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_head)
        self.busy = False
        """A request is being read or answered (drain waits for it)."""
        self.closing = False
        """The answer in progress is the connection's last (``Connection: close``)."""
        self.task: asyncio.Task[Any] | None = None
        self.out = bytearray()

    def send(self, event: Any) -> None:
        """Queue an event's bytes; ``push`` writes them (one write per answer: a response in
        several small segments would wake the client once per segment)."""
        data = self.h11.send(event)
        if data:
            self.out += data

    def push(self) -> None:
        if self.out:
            self.writer.write(bytes(self.out))
            self.out.clear()


class HttpServer:
    """Serves ``handler`` on ``host:port`` with ``limits``. ``stats`` counts what went wrong."""

    def __init__(
        self, handler: Handler, host: str, port: int, limits: HttpLimits | None = None
    ) -> None:
        self.handler = handler
        self.host, self.port = host, port
        self.limits = limits or HttpLimits()
        self.draining = False
        self.stats: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()
        self._quiet = asyncio.Event()
        self._quiet.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        return len(self._conns)

    def snapshot(self) -> dict[str, Any]:
        """For ``/_lab/status``: open connections, requests answered, and what went wrong."""
        return {"connections": len(self._conns), "draining": self.draining, **self.stats}

    # --- shutdown ------------------------------------------------------------------------

    async def drain(self, grace: float) -> bool:
        """Stop accepting; close idle connections; wait up to ``grace`` seconds for requests
        in progress. True if none is left."""
        self.draining = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            conn.closing = True
            if not conn.busy and conn.task is not None:
                conn.task.cancel()
        self._update_quiet()
        try:
            await asyncio.wait_for(self._quiet.wait(), grace)
        except TimeoutError:
            return False
        return True

    async def close(self, grace: float = 2.0) -> None:
        """End every connection: requests still unanswered after ``grace`` get a 503."""
        if not self.draining:
            await self.drain(0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), grace)
        tasks = [c.task for c in self._conns if c.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)

    def _update_quiet(self) -> None:
        if any(c.busy for c in self._conns):
            self._quiet.clear()
        else:
            self._quiet.set()

    # --- one connection ------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        limits = self.limits
        if len(self._conns) >= limits.max_connections or self.draining:
            self.stats["refused_over_cap" if not self.draining else "refused_draining"] += 1
            with contextlib.suppress(Exception):
                writer.write(_raw_503(self.draining))
                async with asyncio.timeout(limits.send_timeout):
                    await writer.drain()
            writer.close()
            return
        conn = _Conn(writer, limits)
        conn.task = asyncio.current_task()
        self._conns.add(conn)
        try:
            await self._requests(conn, reader)
        except (asyncio.CancelledError, ConnectionError, TimeoutError):
            pass  # drain/close, or the client went away: nothing to answer to
        finally:
            self._conns.discard(conn)
            conn.busy = False
            self._update_quiet()
            with contextlib.suppress(Exception):
                writer.close()

    async def _requests(self, conn: _Conn, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                request = await self._read_request(conn, reader)
            except _Timeout as exc:
                self.stats[f"timeout_{exc.which}"] += 1
                if exc.which == "idle":
                    return  # nothing pending: closing is the answer
                await self._answer_error(conn, 408, f"request {exc.which} not received in time")
                return
            except HttpError as exc:
                self.stats[f"http_{exc.status}"] += 1
                await self._answer_error(conn, exc.status, str(exc))
                return
            if request is None:
                return
            await self._respond(conn, request)
            if conn.h11.our_state is not h11.DONE or conn.h11.their_state is not h11.DONE:
                return
            if conn.closing:
                return
            conn.h11.start_next_cycle()
            conn.busy = False
            self._update_quiet()

    async def _read_request(self, conn: _Conn, reader: asyncio.StreamReader) -> Request | None:
        """The next complete request; None if the client closed cleanly between requests."""
        limits = self.limits
        loop = asyncio.get_running_loop()
        idle_deadline = loop.time() + limits.idle_timeout
        head_deadline = 0.0
        while (event := self._event(conn)) is h11.NEED_DATA:
            if not head_deadline and conn.h11.trailing_data[0]:
                head_deadline = loop.time() + limits.header_timeout
                self._busy(conn)
            await self._receive(conn, reader, head_deadline or idle_deadline, head_deadline > 0)
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):  # pragma: no cover - h11 only gives these here
            raise HttpError(400, "expected a request")
        self._busy(conn)
        request = _request(event, limits)
        if event.http_version not in (b"1.0", b"1.1"):
            raise HttpError(505, f"HTTP/{event.http_version.decode()} is not supported")
        if self.draining:
            conn.closing = True
        if conn.h11.they_are_waiting_for_100_continue:
            conn.send(h11.InformationalResponse(status_code=100, headers=[]))
            conn.push()
        body = bytearray()
        body_deadline = loop.time() + limits.body_timeout
        while True:
            event = self._event(conn)
            if event is h11.NEED_DATA:
                await self._receive(conn, reader, body_deadline, True, "body")
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > limits.max_body:
                    raise HttpError(413, f"request body over {limits.max_body} bytes")
            elif isinstance(event, h11.EndOfMessage):
                break
            else:  # ConnectionClosed mid-body: h11 raises for a short body, so rarely here
                raise HttpError(400, "the request ended before its body")
        request.body = bytes(body)
        return request

    def _busy(self, conn: _Conn) -> None:
        if not conn.busy:
            conn.busy = True
            self._quiet.clear()

    @staticmethod
    def _event(conn: _Conn) -> Any:
        try:
            return conn.h11.next_event()
        except h11.RemoteProtocolError as exc:
            raise HttpError(exc.error_status_hint, f"malformed request: {exc}") from None

    @staticmethod
    async def _receive(
        conn: _Conn, reader: asyncio.StreamReader, deadline: float, started: bool, what: str = ""
    ) -> None:
        """Read more bytes for h11 by ``deadline`` (``_Timeout`` names what was late)."""
        try:
            async with asyncio.timeout_at(deadline):
                data = await reader.read(READ_SIZE)
        except TimeoutError:
            raise _Timeout(what or ("header" if started else "idle")) from None
        conn.h11.receive_data(data)

    async def _respond(self, conn: _Conn, request: Request) -> None:
        stream = Stream(conn)
        try:
            if self.draining:
                raise HttpError(503, "the server is stopping")
            response = await self.handler(request, stream)
        except HttpError as exc:
            response = json_response(exc.status, {"error": str(exc)})
        except asyncio.CancelledError:  # close() after the grace period: answer, then go
            if not stream.started:
                response = json_response(503, {"error": "the server is stopping"})
                conn.closing = True
                await self._send(conn, response)
            raise
        except Exception as exc:  # a bug in a handler is a 500, not a dropped connection
            response = json_response(500, {"error": f"internal error: {exc!r}"})
        self.stats["answered"] += 1
        if stream.started:
            conn.send(h11.EndOfMessage())
            await self._flush(conn)
            return
        assert response is not None
        await self._send(conn, response)

    async def _send(self, conn: _Conn, response: Response) -> None:
        headers = {"content-length": str(len(response.body)), **response.headers}
        conn.send(_head(response.status, headers, conn.closing))
        if response.body:
            conn.send(h11.Data(data=response.body))
        conn.send(h11.EndOfMessage())
        await self._flush(conn)

    async def _flush(self, conn: _Conn) -> None:
        conn.push()
        transport = conn.writer.transport
        if transport.get_write_buffer_size() == 0 and not transport.is_closing():
            return  # all sent already (the usual case): no timer needed
        try:
            async with asyncio.timeout(self.limits.send_timeout):
                await conn.writer.drain()
        except TimeoutError:
            self.stats["timeout_send"] += 1
            raise

    async def _answer_error(self, conn: _Conn, status: int, message: str) -> None:
        """Answer a request we could not read, then the connection closes."""
        conn.closing = True
        response = json_response(status, {"error": message})
        if conn.h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            with contextlib.suppress(h11.LocalProtocolError):
                await self._send(conn, response)
                return
        conn.writer.write(_raw(response))  # h11 refuses (e.g. mid-response): best effort
        await self._flush(conn)


def _request(event: h11.Request, limits: HttpLimits) -> Request:
    size = len(event.target) + sum(len(n) + len(v) + 4 for n, v in event.headers)
    if size > limits.max_head:
        raise HttpError(431, f"request head over {limits.max_head} bytes")
    target = event.target.decode("latin-1")
    if not target.startswith("/"):
        raise HttpError(400, "the request target must be a path")
    headers: dict[str, str] = {}
    for name, value in event.headers:
        headers[name.decode("latin-1")] = value.decode("latin-1")
    length = headers.get("content-length")
    if length is not None and int(length) > limits.max_body:  # h11 checked it is digits
        raise HttpError(413, f"request body over {limits.max_body} bytes")
    path, _, query = target.partition("?")
    return Request(
        event.method.decode("latin-1"),
        path,
        dict(parse_qsl(query, keep_blank_values=True)),
        headers,
    )


def _raw(response: Response) -> bytes:
    """A whole response as bytes, for the two places h11 cannot send one (no request read)."""
    head = f"HTTP/1.1 {response.status} {_reason(response.status).decode()}\r\n"
    headers = {**response.headers, "content-length": str(len(response.body)), "connection": "close"}
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + response.body


def _raw_503(draining: bool) -> bytes:
    why = "the server is stopping" if draining else "too many connections"
    return _raw(json_response(503, {"error": why}))
