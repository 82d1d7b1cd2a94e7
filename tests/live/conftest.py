"""Fixtures for the live runtime: a private cache dir and a check that no process outlives a
test (every test here starts real processes; a leftover one fails the test that left it)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.live.runtime import LiveOptions


def live_pids() -> set[int]:
    """Processes running our instance code (zygotes, forked or spawned instances)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().split()[2]
        except OSError:
            continue
        if b"models.live" in cmdline and state != "Z":
            found.add(int(entry))
    return found


def _describe(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().split()
        return f"state {stat[2]} ppid {stat[3]}"
    except OSError:
        return "gone"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "load: thousands of requests through the front door (a few seconds each)"
    )


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("live-cache")


@pytest.fixture
def options(cache_root: Path) -> LiveOptions:
    return LiveOptions(cache_root=cache_root)


@pytest.fixture(autouse=True)
def no_orphans() -> Iterator[None]:
    before = live_pids()
    yield
    deadline = time.monotonic() + 5
    left = live_pids() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = live_pids() - before
    described = {pid: _describe(pid) for pid in left}
    for pid in left:  # clean up anyway, then fail
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left running: {sorted(left)}: {described}"
