"""The playback clock: seeking, stepping from event to event, speeds, play at the end."""

from __future__ import annotations

import pytest

from lab.tui.clock import SPEEDS, PlaybackClock, nearest_speed
from lab.view.zoom import Window


def clock() -> PlaybackClock:
    return PlaybackClock(end_time=10.0, speed=1.0, event_times=[0.0, 0.5, 0.5000001, 2.0, 9.0])


def test_step_goes_to_the_next_event_then_the_end() -> None:
    c = clock()
    assert [c.step() for _ in range(6)] == [0.5, 0.5000001, 2.0, 9.0, 10.0, 10.0]


def test_step_pauses() -> None:
    c = clock()
    c.playing = True
    c.step()
    assert not c.playing


def test_advance_moves_by_speed_only_when_playing_and_stops_at_the_end() -> None:
    c = clock()
    c.advance(1.0)
    assert c.t == 0.0
    c.toggle()
    c.speed = 2.0
    c.advance(1.5)
    assert c.t == pytest.approx(3.0)
    c.advance(100)
    assert c.t == 10.0 and not c.playing
    c.toggle()  # play at the end starts over
    assert c.t == 0.0 and c.playing


def test_speeds_step_through_the_list_and_stop_at_its_ends() -> None:
    c = clock()
    c.faster()
    assert c.speed == 2
    c.speed = SPEEDS[-1]
    c.faster()
    assert c.speed == SPEEDS[-1]
    c.speed = SPEEDS[0]
    c.slower()
    assert c.speed == SPEEDS[0]
    assert nearest_speed(23) == 20
    assert c.window == 80.0  # the zoom does not follow the speed


def test_zoom_is_separate_from_speed_and_a_held_window_lasts_while_the_clock_is_in_it() -> None:
    c = clock()
    c.width = 2.0
    c.faster()
    assert c.window == 2.0
    c.zoom_in()
    assert c.window == 1.0 and c.speed == 2
    c.zoom_out()
    c.zoom_out()
    assert c.window == 5.0
    c.seek(3.0)
    assert c.view() == (-2.0, 3.0)  # the last 5 s up to now
    c.pin(Window(2.0, 2.0))
    assert c.view() == (2.0, 4.0) and c.window == 2.0
    c.seek(4.5)  # past the held window: back to the last seconds up to now
    assert c.view() == (2.5, 4.5) and c.pinned is None


def test_seek_is_clamped() -> None:
    c = clock()
    c.seek(-5)
    assert c.t == 0.0
    c.seek(50)
    assert c.t == 10.0
