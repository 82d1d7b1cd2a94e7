"""Fault injection: the live runtime survives its own faults.

Each test is bounded in time (``asyncio.timeout``, subprocess timeouts) and touches only the
processes it started (the runtime's own zygote and instances, found through the runtime's
objects, or a `lab live` it ran), files in its tmp dirs and the ports it bound.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from models.live.bundles import ensure_bundle, package_name
from models.live.client import client
from models.live.httpserver import HttpLimits
from models.live.procs import ZygoteLauncher
from models.live.pycache import validate_pyc
from models.live.runtime import LiveOptions, LiveRuntime, make_spec
from models.live.server import LiveServer
from tests.helpers import make_scenario

SCENARIO = make_scenario(
    [{"cpu": "1ms"}, {"io": "5ms"}],
    {"kind": "constant", "rate": 50},
    requests=20,
    platforms={"traditional": {"keep_alive": 0.05}, "fluid": {"concurrency": 8}},
)


async def _get(http: httpx.AsyncClient, path: str = "/r", **headers: str) -> httpx.Response:
    return await http.get(path, headers=headers)


# --- supervised launchers ----------------------------------------------------------------


async def test_a_killed_zygote_is_noticed_and_replaced(options: LiveOptions) -> None:
    async with asyncio.timeout(60), LiveServer(SCENARIO, ["traditional"], options) as server:
        runtime = server.runtimes["traditional"]
        launcher = runtime.launcher
        assert isinstance(launcher, ZygoteLauncher) and launcher.proc is not None
        async with client(server.url, 4, 20.0) as http:
            assert (await _get(http)).status_code == 200
            os.kill(launcher.proc.pid, signal.SIGKILL)
            t0 = time.monotonic()
            for _ in range(200):  # the pipe closes: noticed at once, no request needed
                await asyncio.sleep(0.01)
                if launcher.deaths:
                    break
            assert launcher.deaths == 1 and "died" in launcher.last_error
            while (await _get(http)).status_code != 200:
                await asyncio.sleep(0.05)
            assert time.monotonic() - t0 < 10  # the next request is answered by a new zygote
            status = (await http.get("/_lab/status")).json()
    health = status["health"]["traditional"]
    assert health["healthy"] and health["launcher"]["state"] == "up"
    assert health["launcher"]["deaths"] == 1 and health["launcher"]["restarts"] == 1


async def test_a_zygote_that_cannot_restart_makes_the_model_unhealthy(
    options: LiveOptions,
) -> None:
    async with asyncio.timeout(60), LiveServer(SCENARIO, ["traditional"], options) as server:
        launcher = server.runtimes["traditional"].launcher
        assert isinstance(launcher, ZygoteLauncher) and launcher.proc is not None
        launcher.backoff = (0.01, 0.05)
        launcher.max_restarts = 3
        launcher.command = [sys.executable, "-c", "import sys; sys.exit('no zygote today')"]
        os.kill(launcher.proc.pid, signal.SIGKILL)
        while launcher.state != "failed":
            await asyncio.sleep(0.02)
        async with client(server.url, 2, 20.0) as http:
            refused = await _get(http)
            status = (await http.get("/_lab/status")).json()
    assert refused.status_code == 503
    assert "no zygote today" in refused.json()["error"]
    health = status["health"]["traditional"]
    assert not status["healthy"] and not health["healthy"]
    assert health["launcher"]["state"] == "failed" and health["launcher"]["restarts"] == 3
    assert health["requests"]["rejected"] == 1


async def test_launches_waiting_on_a_dead_zygote_fail_with_the_reason(
    options: LiveOptions,
) -> None:
    async with asyncio.timeout(60), LiveRuntime(SCENARIO, "fluid", options) as runtime:
        launcher = runtime.launcher
        assert isinstance(launcher, ZygoteLauncher) and launcher.proc is not None
        assert launcher.proc.stdin is not None
        launcher.proc.send_signal(signal.SIGSTOP)  # the fork below hangs, then the zygote dies
        pending = asyncio.ensure_future(runtime.submit(make_spec(SCENARIO, 0, ((True, 0.001),))))
        await asyncio.sleep(0.3)
        launcher.proc.kill()
        outcome = await pending
        assert outcome.status == "error" and "the zygote (pid" in outcome.error
        assert "died" in outcome.error
        again = await runtime.submit(make_spec(SCENARIO, 0, ((True, 0.001),)))
        assert again.status == "ok"


async def test_an_instance_killed_mid_request_gives_502_and_a_replacement(
    options: LiveOptions,
) -> None:
    async with asyncio.timeout(60), LiveServer(SCENARIO, ["fluid"], options) as server:
        runtime = server.runtimes["fluid"]
        async with client(server.url, 4, 20.0) as http:
            held = asyncio.ensure_future(_get(http, **{"x-lab-work": '{"s": [[0, 5.0]]}'}))
            while not any(e.kind == "segment_started" for e in runtime.events):
                await asyncio.sleep(0.01)
            victim = next(iter(runtime.placement.instances.values()))
            os.kill(victim.pid, signal.SIGKILL)  # type: ignore[attr-defined]
            failed = await held
            after = await _get(http)
    assert failed.status_code == 502 and "instance 0 crashed" in failed.json()["error"]
    assert after.status_code == 200 and after.headers["x-lab-instance"] == "1"


async def test_an_instance_crash_shows_its_stderr(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    sc = make_scenario(
        [{"cpu": "1ms"}],
        {"kind": "explicit", "times": [0.0]},
        function={"bundle": [{"name": "broken", "size_kb": 5, "eager": True}]},
        platforms={"fluid": {}},
    )
    src = ensure_bundle(root, [("broken", 5.0)])
    init = src / package_name("broken") / "__init__.py"
    init.write_text(init.read_text() + "\nraise RuntimeError('boom at import')\n")
    logged: list[str] = []
    options = LiveOptions(cache_root=root, log=logged.append)
    async with asyncio.timeout(60), LiveRuntime(sc, "fluid", options) as runtime:
        outcome = await runtime.submit(make_spec(sc, 0, ((True, 0.001),)))
        health = runtime.health()
    assert outcome.status == "error"
    assert "RuntimeError: boom at import" in outcome.error
    assert "Traceback" in health["instances"]["last_crash"]["stderr"]
    assert any("boom at import" in line for line in logged)


async def test_an_instance_that_never_gets_ready_is_cut_at_the_boot_timeout(
    options: LiveOptions,
) -> None:
    slow = LiveOptions(cache_root=options.cache_root, boot_timeout_s=0.3)
    sc = make_scenario(
        [{"cpu": "1ms"}],
        {"kind": "explicit", "times": [0.0]},
        function={"module_init": "5s"},
        platforms={"fluid": {}},
    )
    async with asyncio.timeout(30), LiveRuntime(sc, "fluid", slow) as runtime:
        t0 = time.monotonic()
        outcome = await runtime.submit(make_spec(sc, 0, ((True, 0.001),)))
        took = time.monotonic() - t0
    assert outcome.status == "error" and "not ready within 0.3 s" in outcome.error
    assert took < 5


# --- the bytecode cache ------------------------------------------------------------------

CACHED = make_scenario(
    [{"cpu": "1ms"}],
    {"kind": "explicit", "times": [0.0]},
    function={"bundle": [{"name": "page", "size_kb": 40, "eager": True}]},
    platforms={
        "merged": {"preset": "traditional", "bytecode_cache": "merged"},
        "per_instance": {"preset": "traditional", "bytecode_cache": "per_instance"},
        "off": {"preset": "traditional", "bytecode_cache": "off"},
    },
)


async def _one_cold_start(model: str, options: LiveOptions) -> tuple[str, LiveRuntime]:
    async with LiveRuntime(CACHED, model, options) as runtime:
        outcome = await runtime.submit(make_spec(CACHED, 0, ((True, 0.001),)))
    return outcome.status, runtime


def _damage(files: list[Path]) -> None:
    """Four kinds of damage: bytes 20-29 overwritten, truncated, emptied, stale (another
    module's valid pyc: its source hash does not match)."""
    first = bytearray(files[0].read_bytes())
    first[20:30] = b"\xff" * 10
    files[0].write_bytes(bytes(first))
    files[1].write_bytes(files[1].read_bytes()[:40])
    files[2].write_bytes(b"")
    files[3].write_bytes(files[4].read_bytes())


async def test_a_damaged_cache_is_a_miss_evicted_and_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    async with asyncio.timeout(120):
        for model in ("merged", "per_instance"):
            first, runtime = await _one_cold_start(model, LiveOptions(cache_root=root))
            assert first == "ok"
            cache = runtime.cache_dir / ("merged" if model == "merged" else "published")
            files = sorted(cache.rglob("*.pyc"))
            assert len(files) >= 5, files
            _damage(files)
            keep = LiveOptions(cache_root=root, keep_cache=True)
            status, again = await _one_cold_start(model, keep)
            assert status == "ok", model
            health = again.health()["cache"]
            assert health["evicted"] == 4 and health["misses"] == 4, (model, health)
            ended = [e for e in again.events if e.kind == "phase_ended" and e.phase == "code_load"]  # type: ignore[attr-defined]
            assert ended[0].cache_evicted == 4 and ended[0].cache_hit is False  # type: ignore[attr-defined]
            src = again.src / package_name("page")
            for path in sorted(cache.rglob("*.pyc")):  # all good again: rewritten
                source = (src / (path.name.split(".")[0] + ".py")).read_bytes()
                assert validate_pyc(path.read_bytes(), source) is not None, path
            status, third = await _one_cold_start(model, keep)
            assert status == "ok" and third.health()["cache"]["evicted"] == 0
            assert third.health()["cache"]["misses"] == 0
        status, off = await _one_cold_start("off", LiveOptions(cache_root=root))
    assert status == "ok" and off.health()["cache"]["hits"] == 0
    assert not (off.cache_dir / "merged").exists()


# --- the front door: timeouts, cap, malformed input ---------------------------------------

LIMITS = HttpLimits(header_timeout=1.0, body_timeout=1.0, idle_timeout=1.5, max_connections=20)


async def _until_closed(
    reader: asyncio.StreamReader, trickle: asyncio.StreamWriter | None
) -> bytes:
    """Read until the server closes; if ``trickle``, keep sending a header byte every 0.2 s."""
    got = b""
    while True:
        if trickle is not None and not trickle.is_closing():
            trickle.write(b"x")
        try:
            chunk = await asyncio.wait_for(reader.read(4096), 0.2)
        except TimeoutError:
            continue
        except ConnectionError:
            return got
        if not chunk:
            return got
        got += chunk


async def test_slow_and_idle_connections_are_closed_within_the_timeouts(
    options: LiveOptions,
) -> None:
    async with asyncio.timeout(30), LiveServer(SCENARIO, options=options, limits=LIMITS) as s:
        opened = []
        for _ in range(5):  # slowloris: a head that never ends
            reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
            writer.write(b"GET /r HTTP/1.1\r\nhost: x\r\nx-slow: ")
            opened.append((reader, writer, True))
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        opened.append((reader, writer, False))  # idle: sends nothing
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(b"POST /r HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc")
        opened.append((reader, writer, False))  # a body shorter than it said
        t0 = time.monotonic()
        answers = await asyncio.gather(
            *(_until_closed(r, w if slow else None) for r, w, slow in opened)
        )
        took = time.monotonic() - t0
        for _, writer, _ in opened:
            writer.close()
        async with client(s.url, 1, 10.0) as http:
            still_up = await _get(http)
            stats = (await http.get("/_lab/status")).json()["http"]
    assert took < 1.5 + 3.0  # the longest timeout (idle) plus slack for a loaded machine
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers[:5]), answers[:5]
    assert answers[5] == b""  # idle, nothing pending: closed without a word
    assert answers[6].startswith(b"HTTP/1.1 408 ")
    assert still_up.status_code == 200
    assert stats["timeout_header"] == 5 and stats["timeout_body"] == 1
    assert stats["timeout_idle"] >= 1


async def test_connections_over_the_cap_get_503(options: LiveOptions) -> None:
    limits = HttpLimits(max_connections=3, idle_timeout=5)
    async with asyncio.timeout(30), LiveServer(SCENARIO, options=options, limits=limits) as s:
        held = [await asyncio.open_connection("127.0.0.1", s.port) for _ in range(3)]
        await asyncio.sleep(0.1)
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        answer = await asyncio.wait_for(reader.read(4096), 5)
        writer.close()
        for _, w in held:
            w.close()
        await asyncio.sleep(0.1)
        async with client(s.url, 1, 10.0) as http:
            assert (await _get(http)).status_code == 200
    assert answer.startswith(b"HTTP/1.1 503 ") and b"too many connections" in answer


MALFORMED = {
    "content-length in superscript": (
        "GET /r HTTP/1.1\r\nhost: x\r\ncontent-length: ²\r\n\r\n".encode(),
        400,
    ),
    "x-lab-work nested 5,000 deep": (
        b"GET /r HTTP/1.1\r\nhost: x\r\nx-lab-work: " + b"[" * 5000 + b"]" * 5000 + b"\r\n\r\n",
        400,
    ),
    "events from=abc": (b"GET /_lab/events?model=fluid&from=abc HTTP/1.1\r\nhost: x\r\n\r\n", 400),
    "events from=1e3": (b"GET /_lab/events?model=fluid&from=1e3 HTTP/1.1\r\nhost: x\r\n\r\n", 400),
    "HTTP/1.9": (b"GET /r HTTP/1.9\r\nhost: x\r\n\r\n", 505),
    "garbage": (b"GARBAGE\r\n\r\n", 400),
    "no host": (b"GET /r HTTP/1.1\r\n\r\n", 400),
    "TLS hello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    "absolute target": (b"GET http://x/r HTTP/1.1\r\nhost: x\r\n\r\n", 400),
    "body too large": (b"POST /r HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999\r\n\r\n", 413),
    "bad chunked body": (
        b"POST /r HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        400,
    ),
}


async def test_every_malformed_request_gets_a_4xx_and_the_server_stays_up(
    options: LiveOptions,
) -> None:
    async with asyncio.timeout(60), LiveServer(SCENARIO, options=options, limits=LIMITS) as s:
        for name, (raw, expected) in MALFORMED.items():
            reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
            writer.write(raw)
            answer = await asyncio.wait_for(_until_closed(reader, None), 5)
            writer.close()
            status = int(answer.split(b" ")[1]) if answer else 0
            assert status == expected, (name, answer[:200])
            assert b'"error"' in answer, name
        reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
        writer.write(b"GET /r HTTP/1.1\nhost: x\n\n")  # bare LF: answered, not left hanging
        bare_lf = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
        async with client(s.url, 1, 10.0) as http:
            still_up = await _get(http)
    assert bare_lf.startswith(b"HTTP/1.1 200 ")
    assert still_up.status_code == 200


# --- graceful shutdown, through `lab live` ------------------------------------------------

LAB = "from lab.cli import main; main()"
SHUTDOWN = """
name = "shutdown"
[workload]
arrivals = { kind = "constant", rate = 10 }
requests = 20
[[workload.routes]]
name = "/r"
work = [ { io = "20ms" } ]
[platforms.fluid]
concurrency = 50
"""


def _start_live(scenario: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    live = subprocess.Popen(
        [sys.executable, "-c", LAB, "live", str(scenario), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert live.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = live.stdout.readline()
        if "http://127.0.0.1:" in line:
            return live, line.split("http://", 1)[1].split()[0]
        if not line:
            break
    live.kill()
    raise AssertionError(f"lab live did not start: {live.communicate(timeout=10)}")


async def _in_flight(
    http: httpx.AsyncClient, url: str, count: int, seconds: float
) -> list[asyncio.Task[httpx.Response]]:
    """``count`` requests of ``seconds`` each, once the runtime has them all in flight."""
    work = json.dumps({"s": [[0, seconds]]})
    tasks = [
        asyncio.ensure_future(http.get("/r", headers={"x-lab-work": work})) for _ in range(count)
    ]
    for _ in range(400):
        await asyncio.sleep(0.05)
        async with client(url, 1, 10.0) as probe:
            health = (await probe.get("/_lab/status")).json()["health"]["fluid"]
        if health["requests"]["in_flight"] >= count:
            break
    return tasks


def test_shutdown_answers_every_request_in_flight_and_exits_0(tmp_path: Path) -> None:
    scenario = tmp_path / "shutdown.toml"
    scenario.write_text(SHUTDOWN)
    live, address = _start_live(scenario, "--grace", "3")
    url = f"http://{address}"
    try:

        async def run() -> list[int | str]:
            async with client(url, 25, 30.0) as http:
                cut = await _in_flight(http, url, 10, 30.0)  # longer than the grace: 503
                finishing = await _in_flight(http, url, 10, 1.5)  # done within the grace
                live.send_signal(signal.SIGTERM)
                replies = await asyncio.gather(*finishing, *cut, return_exceptions=True)
            return [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in replies]

        statuses = asyncio.run(asyncio.wait_for(run(), 60))
        _, stderr = live.communicate(timeout=30)
        code = live.returncode
    finally:
        if live.poll() is None:
            live.kill()
            live.communicate()
    assert statuses == [200] * 10 + [503] * 10, statuses
    assert code == 0, stderr
    assert "Traceback" not in stderr and "Error" not in stderr, stderr


def test_bad_port_is_a_clear_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LAB, "live", "db-api", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--port" in done.stderr and "65535" in done.stderr
    assert "Traceback" not in done.stderr


def test_lab_load_checks_its_own_result_and_exits_1_with_the_reason(tmp_path: Path) -> None:
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SHUTDOWN.replace('io = "20ms"', 'io = "2s"'))
    live, address = _start_live(scenario, "--grace", "0")
    args = ["--target", f"http://{address}", "--requests", "4", "--speed", "0", "--timeout", "0.3"]
    try:
        load = subprocess.run(
            [sys.executable, "-c", LAB, "load", str(scenario), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        live.send_signal(signal.SIGINT)
        live.communicate(timeout=30)
    finally:
        if live.poll() is None:
            live.kill()
            live.communicate()
    assert load.returncode == 1, load.stderr
    assert "4 requests got no answer (timeout)" in load.stderr
    assert "no answer 4" in load.stdout and "Traceback" not in load.stderr


def test_runtime_dirs_are_removed_and_stale_ones_swept(tmp_path: Path) -> None:
    from models.live.rundir import RunDir, sweep_stale

    alive = RunDir(tmp_path)
    dead = tmp_path / "lab-live-dead"  # a run killed with SIGKILL: its lock is free
    dead.mkdir()
    (dead / ".lock").touch()
    (dead / "router.sock").touch()
    legacy = tmp_path / "lab-live-legacy"  # from before locks: nobody listens on its socket
    legacy.mkdir()
    (legacy / "router.sock").touch()
    fresh = tmp_path / "lab-live-fresh"  # no lock yet, just made: left alone
    fresh.mkdir()
    swept = sweep_stale(tmp_path)
    assert sorted(p.name for p in swept) == ["lab-live-dead", "lab-live-legacy"]
    assert alive.path.exists() and fresh.exists()
    alive.remove()
    assert not alive.path.exists()


async def test_lab_load_counts_a_stream_cut_after_its_first_byte_as_timed_out(
    options: LiveOptions,
) -> None:
    """The 200 of a streamed answer goes out at the flush; a cut after that is a 504 in the
    stream's last line, and `lab load` counts it as one (its checks then add up)."""
    from models.live.client import load_model

    sc = make_scenario(
        [{"io": "20ms"}, "flush", {"io": "3s"}],
        {"kind": "constant", "rate": 20},
        requests=3,
        platforms={"traditional": {"max_duration": 0.3}},
    )
    async with asyncio.timeout(60), LiveServer(sc, options=options) as server:
        done = await load_model(server.url, sc, "traditional", 3, float("inf"), 3)
    assert done.statuses == {504: 3}
    assert done.outcomes()["timed_out"] == 3 and done.problems() == []
    assert sum(1 for e in done.events if e.kind == "first_byte") == 3
