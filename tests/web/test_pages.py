"""Replay, bill calculator, scenario editor and live pages (AppTest)."""

from __future__ import annotations

import time

import pytest
import yaml

from lab.format import count, duration_ms, money, percent
from lab.view import build_timeline, state_at
from lab.view.legend import LEGEND
from lab.view.sweep import MONTH_S, break_even, cpu_share_sweep, monthly_costs
from lab.view.whatif import read_knobs, with_compared_models
from lab.web.scenarios import scenario_text
from models.loading import DEFAULT_SCENARIO, MAX_SCENARIO_BYTES, builtin_scenario
from models.prices import price_preset
from models.run import simulate
from tests.helpers import make_scenario
from tests.web.conftest import (
    chart_datasets,
    chart_specs,
    encodings,
    headlines,
    metrics,
    open_page,
)


@pytest.fixture(scope="module")
def default():
    return with_compared_models(builtin_scenario(DEFAULT_SCENARIO))


# --- animated replay --------------------------------------------------------------------


def test_replay_plays_and_draws_the_run_at_the_cursor(app, default) -> None:
    open_page(app, "replay")
    # It opens paused on the first cold start, zoomed to its phases, not on an empty t = 0.
    assert app.session_state["replay.cursor"] > 0.0
    assert "starts cold" in app.session_state["replay.moment"]
    assert app.session_state["replay.window"] <= 5.0
    assert not app.session_state["replay.playing"]
    app.button(key="replay.play").click().run()
    assert app.session_state["replay.playing"]
    time.sleep(0.3)
    app.run()  # one tick of the fragment: the cursor moved with the clock
    cursor = app.session_state["replay.cursor"]
    assert cursor > 0.0
    spec = chart_specs(app)[0]
    assert {
        ("x", "start"),
        ("x2", "end"),
        ("y", "instance"),
        ("color", "activity"),
        ("x", "t"),
    } <= (encodings(spec))
    layers = spec["vconcat"][0]["layer"]
    rule = next(layer for layer in layers if layer["mark"]["type"] == "rule")
    assert rule["encoding"]["x"]["field"] == "t"
    app.button(key="replay.play").click().run()  # pause
    assert not app.session_state["replay.playing"]


def test_replay_cursor_never_goes_back_while_playing(app) -> None:
    """The browser can send back a time slider value from a frame or two ago (a tick that
    overtook the last redraw); that must not rewind the run, nor slow it down."""
    open_page(app, "replay")
    app.select_slider(key="replay.speed").set_value(600).run()
    start = time.monotonic()
    app.button(key="replay.play").click().run()
    assert app.slider(key="replay.time").disabled  # nothing to drag while playing
    seen = [app.session_state["replay.cursor"]]
    for tick in range(8):
        time.sleep(0.05)
        if tick % 2:
            # what a lagging browser echoes: the value of an earlier frame. AppTest refuses
            # to move a disabled widget (a user cannot), so the stale state is put in directly
            app.slider(key="replay.time")._value = seen[-2] if len(seen) > 1 else 0.0
        app.run()
        assert not app.exception
        seen.append(app.session_state["replay.cursor"])
        assert app.slider(key="replay.time").value == pytest.approx(seen[-1])
    elapsed = time.monotonic() - start
    assert seen == sorted(seen), seen
    assert seen[-1] > seen[0]
    # moving with the clock at the speed set: 600 simulated seconds per second
    assert seen[-1] <= 600 * elapsed + 1e-6
    assert seen[-1] >= 600 * (elapsed - 2.0)  # a generous allowance for a busy machine
    app.button(key="replay.play").click().run()  # pause where the clock was, not before
    assert not app.session_state["replay.playing"]
    paused = app.session_state["replay.cursor"]
    assert paused >= seen[-1]
    app.slider(key="replay.time").set_value(1234.0).run()  # paused: a drag moves the cursor
    assert app.session_state["replay.cursor"] == 1234.0
    app.button(key="replay.play").click().run()
    time.sleep(0.05)
    app.run()
    assert app.session_state["replay.cursor"] >= 1234.0  # and play goes on from there
    app.button(key="replay.play").click().run()


def test_replay_meters_are_the_frame_at_the_cursor(app, default) -> None:
    open_page(app, "replay")
    assert (metrics(app)["p50 so far"], metrics(app)["p99 so far"]) == ("–", "–")  # none done
    app.slider(key="replay.time").set_value(5000.0).run()
    timeline = build_timeline(simulate(default).models["traditional"])
    frame = state_at(timeline, 5000.0)
    shown = metrics(app)
    assert frame.meters.has_latency
    assert (shown["p50 so far"], shown["p99 so far"]) == (
        duration_ms(frame.meters.latency_p50_ms),
        duration_ms(frame.meters.latency_p99_ms),
    )
    assert shown["instances alive"] == count(len(frame.lanes))
    assert shown["requests in flight"] == count(frame.in_flight)
    assert shown["cold starts so far"] == count(frame.meters.cold_starts)
    assert shown["bill so far"] == money(frame.meters.bill_total)
    assert shown["arrived / done"] == (
        f"{count(frame.counts['arrived'])} / {count(frame.counts['completed'])}"
    )
    # one cursor for both models: switching model keeps the time, and shows fluid at it
    app.radio(key="replay.model").set_value("fluid").run()
    assert app.session_state["replay.cursor"] == 5000.0
    fluid = state_at(build_timeline(simulate(default).models["fluid"]), 5000.0)
    assert metrics(app)["instances alive"] == count(len(fluid.lanes))
    assert metrics(app)["bill so far"] == money(fluid.meters.bill_total)
    app.radio(key="replay.model").set_value("both").run()
    assert app.session_state["replay.cursor"] == 5000.0
    assert len(chart_specs(app)) == 2  # both models, at the same instant
    assert not app.exception


def test_replay_peak_overlap_shows_every_request_in_flight_on_its_own_row(app) -> None:
    """The moment button puts the cursor at the peak; each request then in flight on the
    instance has its own row (slot), so none hides behind another."""
    open_page(app, "replay")
    app.radio(key="replay.model").set_value("fluid").run()
    app.button(key="replay.moment.peak").click().run()
    assert not app.exception
    cursor = app.session_state["replay.cursor"]
    assert cursor > 0.0
    in_flight = int(metrics(app)["requests in flight"])
    assert in_flight >= 5
    assert "holds" in app.info[0].value
    rows = [r for rows in chart_datasets(app, 0).values() for r in rows if "slot" in r]
    at_cursor = {
        (r["request"], r["slot"])
        for r in rows
        if r["slot"] >= 0 and r["start"] <= cursor and r["end"] >= cursor - 1e-6
    }
    assert len({slot for _r, slot in at_cursor}) >= in_flight
    assert len({request for request, _s in at_cursor}) >= in_flight


def test_replay_next_cold_start_stops_on_its_phases(app) -> None:
    open_page(app, "replay")
    app.button(key="replay.moment.cold").click().run()
    assert not app.exception
    assert app.session_state["replay.window"] <= 1.0  # zoomed so the phases fill the view
    kinds = {
        r["activity"] for rows in chart_datasets(app, 0).values() for r in rows if "activity" in r
    }
    assert {LEGEND[k].label for k in ("provision", "runtime_init", "module_init")} <= kinds


# --- bill calculator --------------------------------------------------------------------


def test_bill_calculator_shows_simulated_monthly_bills_and_their_sources(app, default) -> None:
    open_page(app, "bill")
    volume = round(0.05 * MONTH_S)
    assert app.number_input(key="bill.requests").value == volume
    costs = monthly_costs(default, float(volume), 500)
    shown = metrics(app)
    for name, cost in costs.items():
        assert shown[f"monthly bill ({name})"] == money(cost.monthly)
    text = " ".join(m.value for m in app.markdown)
    for name in ("vercel-traditional-pro", "vercel-fluid-iad1"):
        preset = price_preset(name)
        assert f"as of {preset.as_of}" in text
        assert preset.sources[0] in text
    # Vercel's legacy list price never catches up with Fluid on this work
    assert "no break-even" in app.success[0].value
    spec = chart_specs(app)[0]
    assert {("x", "cpu_share"), ("y", "usd_per_million"), ("color", "model")} <= encodings(spec)


def test_break_even_against_lambda_prices_is_the_simulated_one(app, default) -> None:
    open_page(app, "bill")
    app.selectbox(key="bill.prices_traditional").set_value("aws-lambda-x86-us-east-1").run()
    assert not app.exception
    priced = default.with_changes(**{"platforms.traditional.prices": "aws-lambda-x86-us-east-1"})
    volume = float(round(0.05 * MONTH_S))
    even = break_even(cpu_share_sweep(priced, volume, sample=200))
    assert even.status == "crosses"
    assert f"about **{percent(even.cpu_share, 0)} CPU**" in app.info[0].value
    assert "This scenario's work is 10% CPU" in app.info[0].value
    shown = metrics(app)
    costs = monthly_costs(priced, volume, 500)
    assert shown["monthly bill (traditional)"] == money(costs["traditional"].monthly)
    app.number_input(key="bill.requests").set_value(1_000_000).run()
    assert metrics(app)["monthly bill (fluid)"] == money(
        monthly_costs(priced, 1_000_000.0, 500)["fluid"].monthly
    )


# --- scenario editor --------------------------------------------------------------------

BAD = b"""name = "broken"
[workload]
arrivals = { kind = "poisson", rate = -1 }
requests = 10
[[workload.routes]]
name = "/"
work = [ { cpu = "1ms" } ]
"""


def test_a_bad_upload_shows_the_field_and_the_app_keeps_working(app, default) -> None:
    before = headlines(app)
    open_page(app, "editor")
    app.file_uploader(key="editor.upload").set_value(("broken.toml", BAD, "text/plain")).run()
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("broken.toml: the scenario is not valid")
    assert "workload.arrivals.rate: got -1; expected > 0" in message
    assert app.session_state["lab.base"] == default  # still the scenario in use
    app.file_uploader(key="editor.upload").set_value(None).run()  # another file, or none
    assert not app.error  # what was said of the last file no longer stands
    open_page(app, "playground")
    assert headlines(app) == before


def test_an_oversized_or_undecodable_upload_is_refused(app) -> None:
    open_page(app, "editor")
    app.file_uploader(key="editor.upload").set_value(("broken.toml", BAD, "text/plain")).run()
    assert "not valid" in app.error[0].value
    big = b"# " + b"x" * MAX_SCENARIO_BYTES
    app.file_uploader(key="editor.upload").set_value(("big.toml", big, "text/plain")).run()
    # the new file's message, in place of the last one's
    assert [e.value for e in app.error] == [
        f"big.toml: larger than {MAX_SCENARIO_BYTES // 1000} kB"
    ]
    app.file_uploader(key="editor.upload").set_value(("bin.json", b"\xff\xfe", "text/plain")).run()
    assert app.error[0].value == "bin.json: not UTF-8 text"


def test_a_good_upload_becomes_the_scenario_every_page_shows(app, default) -> None:
    mine = default.with_changes(
        **{
            "name": "mine",
            "title": "My own route",
            "description": "Written for this test.",
            "workload.requests": 200,
        }
    )
    open_page(app, "editor")
    data = scenario_text(mine, "yaml").encode()
    app.file_uploader(key="editor.upload").set_value(("mine.yaml", data, "text/plain")).run()
    assert not app.error
    assert app.session_state["lab.base"] == mine
    assert yaml.safe_load(app.text_area(key="editor.text").value)["name"] == "mine"
    # the caption and the description follow the upload in the same run, not the next one
    assert any("In use: **mine**" in c.value for c in app.caption)
    shown = [m.value for m in app.markdown] + [t.value for t in app.text]
    assert "**My own route**" in shown and "Written for this test." in shown
    open_page(app, "playground")
    result = simulate(mine, keep_events=False)
    assert headlines(app)["fluid"]["bill"] == money(result.models["fluid"].bill.total)
    assert app.select_slider(key="knob.requests").value == 200


def test_editing_and_applying_text(app) -> None:
    open_page(app, "editor")
    text = app.text_area(key="editor.text").value
    assert text.startswith('name = "ai-streaming"')  # the built-in's source, comments and all
    app.text_area(key="editor.text").input(text.replace("rate = 0.05", "rate = 0.1")).run()
    app.button(key="editor.apply").click().run()
    assert not app.error
    assert app.session_state["lab.base"].workload.arrivals.rate == 0.1
    app.text_area(key="editor.text").input(text.replace("memory_mb = 2048", "memory_mb = 1")).run()
    app.button(key="editor.apply").click().run()
    assert "function.memory_mb: got 1; expected >= 128" in app.error[0].value
    assert app.session_state["lab.base"].workload.arrivals.rate == 0.1  # unchanged
    app.selectbox(key="editor.builtin").set_value("db-api")
    app.button(key="editor.load").click().run()
    assert app.session_state["lab.base"].name == "db-api"
    assert not app.error
    names = [b.proto.label for b in app.get("download_button")]
    assert "Download this text" in names


# --- live runtime -----------------------------------------------------------------------


class _LiveSoFar:
    """A live run caught mid-way: the events received so far, still running."""

    running = True
    error = None
    result = None
    elapsed = 1.0

    def __init__(self, scenario, model: str, events: list) -> None:
        self.scenario, self.model, self.events = scenario, model, events

    def poll(self) -> list:
        return self.events

    def stop(self) -> None:
        self.running = False


def test_live_requests_in_flight_count_what_arrived_and_is_not_answered(app) -> None:
    """The live clock is the last event's time, where every span still open ends: a frame
    taken there finds no request running. In flight is arrived less answered."""
    from models.events import RequestArrived, ResponseSent

    slow = with_compared_models(
        make_scenario(
            [{"cpu": "5ms"}, {"io": "5s"}],
            {"kind": "explicit", "times": [0.0, 0.1, 0.2]},
            requests=3,
        )
    )
    events = simulate(slow, models=["fluid"]).models["fluid"].events
    first_response = next(i for i, e in enumerate(events) if isinstance(e, ResponseSent))
    so_far = events[:first_response]
    assert sum(isinstance(e, RequestArrived) for e in so_far) == 3
    app.session_state["live.session"] = _LiveSoFar(slow, "fluid", so_far)
    open_page(app, "live")
    shown = metrics(app)
    assert (shown["arrived"], shown["completed"]) == ("3", "0")
    assert shown["requests in flight"] == "3"
    app.session_state["live.session"].stop()


def test_a_live_run_where_every_request_timed_out_says_so_and_shows_no_change(app) -> None:
    """Nothing completed: the timed-out requests are counted and listed, the latency reads
    "–" and no change is computed (a "-100 %" p50 from a run that answered nothing is wrong)."""
    from types import SimpleNamespace

    cut = with_compared_models(
        make_scenario(
            [{"cpu": "5ms"}, {"io": "5s"}],
            {"kind": "poisson", "rate": 2.0},
            requests=3,
        )
    )
    cut = cut.with_changes(**{"platforms.fluid.max_duration": 1.0})
    run = simulate(cut, models=["fluid"]).models["fluid"]
    assert run.metrics["requests"]["timed_out"] == 3
    done = _LiveSoFar(cut, "fluid", run.events or [])
    done.running, done.result, done.speed, done.requests = False, SimpleNamespace(result=run), 1, 3
    app.session_state["lab.base"] = cut
    app.session_state["lab.base_source"] = "test"
    app.session_state["lab.knobs"] = read_knobs(cut)
    app.session_state["live.session"] = done
    open_page(app, "live")
    shown = metrics(app)
    assert (shown["timed out"], shown["completed"]) == ("3", "0")
    assert any("no request completed (3 timed out of 3)" in e.value for e in app.error)
    assert headlines(app)["live fluid"]["latency p50"] == "–"
    assert not any(headlines(app, "delta")["live fluid"].values())


def test_live_page_runs_real_processes_and_bills_their_events(app) -> None:
    tiny = with_compared_models(
        make_scenario(
            [{"cpu": "5ms"}, {"io": "30ms"}],
            {"kind": "poisson", "rate": 2.0},
            requests=3,
            function={"memory_mb": 1024, "bundle": [{"name": "fw", "size_kb": 20, "eager": True}]},
        )
    )
    app.session_state["lab.base"] = tiny
    app.session_state["lab.base_source"] = "test"
    app.session_state["lab.knobs"] = read_knobs(tiny)
    open_page(app, "live")
    assert "No live run yet" in app.info[0].value
    app.select_slider(key="live.requests").set_value(3)
    app.radio(key="live.model").set_value("fluid")
    app.button(key="live.start").click().run()
    session = app.session_state["live.session"]
    try:
        deadline = time.monotonic() + 60
        while session.running and time.monotonic() < deadline:
            time.sleep(0.3)
            app.run()
        assert not session.running, "the live run did not finish within a minute"
        app.run()
        assert not app.exception
        assert session.error is None
        shown = metrics(app)
        live = session.result.result
        assert headlines(app)["live fluid"]["bill"] == money(live.bill.total)
        assert live.metrics["requests"]["completed"] == 3
        assert (shown["arrived"], shown["completed"], shown["failed"]) == ("3", "3", "0")
        assert shown["requests in flight"] == "0"
        assert "bill" in headlines(app)["simulated fluid"]
        assert int(shown["events received"].replace(",", "")) == len(session.events)
        labels = [b.proto.label for b in app.get("download_button")]
        assert "Numbers as CSV" in labels
        assert "PNG" in labels and "SVG" in labels  # the chart, once the run is over
    finally:
        session.stop()
