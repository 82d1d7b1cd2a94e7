"""Processor sharing of one instance's vCPUs between the cpu segments running on it.

With ``n`` cpu segments on ``v`` vCPUs, each progresses at ``min(1, v / n)`` seconds of work
per second. This is why CPU-bound work slows down when Fluid packs requests onto one instance,
while I/O-bound work (which holds no core) overlaps for free.

The scheduler keeps one timer for the next completion (or deadline) and re-plans whenever a
segment joins or leaves; stale timers are ignored by a generation counter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

_EPS = 1e-12


class _Job:
    __slots__ = ("deadline", "done_event", "remaining", "work")

    def __init__(self, work: float, deadline: float, done_event: Any) -> None:
        self.work = work
        self.remaining = work
        self.deadline = deadline
        self.done_event = done_event


class CpuShare:
    """The cores of one instance, shared fairly by the cpu segments on it."""

    __slots__ = ("_env", "_gen", "_jobs", "_last", "vcpus")

    def __init__(self, env: Any, vcpus: float) -> None:
        self._env = env
        self.vcpus = vcpus
        self._jobs: list[_Job] = []
        self._last = 0.0
        self._gen = 0

    @property
    def running(self) -> int:
        return len(self._jobs)

    def _rate(self) -> float:
        n = len(self._jobs)
        return 1.0 if n <= self.vcpus else self.vcpus / n

    def _advance(self) -> None:
        now = self._env.now
        jobs = self._jobs
        if jobs and now > self._last:
            n = len(jobs)
            done = (now - self._last) * (1.0 if n <= self.vcpus else self.vcpus / n)
            for job in jobs:
                job.remaining -= done
        self._last = now

    def run(
        self,
        work: float,
        deadline: float = math.inf,
        then: Callable[[Any], None] | None = None,
    ) -> Any:
        """An event (simpy's or the heap clock's) that succeeds with ``(finished,
        cpu_seconds_used)`` as its ``value`` (a process may yield it), calling ``then`` when it
        fires.

        ``finished`` is False when the deadline came first; the segment is then cut.
        """
        self._advance()
        event = self._env.event()
        if then is not None:
            cast("list[Any]", event.callbacks).append(then)
        self._jobs.append(_Job(work, deadline, event))
        self._plan()
        return event

    def _plan(self) -> None:
        self._gen += 1
        if not self._jobs:
            return
        jobs = self._jobs
        now = self._env.now
        rate = self._rate()
        if len(jobs) == 1:  # the common case, without two generators (same arithmetic)
            job = jobs[0]
            wait = min(job.remaining / rate, job.deadline - now)
        else:
            wait = min(
                min([job.remaining for job in jobs]) / rate,
                min([job.deadline for job in jobs]) - now,
            )
        gen = self._gen
        timer = self._env.timeout(max(0.0, wait))
        cast("list[Any]", timer.callbacks).append(lambda _ev: self._wake(gen))

    def _wake(self, gen: int) -> None:
        if gen != self._gen:
            return
        self._advance()
        now = self._env.now
        keep = []
        tolerance = _EPS * (1.0 + now)
        for job in self._jobs:
            if job.remaining <= tolerance:
                self._done(job.done_event, (True, job.work))
            elif job.deadline <= now + tolerance:
                self._done(job.done_event, (False, job.work - job.remaining))
            else:
                keep.append(job)
        self._jobs = keep
        self._plan()

    def _done(self, event: Any, outcome: tuple[bool, float]) -> None:
        """Fire ``event`` with ``outcome`` (scheduled now, after what is already due now)."""
        event.succeed(outcome)
