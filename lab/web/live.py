"""A live-runtime run for the web page: real processes in a background thread, their events
arriving on an in-process queue the page drains a few times a second.

``LiveSession`` owns one run of ``models.live.replay.run_live_async`` on its own event loop;
the runtime's ``sink`` puts every event on a ``queue.SimpleQueue`` (thread-safe), and
``poll()`` moves what has arrived into ``events``. ``stop()`` cancels the run, which makes the
runtime stop (and reap) every instance process. Nothing here knows about Streamlit: the page
keeps the session in ``st.session_state`` and tests drive it directly.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from typing import Any

from models.events import Event
from models.live.replay import LiveResult, run_live_async
from models.live.runtime import LiveOptions
from models.scenario import Scenario


class LiveSession:
    """One live run of one platform model, started in a daemon thread."""

    def __init__(
        self,
        scenario: Scenario,
        model: str,
        requests: int,
        speed: float = 1.0,
        options: LiveOptions | None = None,
    ) -> None:
        self.scenario = scenario
        self.model = model
        self.requests = requests
        self.speed = speed
        self.options = options or LiveOptions()
        self.events: list[Event] = []
        self.result: LiveResult | None = None
        self.error: str | None = None
        self.started_at = 0.0
        self.finished_at: float | None = None
        self._queue: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[LiveResult] | None = None
        self._thread = threading.Thread(target=self._main, name="lab-live", daemon=True)
        self._ready = threading.Event()

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> LiveSession:
        self.started_at = time.monotonic()
        self._thread.start()
        self._ready.wait(timeout=10)
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(
                run_live_async(
                    self.scenario,
                    self.model,
                    self.options,
                    requests=self.requests,
                    speed=self.speed,
                    sink=self._queue.put,
                )
            )
            self._ready.set()
            self.result = loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            self.error = "stopped before the end"
        except Exception as exc:  # shown on the page; the run is over either way
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()
            self.finished_at = time.monotonic()
            loop.close()

    def stop(self, timeout: float = 15.0) -> None:
        """Cancel the run (its instances are stopped) and wait for the thread to end."""
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not task.done():
            loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def elapsed(self) -> float:
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return end - self.started_at if self.started_at else 0.0

    # --- events -------------------------------------------------------------------------

    def poll(self) -> list[Event]:
        """Everything emitted so far (moves newly arrived events off the queue)."""
        while True:
            try:
                self.events.append(self._queue.get_nowait())
            except queue.Empty:
                return self.events

    def status(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "events": len(self.events),
            "running": self.running,
            "error": self.error,
        }
