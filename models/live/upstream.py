"""The upstream service handlers call: a database and an AI model, on loopback only.

A line protocol over TCP on 127.0.0.1, one command per line:

``PING``                 ->  ``PONG``                   (the client's handshake at module init)
``DB <ms> [<jitter>]``   ->  a JSON row after ``ms`` (± uniform ``jitter``) milliseconds
``TOKEN <ms>``           ->  the next token of a stream after ``ms`` (the handler pulls tokens)
``STREAM <n> <ms>``      ->  ``n`` tokens pushed every ``ms``, then ``END`` (a model pushing)

Waiting is real waiting on a socket: the handler's coroutine is suspended, holds no core, and
other requests of the same instance run meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import random

HOST = "127.0.0.1"


class Upstream:
    """The service; ``await start()`` binds an ephemeral loopback port."""

    def __init__(self, seed: int = 0) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0
        self.rng = random.Random(seed)
        self.served = 0
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> tuple[str, int]:
        return (HOST, self.port)

    async def start(self) -> Upstream:
        self.server = await asyncio.start_server(self._client, HOST, 0)
        self.port = int(self.server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        """Stop listening and end every connection's handler (no task is left pending)."""
        if self.server is not None:
            self.server.close()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(list(self._handlers), timeout=2)
        if self.server is not None:
            await self.server.wait_closed()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        token = 0
        try:
            while line := await reader.readline():
                verb, *args = line.decode().split()
                self.served += 1
                if verb == "PING":
                    writer.write(b"PONG\n")
                elif verb == "DB":
                    ms = float(args[0])
                    if len(args) > 1:
                        ms = max(0.0, ms + self.rng.uniform(-1, 1) * float(args[1]))
                    await asyncio.sleep(ms / 1000)
                    row = {"id": self.served, "rows": 1, "ms": round(ms, 3)}
                    writer.write(json.dumps(row).encode() + b"\n")
                elif verb == "TOKEN":
                    await asyncio.sleep(float(args[0]) / 1000)
                    token += 1
                    writer.write(f"token-{token}\n".encode())
                elif verb == "STREAM":
                    for i in range(int(args[0])):
                        await asyncio.sleep(float(args[1]) / 1000)
                        writer.write(f"token-{i + 1}\n".encode())
                        await writer.drain()
                    writer.write(b"END\n")
                else:
                    writer.write(b"ERR unknown command\n")
                await writer.drain()
        except (ConnectionError, ValueError, IndexError, UnicodeDecodeError):
            pass
        except asyncio.CancelledError:  # close(): the service is going away
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
