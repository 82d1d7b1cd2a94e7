"""models.sim.clock: an alarm set late plays in the place of the timer it stands for.

These pin the two simpy internals the module relies on (the ``(time, priority, id)`` queue and
the id counter); if a simpy release changes them, this fails rather than the simulator quietly
reordering ties.
"""

from __future__ import annotations

import simpy

from models.sim.clock import alarm_at, reserve


def test_an_alarm_takes_the_place_of_the_timer_it_reserved() -> None:
    env = simpy.Environment()
    order: list[str] = []
    env.timeout(5).callbacks.append(lambda _e: order.append("before"))
    slot = reserve(env)  # a timer set now, due at 5, would play second

    def later(_e: object) -> None:  # at t=1: a timer due at 5 set now plays after the slot
        env.timeout(4).callbacks.append(lambda _e: order.append("after"))

    def place(_e: object) -> None:  # at t=3: the alarm finally goes in, in the reserved slot
        alarm_at(env, 5.0, slot, lambda _e: order.append(f"alarm at {env.now:g}"))

    env.timeout(1).callbacks.append(later)
    env.timeout(3).callbacks.append(place)
    env.run()
    assert order == ["before", "alarm at 5", "after"]


def test_reserving_takes_one_id_as_a_timer_would() -> None:
    """Ids after a reservation are the ones they would have been had a timer been set."""
    with_timer, with_reservation = simpy.Environment(), simpy.Environment()
    with_timer.timeout(1)
    reserve(with_reservation)
    assert next(with_timer._eid) == next(with_reservation._eid)


def test_an_alarm_is_a_valid_event_for_run_and_peek() -> None:
    env = simpy.Environment()
    fired: list[float] = []
    alarm_at(env, 2.5, reserve(env), lambda _e: fired.append(env.now))
    assert env.peek() == 2.5
    env.run()
    assert fired == [2.5]
