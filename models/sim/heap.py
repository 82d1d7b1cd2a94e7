"""A plain heap event loop: the simulator's second clock, for runs that need speed.

It offers the part of simpy's ``Environment`` the engine uses (``now``, ``timeout``, ``event``,
``process``, ``step``, ``peek``, ``run``) with simpy's ordering rules, plus plain callbacks
(``call_in``, ``call_at`` with ``reserve``) that cost no event object. A run on it emits the
same events, in the same order, as on simpy (``tests/test_drivers.py`` checks every built-in
scenario and Hypothesis-generated ones):

* the queue is ordered by ``(time, priority, id)``, the id counting every scheduling; a
  process's start is *urgent* (priority 0), everything else *normal* (1);
* an event's callbacks run in the order they were added, when it is popped;
* a process resumes when the event it waits for is processed, with that event's value; its end
  is scheduled as an event of its own (it takes an id, as in simpy);
* ``reserve`` takes the id a timer set now would get, so a callback scheduled later with
  ``call_at(t, id, ...)`` plays exactly where that timer would have (the engine keeps one
  keep-alive alarm per instance this way instead of one timer per idle stretch).

It does less than simpy: no interrupts, no failing events, no conditions, no resources; an
event succeeds once. That is all the engine needs, and the loop is lighter for it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from heapq import heappop, heappush
from itertools import count
from typing import Any

URGENT, NORMAL = 0, 1
Callback = Callable[[Any], None]


class HeapEvent:
    """An event: callbacks to run when it is processed, and the value it carries."""

    __slots__ = ("callbacks", "clock", "value")

    def __init__(self, clock: HeapClock, value: Any = None) -> None:
        self.clock = clock
        self.callbacks: list[Callback] | None = []
        self.value = value

    def succeed(self, value: Any = None) -> HeapEvent:
        """Trigger now (processed after what is already due now)."""
        self.value = value
        clock = self.clock
        heappush(clock._agenda, (clock.now, NORMAL, next(clock._ids), self.fire))
        return self

    def fire(self, _arg: Any = None) -> None:
        callbacks, self.callbacks = self.callbacks, None
        if callbacks:
            for callback in callbacks:
                callback(self)


class HeapProcess:
    """A generator that yields events and is resumed with their values."""

    __slots__ = ("clock", "generator")

    def __init__(self, clock: HeapClock, generator: Generator[Any, Any, None]) -> None:
        self.clock = clock
        self.generator = generator

    def resume(self, event: HeapEvent | None) -> None:
        value = None if event is None else event.value
        send = self.generator.send
        while True:
            try:
                target = send(value)
            except StopIteration:
                HeapEvent(self.clock).succeed()  # the process's end is an event, as in simpy
                return
            callbacks = target.callbacks
            if callbacks is not None:  # not processed yet: wait for it
                callbacks.append(self.resume)
                return
            value = target.value  # already processed: go on at once


class HeapClock:
    """The clock and its queue of ``(time, priority, id, callback)``."""

    __slots__ = ("_agenda", "_ids", "now")

    def __init__(self) -> None:
        self.now: float = 0  # an int until the first timeout, as simpy's clock (JSON: 0, not 0.0)
        self._agenda: list[tuple[float, int, int, Callback]] = []
        self._ids = count()

    # --- plain callbacks (called with None) -----------------------------------------------

    def call_in(self, delay: float, callback: Callback) -> None:
        """Call ``callback(None)`` ``delay`` from now, ordered as a timeout made now."""
        heappush(self._agenda, (self.now + delay, NORMAL, next(self._ids), callback))

    def reserve(self) -> int:
        """The order id a timer set now would get (nothing is scheduled)."""
        return next(self._ids)

    def call_at(self, at: float, order: int, callback: Callback) -> None:
        """Call ``callback(None)`` at ``at``, in the place of the timer that reserved ``order``
        (which must not be before what is being processed now)."""
        heappush(self._agenda, (at, NORMAL, order, callback))

    # --- simpy's subset ---------------------------------------------------------------------

    def timeout(self, delay: float, value: Any = None) -> HeapEvent:
        event = HeapEvent(self, value)
        heappush(self._agenda, (self.now + delay, NORMAL, next(self._ids), event.fire))
        return event

    def event(self) -> HeapEvent:
        return HeapEvent(self)

    def process(self, generator: Generator[Any, Any, None]) -> HeapProcess:
        process = HeapProcess(self, generator)
        heappush(self._agenda, (self.now, URGENT, next(self._ids), process.resume))
        return process

    def peek(self) -> float:
        return self._agenda[0][0] if self._agenda else math.inf

    def step(self) -> None:
        self.now, _, _, callback = heappop(self._agenda)
        callback(None)

    def run(self) -> None:
        queue = self._agenda
        while queue:
            self.now, _, _, callback = heappop(queue)
            callback(None)
