"""Start `lab live` in its own process for a benchmark, and stop it with Ctrl-C (SIGINT)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def lab_live(scenario: Path, *args: str) -> Iterator[str]:
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
    try:
        assert proc.stdout is not None
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("lab live exited before serving")
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            url = match.group(1) if match else None
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
