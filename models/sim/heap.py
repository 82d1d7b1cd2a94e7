"""A plain heap event loop: the simulator's second clock, for aggregates-only runs.

It offers the part of simpy's ``Environment`` the engine uses (``now``, ``timeout``, ``event``,
``process``, ``step``, ``peek``, ``run``) with simpy's ordering rules, so a run on it emits the
same events, in the same order, as on simpy (``tests/test_drivers.py`` checks every built-in
scenario and random ones):

* the queue is ordered by ``(time, priority, id)``, the id counting every scheduling; a
  process's start is *urgent* (priority 0), everything else *normal* (1);
* an event's callbacks run in the order they were added, when it is popped;
* a process resumes when the event it waits for is processed, with that event's value; its end
  is scheduled as an event of its own (it takes an id, as in simpy).

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


class HeapEvent:
    """An event: callbacks to run when it is processed, and the value it carries."""

    __slots__ = ("callbacks", "clock", "value")

    def __init__(self, clock: HeapClock, value: Any = None) -> None:
        self.clock = clock
        self.callbacks: list[Callable[[Any], None]] | None = []
        self.value = value

    def succeed(self, value: Any = None) -> HeapEvent:
        """Trigger now (processed after what is already due now)."""
        self.value = value
        clock = self.clock
        heappush(clock._queue, (clock.now, NORMAL, next(clock._ids), self))
        return self


class HeapProcess:
    """A generator that yields events and is resumed with their values."""

    __slots__ = ("clock", "generator")

    def __init__(self, clock: HeapClock, generator: Generator[Any, Any, None]) -> None:
        self.clock = clock
        self.generator = generator

    def resume(self, event: HeapEvent) -> None:
        value = event.value
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
    """The clock and queue (``simpy.Environment``'s part the engine uses)."""

    __slots__ = ("_ids", "_queue", "now")

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, int, HeapEvent]] = []
        self._ids = count()

    def timeout(self, delay: float, value: Any = None) -> HeapEvent:
        event = HeapEvent(self, value)
        heappush(self._queue, (self.now + delay, NORMAL, next(self._ids), event))
        return event

    def event(self) -> HeapEvent:
        return HeapEvent(self)

    def process(self, generator: Generator[Any, Any, None]) -> HeapProcess:
        process = HeapProcess(self, generator)
        start = HeapEvent(self)
        start.callbacks = [process.resume]
        heappush(self._queue, (self.now, URGENT, next(self._ids), start))
        return process

    def peek(self) -> float:
        return self._queue[0][0] if self._queue else math.inf

    def step(self) -> None:
        self.now, _, _, event = heappop(self._queue)
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks or ():
            callback(event)

    def run(self) -> None:
        queue = self._queue
        while queue:
            self.now, _, _, event = heappop(queue)
            callbacks, event.callbacks = event.callbacks, None
            if callbacks:
                for callback in callbacks:
                    callback(event)
