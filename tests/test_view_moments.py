"""Moments, follow-a-request and zoom (lab.view): hand-built event streams with exact times,
and the built-in scenarios a student opens first."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from lab.cli import app
from lab.view import build_timeline
from lab.view.follow import follow
from lab.view.moments import (
    MOMENT_KINDS,
    best_moment,
    find_moments,
    first_moment,
    next_moment,
    previous_moment,
    run_moments,
)
from lab.view.zoom import axis_line, nice_width, ticks, window_for, zoom_in, zoom_out
from models.events import (
    BackgroundDone,
    Event,
    FirstByte,
    InstanceIdle,
    InstanceReady,
    InstanceRecycled,
    InstanceStarting,
    PhaseEnded,
    PhaseStarted,
    RequestArrived,
    RequestAssigned,
    RequestFailed,
    RequestQueued,
    RequestRejected,
    RequestTimedOut,
    ResponseSent,
    SegmentEnded,
    SegmentStarted,
)
from models.loading import DEFAULT_SCENARIO, builtin_scenario
from models.run import simulate
from tests.helpers import make_scenario


def _work(rid: int, iid: int, t0: float, cpu: float, io: float) -> list[Event]:
    """A request's cpu then io segment on an instance, from ``t0``."""
    return [
        SegmentStarted(t0, rid, iid, "cpu", 0),
        SegmentEnded(t0 + cpu, rid, iid, "cpu", 0, cpu_s=cpu),
        SegmentStarted(t0 + cpu, rid, iid, "io", 1),
        SegmentEnded(t0 + cpu + io, rid, iid, "io", 1),
    ]


def _stream() -> list[Event]:
    """Every kind of moment, at times chosen by hand.

    instance 0: cold start at 0 for request 0 (provision 0-0.1, runtime init 0.1-0.2, code load
    'app' compiled 0.2-0.5, module init 0.5-0.6); requests 0, 1, 2 work on it at once from
    1.0 (overlap 3); request 3 is a warm hit at 2.0 with background work after its response;
    it idles from 3.5 and is recycled at 10. instance 1 starts at 1.0 with the cache (0.3 s).
    request 4 queues at 1.1 then joins instance 1; request 5 is rejected at 1.2; request 6 times
    out at 4; request 7 fails at 4.5.
    """
    ev: list[Event] = [
        RequestArrived(0.0, 0, "/r"),
        InstanceStarting(0.0, 0, "cold"),
        RequestAssigned(0.0, 0, 0, "cold"),
        PhaseStarted(0.0, 0, "provision"),
        PhaseEnded(0.1, 0, "provision"),
        PhaseStarted(0.1, 0, "runtime_init"),
        PhaseEnded(0.2, 0, "runtime_init"),
        PhaseStarted(0.2, 0, "code_load", chunk="app", cache_hit=False),
        PhaseEnded(0.5, 0, "code_load", chunk="app", cache_hit=False, cpu_s=0.3),
        PhaseStarted(0.5, 0, "module_init"),
        PhaseEnded(0.6, 0, "module_init", cpu_s=0.1),
        InstanceReady(0.6, 0),
        RequestArrived(0.7, 1, "/r"),
        RequestAssigned(0.7, 1, 0, "warm"),
        RequestArrived(0.8, 2, "/r"),
        RequestAssigned(0.8, 2, 0, "warm"),
    ]
    ev += [SegmentStarted(0.6, 0, 0, "cpu", 0), SegmentEnded(0.9, 0, 0, "cpu", 0, cpu_s=0.3)]
    ev += [SegmentStarted(0.9, 0, 0, "io", 1)]
    ev += [SegmentStarted(0.95, 1, 0, "cpu", 0)]
    ev += [
        SegmentStarted(1.0, 2, 0, "cpu", 0),  # three at once on instance 0
        InstanceStarting(1.0, 1, "cold"),
        PhaseStarted(1.0, 1, "provision"),
        RequestArrived(1.1, 4, "/r"),
        RequestQueued(1.1, 4),
        PhaseEnded(1.1, 1, "provision"),
        PhaseStarted(1.1, 1, "code_load", chunk="app", cache_hit=True),
        RequestArrived(1.2, 5, "/r"),
        RequestRejected(1.2, 5),
        PhaseEnded(1.4, 1, "code_load", chunk="app", cache_hit=True),
        InstanceReady(1.4, 1),
        RequestAssigned(1.5, 4, 1, "warm"),
        SegmentEnded(1.2, 1, 0, "cpu", 0, cpu_s=0.25),
        FirstByte(1.25, 0, 0),
        SegmentEnded(1.3, 0, 0, "io", 1),
        ResponseSent(1.3, 0, 0),
        ResponseSent(1.4, 1, 0),
        SegmentEnded(1.5, 2, 0, "cpu", 0, cpu_s=0.5),
        ResponseSent(1.5, 2, 0),
        InstanceIdle(1.5, 0),
        RequestArrived(2.0, 3, "/r"),
        RequestAssigned(2.0, 3, 0, "warm"),
        *_work(3, 0, 2.0, 0.5, 0.5),
        ResponseSent(3.0, 3, 0, background=True),
        SegmentStarted(3.0, 3, 0, "cpu", 2, background=True),
        SegmentEnded(3.5, 3, 0, "cpu", 2, background=True, cpu_s=0.5),
        BackgroundDone(3.5, 3, 0),
        InstanceIdle(3.5, 0),
        RequestArrived(3.6, 6, "/r"),
        RequestAssigned(3.6, 6, 1, "warm"),
        RequestTimedOut(4.0, 6, 1),
        RequestArrived(4.1, 7, "/r"),
        RequestAssigned(4.1, 7, 1, "warm"),
        RequestFailed(4.5, 7, 1, "boom"),
        InstanceRecycled(10.0, 0, "keep_alive"),
        InstanceRecycled(11.0, 1, "crashed"),
    ]
    ev.sort(key=lambda e: e.t)  # a source emits in time order (stable: same-time order kept)
    return ev


def _one(kind: str) -> dict[str, object]:
    found = [m for m in find_moments(_stream(), "m") if m.kind == kind]
    assert found, kind
    m = found[0]
    return {"t": m.t, "instance": m.instance, "request": m.request, "start": m.start, "end": m.end}


def test_every_kind_is_found_on_a_hand_built_stream() -> None:
    kinds = {m.kind for m in find_moments(_stream(), "m")}
    assert kinds == set(MOMENT_KINDS)


def test_cold_start_has_its_four_phases_with_exact_times() -> None:
    cold = next(m for m in find_moments(_stream(), "m", ["cold_start"]) if m.instance == 0)
    assert (cold.t, cold.start, cold.end, cold.request) == (0.0, 0.0, 0.6, 0)
    assert [(p.name, p.start, p.end) for p in cold.phases] == [
        ("provision", 0.0, 0.1),
        ("runtime_init", 0.1, 0.2),
        ("code_load", 0.2, 0.5),
        ("module_init", 0.5, 0.6),
    ]
    assert cold.describe() == (
        "cold start: provision 100 ms, runtime init 100 ms, code load 300 ms (compile), "
        "module init 100 ms"
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("compile", {"t": 0.2, "instance": 0, "request": 0, "start": 0.2, "end": 0.5}),
        ("cache_hit", {"t": 1.1, "instance": 1, "request": None, "start": 1.1, "end": 1.4}),
        ("overlap", {"t": 1.0, "instance": 0, "request": None, "start": 0.6, "end": 1.5}),
        ("warm_hit", {"t": 0.7, "instance": 0, "request": 1, "start": 0.7, "end": 1.4}),
        ("queued", {"t": 1.1, "instance": None, "request": 4, "start": 1.1, "end": 1.5}),
        ("rejected", {"t": 1.2, "instance": None, "request": 5, "start": 1.2, "end": 1.2}),
        ("timeout", {"t": 4.0, "instance": 1, "request": 6, "start": 3.6, "end": 4.0}),
        ("failed", {"t": 4.5, "instance": 1, "request": 7, "start": 4.1, "end": 4.5}),
        ("background", {"t": 3.0, "instance": 0, "request": 3, "start": 3.0, "end": 3.5}),
        ("recycled", {"t": 10.0, "instance": 0, "request": None, "start": 3.5, "end": 10.0}),
        ("crashed", {"t": 11.0, "instance": 1, "request": None, "start": 11.0, "end": 11.0}),
        ("first_byte", {"t": 1.25, "instance": 0, "request": 0, "start": 0.0, "end": 1.25}),
    ],
)
def test_each_kind_at_its_exact_time(kind: str, expected: dict[str, object]) -> None:
    assert _one(kind) == expected


def test_overlap_counts_the_requests_working_together() -> None:
    (peak,) = find_moments(_stream(), "m", ["overlap"])
    assert (peak.count, peak.requests) == (3, (0, 1, 2))
    assert peak.describe() == "3 requests at once on instance 0"


def test_moments_are_in_time_order_and_every_t_is_inside_its_stretch() -> None:
    found = find_moments(_stream(), "m")
    assert [m.t for m in found] == sorted(m.t for m in found)
    assert all(m.start <= m.t <= m.end for m in found)
    assert all(json.dumps(m.to_dict()) for m in found)


def test_next_previous_first_by_kind() -> None:
    found = find_moments(_stream(), "m")
    assert next_moment(found, 0.0, "warm_hit").request == 1  # type: ignore[union-attr]
    assert next_moment(found, 0.7, "warm_hit").request == 2  # type: ignore[union-attr]
    assert next_moment(found, 0.8, "warm_hit").request == 4  # type: ignore[union-attr]
    assert previous_moment(found, 1.5, "warm_hit").request == 2  # type: ignore[union-attr]
    assert previous_moment(found, 0.7, "warm_hit") is None
    assert first_moment(found, "cold_start").instance == 0  # type: ignore[union-attr]
    assert next_moment(found, 100.0) is None


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ValueError, match="unknown moment kind 'nope'"):
        find_moments(_stream(), "m", ["nope"])


@pytest.fixture(scope="module")
def default_run():
    return simulate(builtin_scenario(DEFAULT_SCENARIO), keep_events=True)


def test_default_scenario_shows_cold_starts_cache_hits_and_overlap(default_run) -> None:
    moments = run_moments(default_run)
    colds = [m for m in moments if m.kind == "cold_start"]
    assert colds and all(
        [p.name for p in m.phases] == ["provision", "runtime_init", "code_load", "module_init"]
        for m in colds
    )
    assert any(m.kind == "cache_hit" for m in moments)
    assert any(m.kind == "compile" for m in moments)
    fluid = best_moment(moments, "overlap", "fluid")
    assert fluid is not None and fluid.count >= 3


def test_scenario_with_a_small_cap_queues_and_rejects() -> None:
    base = {"preset": "traditional", "max_instances": 1}
    scenario = make_scenario(
        work=[{"cpu": 0.5}],
        arrivals={"kind": "explicit", "times": [0, 0.1, 0.2]},
        platforms={"q": {**base, "overflow": "queue"}, "r": {**base, "overflow": "reject"}},
    )
    moments = run_moments(simulate(scenario, keep_events=True))
    assert {m.kind for m in moments if m.model == "q"} >= {"queued", "cold_start"}
    assert [m.request for m in moments if m.kind == "rejected"] == [1, 2]


def test_follow_a_cold_request_through_its_phases_and_bill(default_run) -> None:
    result = default_run.models["traditional"]
    timeline = build_timeline(result)
    path = follow(result, timeline, 0)
    kinds = [s.kind for s in path.steps]
    assert kinds[:6] == ["arrived", "cold", "provision", "runtime_init", "compile", "module_init"]
    assert "cpu" in kinds and "io" in kinds and "first_byte" in kinds and kinds[-1] == "response"
    assert path.share is not None and 0 < path.share_of_bill < 1
    shares = sum(follow(result, timeline, r).share.total for r in range(3))  # type: ignore[union-attr]
    assert shares > path.share.total
    assert path.story()[0] == "request 0 on /api/chat (traditional)"
    assert json.dumps(path.to_dict())
    with pytest.raises(KeyError, match="no request 99999"):
        follow(result, timeline, 99999)


def test_zoom_is_a_1_2_5_width_that_fits_a_moment() -> None:
    cold = find_moments(_stream(), "m", ["cold_start"])[0]
    w = window_for(cold)
    assert w.width == 1.0 and w.start == 0.0 and w.end >= cold.end
    assert nice_width(0.43) == 0.5 and zoom_in(1.0) == 0.5 and zoom_out(1.0) == 2.0
    assert zoom_out(zoom_in(20.0)) == 20.0


def test_time_axis_ticks_carry_units() -> None:
    marks = ticks(0.0, 1.0, 60)
    assert [m.label for m in marks][:3] == ["0 ms", "200 ms", "400 ms"]
    assert [m.column for m in marks][:3] == [0, 12, 24]
    line = axis_line(190.0, 10.0, 80)
    assert len(line) == 80 and line.startswith("╵190 s") and "192 s" in line
    assert "1 h" in axis_line(0.0, 20_000.0, 80)


def test_lab_moments_json_lists_objects_with_the_named_fields() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["moments", "lesson01-api", "--kind", "cold_start", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data and all(
        {"kind", "t", "model", "instance", "request"} <= set(d) and d["kind"] == "cold_start"
        for d in data
    )
    bad = runner.invoke(app, ["moments", "lesson01-api", "--model", "nope"])
    assert bad.exit_code == 2 and "--model" in bad.output


def test_cli_repeats_the_moment_kinds() -> None:
    from lab.cli.moments import MOMENT_KIND_NAMES

    assert tuple(MOMENT_KINDS) == MOMENT_KIND_NAMES
