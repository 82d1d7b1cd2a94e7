"""The instances' side of the upstream service: one kept-alive HTTP/1.1 connection (h11 as the
client, over asyncio streams). Kept apart from ``upstream`` (the server) so an instance imports
only h11, not the server's machinery; the zygote preloads it for its children."""

from __future__ import annotations

import asyncio

import h11

HOST = "127.0.0.1"


class UpstreamConnection:
    """One kept-alive HTTP/1.1 connection to the upstream (h11 as the client)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.used = False

    @classmethod
    async def open(cls, address: tuple[str, int]) -> UpstreamConnection:
        reader, writer = await asyncio.open_connection(*address)
        return cls(reader, writer)

    @property
    def reusable(self) -> bool:
        return self.h11.our_state is h11.IDLE and not self.writer.is_closing()

    async def get(self, target: str) -> bytes:
        """``GET target``; the body of a 200, else ``ConnectionError``. Cancelled half-way, the
        connection is left mid-exchange (not ``reusable``): the pool drops it."""
        status, _, body = await self.request("GET", target)
        if status != 200:
            raise ConnectionError(f"the upstream answered {status}: {body[:200]!r}")
        return body

    async def request(
        self, method: str, target: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One exchange: (status, headers with lower-case names, body)."""
        self.used = True
        items = [("host", HOST), *(headers or {}).items()]
        request = h11.Request(method=method, target=target, headers=items)
        self.writer.write(self.h11.send(request) + self.h11.send(h11.EndOfMessage()))
        status, answer, body = 0, {}, bytearray()
        while True:
            try:
                event = self.h11.next_event()
            except h11.ProtocolError as exc:
                raise ConnectionError(f"a malformed answer: {exc}") from None
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
                answer = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server closed the connection")
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
        return status, answer, bytes(body)

    def close(self) -> None:
        self.writer.close()
