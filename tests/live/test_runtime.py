"""The live runtime with real processes: phases, measured CPU, cache, decisions, hazards."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from models.live.replay import run_live
from models.live.runtime import LiveOptions, LiveRuntime, make_spec
from models.run import simulate_model
from models.scenario import Scenario
from tests.helpers import make_scenario
from tests.live.helpers import (
    TIMING_FACTOR,
    assert_each_request_ends_once,
    decisions,
    latencies,
    probe_unit,
    timeline_held,
)

BUNDLE = [{"name": "fw", "size_kb": 60, "eager": True}, {"name": "r", "size_kb": 40}]


def test_cold_start_phases_then_warm_requests_with_measured_cpu(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"cpu": "10ms"}, {"io": "40ms"}],
        {"kind": "explicit", "times": [0, 0.4, 0.45, 0.5]},
        function={"module_init": "5ms", "bundle": BUNDLE},
        route={"chunk": "r"},
        platforms={"fluid": {"keep_alive": 30}},
    )
    run = run_live(sc, "fluid", options=options)
    events = run.events
    assert assert_each_request_ends_once(events) == {"response_sent": 4}
    first = [
        (e.kind, getattr(e, "phase", None), getattr(e, "chunk", None))
        for e in events
        if e.kind in ("phase_ended", "instance_ready")
    ]
    assert first == [
        ("phase_ended", "runtime_init", None),
        ("phase_ended", "code_load", "fw"),
        ("phase_ended", "module_init", None),
        ("instance_ready", None, None),
        ("phase_ended", "code_load", "r"),  # the route's chunk, lazily, by request 0
    ]
    lazy = [e for e in events if e.kind == "phase_ended" and e.chunk == "r"]  # type: ignore[attr-defined]
    assert lazy[0].request == 0  # type: ignore[attr-defined]
    assert [e.start for e in events if e.kind == "request_assigned"] == [  # type: ignore[attr-defined]
        "cold",
        "warm",
        "warm",
        "warm",
    ]
    cpu = [e.cpu_s for e in events if e.kind == "segment_ended" and e.segment == "cpu"]  # type: ignore[attr-defined]
    io = [e.cpu_s for e in events if e.kind == "segment_ended" and e.segment == "io"]  # type: ignore[attr-defined]
    assert all(0.0099 <= c < 0.03 for c in cpu), cpu  # burned 10 ms of thread CPU, measured
    assert all(c < 0.005 for c in io), io  # waiting on a socket holds (almost) no CPU
    share = run.cpu_check["attributed_share"]
    assert 0.8 < share <= 1.02, run.cpu_check  # per-request CPU vs the process's own


DECISION_WORK = [{"cpu": "5ms"}, {"io": "40ms"}]


def decisions_scenario(unit: float) -> tuple[Scenario, list[float]]:
    """Seven requests on a timeline in ``unit`` seconds; keep-alive is 1.5 units.

    0 cold; 1 unit later one warm on instance 0 (lazily loading /blog) and, at the same time,
    one that finds instance 0 busy; at 2 units instance 0 is idle again and still kept; by 4.5
    units every instance has been idle for over a keep-alive; then two at once again, and one
    more a unit later (so which instance goes idle last, the one ``scale_to_one`` keeps, does
    not hang on a cold start outlasting a warm request). Every arrival is at least a quarter of
    a unit from the boundary it depends on while no request takes more than three quarters
    (``timeline_held`` checks that from the events).
    """
    keep = 1.5 * unit
    times = [0.0, unit, unit, 2 * unit, 4.5 * unit, 4.5 * unit, 5.5 * unit]
    routes = ["/home", "/blog", "/home", "/blog", "/blog", "/home", "/home"]
    platforms: dict[str, dict[str, Any]] = {
        "merged": {"preset": "traditional", "bytecode_cache": "merged", "keep_alive": keep},
        "per_instance": {
            "preset": "traditional",
            "bytecode_cache": "per_instance",
            "keep_alive": keep,
        },
        "prewarm": {"preset": "traditional", "prewarm": 1, "keep_alive": keep},
        "fluid_min": {"preset": "fluid", "concurrency": 2, "min_instances": 1, "keep_alive": keep},
        "scale_to_one": {
            "preset": "traditional",
            "keep_alive_policy": {"kind": "scale_to_one", "keep_alive": keep},
        },
    }
    sc = make_scenario(
        DECISION_WORK,
        {"kind": "explicit", "times": times, "routes": routes},
        function={
            "bundle": [
                {"name": "fw", "size_kb": 15, "eager": True},
                {"name": "home", "size_kb": 10},
                {"name": "blog", "size_kb": 10},
            ]
        },
        platforms=platforms,
    )
    return sc, times


@pytest.fixture(scope="module")
def decisions_unit(cache_root: Path) -> float:
    """The timeline unit for this machine now (see ``tests.live.helpers.probe_unit``)."""
    return probe_unit(decisions_scenario(1.0)[0], LiveOptions(cache_root=cache_root))


@pytest.mark.parametrize(
    "model", ["merged", "per_instance", "prewarm", "fluid_min", "scale_to_one"]
)
def test_live_decisions_match_the_simulator(
    model: str, options: LiveOptions, decisions_unit: float
) -> None:
    """Deterministic arrivals, gaps far from any boundary: the same decisions, event for event."""
    unit, why = decisions_unit, ""
    for _attempt in range(2):
        sc, times = decisions_scenario(unit)
        live = run_live(sc, model, options=options, linger=3 * unit).events
        why = timeline_held(live, times, unit)
        if not why:
            break
        unit = max(2 * unit, TIMING_FACTOR * max(latencies(live).values()))
    assert not why, f"this machine stayed slower than the timeline allows: {why}"
    sim = simulate_model(sc, model).events
    assert sim is not None
    assert assert_each_request_ends_once(live) == {"response_sent": 7}
    assert decisions(live) == decisions(sim)


def test_scale_to_one_keeps_the_last_instance_live(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"io": "20ms"}],
        {"kind": "explicit", "times": [0.0, 0.0]},
        platforms={
            "one": {
                "preset": "traditional",
                "keep_alive_policy": {"kind": "scale_to_one", "keep_alive": 0.2},
            },
        },
    )
    run = run_live(sc, "one", options=options, linger=30.0)
    assert assert_each_request_ends_once(run.events) == {"response_sent": 2}
    recycled = decisions(run.events)["recycled"]
    assert sorted(r for _, r in recycled) == ["keep_alive", "run_end"]  # one kept to the end
    assert run.wall_s < 15  # the run did not wait out its linger for the kept one
    hybrid = sc.with_changes(**{"platforms.one.keep_alive_policy": {"kind": "hybrid"}})
    with pytest.raises(ValueError, match="fixed and scale_to_one"):
        LiveRuntime(hybrid, "one")


def test_module_state_leaks_under_fluid_not_traditional(cache_root: Any) -> None:
    sc = make_scenario(
        [{"cpu": "1ms"}, {"io": "80ms"}, {"cpu": "1ms"}],
        {"kind": "explicit", "times": [0.0] * 6 + [0.3] * 6},
        platforms={"traditional": {}, "fluid": {}},
    )
    leaky = LiveOptions(cache_root=cache_root, leaky=True)
    fluid = run_live(sc, "fluid", options=leaky)
    traditional = run_live(sc, "traditional", options=leaky)
    safe = run_live(sc, "fluid", options=LiveOptions(cache_root=cache_root))
    assert len(fluid.leaks) >= 5  # other requests' user ids came back
    assert fluid.leaks[0]["got"] != fluid.leaks[0]["expected"]
    assert any(o.leaked for o in fluid.outcomes)
    assert traditional.leaks == []
    assert safe.leaks == []


def test_max_duration_cuts_requests_and_waituntil_work(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"io": "3s"}],
        {"kind": "explicit", "times": [0.0]},
        platforms={"traditional": {"max_duration": 0.3}},
    )
    run = run_live(sc, "traditional", options=options)
    assert assert_each_request_ends_once(run.events) == {"request_timed_out": 1}
    assert run.outcomes[0].status == "timeout"
    cut = next(e for e in run.events if e.kind == "request_timed_out")
    assert 0.29 < cut.t < 1.5
    hog = make_scenario(
        [{"cpu": "3s"}],
        {"kind": "explicit", "times": [0.0]},
        platforms={"traditional": {"max_duration": 0.3}},
    )
    run = run_live(hog, "traditional", options=options)  # a CPU-bound handler is cut too
    assert assert_each_request_ends_once(run.events) == {"request_timed_out": 1}
    used = next(e for e in run.events if e.kind == "segment_ended")
    assert 0 < used.cpu_s <= 0.35  # type: ignore[attr-defined]
    bg = make_scenario(
        [{"cpu": "1ms"}],
        {"kind": "explicit", "times": [0.0]},
        platforms={"fluid": {"max_duration": 0.3}},
        route={"background": [{"io": "3s"}]},
    )
    run = run_live(bg, "fluid", options=options)
    kinds = [e.kind for e in run.events]
    assert kinds.index("response_sent") < kinds.index("background_done")
    done = next(e for e in run.events if e.kind == "background_done")
    assert done.cut and done.t < 1.5  # type: ignore[attr-defined]
    assert run.result.metrics["requests"]["completed"] == 1


async def test_killed_instance_fails_its_requests_and_is_replaced(options: LiveOptions) -> None:
    sc = make_scenario(
        [{"io": "2s"}],
        {"kind": "explicit", "times": [0.0]},
        platforms={"fluid": {"concurrency": 4}},
    )
    async with LiveRuntime(sc, "fluid", options) as rt:
        held = [
            asyncio.ensure_future(rt.submit(make_spec(sc, 0, ((False, 2.0),)))) for _ in range(3)
        ]
        for _ in range(100):
            await asyncio.sleep(0.05)
            if len([e for e in rt.events if e.kind == "segment_started"]) == 3:
                break
        victim = next(iter(rt.placement.instances.values()))
        os.kill(victim.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        outcomes = await asyncio.gather(*held)
        assert [o.status for o in outcomes] == ["error"] * 3
        assert all("instance 0 crashed" in o.error for o in outcomes)
        later = await rt.submit(make_spec(sc, 0, ((False, 0.01),)))
        assert later.status == "ok" and later.instance == 1 and later.start == "cold"
    kinds = assert_each_request_ends_once(rt.events)
    assert kinds == {"request_failed": 3, "response_sent": 1}
    assert ("instance_recycled", "crashed") in {
        (e.kind, getattr(e, "reason", "")) for e in rt.events
    }


def test_spawn_start_and_the_provision_stand_in_are_real_phases(cache_root: Any) -> None:
    sc = make_scenario(
        [{"cpu": "1ms"}],
        {"kind": "explicit", "times": [0.0]},
        function={"provision": "80ms", "bundle": BUNDLE},
        platforms={"traditional": {}},
    )
    options = LiveOptions(cache_root=cache_root, start_method="spawn", provision=True)
    run = run_live(sc, "traditional", options=options)
    assert run.outcomes[0].status == "ok"
    starts = {e.phase: e.t for e in run.events if e.kind == "phase_started"}  # type: ignore[attr-defined]
    ends = {e.phase: e.t for e in run.events if e.kind == "phase_ended"}  # type: ignore[attr-defined]
    assert ends["provision"] - starts["provision"] >= 0.079  # the configured stand-in delay
    zygote = run_live(sc, "traditional", options=LiveOptions(cache_root=cache_root))
    z_starts = {e.phase: e.t for e in zygote.events if e.kind == "phase_started"}  # type: ignore[attr-defined]
    z_ends = {e.phase: e.t for e in zygote.events if e.kind == "phase_ended"}  # type: ignore[attr-defined]
    assert "provision" not in z_starts  # not configured: not shown
    spawn_init = ends["runtime_init"] - starts["runtime_init"]
    fork_init = z_ends["runtime_init"] - z_starts["runtime_init"]
    assert spawn_init > 2 * fork_init  # a fresh interpreter vs a fork of a warm one


async def test_instance_killed_during_its_cold_start(cache_root: Any) -> None:
    sc = make_scenario(
        [{"cpu": "1ms"}],
        {"kind": "explicit", "times": [0.0]},
        function={"bundle": [{"name": "big", "size_kb": 800, "eager": True}]},
        platforms={"fluid": {"concurrency": 4, "bytecode_cache": "off"}},
    )
    async with LiveRuntime(sc, "fluid", LiveOptions(cache_root=cache_root)) as rt:
        spec = make_spec(sc, 0, ((True, 0.001),))
        held = [asyncio.ensure_future(rt.submit(spec)) for _ in range(2)]  # cold + joined
        for _ in range(400):
            await asyncio.sleep(0.005)
            if any(e.kind == "phase_started" and e.phase == "code_load" for e in rt.events):  # type: ignore[attr-defined]
                break
        victim = rt.placement.instances[0]
        os.kill(victim.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        outcomes = await asyncio.gather(*held)
        assert [o.status for o in outcomes] == ["error", "error"]
        again = await rt.submit(spec)
        assert again.status == "ok" and again.instance == 1
    kinds = assert_each_request_ends_once(rt.events)
    assert kinds == {"request_failed": 2, "response_sent": 1}
