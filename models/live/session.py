"""A live run for front ends: the runtime on a background thread, its events on queues.

The TUI and the web app run their own loops (Textual's, Streamlit's script thread), so a
``LiveSession`` runs the HTTP front door and its runtimes on a private asyncio loop in a
daemon thread, and hands every event to subscribers as ``(model, event)`` on thread-safe
queues, as it happens::

    with LiveSession(scenario) as session:
        feed = session.subscribe()
        session.replay("fluid", requests=50, speed=10)   # or send HTTP to session.url
        for model, event in session.iter_events(feed, timeout=1.0):
            ...

``stop()`` (or leaving the ``with``) stops every instance process.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

from models.events import Event
from models.live.replay import replay
from models.live.runtime import LiveOptions, Outcome
from models.live.server import LiveServer
from models.requests import generate_requests
from models.scenario import Scenario

Feed = queue.SimpleQueue[tuple[str, Event]]


class LiveSession:
    def __init__(
        self,
        scenario: Scenario,
        models: list[str] | None = None,
        options: LiveOptions | None = None,
        port: int = 0,
    ) -> None:
        self.scenario = scenario
        self._subscribers: list[Feed] = []
        self._lock = threading.Lock()
        self.server = LiveServer(scenario, models, options, port=port, sink=self._publish)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="lab-live", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> LiveSession:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:  # reported to the caller of start()
            self._error = exc
            self._ready.set()
            self._loop.run_until_complete(self.server.close())
            self._loop.close()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self.server.close(), self._loop)
        future.result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def __enter__(self) -> LiveSession:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    def status(self, timeout: float = 5.0) -> dict[str, Any]:
        """What ``GET /_lab/status`` answers (each model's ``health`` included: launcher up,
        restarting or failed; requests failed, timed out, rejected; crashes with their
        stderr; cache evictions), read on the server's loop, from any thread."""

        async def read() -> dict[str, Any]:
            return self.server.status()

        return asyncio.run_coroutine_threadsafe(read(), self._loop).result(timeout)

    # --- events --------------------------------------------------------------------------

    def _publish(self, model: str, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for feed in subscribers:
            feed.put((model, event))

    def subscribe(self) -> Feed:
        """A queue that receives every event from now on."""
        feed: Feed = queue.SimpleQueue()
        with self._lock:
            self._subscribers.append(feed)
        return feed

    def unsubscribe(self, feed: Feed) -> None:
        with self._lock:
            if feed in self._subscribers:
                self._subscribers.remove(feed)

    @staticmethod
    def iter_events(feed: Feed, timeout: float | None = None) -> Iterator[tuple[str, Event]]:
        """Events from ``feed`` until none arrives for ``timeout`` seconds."""
        while True:
            try:
                yield feed.get(timeout=timeout)
            except queue.Empty:
                return

    # --- driving -------------------------------------------------------------------------

    def replay(
        self,
        model: str,
        requests: int | None = None,
        speed: float = 1.0,
        concurrency: int | None = None,
    ) -> Future[list[Outcome]]:
        """Play the scenario's requests into ``model`` in-process (no HTTP); a Future of
        their outcomes."""
        runtime = self.server.runtimes[model]
        specs: Any = generate_requests(self.scenario)
        if requests is not None:
            specs = itertools.islice(specs, requests)
        return asyncio.run_coroutine_threadsafe(
            replay(runtime, specs, speed, concurrency), self._loop
        )
