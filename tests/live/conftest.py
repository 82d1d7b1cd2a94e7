"""Fixtures for the live runtime: a private cache dir and a check that no process outlives a
test (every test here starts real processes; a leftover one fails the test that left it).

Only this test process's own descendants are looked at, never the machine's other processes:
pytest makes itself a child subreaper (``PR_SET_CHILD_SUBREAPER``), so an instance orphaned by
a dead zygote or router is re-parented to it and stays in its tree, which is walked through
``/proc/PID/task/TID/children``."""

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

PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1)


_become_subreaper()


def descendants(root: int | None = None) -> set[int]:
    """Every process below ``root`` (default: this one), from the kernel's children lists."""
    found: set[int] = set()
    stack = [root or os.getpid()]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError):
            for tid in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError):
                    text = Path(f"/proc/{pid}/task/{tid}/children").read_text()
                    for child in map(int, text.split()):
                        if child not in found:
                            found.add(child)
                            stack.append(child)
    return found


def live_pids() -> set[int]:
    """Our descendants running instance code (zygotes, forked or spawned instances)."""
    found = set()
    for pid in descendants():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if b"models.live" in cmdline and state != "Z":
            found.add(pid)
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
