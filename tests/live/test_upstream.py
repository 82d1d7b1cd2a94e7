"""The upstream service speaks HTTP (the front door's server) and instances reach it through
kept-alive h11 connections."""

from __future__ import annotations

import asyncio

import pytest

from models.live.upstream import Upstream
from models.live.upstream_client import UpstreamConnection


async def test_upstream_answers_over_kept_alive_http() -> None:
    upstream = await Upstream(seed=1).start()
    try:
        async with asyncio.timeout(20):
            conn = await UpstreamConnection.open(upstream.address)
            assert await conn.get("/ping") == b"PONG"
            assert b'"rows": 1' in await conn.get("/db?ms=5&jitter=1")
            assert (await conn.get("/token?ms=1")).startswith(b"token-")
            assert await conn.get("/stream?n=3&ms=1") == b"token-1\ntoken-2\ntoken-3\n"
            assert conn.reusable  # one connection served all of them
            with pytest.raises(ConnectionError, match="400"):
                await conn.get("/db?ms=nan")
            with pytest.raises(ConnectionError, match="404"):
                await conn.get("/nope")
            cut = UpstreamConnection(*await asyncio.open_connection(*upstream.address))
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await cut.get("/db?ms=2000")
            assert not cut.reusable  # cut mid-exchange: a pool drops it
            cut.close()
            conn.close()
    finally:
        await upstream.close()
    assert upstream.served >= 7
