"""Callbacks on the simpy clock at a reserved place in its order, without a simpy event each.

simpy orders its queue by ``(time, priority, id)``, the id counting up as events are
scheduled: of two events due at the same instant, the one scheduled first goes first. A
keep-alive expiry is due every time an instance goes idle, but only the last one of an idle
stretch can matter. Scheduling every one of them (one request = one timer on the heap) was a
quarter of the simulator's time on the classic benchmark. Instead the engine *reserves* the id
the timer would have had (``reserve``), and schedules one alarm per instance with it
(``alarm_at``), re-arming it with the latest reservation when it fires early. Events then play
in exactly the order they would with one timer per idle period: same ties, same figures.

This relies on two details of simpy 4's ``Environment`` (its ``_queue`` heap and ``_eid``
counter); ``tests/test_sim_clock.py`` pins them, so an incompatible simpy fails loudly there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappush
from typing import Any, cast

import simpy
from simpy.events import NORMAL

__all__ = ["NORMAL", "Alarm", "alarm_at", "alarm_in", "reserve", "scheduling"]


class Alarm:
    """The least simpy's ``step`` needs of a scheduled event: its callbacks and that it is ok.

    Reusable: give it ``callbacks`` again and schedule it again once it has fired (simpy sets
    them to None as it fires)."""

    __slots__ = ("_ok", "_value", "callbacks")

    def __init__(self, callback: Callable[[Any], None] | None = None) -> None:
        self.callbacks: list[Callable[[Any], None]] | None = (
            None if callback is None else [callback]
        )
        self._ok = True
        self._value: Any = None

    @property
    def value(self) -> Any:
        """What the alarm fired with (as ``simpy.Event.value``)."""
        return self._value


def reserve(env: simpy.Environment) -> int:
    """Take the order id an event scheduled now would get (nothing is scheduled)."""
    return next(env._eid)


def alarm_at(
    env: simpy.Environment, at: float, order: int, callback: Callable[[Any], None]
) -> None:
    """Call ``callback`` at time ``at``, in the place of the event that reserved ``order``.

    ``(at, order)`` must not be before the event being processed now: an alarm cannot be
    placed in the past."""
    queue = cast("list[Any]", env._queue)  # holds simpy events; an Alarm passes for one
    heappush(queue, (at, NORMAL, order, Alarm(callback)))


def alarm_in(env: simpy.Environment, delay: float, alarm: Alarm) -> None:
    """Schedule ``alarm`` ``delay`` seconds from now, ordered exactly as a simpy ``Timeout``
    made now would be, without making one (the simulator sets one per request segment)."""
    queue = cast("list[Any]", env._queue)
    heappush(queue, (env._now + delay, NORMAL, next(env._eid), alarm))


def scheduling(env: simpy.Environment) -> tuple[list[Any], Iterator[int]]:
    """simpy's queue and its order counter, for a loop hot enough to schedule inline what
    ``alarm_in`` does: ``heappush(queue, (env.now + delay, NORMAL, next(ids), alarm))``; and
    ``next(ids)`` is ``reserve``."""
    return cast("list[Any]", env._queue), env._eid
