"""Start `lab live` in its own process for a benchmark, and stop it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LabLive:
    """A running `lab live`: its URL, its pid, and (after it stopped) its exit status."""

    url: str
    pid: int
    exit_status: int | None = None


@contextmanager
def lab_live(scenario: Path, *args: str) -> Iterator[LabLive]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from lab.cli import main; main()",
            "live",
            str(scenario),
            "--port",
            "0",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = None
    try:
        assert proc.stdout is not None
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("lab live exited before serving")
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else None
        server = LabLive(url, proc.pid)
        yield server
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            status = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
        if server is not None:
            server.exit_status = status
        if proc.stdout is not None:
            proc.stdout.close()
