"""Just enough HTTP/1.1 for the front door and the load client (standard library only).

Requests carry a ``Content-Length`` body (no chunked request bodies); responses too, except
streamed ones (a route that flushes early), which are chunked: headers and a first chunk at the
handler's flush, the rest when it finishes. Connections are kept alive unless a side says
``Connection: close``. A malformed request raises ``BadRequest``
with the status to answer (400, 405, 411, 413, 431, 501), never anything else.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

MAX_HEAD = 16 * 1024
MAX_BODY = 1024 * 1024
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class BadRequest(Exception):
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
    keep_alive: bool = True


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _parse_query(text: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(text, keep_blank_values=True))


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on a connection; None when the client closed it cleanly."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise BadRequest(400, "incomplete request head") from None
    except asyncio.LimitOverrunError:
        raise BadRequest(431, "request head too large") from None
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
        raise BadRequest(400, "undecodable request head") from None
    lines = text[:-4].split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not _TOKEN.match(parts[0]) or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, f"malformed request line {lines[0][:80]!r}")
    method, target, version = parts
    if not target.startswith("/"):
        raise BadRequest(400, "the request target must be a path")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not _TOKEN.match(name):
            raise BadRequest(400, f"malformed header line {line[:80]!r}")
        headers[name.lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise BadRequest(501, "chunked request bodies are not supported")
    body = b""
    length_text = headers.get("content-length")
    if length_text is not None:
        if not length_text.isdigit():
            raise BadRequest(400, "invalid Content-Length")
        length = int(length_text)
        if length > MAX_BODY:
            raise BadRequest(413, "request body too large")
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError:
            raise BadRequest(400, "request body shorter than Content-Length") from None
    elif method in ("POST", "PUT", "PATCH") and version == "HTTP/1.0":
        raise BadRequest(411, "Content-Length required")
    path, _, query = target.partition("?")
    connection = headers.get("connection", "").lower()
    keep = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
    return Request(method, path, _parse_query(query), headers, body, keep)


def encode_stream_head(status: int, headers: dict[str, str], keep_alive: bool) -> bytes:
    """Headers of a streamed (chunked) response: sent at the handler's first flush."""
    reason = REASONS.get(status, "Unknown")
    all_headers = {
        "transfer-encoding": "chunked",
        "connection": "keep-alive" if keep_alive else "close",
        **headers,
    }
    head = f"HTTP/1.1 {status} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in all_headers.items())
    return head.encode("latin-1") + b"\r\n"


def encode_chunk(data: bytes) -> bytes:
    """One chunk; ``b""`` ends the body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def encode_response(response: Response, keep_alive: bool) -> bytes:
    reason = REASONS.get(response.status, "Unknown")
    headers = {
        "content-length": str(len(response.body)),
        "connection": "keep-alive" if keep_alive else "close",
        **response.headers,
    }
    head = f"HTTP/1.1 {response.status} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + response.body


async def read_response(reader: asyncio.StreamReader) -> Response:
    """A response with a Content-Length body (the client side)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1")[:-4].split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(data[:-2])
        return Response(status, headers, b"".join(parts))
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Response(status, headers, body)
