"""The HTTP front door: answers, malformed input, loopback only, `lab live` + `lab load`."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.live.client import client
from models.live.runtime import LiveOptions
from models.live.server import LiveServer
from tests.helpers import make_scenario
from tests.live.conftest import live_pids

SCENARIO = make_scenario(
    [{"cpu": "2ms"}, {"io": "20ms"}],
    {"kind": "constant", "rate": 50},
    requests=20,
    platforms={"traditional": {"max_duration": 0.5}, "fluid": {"max_duration": 0.5}},
)


async def _raw(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(4096), 5)
    finally:
        writer.close()


async def test_answers_and_malformed_requests(options: LiveOptions) -> None:
    async with LiveServer(SCENARIO, options=options) as server:
        port = server.port
        status = lambda raw: int(raw.split(b" ")[1])  # noqa: E731
        assert status(await _raw(port, b"GARBAGE\r\n\r\n")) == 400
        assert status(await _raw(port, b"GET /r\r\n\r\n")) == 400
        assert status(await _raw(port, b"GET /r HTTP/1.1\r\nno colon here\r\n\r\n")) == 400
        assert status(await _raw(port, b"GET /r HTTP/1.1\r\ncontent-length: x\r\n\r\n")) == 400
        assert (
            status(
                await _raw(port, b"GET /r HTTP/1.1\r\nhost: a\r\nx: " + b"a" * 20000 + b"\r\n\r\n")
            )
            == 431
        )
        assert (
            status(await _raw(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")) == 400
        )
        async with client(server.url) as http:
            assert (await http.get("/nope")).status_code == 404
            assert (await http.delete("/r")).status_code == 405
            bad_work = {"x-lab-work": '{"s": [[1, -5]]}'}
            assert (await http.get("/r", headers=bad_work)).status_code == 400
            assert (await http.get("/r", headers={"x-lab-model": "nope"})).status_code == 400
            ok = await http.get("/r", headers={"x-lab-model": "fluid"})
            assert ok.status_code == 200 and json.loads(ok.content)["user"] == "user-0"
            slow = {"x-lab-work": '{"s": [[0, 3.0]]}'}
            assert (await http.get("/r", headers=slow)).status_code == 504  # max duration
            status_doc = (await http.get("/_lab/status")).json()
            assert status_doc["routes"] == ["/r"]


def test_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LiveServer(SCENARIO, host="0.0.0.0")


def _address(hex_address: str) -> str:
    """``/proc/net/tcp``'s ``0100007F:1F90`` -> ``127.0.0.1`` (IPv6: 4 little-endian words)."""
    host = hex_address.split(":")[0]
    if len(host) == 8:
        return ".".join(str(b) for b in reversed(bytes.fromhex(host)))
    words = [bytes.fromhex(host[i : i + 8])[::-1] for i in range(0, 32, 8)]
    return str(ipaddress.IPv6Address(b"".join(words)))


def bound_sockets(pids: set[int]) -> list[tuple[str, str, int]]:
    """(protocol, local address, port) of every listening TCP or bound UDP socket these
    processes hold, from ``/proc`` (no psutil here): their fds' socket inodes, looked up in
    ``/proc/net/{tcp,tcp6,udp,udp6}``."""
    inodes: dict[str, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes[target[8:-1]] = pid
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode in inodes and (proto.startswith("udp") or state == "0A"):  # 0A: LISTEN
                found.append((proto, _address(local), int(local.split(":")[1], 16)))
    return found


def _lab(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from lab.cli import main; main()", *args],
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


SMALL = """
name = "small"
[workload]
arrivals = { kind = "constant", rate = 40 }
requests = 200
[[workload.routes]]
name = "/api/orders"
chunk = "orders"
work = [ { cpu = "3ms" }, { io = "30ms" }, { cpu = "2ms" } ]
[function]
bundle = [ { name = "fw", size_kb = 40, eager = true }, { name = "orders", size_kb = 30 } ]
"""


def test_lab_live_and_lab_load_print_the_sim_report_and_stop_clean(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL)
    before = live_pids()
    live = _lab(
        "live",
        str(scenario),
        "--port",
        "0",
        "--events",
        str(events),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert live.stdout is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = live.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else None
        assert url, "lab live did not print its URL"
        started = live_pids() - before
        assert started  # zygotes are running
        load = subprocess.run(
            [
                sys.executable,
                "-c",
                "from lab.cli import main; main()",
                "load",
                str(scenario),
                "--target",
                url,
                "--requests",
                "40",
                "--speed",
                "2",
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert load.returncode == 0, load.stderr
        live_json = json.loads(load.stdout)
        sim = subprocess.run(
            [
                sys.executable,
                "-c",
                "from lab.cli import main; main()",
                "sim",
                str(scenario),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        sim_json = json.loads(sim.stdout)

        def shape(value: object) -> object:
            if isinstance(value, dict):
                return {k: shape(v) for k, v in value.items()}
            return type(value).__name__ if not isinstance(value, int | float) else "number"

        assert shape(live_json["models"]) == shape(sim_json["models"])
        for name, model in live_json["models"].items():
            requests = model["requests"]
            assert requests["total"] == 40
            ended = requests["completed"] + requests["failed"] + requests["timed_out"]
            assert ended + requests["rejected"] == 40, name
            assert live_json["live"][name]["statuses"] == {"200": 40}
        bad = subprocess.run(
            [
                sys.executable,
                "-c",
                "from lab.cli import main; main()",
                "load",
                "classic",
                "--target",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode == 2 and "serves scenario 'small'" in bad.stderr
        # nothing listens beyond loopback: the front door, the upstream, the instances
        running = {live.pid} | (live_pids() - before)
        bound = bound_sockets(running)
        port = int(url.rsplit(":", 1)[1])
        assert ("tcp", "127.0.0.1", port) in bound
        assert len([b for b in bound if b[0] == "tcp"]) >= 2  # and the upstream
        assert all(address in ("127.0.0.1", "::1") for _, address, _ in bound), bound
        live.send_signal(signal.SIGINT)  # Ctrl-C
        assert live.wait(30) == 0
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()
        if live.stdout is not None:
            live.stdout.close()
    assert events.stat().st_size > 0
    deadline = time.monotonic() + 5
    while live_pids() & started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not live_pids() & started  # no orphans after Ctrl-C


def test_kill_9_of_the_router_leaves_no_orphans() -> None:
    before = live_pids()
    live = _lab(
        "live", "home-blog", "--port", "0", stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert live.stdout is not None
        while "http://" not in live.stdout.readline():
            pass
        started = live_pids() - before
        os.kill(live.pid, signal.SIGKILL)
        live.wait(10)
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()
        if live.stdout is not None:
            live.stdout.close()
    deadline = time.monotonic() + 5
    while live_pids() & started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not live_pids() & started


async def test_a_route_that_flushes_streams_its_first_byte_early(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"io": "30ms"}, "flush", {"io": "400ms"}, {"cpu": "1ms"}],
        {"kind": "constant", "rate": 10},
        requests=2,
        platforms={"fluid": {}},
    )
    async with LiveServer(sc, options=options) as server, client(server.url) as http:
        await http.get("/r")  # cold start out of the way
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        t0 = time.monotonic()
        writer.write(b"GET /r HTTP/1.1\r\nhost: x\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        t_head = time.monotonic() - t0
        rest = await reader.readuntil(b"0\r\n\r\n")
        t_end = time.monotonic() - t0
        writer.close()
        streamed = await http.get("/r")
    assert b"transfer-encoding: chunked" in head.lower()
    assert t_head < 0.3 and t_end >= 0.4  # headers at the flush, the body after the stream
    assert b'"user": "user-1"' in rest
    assert streamed.status_code == 200 and b'"user": "user-2"' in streamed.content


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["live", "no-such-scenario", "--port", "0"], "no-such-scenario"),
        (["live", "db-api", "--model", "nope", "--port", "0"], "unknown platform model 'nope'"),
        (["live", "db-api", "--start-method", "vfork", "--port", "0"], "unknown start method"),
        (["load", "db-api", "--target", "http://127.0.0.1:9"], "cannot reach"),
        (["load", "db-api", "--target", "ftp://127.0.0.1:9"], "expected a target"),
        (["load", "db-api", "--target", "http://127.0.0.1:9", "--concurrency", "0"], "at least 1"),
    ],
)
def test_cli_mistakes_exit_2_with_a_message(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from lab.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
