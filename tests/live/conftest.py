"""Fixtures for the live runtime: a private cache dir and a check that no process outlives a
test (every test here starts real processes; a leftover one fails the test that left it)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.live.runtime import LiveOptions


def _subreaper() -> None:
    """Make this test process the reaper of its orphans (Linux ``PR_SET_CHILD_SUBREAPER``), so
    an instance whose zygote died is still found among our descendants."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)


def live_pids() -> set[int]:
    """Our descendants running instance code (zygotes, forked or spawned instances).

    Only processes this test process started (directly or not): other sessions' instances on
    the same machine are never looked at, let alone killed."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if stat[0] != "Z":
                children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = set(), [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            with contextlib.suppress(OSError):
                if b"models.live" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.add(pid)
    return found


def _describe(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().split()
        return f"state {stat[2]} ppid {stat[3]}"
    except OSError:
        return "gone"


def pytest_configure(config: pytest.Config) -> None:
    _subreaper()
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
